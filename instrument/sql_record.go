package instrument

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/semconv/v1.43.0/dbconv"
	"go.opentelemetry.io/otel/trace"
)

// maxCachedQueries bounds the cache of parsed queries of one database, and
// maxCachedQueryLen the length of a query it keeps: a service has a fixed
// set of queries, and the bound only guards against queries built with
// their values inline. A full cache is emptied and filled anew.
const (
	maxCachedQueries  = 1024
	maxCachedQueryLen = 4096
)

// operationBuckets are the conventions' buckets of
// db.client.operation.duration, in seconds.
var operationBuckets = []float64{0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10}

// clientKind is made once: a SpanStartOption built per call allocates.
var clientKind = trace.WithSpanKind(trace.SpanKindClient)

// sqlInstr is the instrumentation of one database: its tracer and
// instruments, the attributes every operation carries, and the cache of
// what its queries become.
type sqlInstr struct {
	cfg        sqlConfig
	tracer     trace.Tracer
	meter      metric.Meter
	duration   metric.Float64Histogram
	createTime metric.Float64Histogram
	dialect    sqlDialect
	base       []attribute.KeyValue // db.system.name, db.namespace, server.address, server.port
	poolAttr   attribute.KeyValue
	connectSet []metric.RecordOption

	mu      sync.Mutex
	queries atomic.Pointer[map[string]*opInfo]

	begin, commit, rollback, ping, connect *opInfo

	regMu  sync.Mutex
	pool   metric.Registration // the pool metrics' callback
	closed bool
}

// opInfo is what one operation (a query's text, or BEGIN, COMMIT...)
// records, built once per distinct query.
type opInfo struct {
	name    string
	summary string
	attrs   []attribute.KeyValue // the span's attributes
	// attrOpt is trace.WithAttributes(attrs...), made once: made per call
	// it allocates.
	attrOpt trace.SpanStartOption
	// noDuration: the operation is not one of db.client.operation.duration
	// (a new connection, measured by db.client.connection.create_time).
	noDuration bool
	prepare    atomic.Pointer[opInfo] // the PREPARE of this query
	metric     []attribute.KeyValue   // the duration's attributes, without error.type
	ok         []metric.RecordOption
	errSets    atomic.Pointer[map[errKey][]metric.RecordOption]
	mu         sync.Mutex
}

func newSQLInstr(c sqlConfig) *sqlInstr {
	in := &sqlInstr{cfg: c, dialect: dialectOf(c.system)}
	in.tracer, _, in.meter = c.instruments()
	var e1, e2 error
	var d dbconv.ClientOperationDuration
	d, e1 = dbconv.NewClientOperationDuration(in.meter, metric.WithExplicitBucketBoundaries(operationBuckets...))
	in.duration = d.Inst()
	var ct dbconv.ClientConnectionCreateTime
	ct, e2 = dbconv.NewClientConnectionCreateTime(in.meter, metric.WithExplicitBucketBoundaries(operationBuckets...))
	in.createTime = ct.Inst()
	if err := errors.Join(e1, e2); err != nil {
		otel.Handle(fmt.Errorf("instrument: database metrics: %w", err))
	}

	in.base = append(in.base, semconv.DBSystemNameKey.String(c.system))
	if c.namespace != "" {
		in.base = append(in.base, semconv.DBNamespace(c.namespace))
	}
	if c.address != "" {
		in.base = append(in.base, semconv.ServerAddress(c.address))
		if c.port > 0 {
			in.base = append(in.base, semconv.ServerPort(c.port))
		}
	}
	in.poolAttr = semconv.DBClientConnectionPoolName(c.poolName)
	in.connectSet = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(in.poolAttr))}

	in.begin = in.newOp("BEGIN", parsedQuery{summary: "BEGIN", operation: "BEGIN"}, false)
	in.commit = in.newOp("COMMIT", parsedQuery{summary: "COMMIT", operation: "COMMIT"}, false)
	in.rollback = in.newOp("ROLLBACK", parsedQuery{summary: "ROLLBACK", operation: "ROLLBACK"}, false)
	in.ping = in.newOp("ping", parsedQuery{operation: "ping"}, false)
	in.connect = in.newOp("connect", parsedQuery{}, false)
	in.connect.attrs = append(in.connect.attrs, in.poolAttr)
	in.connect.attrOpt = trace.WithAttributes(in.connect.attrs...)
	in.connect.noDuration = true
	return in
}

// defaultPoolName returns the default db.client.connection.pool.name of
// c: "address:port/namespace" with the parts that are known, else the
// system's name.
func defaultPoolName(c sqlConfig) string {
	name := c.address
	if name != "" && c.port > 0 {
		name += ":" + strconv.Itoa(c.port)
	}
	if c.namespace != "" {
		if name != "" {
			name += "/"
		}
		name += c.namespace
	}
	if name == "" {
		name = c.system
	}
	return name
}

// newOp builds the attributes of an operation. withText adds
// db.query.text.
func (in *sqlInstr) newOp(name string, p parsedQuery, withText bool) *opInfo {
	op := &opInfo{name: name, summary: p.summary}
	n := len(in.base) + 4
	op.metric = make([]attribute.KeyValue, 0, n)
	op.metric = append(op.metric, in.base...)
	if p.operation != "" {
		op.metric = append(op.metric, semconv.DBOperationName(p.operation))
	}
	if p.collection != "" {
		op.metric = append(op.metric, semconv.DBCollectionName(p.collection))
	}
	if p.summary != "" {
		op.metric = append(op.metric, semconv.DBQuerySummary(p.summary))
	}
	set := attribute.NewSet(op.metric...)
	op.ok = []metric.RecordOption{metric.WithAttributeSet(set)}
	op.attrs = append(make([]attribute.KeyValue, 0, len(op.metric)+1), op.metric...)
	if withText && !in.cfg.noQueryText && p.text != "" {
		op.attrs = append(op.attrs, semconv.DBQueryText(p.text))
	}
	op.attrOpt = trace.WithAttributes(op.attrs...)
	return op
}

// query returns what the query q records, from the cache when it was seen
// before.
func (in *sqlInstr) query(q string) *opInfo {
	if m := in.queries.Load(); m != nil {
		if op, ok := (*m)[q]; ok {
			return op
		}
	}
	p := parseQuery(q, in.dialect)
	name := p.summary
	if name == "" {
		name = in.cfg.system
	}
	op := in.newOp(name, p, true)
	if len(q) <= maxCachedQueryLen {
		in.mu.Lock()
		old := in.queries.Load()
		size := 0
		if old != nil && len(*old) < maxCachedQueries {
			size = len(*old)
		}
		m := make(map[string]*opInfo, size+1)
		if size > 0 {
			for k, v := range *old {
				m[k] = v
			}
		}
		m[q] = op
		in.queries.Store(&m)
		in.mu.Unlock()
	}
	return op
}

// prepareOp returns what preparing op's query records: a span named
// "PREPARE " and the query's summary.
func (in *sqlInstr) prepareOp(op *opInfo) *opInfo {
	if p := op.prepare.Load(); p != nil {
		return p
	}
	summary := "PREPARE"
	if op.summary != "" {
		summary += " " + op.summary
	}
	p := &opInfo{name: summary, summary: summary}
	p.metric = make([]attribute.KeyValue, 0, len(in.base)+2)
	p.metric = append(p.metric, in.base...)
	p.metric = append(p.metric, semconv.DBOperationName("PREPARE"), semconv.DBQuerySummary(summary))
	p.ok = []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(p.metric...))}
	p.attrs = append(make([]attribute.KeyValue, 0, len(p.metric)+1), p.metric...)
	for _, kv := range op.attrs {
		if kv.Key == semconv.DBQueryTextKey {
			p.attrs = append(p.attrs, kv)
		}
	}
	p.attrOpt = trace.WithAttributes(p.attrs...)
	op.prepare.CompareAndSwap(nil, p)
	return op.prepare.Load()
}

// errKey keys the record options of a failed operation.
type errKey struct{ errType, code string }

// errorRecord returns the duration's record options for a failed op.
func (op *opInfo) errorRecord(errType, code string) []metric.RecordOption {
	key := errKey{errType, code}
	if m := op.errSets.Load(); m != nil {
		if o, ok := (*m)[key]; ok {
			return o
		}
	}
	kvs := append(append(make([]attribute.KeyValue, 0, len(op.metric)+2), op.metric...), semconv.ErrorTypeKey.String(errType))
	if code != "" {
		kvs = append(kvs, semconv.DBResponseStatusCode(code))
	}
	o := []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}
	store(&op.mu, &op.errSets, key, o)
	return o
}

// optsPool holds the start options of a span: the kind, the attributes and
// the start time. The tracer reads them before Start returns.
var optsPool = sync.Pool{New: func() any {
	s := make([]trace.SpanStartOption, 0, 3)
	return &s
}}

// record makes the span and the duration measurement of an operation
// that began at start and ended now with err. The span is started once the
// driver has answered, with the time the call began: a call the driver
// declines (driver.ErrSkip, after which database/sql prepares the
// statement instead) then leaves no trace. It returns the span's context,
// for a rows span to start in.
func (in *sqlInstr) record(ctx context.Context, op *opInfo, start time.Time, err error) context.Context {
	elapsed := time.Since(start)
	ok := err == nil || errors.Is(err, sql.ErrNoRows)
	var errType, code string
	if !ok {
		errType, code = sqlErrorType(err)
	}
	if op.noDuration {
		if ok {
			in.createTime.Record(ctx, elapsed.Seconds(), in.connectSet...)
		}
	} else if ok {
		in.duration.Record(ctx, elapsed.Seconds(), op.ok...)
	} else {
		in.duration.Record(ctx, elapsed.Seconds(), op.errorRecord(errType, code)...)
	}

	p := optsPool.Get().(*[]trace.SpanStartOption)
	opts := append(*p, clientKind, op.attrOpt, trace.WithTimestamp(start))
	sctx, span := in.tracer.Start(ctx, op.name, opts...)
	clear(opts)
	*p = opts[:0]
	optsPool.Put(p)
	if !ok && span.IsRecording() {
		if code != "" {
			span.SetAttributes(semconv.ErrorTypeKey.String(errType), semconv.DBResponseStatusCode(code))
		} else {
			span.SetAttributes(semconv.ErrorTypeKey.String(errType))
		}
		if in.cfg.errorText {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		} else {
			span.SetStatus(codes.Error, "")
		}
	}
	span.End()
	return sctx
}

// sqlErrorType names an error by a low-cardinality class, as error.type
// asks: the database's status code where the driver gives one (SQLSTATE,
// SQLite's result code), else the class of a well-known error, else the
// error's Go type. The code is also returned alone, for
// db.response.status_code.
func sqlErrorType(err error) (errType, code string) {
	var state interface{ SQLState() string }
	if errors.As(err, &state) {
		if s := state.SQLState(); s != "" && len(s) <= 16 {
			return s, s
		}
	}
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		s := strconv.Itoa(coded.Code())
		return s, s
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled", ""
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout", ""
	case errors.Is(err, driver.ErrBadConn):
		return "bad_conn", ""
	case errors.Is(err, sql.ErrTxDone):
		return "tx_done", ""
	case errors.Is(err, sql.ErrConnDone):
		return "conn_done", ""
	}
	return fmt.Sprintf("%T", unwrapAll(err)), ""
}

// registerPool registers the pool metrics of db: one callback per
// database, so that the metrics of every database opened stay reported.
func (in *sqlInstr) registerPool(db *sql.DB) (metric.Registration, error) {
	count, e1 := dbconv.NewClientConnectionCountObservable(in.meter)
	maxConns, e2 := dbconv.NewClientConnectionMaxObservable(in.meter)
	waits, e3 := in.meter.Int64ObservableCounter("db.client.connection.waits",
		metric.WithDescription("The number of times a connection was waited for, because the pool was at its limit."),
		metric.WithUnit("{wait}"))
	waitTime, e4 := in.meter.Float64ObservableCounter("db.client.connection.wait_duration",
		metric.WithDescription("The total time spent waiting for a connection, because the pool was at its limit."),
		metric.WithUnit("s"))
	if err := errors.Join(e1, e2, e3, e4); err != nil {
		return nil, err
	}
	pool := in.poolAttr
	idle := []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(pool, semconv.DBClientConnectionStateIdle))}
	used := []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(pool, semconv.DBClientConnectionStateUsed))}
	onPool := []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(pool))}
	return in.meter.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		st := db.Stats()
		o.ObserveInt64(count.Inst(), int64(st.Idle), idle...)
		o.ObserveInt64(count.Inst(), int64(st.InUse), used...)
		if st.MaxOpenConnections > 0 {
			o.ObserveInt64(maxConns.Inst(), int64(st.MaxOpenConnections), onPool...)
		}
		o.ObserveInt64(waits, st.WaitCount, onPool...)
		o.ObserveFloat64(waitTime, st.WaitDuration.Seconds(), onPool...)
		return nil
	}, count.Inst(), maxConns.Inst(), waits, waitTime)
}
