package console

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// blockingWriter blocks its first Write until released.
type blockingWriter struct {
	entered, release chan struct{}
	once             sync.Once
	mu               sync.Mutex
	buf              bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		close(w.entered)
		<-w.release
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func TestWriterSlowDestinationDoesNotBlockAppends(t *testing.T) {
	w := &blockingWriter{entered: make(chan struct{}), release: make(chan struct{})}
	b := newBufWriter(w, time.Millisecond)

	big := strings.Repeat("a", flushThreshold-1) + "\n"
	var wg sync.WaitGroup
	wg.Go(func() { _, _ = b.Write([]byte(big)) }) // crosses the threshold and blocks in w
	<-w.entered

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 200 {
			_, _ = b.Write([]byte(strings.Repeat(string(rune('b'+i%20)), 99) + "\n"))
			if i%20 == 0 {
				time.Sleep(2 * time.Millisecond) // let the timer fire during the slow write
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("appends waited for a slow write to the destination")
	}
	close(w.release)
	wg.Wait()
	if err := b.close(); err != nil {
		t.Fatal(err)
	}

	got := w.buf.String()
	if want := len(big) + 200*100; len(got) != want {
		t.Fatalf("wrote %d bytes, want %d", len(got), want)
	}
	if !strings.HasPrefix(got, big) {
		t.Error("the first chunk is not first")
	}
	for i, line := range strings.Split(strings.TrimSuffix(got[len(big):], "\n"), "\n") {
		if want := strings.Repeat(string(rune('b'+i%20)), 99); line != want {
			t.Fatalf("line %d = %.10q…, want %.10q…: lines out of order", i, line, want)
		}
	}
}
