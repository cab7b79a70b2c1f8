package instrument_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/observe-go/observe/instrument"
)

// The request id crosses a hop: the client sends the id of its context,
// and the next service keeps it.
func TestRequestIDCrossesServices(t *testing.T) {
	tel := newTelemetry(t)
	var seen string
	backend := httptest.NewServer(tel.handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = instrument.RequestIDFromContext(r.Context())
	})))
	defer backend.Close()
	client := instrument.WrapClient(backend.Client(), instrument.WithTracerProvider(tel.tp))
	call := func(ctx context.Context, c *http.Client) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, backend.URL, nil)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
	}

	ctx := instrument.ContextWithRequestID(context.Background(), "job-42")
	if got := instrument.RequestIDFromContext(ctx); got != "job-42" {
		t.Fatalf("RequestIDFromContext = %q", got)
	}
	call(ctx, client)
	if seen != "job-42" {
		t.Errorf("the next service saw request id %q; want job-42", seen)
	}

	// Turned off for third parties: the next service makes its own.
	quiet := instrument.WrapClient(backend.Client(), instrument.WithTracerProvider(tel.tp), instrument.WithoutRequestIDPropagation())
	call(ctx, quiet)
	if seen == "job-42" || !instrument.ValidRequestID(seen) {
		t.Errorf("with propagation off the next service saw %q; want a new id", seen)
	}

	if got := instrument.RequestIDFromContext(context.Background()); got != "" {
		t.Errorf("no id in the context, got %q", got)
	}
	if got := instrument.RequestIDFromContext(instrument.ContextWithRequestID(context.Background(), "bad id <script>")); got == "bad id <script>" || !instrument.ValidRequestID(got) {
		t.Errorf("an invalid id was kept: %q", got)
	}
}
