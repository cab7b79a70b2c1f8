package scrub

import (
	"testing"
)

func TestKeyRules(t *testing.T) {
	for _, tc := range []struct {
		key, rule string // rule "" means the key is not sensitive
	}{
		{"password", "password"},
		{"user.Password", "password"},
		{"PASSWORD_HASH", "password"},
		{"passwd", "password"},
		{"db.passphrase", "password"},
		{"mysql_pwd", "password"},
		{"MYSQL_PWD", "password"},
		{"pwd", "password"},
		{"client_secret", "secret"},
		{"SecretValue", "secret"},
		{"auth", "auth"},
		{"Authorization", "auth"},
		{"http.request.header.authorization", "auth"},
		{"proxy-authorization", "auth"},
		{"authorisation", "auth"},
		{"authorize_url", "auth"},
		{"oauth_state", "auth"},
		{"x-auth", "auth"},
		{"author", ""},
		{"authors", ""},
		{"book.author", ""},
		{"author_id", ""},
		{"Authority", ""},
		{"credentials", "credential"},
		{"aws.credential", "credential"},
		{"private_key", "private key"},
		{"privateKey", "private key"},
		{"private.key", "private key"},
		{"private-key", "private key"},
		{"private key", "private key"},
		{"api_key", "api key"},
		{"apikey", "api key"},
		{"X-Api-Key", "api key"},
		{"apiKey", "api key"},
		{"aws_access_key_id", "access key"},
		{"AWSAccessKeyId", "access key"},
		{"session", "session"},
		{"sessionid", "session"},
		{"PHPSESSID", "session"},
		{"JSESSIONID", "session"},
		{"cookie", "cookie"},
		{"http.response.header.set-cookie", "cookie"},
		{"csrf", "csrf"},
		{"x-csrf", "csrf"},
		{"csrf_value", "csrf"},
		{"xsrf", "xsrf"},
		{"X-XSRF", "xsrf"},
		{"jwt", "jwt"},
		{"user.jwt", "jwt"},
		{"JWTValue", "jwt"},
		{"ssn", "ssn"},
		{"userSSN", "ssn"},
		{"user_ssn", "ssn"},
		{"classname", ""},
		{"lessnotes", ""},
		{"social_security_number", "social security"},
		{"socialSecurity", "social security"},
		{"credit_card", "credit card"},
		{"creditcard", "credit card"},
		{"credit-card", "credit card"},
		{"card_number", "card number"},
		{"cardNumber", "card number"},
		{"payment.card.number", "card number"},
		{"card num", "card number"},
		{"card_no", "card number"},
		{"card_notes", ""},
		{"discard_number", ""},
		{"card", ""},
		{"pan", "pan"},
		{"card.pan", "pan"},
		{"cardPan", "pan"},
		{"PAN", "pan"},
		{"span", ""},
		{"span_id", ""},
		{"company", ""},
		{"japan", ""},
		{"JAPAN", ""},
		{"panel", ""},
		{"expand", ""},
		{"cvv", "cvv"},
		{"card_cvv2", "cvv"},
		{"cvc", "cvc"},
		{"CVC", "cvc"},
		{"security_code", "security code"},
		{"iban", "iban"},
		{"payee.IBAN", "iban"},
		{"token", "token"},
		{"access_token", "token"},
		{"refreshToken", "token"},
		{"X-Csrf-Token", "csrf"},
		{"signature", "signature"},
		{"X-Hub-Signature", "signature"},
		{"pin", "pin"},
		{"card.pin", "pin"},
		{"pinCode", "pin"},
		{"ping", ""},
		{"spinner", ""},
		{"otp", "otp"},
		{"otp_code", "otp"},
		{"hotpath", ""},
		{"bearer", "bearer"},
		// Common attribute keys that must stay.
		{"http.request.method", ""},
		{"http.response.status_code", ""},
		{"url.path", ""},
		{"url.scheme", ""},
		{"server.address", ""},
		{"client.address", ""},
		{"user_agent.original", ""},
		{"db.system.name", ""},
		{"db.query.text", ""},
		{"network.protocol.version", ""},
		{"error.type", ""},
		{"exception.message", ""},
		{"code.function.name", ""},
		{"key", ""}, // only in query parameter names
		{"code", ""},
		{"sig", ""},
		{"", ""},
		{"p", ""},
		{"é", ""},
	} {
		rule, _, ok := Default().keyRule(tc.key)
		if tc.rule == "" && ok {
			t.Errorf("key %q matched %q; want no match", tc.key, rule)
		}
		if tc.rule != "" && rule != tc.rule {
			t.Errorf("key %q matched %q (%v); want %q", tc.key, rule, ok, tc.rule)
		}
	}
}

func TestQueryKeyRules(t *testing.T) {
	for key, want := range map[string]bool{
		"key": true, "Key": true, "maps_key": true, "monkey": false,
		"sig": true, "X-Goog-Signature": true, "signal": false,
		"code": true, "auth_code": true, "zipcode": false, "barcode": false,
		"AWSAccessKeyId": true, "api%5Fkey": true, "page": false, "q": false,
	} {
		if got := SensitiveKey(key); got != want {
			t.Errorf("SensitiveKey(%q) = %v; want %v", key, got, want)
		}
	}
}

func TestKeyMatchDoesNotAllocate(t *testing.T) {
	keys := []string{"http.request.method", "server.address", "url.path", "user_agent.original", "password"}
	if n := testing.AllocsPerRun(100, func() {
		for _, k := range keys {
			_ = defaultKeys.match(k)
		}
	}); n != 0 {
		t.Fatalf("key matching allocates %v times", n)
	}
}
