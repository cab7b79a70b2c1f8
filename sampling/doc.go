// Package sampling chooses which traces a service keeps: head samplers,
// decided when a trace starts, and a tail sampler, decided when the trace
// has been seen whole in this process.
//
// # Head sampling
//
// [HeadFromEnv] returns the sampler that OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG select, and [RateLimited] a parent-based sampler
// that starts at most N new traces per second. A head sampler decides before
// anything is known of the trace: it keeps a random share of the errors as
// of everything else.
//
// # Tail sampling in the process
//
// A [TailProcessor] sits in the span pipeline in front of the exporting
// processors, and its companion [TailProcessor.LogProcessor] in the log
// pipeline. It holds each trace's spans and log records until the trace is
// complete here, then keeps it whole or drops it whole, by the rules of
// [Tail]: every trace with an error, with a log record at or above a level,
// or whose local root lasted at least a duration, and a share of the rest
// chosen from the trace id so that every service keeps the same traces of
// that share. What it holds is bounded ([Tail.MaxTraces] and the others);
// past a bound it keeps the trace at once rather than grow.
//
// [TailFromEnv] reads OBSERVE_TAIL_SAMPLING_DURATION,
// OBSERVE_TAIL_SAMPLING_LEVEL and OBSERVE_TAIL_SAMPLING_RATE. A head sampler
// in front of the tail sampler must record and sample every trace that the
// tail sampler may keep: the tail sampler only sees sampled spans.
//
// # Beyond one process
//
// One process sees only its own part of a distributed trace: a service
// that calls another keeps or drops its part by what it saw, and the other
// service may decide otherwise when the error happened only on its side.
// The share decided by the rate is the same everywhere (it comes from the
// trace id), but the error, level and duration rules are not. To decide on
// whole distributed traces, send every span to a tier of OpenTelemetry
// Collectors that routes each trace by its id to one collector of a second
// tier running the tail-sampling processor with the same rules.
//
// Only traces and logs are sampled; metrics are never sampled, so request
// counts and latencies stay exact whatever is dropped.
//
// # Self-telemetry
//
// A TailProcessor counts its work with the MeterProvider of
// [WithMeterProvider] (the global one by default):
//   - observe.sampling.traces {trace}: traces decided, with
//     observe.sampling.decision (kept, dropped) and observe.sampling.reason
//     (error, level, duration, rate, overflow, shutdown), and for overflow
//     observe.sampling.bound (max_traces, max_spans_per_trace,
//     max_logs_per_trace, max_bytes). Traces of the kept share, which are
//     never held, count once per local root when it starts;
//   - observe.sampling.spans.dropped {span} and
//     observe.sampling.log_records.dropped {record}: what was not passed on,
//     with observe.sampling.reason rate (the trace was dropped) or shutdown;
//   - observe.sampling.buffer.traces {trace} and observe.sampling.buffer.bytes
//     (By): what is held now.
package sampling
