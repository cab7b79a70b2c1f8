package sampling_test

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/log"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/observe-go/observe/sampling"
)

// The tail processor goes in front of the batch processor: only the traces
// it keeps are batched and exported.
func ExampleNewTailProcessor() {
	ctx := context.Background()
	exporter := tracetest.NewInMemoryExporter() // an OTLP exporter in a service
	tail, err := sampling.NewTailProcessor(
		// Keep the traces with an error or a warning, and those slower than
		// 500ms; a service would usually keep a share of the rest too
		// (Rate), which would make this example's output random.
		sampling.Tail{Duration: 500 * time.Millisecond},
		sdktrace.NewBatchSpanProcessor(exporter),
	)
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tail))
	defer func() { _ = tp.Shutdown(ctx) }()
	tracer := tp.Tracer("example")

	// A fast request that went well: dropped.
	_, ok := tracer.Start(ctx, "GET /health")
	ok.End()

	// A request whose query failed: kept whole, the query's span and the
	// request's.
	rctx, req := tracer.Start(ctx, "GET /orders")
	_, query := tracer.Start(rctx, "SELECT orders")
	query.SetStatus(codes.Error, "deadline exceeded")
	query.End()
	req.End()

	_ = tp.ForceFlush(ctx)
	for _, s := range exporter.GetSpans() {
		fmt.Println(s.Name)
	}
	// Output:
	// SELECT orders
	// GET /orders
}

// printBodies is a log exporter that prints the body of each record.
type printBodies struct{}

func (printBodies) Export(_ context.Context, rs []sdklog.Record) error {
	for _, r := range rs {
		fmt.Println(r.Body().AsString())
	}
	return nil
}
func (printBodies) Shutdown(context.Context) error   { return nil }
func (printBodies) ForceFlush(context.Context) error { return nil }

// The companion log processor holds the records of each trace until the
// trace is decided: they are exported with it, or not at all.
func ExampleTailProcessor_LogProcessor() {
	ctx := context.Background()
	tail, err := sampling.NewTailProcessor(sampling.Tail{}, sdktrace.NewSimpleSpanProcessor(tracetest.NewInMemoryExporter()))
	if err != nil {
		panic(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(tail))
	lp := sdklog.NewLoggerProvider(sdklog.WithProcessor(tail.LogProcessor(sdklog.NewSimpleProcessor(printBodies{}))))
	defer func() { _ = lp.Shutdown(ctx) }()
	defer func() { _ = tp.Shutdown(ctx) }()
	tracer, logger := tp.Tracer("example"), lp.Logger("example")
	emit := func(ctx context.Context, sev log.Severity, body string) {
		var r log.Record
		r.SetSeverity(sev)
		r.SetBody(attribute.StringValue(body))
		logger.Emit(ctx, r)
	}

	emit(ctx, log.SeverityInfo, "starting: no trace, printed at once")

	rctx, req := tracer.Start(ctx, "GET /health")
	emit(rctx, log.SeverityInfo, "health checked: dropped with its trace")
	req.End()

	rctx, req = tracer.Start(ctx, "GET /orders")
	emit(rctx, log.SeverityInfo, "orders listed: held, then kept with its trace")
	emit(rctx, log.SeverityWarn, "orders slow: keeps its trace")
	req.End()
	// Output:
	// starting: no trace, printed at once
	// orders listed: held, then kept with its trace
	// orders slow: keeps its trace
}

func ExampleTailFromEnv() {
	vars := map[string]string{
		"OBSERVE_TAIL_SAMPLING_DURATION": "750ms",
		"OBSERVE_TAIL_SAMPLING_RATE":     "0.05",
	}
	t, on, err := sampling.TailFromEnv(func(k string) (string, bool) { v, ok := vars[k]; return v, ok })
	fmt.Println(on, t.Duration, t.Level, t.Rate, err)
	// Output:
	// true 750ms <nil> 0.05 <nil>
}

func ExampleRateLimited() {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sampling.RateLimited(100)))
	defer func() { _ = tp.Shutdown(context.Background()) }()
	fmt.Println(sampling.RateLimited(100).Description())
	// Output:
	// ParentBased{root:RateLimited{perSecond:100},remoteParentSampled:AlwaysOnSampler,remoteParentNotSampled:AlwaysOffSampler,localParentSampled:AlwaysOnSampler,localParentNotSampled:AlwaysOffSampler}
}
