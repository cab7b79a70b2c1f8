package console

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
)

// gateWriter blocks every Write until the gate is opened. It tells when
// its first Write has started.
type gateWriter struct {
	entered chan struct{}
	once    sync.Once
	gate    chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func newGateWriter() *gateWriter {
	return &gateWriter{entered: make(chan struct{}), gate: make(chan struct{})}
}

func (w *gateWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.gate
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *gateWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// startBlockedWrite buffers one line and makes the goroutine take it and
// block in w, so that what the test buffers next waits in the buffer.
func startBlockedWrite(t *testing.T, b *bufWriter, w *gateWriter, line string) {
	t.Helper()
	b.append(sigTraces, []byte(line))
	ctx, cancel := context.WithCancel(context.Background())
	flushed := make(chan error, 1)
	go func() { flushed <- b.flush(ctx) }()
	<-w.entered
	cancel()
	if err := <-flushed; !errors.Is(err, context.Canceled) {
		t.Fatalf("flush with a blocked destination = %v, want context.Canceled", err)
	}
}

func TestWriterKeepsOrderWhileDestinationIsSlow(t *testing.T) {
	w := newGateWriter()
	b := newBufWriter(w, time.Hour)
	first := strings.Repeat("a", 99) + "\n"
	startBlockedWrite(t, b, w, first)

	// Every append returns while the destination is blocked.
	var want strings.Builder
	want.WriteString(first)
	for i := range 2000 {
		line := strings.Repeat(string(rune('b'+i%20)), 99) + "\n"
		b.append(signal(i%int(numSignals)), []byte(line))
		want.WriteString(line)
	}

	close(w.gate)
	if err := b.close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := w.String(); got != want.String() {
		t.Fatalf("wrote %d bytes, want %d in the order buffered", len(got), want.Len())
	}
	for sig := range numSignals {
		if n := b.drops.n[sig].Load(); n != 0 {
			t.Errorf("%v: %d lines dropped, want none", sig, n)
		}
	}
}

func TestWriterDropsWhenFull(t *testing.T) {
	const line = "0123456789\n" // 11 bytes
	tests := []struct {
		name  string
		limit int
		lines [numSignals]int // appended while the destination is blocked
		want  [numSignals]int64
	}{
		{name: "everything fits", limit: 1000, lines: [numSignals]int{10, 10, 10}},
		{name: "exactly full", limit: 11 * 30, lines: [numSignals]int{10, 10, 10}},
		{name: "traces overflow", limit: 11 * 5, lines: [numSignals]int{10}, want: [numSignals]int64{5}},
		// Signals are appended in turn: traces, logs, metrics, traces...
		{name: "all overflow", limit: 11 * 3, lines: [numSignals]int{4, 4, 4}, want: [numSignals]int64{3, 3, 3}},
		{name: "one line larger than the buffer", limit: 5, lines: [numSignals]int{0, 2}, want: [numSignals]int64{0, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newGateWriter()
			b := newBufWriter(w, time.Hour)
			b.limit = tt.limit
			b.drops.firstDelay = time.Hour // reported by close
			startBlockedWrite(t, b, w, "first\n")

			left := tt.lines
			for more := true; more; {
				more = false
				for sig := range numSignals {
					if left[sig] > 0 {
						b.append(sig, []byte(line))
						left[sig]--
						more = true
					}
				}
			}
			for sig := range numSignals {
				if got := b.drops.n[sig].Load(); got != tt.want[sig] {
					t.Errorf("%v: %d lines dropped, want %d", sig, got, tt.want[sig])
				}
			}

			handled := captureHandled(t)
			close(w.gate)
			if err := b.close(context.Background()); err != nil {
				t.Fatal(err)
			}
			var wantWritten int64 = 1
			for sig := range numSignals {
				wantWritten += int64(tt.lines[sig]) - tt.want[sig]
			}
			if got := int64(strings.Count(w.String(), "\n")); got != wantWritten {
				t.Errorf("wrote %d lines, want %d", got, wantWritten)
			}
			// close reports what the timer has not reported yet.
			reported := map[string]int64{}
			for _, err := range handled() {
				var de *DropError
				if !errors.As(err, &de) {
					t.Errorf("otel.Handle got %v, want a *DropError", err)
					continue
				}
				reported[de.Signal] += de.Lines
			}
			for sig := range numSignals {
				if got := reported[sig.String()]; got != tt.want[sig] {
					t.Errorf("%v: %d dropped lines reported, want %d", sig, got, tt.want[sig])
				}
			}
		})
	}
}

func TestWriterFlushHonoursDeadline(t *testing.T) {
	w := newGateWriter()
	b := newBufWriter(w, time.Hour)
	startBlockedWrite(t, b, w, "stuck\n")
	b.append(sigLogs, []byte("waiting 1\nwaiting 2\n"))

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := b.close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("close with a blocked destination = %v, want context.DeadlineExceeded", err)
	}
	// The chunk being written and the two lines buffered.
	if want := "console: 3 lines not written"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q does not start with %q", err, want)
	}

	// The goroutine writes the rest once the destination returns.
	close(w.gate)
	if err := b.flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, want := w.String(), "stuck\nwaiting 1\nwaiting 2\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestDropReportsAreSpacedByInterval(t *testing.T) {
	handled := captureHandled(t)
	d := &drops{firstDelay: 0, interval: time.Hour, limit: bufferLimit}
	d.add(sigLogs, []byte("a\nb\n"))
	waitFor(t, func() bool { return !d.armed.Load() })

	// Later drops wait for the interval: close reports them instead.
	d.add(sigLogs, []byte("c\n"))
	d.add(sigTraces, []byte("d\n"))
	d.flush()

	var got []string
	for _, err := range handled() {
		got = append(got, err.Error())
	}
	want := []string{
		"console: 2 lines of logs dropped (2 in total): the output is not being read fast enough and the 1024 KiB buffer is full",
		"console: 1 line of traces dropped (1 in total): the output is not being read fast enough and the 1024 KiB buffer is full",
		"console: 1 line of logs dropped (3 in total): the output is not being read fast enough and the 1024 KiB buffer is full",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("reports:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// captureHandled routes otel.Handle to a list for the test's duration and
// returns a function that reads the list.
func captureHandled(t *testing.T) func() []error {
	t.Helper()
	var (
		mu   sync.Mutex
		errs []error
	)
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })
	return func() []error {
		mu.Lock()
		defer mu.Unlock()
		return append([]error(nil), errs...)
	}
}

// waitFor polls cond until it holds, failing the test after a generous
// deadline.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 30s")
		}
		time.Sleep(time.Millisecond)
	}
}

type failingWriter struct{}

var errFailing = errors.New("no space left on device")

func (failingWriter) Write([]byte) (int, error) { return 0, errFailing }

func TestWriterCountsLinesOfFailedWrites(t *testing.T) {
	handled := captureHandled(t)
	b := newBufWriter(failingWriter{}, time.Hour)
	b.append(sigTraces, []byte("a\n"))
	b.append(sigTraces, []byte("b\nc\n"))
	b.append(sigMetrics, []byte("m\n"))

	err := b.close(context.Background())
	if !errors.Is(err, errFailing) {
		t.Fatalf("close = %v, want %v", err, errFailing)
	}
	if want := "console: writing to the output failed, lines lost: no space left on device"; err.Error() != want {
		t.Errorf("close = %q, want %q", err, want)
	}
	want := [numSignals]int64{sigTraces: 3, sigMetrics: 1}
	for sig := range numSignals {
		if got := b.drops.failed[sig].Load(); got != want[sig] {
			t.Errorf("%v: %d lines counted lost, want %d", sig, got, want[sig])
		}
	}
	// The caller of close got the error; otel.Handle does not get it too.
	if errs := handled(); len(errs) > 0 {
		t.Errorf("otel.Handle got %v", errs)
	}
}
