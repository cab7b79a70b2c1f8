package instrument

import (
	"strconv"
	"strings"
	"testing"
)

// The per-request helpers of the middleware must not allocate once their
// caches are warm: their allocations would be paid on every request.
func TestZeroAllocs(t *testing.T) {
	var sets attrSets
	// Warm the caches, as the first request with each combination does.
	_ = sets.request("GET", "http", 200, "/users/{id}", "", "1.1")
	_ = sets.request("GET", "http", 500, "/fail", "500", "1.1")
	_ = sets.active("GET", "http")

	tests := []struct {
		name string
		f    func()
	}{
		{"attrSets.request hit", func() { _ = sets.request("GET", "http", 200, "/users/{id}", "", "1.1") }},
		{"attrSets.request hit with error.type", func() { _ = sets.request("GET", "http", 500, "/fail", "500", "1.1") }},
		{"attrSets.active hit", func() { _ = sets.active("GET", "http") }},
		{"ValidRequestID uuid", func() { _ = ValidRequestID("3f2b8a1c-9d4e-4f6a-8b7c-1d2e3f4a5b6c") }},
		{"ValidRequestID rejected", func() { _ = ValidRequestID("<script>") }},
		{"methodName known", func() { _, _ = methodName("DELETE") }},
		{"methodName unknown", func() { _, _ = methodName("FOO") }},
		{"statusText", func() { _ = statusText(404) }},
		{"statusText 599", func() { _ = statusText(599) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if n := testing.AllocsPerRun(100, tt.f); n != 0 {
				t.Errorf("%v allocations per call, want 0", n)
			}
		})
	}
}

func TestAttrSetsCache(t *testing.T) {
	var sets attrSets
	a := sets.request("GET", "http", 200, "/users/{id}", "", "1.1")
	b := sets.request("GET", "http", 200, "/users/{id}", "", "1.1")
	c := sets.request("GET", "http", 404, "", "", "1.1")
	if a.set.Equivalent() != b.set.Equivalent() {
		t.Error("the same combination gave different sets")
	}
	if a.set.Equivalent() == c.set.Equivalent() {
		t.Error("different combinations gave the same set")
	}
	if _, ok := c.set.Value("http.route"); ok {
		t.Error("an empty route was put in the set")
	}
	if v, ok := a.set.Value("http.response.status_code"); !ok || v.AsInt64() != 200 {
		t.Errorf("http.response.status_code = %v, want int 200", v.Emit())
	}
}

func TestMethodNameAndStatusText(t *testing.T) {
	methods := []struct {
		in, want string
		known    bool
	}{
		{"GET", "GET", true}, {"HEAD", "HEAD", true}, {"POST", "POST", true}, {"PUT", "PUT", true},
		{"DELETE", "DELETE", true}, {"CONNECT", "CONNECT", true}, {"OPTIONS", "OPTIONS", true},
		{"TRACE", "TRACE", true}, {"PATCH", "PATCH", true}, {"QUERY", "QUERY", true},
		{"get", "_OTHER", false}, {"FOO", "_OTHER", false}, {"", "_OTHER", false},
	}
	for _, tt := range methods {
		t.Run("method "+tt.in, func(t *testing.T) {
			if got, known := methodName(tt.in); got != tt.want || known != tt.known {
				t.Errorf("methodName(%q) = %q, %v, want %q, %v", tt.in, got, known, tt.want, tt.known)
			}
		})
	}
	for _, code := range []int{0, 100, 200, 404, 500, 599, 600, 1000, -1} {
		got := statusText(code)
		want := strconv.Itoa(code)
		if got != want {
			t.Errorf("statusText(%d) = %q, want %q", code, got, want)
		}
	}
}

// The access-log message is built in the request's own memory when it
// fits, and by concatenation when it does not; both read the same.
func TestAccessMessage(t *testing.T) {
	long := "/" + strings.Repeat("segment/", 8) + "42"
	for _, tc := range []struct {
		path string
		buf  bool
		want string
	}{
		{"/users/42", true, "GET /users/42 200"},
		{"/users/42", false, "GET /users/42 200"},
		{long, true, "GET " + long + " 200"},
		{"/" + strings.Repeat("x", accessMessageSize-len("GET / 200")), true, "GET /" + strings.Repeat("x", accessMessageSize-len("GET / 200")) + " 200"},
	} {
		e := accessEntry{method: "GET", path: tc.path, status: 200}
		if tc.buf {
			e.msgBuf = new([accessMessageSize]byte)
		}
		if got := e.message(); got != tc.want {
			t.Errorf("message(%q, buffer %v) = %q; want %q", tc.path, tc.buf, got, tc.want)
		}
	}
	// A second request's message does not change the first one's.
	st1, st2 := new(requestState), new(requestState)
	m1 := (&accessEntry{method: "GET", path: "/a", status: 200, msgBuf: &st1.msg}).message()
	_ = (&accessEntry{method: "POST", path: "/b", status: 500, msgBuf: &st2.msg}).message()
	if m1 != "GET /a 200" {
		t.Errorf("first message became %q", m1)
	}
}
