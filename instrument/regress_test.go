package instrument_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"

	"go.opentelemetry.io/otel/log/logtest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/observe-go/observe/instrument"
)

// Two handlers on one MeterProvider (a public and an admin mux) each count
// their requests in flight in http.server.active_requests.
func TestActiveRequestsOfEveryHandler(t *testing.T) {
	tel := newTelemetry(t)
	entered := make(chan struct{}, 2)
	release := make(chan struct{})
	blocking := func(method string) http.Handler {
		mux := http.NewServeMux()
		mux.HandleFunc(method+" /wait", func(http.ResponseWriter, *http.Request) {
			entered <- struct{}{}
			<-release
		})
		return tel.handler(mux)
	}
	public, admin := blocking(http.MethodGet), blocking(http.MethodPost)
	var wg sync.WaitGroup
	wg.Go(func() { serveOne(public, httptest.NewRequest(http.MethodGet, "/wait", nil)) })
	wg.Go(func() { serveOne(admin, httptest.NewRequest(http.MethodPost, "/wait", nil)) })
	<-entered
	<-entered

	active := map[string]int64{}
	m := tel.metric(t, "http.server.active_requests")
	for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
		method, _ := dp.Attributes.Value("http.request.method")
		active[method.AsString()] += dp.Value
	}
	close(release)
	wg.Wait()
	if active["GET"] != 1 || active["POST"] != 1 {
		t.Fatalf("active requests by method = %v; want GET 1 (public mux) and POST 1 (admin mux)", active)
	}
}

// A multipart form parsed to temporary files by a wrapped handler must be
// on the request net/http cleans up after.
func TestMultipartTempFilesReachTheServersRequest(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TMPDIR", dir)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("upload", "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(bytes.Repeat([]byte("x"), 64<<10)); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /upload", func(w http.ResponseWriter, r *http.Request) {
		// 1 KiB in memory: the 64 KiB file goes to a temporary file.
		if err := r.ParseMultipartForm(1 << 10); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	h := newTelemetry(t).handler(mux)
	r := httptest.NewRequest(http.MethodPost, "/upload", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	if w := serveOne(h, r); w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	files, _ := os.ReadDir(dir)
	if len(files) == 0 {
		t.Fatal("the form made no temporary file; the test does not test anything")
	}
	// This is what net/http does once the handler has returned.
	if r.MultipartForm == nil {
		t.Fatal("the request net/http made has no MultipartForm: its temporary files would stay on disk")
	}
	if err := r.MultipartForm.RemoveAll(); err != nil {
		t.Fatal(err)
	}
	if files, _ := os.ReadDir(dir); len(files) != 0 {
		t.Fatalf("%d temporary files left", len(files))
	}
}

// nonComparable is a LoggerProvider whose values cannot be map keys.
type nonComparable struct {
	*logtest.Recorder
	tags []string
}

func TestNonComparableLoggerProvider(t *testing.T) {
	rec := logtest.NewRecorder()
	tel := newTelemetry(t)
	h := instrument.HTTPHandler(testMux(), tel.withoutLogger(instrument.WithLoggerProvider(nonComparable{Recorder: rec, tags: []string{"a"}}))...)
	serveOne(h, httptest.NewRequest(http.MethodGet, "/users/1", nil))
	if n := len(recorded(t, rec, instrument.ScopeName)); n != 1 {
		t.Fatalf("got %d access log records, want 1", n)
	}
}

// ServeMux's {$} anchors a pattern at its trailing slash; it is not part
// of the route.
func TestRouteOfAnchoredPatterns(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(http.ResponseWriter, *http.Request) {})
	mux.HandleFunc("GET /a/{$}", func(http.ResponseWriter, *http.Request) {})
	tel := newTelemetry(t)
	h := tel.handler(mux)
	serveOne(h, httptest.NewRequest(http.MethodGet, "/", nil))
	serveOne(h, httptest.NewRequest(http.MethodGet, "/a/", nil))
	spans := tel.ended(t, 2)
	for i, want := range []string{"/", "/a/"} {
		if got := spans[i].Name(); got != "GET "+want {
			t.Errorf("span name %q; want %q", got, "GET "+want)
		}
		if got := attrMap(spans[i].Attributes())["http.route"].AsString(); got != want {
			t.Errorf("http.route %q; want %q", got, want)
		}
	}
	routes := map[string]bool{}
	m := tel.metric(t, "http.server.request.duration")
	for _, dp := range m.Data.(metricdata.Histogram[float64]).DataPoints {
		r, _ := dp.Attributes.Value("http.route")
		routes[r.AsString()] = true
	}
	if !routes["/"] || !routes["/a/"] || len(routes) != 2 {
		t.Errorf("metric routes %v; want / and /a/", routes)
	}
	for _, rec := range tel.logs.records() {
		if got := rec.attrs()["http.route"].String(); got != "/" && got != "/a/" {
			t.Errorf("access log http.route %q", got)
		}
	}
}

// Options that only a server understands are not client options, so that
// giving one to a transport does not compile.
func TestServerOnlyOptionsAreNotClientOptions(t *testing.T) {
	for name, o := range map[string]instrument.ServerOption{
		"WithFilter":            instrument.WithFilter(func(*http.Request) bool { return true }),
		"WithServerTiming":      instrument.WithServerTiming(),
		"WithoutAccessLog":      instrument.WithoutAccessLog(),
		"WithRouteFunc":         instrument.WithRouteFunc(func(*http.Request) string { return "" }),
		"WithRequestAttributes": instrument.WithRequestAttributes(nil),
		"WithExcludedURLs":      instrument.WithExcludedURLs(),
		"WithLogger":            instrument.WithLogger(nil),
		"WithEnvLookup":         instrument.WithEnvLookup(nil),
	} {
		if _, ok := any(o).(instrument.ClientOption); ok {
			t.Errorf("%s is a ClientOption", name)
		}
	}
	// The providers go to both.
	var _ instrument.ClientOption = instrument.WithTracerProvider(nil)
	var _ instrument.ServerOption = instrument.WithTracerProvider(nil)
}
