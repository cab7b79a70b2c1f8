package sampling

import (
	"math"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/trace"
)

// The background share is decided as the OpenTelemetry consistent
// probability sampling specification decides it: a trace's randomness R is
// the explicit "rv" value of its "ot" trace state entry when there is one,
// else the lowest 56 bits of its trace id (bytes 9 to 15, the bits the W3C
// random trace id flag promises to be random). With a threshold
// T = (1 - rate) * 2^56, the trace is kept when R >= T. Every process given
// the same trace (through traceparent and tracestate) computes the same R
// and T, so services agree.

// randomnessBits is the width of the randomness value.
const randomnessBits = 56

// maxThreshold is 2^56: the threshold that keeps no trace.
const maxThreshold = uint64(1) << randomnessBits

// thresholdFor returns the rejection threshold of a kept share rate.
func thresholdFor(rate float64) uint64 {
	switch {
	case !(rate > 0): // also NaN
		return maxThreshold
	case rate >= 1:
		return 0
	}
	return uint64(math.Round((1 - rate) * float64(maxThreshold)))
}

// randomness returns the randomness value R of a trace.
func randomness(sc trace.SpanContext) uint64 {
	if ts := sc.TraceState(); ts.Len() > 0 {
		if rv, ok := explicitRandomness(ts.Get("ot")); ok {
			return rv
		}
	}
	return traceIDRandomness(sc.TraceID())
}

// traceIDRandomness returns the lowest 56 bits of id.
func traceIDRandomness(id trace.TraceID) uint64 {
	var r uint64
	for _, b := range id[9:] {
		r = r<<8 | uint64(b)
	}
	return r
}

// explicitRandomness reads the "rv" sub-key of an "ot" trace state value,
// "rv:" followed by 14 hexadecimal digits.
func explicitRandomness(ot string) (uint64, bool) {
	for ot != "" {
		var kv string
		kv, ot, _ = strings.Cut(ot, ";")
		v, ok := strings.CutPrefix(kv, "rv:")
		if !ok {
			continue
		}
		if len(v) != randomnessBits/4 {
			return 0, false
		}
		r, err := strconv.ParseUint(v, 16, 64)
		return r, err == nil
	}
	return 0, false
}
