package forwarding

import (
	"bufio"
	"net/http"
	"net/textproto"
	"path"
	"strings"
	"testing"
)

// FuzzSignalFromURL parses arbitrary request targets as the server would
// and checks that an accepted path is a plain OTLP path: no query, no
// escapes, no dot segments, and its cleaned form ends in the signal's path.
func FuzzSignalFromURL(f *testing.F) {
	for _, seed := range []string{
		"/v1/traces", "/observe-proxy/v1/metrics", "v1/logs", "/p/v1/traces/",
		"/p/../v1/traces", "/p/%2e%2e/v1/traces", "/p/v1%2Ftraces", "/p/v1/traces?x",
		"http://evil/v1/traces", "/p//v1/traces", "/p/http://x/v1/logs", "/p/v1/traces#x",
		"*", "/p/;/v1/traces", "/p/%00/v1/traces", `/p\v1\traces`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, target string) {
		req, err := http.ReadRequest(bufio.NewReader(strings.NewReader("POST " + target + " HTTP/1.1\r\nHost: x\r\n\r\n")))
		if err != nil {
			return
		}
		sig, res := requestSignal(req)
		if res != pathOK {
			if sig != sigUnknown {
				t.Fatalf("%q: refused (%d) with a signal %v", target, res, sig)
			}
			return
		}
		u := req.URL
		p := u.Path
		switch {
		case sig >= numSignals:
			t.Fatalf("%q: accepted with signal %d", target, sig)
		case u.RawQuery != "" || u.ForceQuery || u.RawPath != "" || u.Host != "" || u.Scheme != "":
			t.Fatalf("%q: accepted with a query, an escape or a host: %#v", target, u)
		case strings.ContainsAny(target, "%?#\\ \t") || strings.Contains(p, "://") || strings.Contains(p, "//"):
			t.Fatalf("%q: accepted a forbidden character or sequence", target)
		}
		for _, seg := range strings.Split(p, "/") {
			if seg == "." || seg == ".." {
				t.Fatalf("%q: accepted a dot segment", target)
			}
		}
		if clean := path.Clean("/" + p); !strings.HasSuffix(clean, signalPaths[sig]) {
			t.Fatalf("%q: accepted as %v, but its cleaned path %q does not end in %q", target, sig, clean, signalPaths[sig])
		}
	})
}

// FuzzHeaders builds the outbound header from an arbitrary browser header
// and checks that nothing but the allow-list and the server-side headers
// goes out, that the User-Agent is printable, bounded and starts with the
// handler's, and that a server-side header accepted by checkServerHeader
// survives an HTTP/1 round trip unchanged.
func FuzzHeaders(f *testing.F) {
	f.Add("Cookie", "session=1", "Mozilla/5.0", "application/json", "gzip", "X-Token", "abc")
	f.Add("Authorization", "Bearer x", "curl/8\r\nX-Evil: 1", "application/x-protobuf; charset=binary", "identity", "Host", "evil")
	f.Add("X-Forwarded-For", "1.2.3.4", strings.Repeat("é", 300), "Application/JSON", "br", "Bad Name", "v\nX: y")
	f.Fuzz(func(t *testing.T, name, value, ua, ct, ce, serverName, serverValue string) {
		in := http.Header{}
		in[name] = []string{value}
		in["User-Agent"] = []string{ua}
		in["Content-Type"] = []string{ct}
		in["Content-Encoding"] = []string{ce}
		in["Cookie"] = []string{"session=browser"}
		in["Authorization"] = []string{"Bearer browser"}

		server := http.Header{}
		if checkServerHeader(serverName, serverValue) == nil {
			server[http.CanonicalHeaderKey(serverName)] = []string{serverValue}
		}
		ctOut := contentType(in)
		ceOut, ceOK := contentEncoding(in)
		if ctOut == nil || !ceOK {
			return // refused with 415 before any header is built
		}
		out := outboundHeader(ctOut, ceOut, userAgent("observe-forwarding/test", in), server)

		for k, v := range out {
			switch k {
			case "Content-Type":
				if v[0] != "application/json" && v[0] != "application/x-protobuf" {
					t.Fatalf("Content-Type %q", v)
				}
			case "Content-Encoding":
				if len(v) != 1 || v[0] != "gzip" {
					t.Fatalf("Content-Encoding %q", v)
				}
			case "User-Agent":
				if _, isServer := server[k]; isServer {
					continue
				}
				if len(v) != 1 || !strings.HasPrefix(v[0], "observe-forwarding/test") || len(v[0]) > len("observe-forwarding/test ")+maxBrowserUA {
					t.Fatalf("User-Agent %q", v)
				}
				for i := 0; i < len(v[0]); i++ {
					if v[0][i] < ' ' || v[0][i] >= 0x7f {
						t.Fatalf("User-Agent %q holds byte %#x", v[0], v[0][i])
					}
				}
			default:
				if _, isServer := server[k]; !isServer {
					t.Fatalf("the browser's header %q: %q went out", k, v)
				}
			}
		}
		if len(server) == 1 {
			// A valid server-side header is written and read back as set.
			var b strings.Builder
			if err := server.Write(&b); err != nil {
				t.Fatal(err)
			}
			b.WriteString("\r\n")
			got, err := textproto.NewReader(bufio.NewReader(strings.NewReader(b.String()))).ReadMIMEHeader()
			if err != nil {
				t.Fatalf("server header %q: %q does not read back: %v", serverName, serverValue, err)
			}
			k := http.CanonicalHeaderKey(serverName)
			// HTTP/1 drops the value's surrounding blanks, and nothing else.
			if want := strings.Trim(serverValue, " \t"); len(got[k]) != 1 || got[k][0] != want {
				t.Fatalf("server header %q: %q reads back as %q", serverName, serverValue, got[k])
			}
		}
	})
}
