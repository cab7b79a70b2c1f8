package instrument

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
)

// DefaultHealthTimeout bounds a [HealthCheck] that sets no Timeout.
const DefaultHealthTimeout = 2 * time.Second

// HealthCheck is one check of [HealthHandler].
type HealthCheck struct {
	// Name keys the check's result in the response ("db").
	Name string
	// Check reports the health of a dependency: nil when it is healthy.
	// Its context ends when the Timeout passes or the request ends.
	Check func(context.Context) error
	// Timeout bounds the check; zero or less means DefaultHealthTimeout.
	Timeout time.Duration
}

// HealthOptions tunes [HealthHandlerWithOptions]. The zero value is
// [HealthHandler]'s behaviour.
type HealthOptions struct {
	// ErrorText reports a failing check's error text as its "error". By
	// default the error is reported as "check failed": a health endpoint
	// is usually unauthenticated, and an error may name a host, a DSN or a
	// password.
	ErrorText bool
}

// HealthHandler answers with the health of the service: it runs every
// check, concurrently, each bounded by its Timeout and by the request's
// context, and answers 200 when they all pass and 503 otherwise, with a
// JSON body:
//
//	{"status":"fail","checks":{
//	  "db":{"status":"ok","duration_ms":1.2},
//	  "cache":{"status":"fail","duration_ms":2000.1,"error":"timed out"}}}
//
// A failing check's error is reported as "check failed" (see
// [HealthOptions.ErrorText]); one that did not answer in time as "timed
// out", and one that panicked as "panicked". A check that ignores its
// context does not hold the response past its timeout; until it returns,
// requests report it as failed ("still running") rather than starting
// another. A check without a Name is named "check" and its position (from
// 1), a repeated name gets "#2", "#3"..., and a check without a function
// always fails ("no check function"); each of these is reported once
// through otel.Handle.
//
// A database check is its PingContext:
//
//	instrument.HealthCheck{Name: "db", Check: db.PingContext}
//
// Mount it at the path the platform probes (/healthz, /readyz, /health);
// [HTTPHandler] leaves those out of traces and access logs.
func HealthHandler(checks ...HealthCheck) http.Handler {
	return HealthHandlerWithOptions(HealthOptions{}, checks...)
}

// HealthHandlerWithOptions is [HealthHandler] tuned by opts.
func HealthHandlerWithOptions(opts HealthOptions, checks ...HealthCheck) http.Handler {
	h := &healthHandler{opts: opts}
	seen := make(map[string]int, len(checks))
	var errs []error
	for i, c := range checks {
		name := c.Name
		if name == "" {
			name = "check" + strconv.Itoa(i+1)
			errs = append(errs, fmt.Errorf("check %d has no name: named %q", i+1, name))
		}
		if n := seen[c.Name]; n > 0 && c.Name != "" {
			name = c.Name + "#" + strconv.Itoa(n+1)
			errs = append(errs, fmt.Errorf("check %d repeats the name %q: named %q", i+1, c.Name, name))
		}
		seen[c.Name]++
		if c.Check == nil {
			errs = append(errs, fmt.Errorf("check %q has no function: it always fails", name))
		}
		timeout := c.Timeout
		if timeout <= 0 {
			timeout = DefaultHealthTimeout
		}
		h.checks = append(h.checks, &healthState{name: name, check: c.Check, timeout: timeout})
	}
	if len(errs) > 0 {
		otel.Handle(fmt.Errorf("instrument: HealthHandler: %w", errors.Join(errs...)))
	}
	return h
}

// LivenessHandler answers 200 {"status":"ok"} to every request, running
// no check: it tells that the process serves HTTP, for a liveness probe
// (/livez) that must not fail when a dependency does.
func LivenessHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		writeHealth(w, http.StatusOK, []byte(`{"status":"ok"}`+"\n"))
	})
}

type healthHandler struct {
	opts   HealthOptions
	checks []*healthState
}

// healthState is a check and the run of it that outlived its timeout, if
// any: at most one such run per check is left going.
type healthState struct {
	name    string
	check   func(context.Context) error
	timeout time.Duration

	mu   sync.Mutex
	hung *healthRun
}

type healthRun struct {
	done chan struct{} // closed when the check has returned
	err  error         // valid once done is closed
}

// Messages of failed checks, written by this package.
const (
	healthFailed   = "check failed"
	healthTimedOut = "timed out"
	healthRunning  = "still running"
	healthPanicked = "panicked"
	healthNoFunc   = "no check function"
)

type checkResult struct {
	Status     string  `json:"status"`
	DurationMS float64 `json:"duration_ms"`
	Error      string  `json:"error,omitempty"`
}

type healthBody struct {
	Status string                 `json:"status"`
	Checks map[string]checkResult `json:"checks"`
}

func (h *healthHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	results := make([]checkResult, len(h.checks))
	var wg sync.WaitGroup
	for i, c := range h.checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = c.run(r.Context(), h.opts.ErrorText)
		}()
	}
	wg.Wait()
	body := healthBody{Status: "ok", Checks: make(map[string]checkResult, len(h.checks))}
	code := http.StatusOK
	for i, c := range h.checks {
		if results[i].Status != "ok" {
			body.Status, code = "fail", http.StatusServiceUnavailable
		}
		body.Checks[c.name] = results[i]
	}
	b, err := json.Marshal(body)
	if err != nil {
		// Only strings and finite numbers: this cannot fail.
		b, code = []byte(`{"status":"fail"}`), http.StatusServiceUnavailable
	}
	writeHealth(w, code, append(b, '\n'))
}

func writeHealth(w http.ResponseWriter, code int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// run runs the check once, waiting at most its timeout.
func (c *healthState) run(ctx context.Context, errorText bool) checkResult {
	start := time.Now()
	result := func(msg string) checkResult {
		r := checkResult{Status: "ok", DurationMS: durationMS(time.Since(start))}
		if msg != "" {
			r.Status, r.Error = "fail", msg
		}
		return r
	}
	if c.check == nil {
		return result(healthNoFunc)
	}
	c.mu.Lock()
	hung := c.hung
	c.mu.Unlock()
	if hung != nil {
		return result(healthRunning)
	}

	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	run := &healthRun{done: make(chan struct{})}
	go func() {
		defer func() {
			if p := recover(); p != nil {
				run.err = &checkPanic{value: p}
			}
			close(run.done)
			c.mu.Lock()
			if c.hung == run {
				c.hung = nil
			}
			c.mu.Unlock()
		}()
		run.err = c.check(ctx)
	}()

	select {
	case <-run.done:
	case <-ctx.Done():
		c.mu.Lock()
		select {
		case <-run.done:
			// It returned meanwhile.
		default:
			c.hung = run
		}
		c.mu.Unlock()
		select {
		case <-run.done:
		default:
			return result(healthTimedOut)
		}
	}
	err := run.err
	var panicked *checkPanic
	switch {
	case err == nil:
		return result("")
	case errors.As(err, &panicked) && !errorText:
		return result(healthPanicked)
	case errorText:
		return result(err.Error())
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return result(healthTimedOut)
	}
	return result(healthFailed)
}

// checkPanic is the error of a check that panicked.
type checkPanic struct{ value any }

func (p *checkPanic) Error() string { return fmt.Sprintf("panic: %v", p.value) }

// durationMS returns d in milliseconds, rounded to the microsecond.
func durationMS(d time.Duration) float64 {
	return math.Round(float64(d.Microseconds())) / 1000
}
