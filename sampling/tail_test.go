package sampling

import (
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe/internal/env"
)

func TestTailFromEnv(t *testing.T) {
	for _, tc := range []struct {
		name   string
		vars   map[string]string
		want   Tail
		wantOn bool
	}{
		{"none set", nil, Tail{}, false},
		{"empty counts as unset", map[string]string{env.TailSamplingRate: " "}, Tail{}, false},
		{"duration", map[string]string{env.TailSamplingDuration: "500ms"}, Tail{Duration: 500 * time.Millisecond}, true},
		{"level", map[string]string{env.TailSamplingLevel: "ERROR"}, Tail{Level: slog.LevelError}, true},
		{"rate", map[string]string{env.TailSamplingRate: "0.1"}, Tail{Rate: 0.1}, true},
		{"all", map[string]string{env.TailSamplingDuration: "2s", env.TailSamplingLevel: "info", env.TailSamplingRate: "1"},
			Tail{Duration: 2 * time.Second, Level: slog.LevelInfo, Rate: 1}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, on, err := TailFromEnv(env.FromMap(tc.vars))
			if err != nil || on != tc.wantOn || got != tc.want {
				t.Fatalf("TailFromEnv = %+v, %v, %v; want %+v, %v, nil", got, on, err, tc.want, tc.wantOn)
			}
		})
	}
}

func TestTailFromEnvReportsEveryBadValue(t *testing.T) {
	_, on, err := TailFromEnv(env.FromMap(map[string]string{
		env.TailSamplingDuration: "500", env.TailSamplingLevel: "loud", env.TailSamplingRate: "10%",
	}))
	if err == nil || !on {
		t.Fatalf("TailFromEnv = _, %v, %v; want on and an error", on, err)
	}
	for _, w := range []string{`OBSERVE_TAIL_SAMPLING_DURATION="500"`, `OBSERVE_TAIL_SAMPLING_LEVEL="loud"`, `OBSERVE_TAIL_SAMPLING_RATE="10%"`} {
		if strings.Count(err.Error(), w) != 1 {
			t.Errorf("error %q; want %q in it once", err, w)
		}
	}
	_, _, err = TailFromEnv(env.FromMap(map[string]string{env.TailSamplingDuration: "-1s"}))
	if err == nil || !strings.Contains(err.Error(), "OBSERVE_TAIL_SAMPLING_DURATION") {
		t.Errorf("TailFromEnv with a negative duration: %v; want an error naming the variable", err)
	}
}

func TestTailValidate(t *testing.T) {
	if err := (Tail{}).Validate(); err != nil {
		t.Errorf("zero Tail: %v; want valid", err)
	}
	bad := Tail{Duration: -1, Rate: 1.5, MaxTraces: -1, MaxSpansPerTrace: -1, MaxLogsPerTrace: -1, MaxBytes: -1, MaxWait: -time.Second}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate accepted negative bounds")
	}
	for _, f := range []string{"Duration=-1ns", "Rate=1.5", "MaxTraces=-1", "MaxSpansPerTrace=-1", "MaxLogsPerTrace=-1", "MaxBytes=-1", "MaxWait=-1s"} {
		if strings.Count(err.Error(), "sampling.Tail."+f+":") != 1 {
			t.Errorf("error %q; want sampling.Tail.%s in it once", err, f)
		}
	}
	if err := (Tail{Rate: math.NaN()}).Validate(); err == nil || !strings.Contains(err.Error(), "Rate=NaN") {
		t.Errorf("Validate(Rate NaN) = %v; want an error naming Rate", err)
	}
	if _, err := NewTailProcessor(bad, tracetest.NewSpanRecorder()); err == nil || !strings.Contains(err.Error(), "sampling.Tail.Rate") {
		t.Errorf("NewTailProcessor(bad) = %v; want Validate's error", err)
	}
	var none sdktrace.SpanProcessor
	if _, err := NewTailProcessor(Tail{}, none); err == nil || !strings.Contains(err.Error(), "next span processor") {
		t.Errorf("NewTailProcessor(nil next) = %v; want an error", err)
	}
}
