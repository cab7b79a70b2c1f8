package logbridge

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/log/logtest"
)

type sink struct {
	mu  sync.Mutex
	got []int
}

func (s *sink) emit(v *int) {
	s.mu.Lock()
	s.got = append(s.got, *v)
	s.mu.Unlock()
}

func (s *sink) values() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.got...)
}

func newDeferral(t *testing.T) *Deferral {
	t.Helper()
	d := Defer(logtest.NewRecorder())
	t.Cleanup(d.Close)
	return d
}

func TestQueueFlushKeepsOrder(t *testing.T) {
	d := newDeferral(t)
	var s sink
	q := QueueOf(d, "test", s.emit)
	for i := range 1000 {
		if !q.Add(&i) {
			t.Fatal("Add refused an entry before Close")
		}
	}
	d.Flush()
	got := s.values()
	if len(got) != 1000 {
		t.Fatalf("Flush emitted %d entries, want 1000", len(got))
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("entry %d is %d: the order was lost", i, v)
		}
	}
}

func TestQueueDrainsWithoutFlush(t *testing.T) {
	d := newDeferral(t)
	var s sink
	q := QueueOf(d, "test", s.emit)
	one := 1
	q.Add(&one)
	deadline := time.Now().Add(5 * time.Second)
	for len(s.values()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("a lone entry was not emitted within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestQueueDropsBeyondItsBound(t *testing.T) {
	var mu sync.Mutex
	var reported []error
	prev := otel.GetErrorHandler()
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		mu.Lock()
		reported = append(reported, err)
		mu.Unlock()
	}))
	t.Cleanup(func() { otel.SetErrorHandler(prev) })

	d := newDeferral(t)
	block := make(chan struct{})
	var s sink
	q := QueueOf(d, "test", func(v *int) {
		<-block
		s.emit(v)
	})
	// The drain started at queueBatch entries blocks in emit; entries
	// beyond queueMax that arrive meanwhile are dropped.
	total := queueMax + queueBatch + 10
	for i := range total {
		q.Add(&i)
	}
	close(block)
	d.Flush()
	got := len(s.values())
	if got >= total || got < queueMax {
		t.Errorf("emitted %d of %d entries, want the queue's bound kept and the rest dropped", got, total)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 1 || !strings.Contains(reported[0].Error(), "dropped") {
		t.Errorf("reported %v, want one error counting the dropped records", errors.Join(reported...))
	}
}

func TestClosedDeferralHandsEntriesBack(t *testing.T) {
	p := logtest.NewRecorder()
	d := Defer(p)
	if DeferralOf(p) != d {
		t.Fatal("DeferralOf does not find the open Deferral")
	}
	var s sink
	q := QueueOf(d, "test", s.emit)
	one := 1
	q.Add(&one)
	d.Close()
	if got := s.values(); len(got) != 1 {
		t.Errorf("Close emitted %v, want the queued entry", got)
	}
	if q.Add(&one) {
		t.Error("Add kept an entry after Close")
	}
	if DeferralOf(p) != nil {
		t.Error("DeferralOf returns a closed Deferral")
	}
}

func TestQueueOfSharesByKey(t *testing.T) {
	d := newDeferral(t)
	var s1, s2 sink
	a, b := QueueOf(d, "k", s1.emit), QueueOf(d, "k", s2.emit)
	if a != b {
		t.Fatal("two queues for one key")
	}
	if QueueOf(d, "other", s1.emit) == a {
		t.Fatal("one queue for two keys")
	}
	one := 1
	b.Add(&one)
	d.Flush()
	if len(s1.values()) != 1 || len(s2.values()) != 0 {
		t.Errorf("the shared queue emitted with %v/%v, want the first emit function", s1.values(), s2.values())
	}
}
