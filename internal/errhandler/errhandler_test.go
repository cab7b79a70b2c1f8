package errhandler

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestKey(t *testing.T) {
	tests := []struct {
		a, b string
		same bool
	}{
		{"dial tcp 127.0.0.1:4317: connect: connection refused", "dial tcp 127.0.0.1:4317: connect: connection refused", true},
		{"dial tcp 127.0.0.1:51234->127.0.0.1:4317: read: connection reset by peer", "dial tcp 127.0.0.1:51870->127.0.0.1:4317: read: connection reset by peer", true},
		{"traces export failed, 512 spans lost (512 in total): 503", "traces export failed, 12 spans lost (9216 in total): 503", true},
		{"export timed out after 10.5s", "export timed out after 3s", true},
		{"trace 4bf92f3577b34da6a3ce929d0e0e4736 dropped", "trace 00f067aa0ba902b70000000000000001 dropped", true},
		{"http://[::1]:4318/v1/traces: 503", "http://[::1]:4318/v1/logs: 503", false},
		{"connection refused", "connection reset", false},
		{"traces export: context canceled", "logs export: context canceled", false},
		{"naïve 42 ümlaut", "naïve 7 ümlaut", true},
		{"otel.sdk.span: 3 failed", "otel.sdk.log: 3 failed", false},
		{"failed 3 times.", "failed 12 times.", true},
		{"", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.a, func(t *testing.T) {
			if got := Key(tt.a) == Key(tt.b); got != tt.same {
				t.Errorf("Key(%q) = %q, Key(%q) = %q: same = %v, want %v", tt.a, Key(tt.a), tt.b, Key(tt.b), got, tt.same)
			}
		})
	}
	if got, want := Key("dial tcp 127.0.0.1:4317: v1 x2y ok"), "dial tcp #:#: # # ok"; got != want {
		t.Errorf("Key = %q, want %q", got, want)
	}
}

// step is one thing that happens to a Handler in a test: the clock moves
// by advance, then err is handled, or Flush is called.
type step struct {
	advance time.Duration
	err     string // "" for none
	flush   bool
}

func TestHandler(t *testing.T) {
	const refused = "traces export failed, 1 span lost (%d in total): dial tcp 127.0.0.1:%d: connect: connection refused"
	tests := []struct {
		name  string
		steps []step
		want  []string
	}{
		{
			name:  "first error of a kind written at once",
			steps: []step{{err: "boom"}},
			want:  []string{"observe: boom"},
		},
		{
			name: "distinct kinds each written",
			steps: []step{
				{err: "connection refused"}, {err: "connection reset"}, {err: "connection refused"},
			},
			want: []string{"observe: connection refused", "observe: connection reset"},
		},
		{
			name: "varying ports and counts are one kind; the latest is written with the count",
			steps: []step{
				{err: fmt.Sprintf(refused, 1, 4317)},
				{advance: time.Second, err: fmt.Sprintf(refused, 2, 4318)},
				{advance: time.Second, err: fmt.Sprintf(refused, 3, 4319)},
				{advance: time.Minute, err: fmt.Sprintf(refused, 4, 4320)},
			},
			want: []string{
				"observe: " + fmt.Sprintf(refused, 1, 4317),
				"observe: " + fmt.Sprintf(refused, 4, 4320) + " (3 times since 12:00:00)",
			},
		},
		{
			name: "one error after the interval has no count",
			steps: []step{
				{err: "boom 1"}, {advance: 2 * time.Minute, err: "boom 2"},
			},
			want: []string{"observe: boom 1", "observe: boom 2"},
		},
		{
			name: "a due count is written by the next error of another kind",
			steps: []step{
				{err: "refused 1"},
				{advance: time.Second, err: "refused 2"},
				{advance: time.Second, err: "refused 3"},
				{advance: time.Minute, err: "other"},
			},
			want: []string{
				"observe: refused 1",
				"observe: refused 3 (2 times since 12:00:00)",
				"observe: other",
			},
		},
		{
			name: "a count not yet due waits",
			steps: []step{
				{err: "refused 1"},
				{advance: time.Second, err: "refused 2"},
				{advance: time.Second, err: "other"},
			},
			want: []string{"observe: refused 1", "observe: other"},
		},
		{
			name: "Flush writes counts",
			steps: []step{
				{err: "refused 1"},
				{advance: time.Second, err: "refused 2"},
				{advance: time.Second, err: "refused 3"},
				{advance: time.Second, err: "reset 1"},
				{advance: time.Second, err: "reset 2"},
				{flush: true},
			},
			want: []string{
				"observe: refused 1",
				"observe: reset 1",
				"observe: refused 3 (2 times since 12:00:00)",
				"observe: reset 2",
			},
		},
		{
			name:  "Flush with no count writes nothing",
			steps: []step{{err: "boom"}, {flush: true}, {flush: true}},
			want:  []string{"observe: boom"},
		},
		{
			name: "the interval runs from the last line, Flush included",
			steps: []step{
				{err: "boom 1"},
				{advance: time.Second, err: "boom 2"},
				{advance: time.Second, flush: true},
				{advance: 30 * time.Second, err: "boom 3"},
				{advance: 31 * time.Second, err: "boom 4"},
			},
			want: []string{
				"observe: boom 1",
				"observe: boom 2",
				"observe: boom 4 (2 times since 12:00:02)",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
			h := New(&out, time.Minute, func() time.Time { return now })
			for _, s := range tt.steps {
				now = now.Add(s.advance)
				switch {
				case s.flush:
					h.Flush()
				case s.err != "":
					h.Handle(errors.New(s.err))
				}
			}
			h.Handle(nil)
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if out.Len() == 0 {
				got = nil
			}
			// Flush writes kinds in no particular order.
			if strings.Join(sorted(got), "\n") != strings.Join(sorted(tt.want), "\n") {
				t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

func TestHandlerBoundsMemory(t *testing.T) {
	var out strings.Builder
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	h := New(&out, time.Hour, func() time.Time { return now })
	// Kinds differ in a word without digits: aa, ab, ac...
	word := func(i int) string {
		return string(rune('a'+i/26%26)) + string(rune('a'+i%26)) + string(rune('a'+i/676))
	}
	h.Handle(errors.New("kind " + word(0) + " 1"))
	h.Handle(errors.New("kind " + word(0) + " 2")) // counted
	for i := 1; i < 4*maxKeys; i++ {
		now = now.Add(time.Millisecond)
		h.Handle(errors.New("kind " + word(i)))
	}
	if len(h.seen) > maxKeys {
		t.Fatalf("remembers %d kinds, want at most %d", len(h.seen), maxKeys)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	// One line per kind, and the count of the first kind when it is
	// forgotten.
	if got, want := len(lines), 4*maxKeys+1; got != want {
		t.Fatalf("wrote %d lines for %d kinds, want %d", got, 4*maxKeys, want)
	}
	if got, want := lines[maxKeys], "observe: kind "+word(0)+" 2"; got != want {
		t.Errorf("line written when the first kind is forgotten = %q, want %q", got, want)
	}
}

// stuckWriter blocks every Write until released; the first Write closes
// entered.
type stuckWriter struct {
	entered, release chan struct{}
	once             sync.Once
	mu               sync.Mutex
	buf              strings.Builder
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	w.once.Do(func() { close(w.entered) })
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func TestHandlerDoesNotWaitForBlockedOutput(t *testing.T) {
	tests := []struct {
		name      string
		others    int // errors handled while the output is blocked
		want      []string
		wantLines int
	}{
		{name: "queued", others: 3, wantLines: 4, want: []string{
			"observe: first", "observe: other aa", "observe: other ab", "observe: other ac",
		}},
		{name: "queue overflows", others: maxQueued + 2, wantLines: 1 + 1 + maxQueued, want: []string{
			"observe: first",
			"observe: 2 error lines not written: the error output was blocked",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &stuckWriter{entered: make(chan struct{}), release: make(chan struct{})}
			h := New(w, time.Minute, nil)
			firstDone := make(chan struct{})
			go func() {
				defer close(firstDone)
				h.Handle(errors.New("first"))
			}()
			<-w.entered

			othersDone := make(chan struct{})
			go func() {
				defer close(othersDone)
				for i := range tt.others {
					h.Handle(fmt.Errorf("other %c%c", 'a'+i/26, 'a'+i%26))
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			select {
			case <-othersDone:
			case <-ctx.Done():
				t.Fatal("Handle waited for a write by another goroutine")
			}

			close(w.release)
			<-firstDone
			got := w.buf.String()
			for _, line := range tt.want {
				if !strings.Contains(got, line+"\n") {
					t.Errorf("output lacks %q:\n%s", line, got)
				}
			}
			if n := strings.Count(got, "\n"); n != tt.wantLines {
				t.Errorf("wrote %d lines, want %d", n, tt.wantLines)
			}
		})
	}
}

func TestSignal(t *testing.T) {
	base := errors.New("context canceled")
	tests := []struct {
		name   string
		signal string
		err    error
		want   string // "" for a nil result
	}{
		{"labelled", "logs", base, "logs: context canceled"},
		{"already labelled", "traces", errors.New("traces export: context canceled"), "traces export: context canceled"},
		{"nil", "metrics", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Signal(tt.signal, tt.err)
			if tt.want == "" {
				if got != nil {
					t.Fatalf("Signal = %v, want nil", got)
				}
				return
			}
			if got.Error() != tt.want {
				t.Errorf("Signal = %q, want %q", got, tt.want)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("Signal(%q) does not wrap %v", tt.signal, tt.err)
			}
		})
	}

	var out strings.Builder
	New(&out, time.Minute, nil).Handle(Signal("logs", base))
	if got, want := out.String(), "observe: logs: context canceled\n"; got != want {
		t.Errorf("handled line %q, want %q", got, want)
	}
}
