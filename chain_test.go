package observe_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdklog "go.opentelemetry.io/otel/sdk/log"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/observe-go/observe"
	"github.com/observe-go/observe/instrument"
	"github.com/observe-go/observe/internal/itest"
)

// The chain is three services, each with its own Telemetry: an HTTP entry
// service (orders), a gRPC service behind it (inventory), and an HTTP
// service behind that (stock). Each logs one record of its own through
// Telemetry.Logger, besides its access log.
//
//	GET /orders/{sku} -> observe.test.Inventory/Check -> GET /stock/{sku}
const checkMethod = "/observe.test.Inventory/Check"

type inventory struct {
	tel    *observe.Telemetry
	client *http.Client
	stock  string
}

var inventoryDesc = grpc.ServiceDesc{
	ServiceName: "observe.test.Inventory",
	HandlerType: (*any)(nil),
	Methods: []grpc.MethodDesc{{MethodName: "Check", Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
		in := new(wrapperspb.StringValue)
		if err := dec(in); err != nil {
			return nil, err
		}
		check := func(ctx context.Context, req any) (any, error) {
			return srv.(*inventory).check(ctx, req.(*wrapperspb.StringValue))
		}
		if ic == nil {
			return check(ctx, in)
		}
		return ic(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: checkMethod}, check)
	}}},
}

func (s *inventory) check(ctx context.Context, in *wrapperspb.StringValue) (*wrapperspb.StringValue, error) {
	s.tel.Logger().InfoContext(ctx, "checking stock", "sku", in.GetValue())
	ctx = instrument.ContextWithURLTemplate(ctx, "/stock/{sku}")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.stock+"/stock/"+in.GetValue(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return wrapperspb.String(string(b)), err
}

type chain struct {
	orders, inventory, stock *observe.Telemetry
	url                      string
	stopped                  bool
	stops                    []func()
}

// startChain starts the three services, their Telemetry made by configure
// with the service's name; the test's clean-up stops them.
func startChain(t *testing.T, configure func(service string) *observe.Telemetry) *chain {
	t.Helper()
	c := &chain{orders: configure("orders"), inventory: configure("inventory"), stock: configure("stock")}
	t.Cleanup(c.stop)

	stockMux := http.NewServeMux()
	stockMux.HandleFunc("GET /stock/{sku}", func(w http.ResponseWriter, r *http.Request) {
		c.stock.Logger().InfoContext(r.Context(), "stock checked", "sku", r.PathValue("sku"))
		_, _ = io.WriteString(w, "7")
	})
	stockSrv := httptest.NewServer(c.stock.InstrumentHTTP(stockMux))
	c.stops = append(c.stops, stockSrv.Close)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	grpcSrv := grpc.NewServer(c.inventory.GRPCServerOptions()...)
	grpcSrv.RegisterService(&inventoryDesc, &inventory{tel: c.inventory, client: c.inventory.HTTPClient(nil), stock: stockSrv.URL})
	served := make(chan error, 1)
	go func() { served <- grpcSrv.Serve(ln) }()
	c.stops = append(c.stops, func() { grpcSrv.GracefulStop(); <-served })

	conn, err := grpc.NewClient(ln.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithStatsHandler(c.orders.GRPCClientHandler()))
	if err != nil {
		t.Fatal(err)
	}
	c.stops = append(c.stops, func() { _ = conn.Close() })

	ordersMux := http.NewServeMux()
	ordersMux.HandleFunc("GET /orders/{sku}", func(w http.ResponseWriter, r *http.Request) {
		out := new(wrapperspb.StringValue)
		if err := conn.Invoke(r.Context(), checkMethod, wrapperspb.String(r.PathValue("sku")), out); err != nil {
			observe.RecordError(r.Context(), err)
			http.Error(w, "inventory failed", http.StatusBadGateway)
			return
		}
		c.orders.Logger().InfoContext(r.Context(), "order placed", "sku", r.PathValue("sku"), "stock", out.GetValue())
		_, _ = io.WriteString(w, "in stock: "+out.GetValue())
	})
	ordersSrv := httptest.NewServer(c.orders.InstrumentHTTP(ordersMux))
	c.stops = append(c.stops, ordersSrv.Close)
	c.url = ordersSrv.URL
	return c
}

// stop stops the servers, front first; each waits for the requests it is
// serving, so every span and record of the chain is made when it returns.
func (c *chain) stop() {
	if c.stopped {
		return
	}
	c.stopped = true
	for i := len(c.stops) - 1; i >= 0; i-- {
		c.stops[i]()
	}
}

// order calls the entry service with the request id rid.
func (c *chain) order(t *testing.T, rid string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.url+"/orders/sku-1", nil)
	req.Header.Set(instrument.RequestIDHeader, rid)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "in stock: 7" {
		t.Fatalf("GET /orders/sku-1: %d %q", resp.StatusCode, body)
	}
	return resp
}

// chainSpans are the five spans the chain makes for an order, by service.
var chainSpans = []struct{ service, kind, name string }{
	{"orders", "server", "GET /orders/{sku}"},
	{"orders", "client", "observe.test.Inventory/Check"},
	{"inventory", "server", "observe.test.Inventory/Check"},
	{"inventory", "client", "GET /stock/{sku}"},
	{"stock", "server", "GET /stock/{sku}"},
}

// chainLogs are the bodies of the six records, by service: the access log
// and the service's own record.
var chainLogs = map[string][]string{
	"orders":    {"GET /orders/sku-1 200", "order placed"},
	"inventory": {"/observe.test.Inventory/Check OK ", "checking stock"},
	"stock":     {"GET /stock/sku-1 200", "stock checked"},
}

// One order through the chain, in memory: one trace of five spans, and the
// request id the caller sent on every span and every log record of the
// three services.
func TestChainRequestIDAcrossHTTPAndGRPC(t *testing.T) {
	spans := map[string]*tracetest.SpanRecorder{}
	logs := map[string]*logRecorder{}
	c := startChain(t, func(service string) *observe.Telemetry {
		spans[service], logs[service] = tracetest.NewSpanRecorder(), &logRecorder{}
		return configure(t, map[string]string{"OTEL_SERVICE_NAME": service, "OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none"},
			observe.WithSpanProcessor(spans[service]), observe.WithLogProcessor(logs[service]))
	})
	resp := c.order(t, "req-chain-1")
	c.stop()
	if got := resp.Header.Get(instrument.RequestIDHeader); got != "req-chain-1" {
		t.Errorf("response X-Request-ID %q", got)
	}

	var traceID string
	for _, want := range chainSpans {
		var found bool
		for _, s := range spans[want.service].Ended() {
			if s.SpanKind().String() != want.kind || s.Name() != want.name {
				continue
			}
			found = true
			if traceID == "" {
				traceID = s.SpanContext().TraceID().String()
			}
			if s.SpanContext().TraceID().String() != traceID {
				t.Errorf("%s %s span %q is in trace %s, not %s", want.service, want.kind, want.name, s.SpanContext().TraceID(), traceID)
			}
			if rid := attrMapOf(s.Attributes())["observe.request_id"]; rid != "req-chain-1" {
				t.Errorf("%s %s span %q: request id %q", want.service, want.kind, want.name, rid)
			}
		}
		if !found {
			t.Errorf("no %s %s span %q", want.service, want.kind, want.name)
		}
	}
	for service, bodies := range chainLogs {
		recs := logs[service].Records()
		if len(recs) != len(bodies) {
			t.Errorf("%s: %d records, want %d: %v", service, len(recs), len(bodies), bodiesOf(recs))
		}
		for _, body := range bodies {
			r, ok := findRecord(recs, body)
			if !ok {
				t.Errorf("%s: no record %q in %v", service, body, bodiesOf(recs))
				continue
			}
			if rid, _ := recordAttr(r, "observe.request_id"); rid != "req-chain-1" || r.TraceID().String() != traceID {
				t.Errorf("%s record %q: request id %q, trace %s; want req-chain-1 in %s", service, body, rid, r.TraceID(), traceID)
			}
		}
	}
}

// The same order through the real collector: the five spans arrive as one
// trace, and every span and log record of it carries the request id.
func TestIntegrationChainRequestIDAcrossHTTPAndGRPC(t *testing.T) {
	col := itest.StartCollector(t)
	tels := map[string]*observe.Telemetry{}
	c := startChain(t, func(service string) *observe.Telemetry {
		tels[service] = configure(t, map[string]string{"OTEL_SERVICE_NAME": service, "OTEL_EXPORTER_OTLP_ENDPOINT": col.HTTPEndpoint})
		return tels[service]
	})
	c.order(t, "req-chain-otlp")
	c.stop()
	for service, tel := range tels {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := tel.ForceFlush(ctx); err != nil {
			t.Errorf("%s: ForceFlush: %v", service, err)
		}
		cancel()
	}

	inChain := func(s itest.Span) bool { return s.Attributes["observe.request_id"] == "req-chain-otlp" }
	got := col.WaitTraces(t, 15*time.Second, func(all []itest.Span) bool {
		n := 0
		for _, s := range all {
			if inChain(s) {
				n++
			}
		}
		return n >= len(chainSpans)
	})
	var traceID string
	byKey := map[string]itest.Span{}
	for _, s := range got {
		if inChain(s) {
			byKey[fmt.Sprint(s.Resource["service.name"], " ", s.Kind, " ", s.Name)] = s
			traceID = s.TraceID
		}
	}
	kinds := map[string]int{"server": 2, "client": 3}
	for _, want := range chainSpans {
		s, ok := byKey[fmt.Sprint(want.service, " ", kinds[want.kind], " ", want.name)]
		if !ok {
			t.Errorf("collector has no %s %s span %q with the request id; has %v", want.service, want.kind, want.name, byKey)
			continue
		}
		if s.TraceID != traceID {
			t.Errorf("%s span %q in trace %s, others in %s", want.service, want.name, s.TraceID, traceID)
		}
	}
	for _, s := range got {
		if s.TraceID == traceID && !inChain(s) {
			t.Errorf("span %q of %v in the trace lacks the request id: %v", s.Name, s.Resource["service.name"], s.Attributes)
		}
	}

	want := 0
	for _, b := range chainLogs {
		want += len(b)
	}
	recs := col.WaitLogs(t, 15*time.Second, func(all []itest.LogRecord) bool {
		n := 0
		for _, r := range all {
			if r.TraceID == traceID {
				n++
			}
		}
		return n >= want
	})
	seen := map[string]bool{}
	for _, r := range recs {
		if r.TraceID != traceID {
			continue
		}
		body, _ := r.Body.(string)
		service, _ := r.Resource["service.name"].(string)
		seen[service+": "+bodyKey(service, body)] = true
		if r.Attributes["observe.request_id"] != "req-chain-otlp" {
			t.Errorf("%s record %q: request id %v", service, body, r.Attributes["observe.request_id"])
		}
	}
	for service, bodies := range chainLogs {
		for _, b := range bodies {
			if !seen[service+": "+b] {
				t.Errorf("collector has no %s record %q in the trace; has %v", service, b, seen)
			}
		}
	}
}

// bodyKey maps a record's body to its entry in chainLogs (the gRPC access
// log ends with a duration).
func bodyKey(service, body string) string {
	for _, b := range chainLogs[service] {
		if len(body) >= len(b) && body[:len(b)] == b {
			return b
		}
	}
	return body
}

func findRecord(recs []sdklog.Record, prefix string) (sdklog.Record, bool) {
	for _, r := range recs {
		if b := r.Body().AsString(); len(b) >= len(prefix) && b[:len(prefix)] == prefix {
			return r, true
		}
	}
	return sdklog.Record{}, false
}

func bodiesOf(recs []sdklog.Record) []string {
	out := make([]string, len(recs))
	for i, r := range recs {
		out[i] = r.Body().AsString()
	}
	return out
}

func attrMapOf(kvs []attribute.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}
