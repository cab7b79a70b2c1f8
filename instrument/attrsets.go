package instrument

import (
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// maxCachedSets bounds the cache of metric attribute sets. Its keys are
// bounded already (methods are normalised, routes are patterns, statuses
// are numbers), so the bound only guards against a route function that
// returns raw paths.
const maxCachedSets = 4096

type requestKey struct {
	method, scheme, route, errType, proto string
	status                                int
}

type activeKey struct{ method, scheme string }

type nameKey struct {
	method, route string
	known         bool
}

// requestSet is what a request with a given requestKey needs: its metric
// attributes and its span names.
type requestSet struct {
	set             attribute.Set
	record          []metric.RecordOption // WithAttributeSet(set), made once
	name, otherName string                // span name for a known method, and for _OTHER
}

// activeSet counts the requests in flight with one attribute set of
// http.server.active_requests. The instrument is observable: a request
// pays an atomic add, and the SDK reads the counters when it collects.
type activeSet struct {
	n       *atomic.Int64
	observe []metric.ObserveOption
}

func (s requestSet) spanName(known bool) string {
	if known {
		return s.name
	}
	return s.otherName
}

// attrSets caches the attribute sets of the HTTP metrics, so that a request
// whose combination of attributes was seen before builds none. Reads are
// lock-free: the maps are replaced, never changed, under mu.
type attrSets struct {
	mu       sync.Mutex
	requests atomic.Pointer[map[requestKey]requestSet]
	actives  atomic.Pointer[map[activeKey]activeSet]
	names    atomic.Pointer[map[nameKey]string]
}

// spanName returns "METHOD route", "HTTP route" for an unknown method, or
// the method alone when the route is unknown, building each string once.
func (a *attrSets) spanName(method string, known bool, route string) string {
	if !known {
		method = "HTTP"
	}
	if route == "" {
		return method
	}
	k := nameKey{method: method, route: route, known: known}
	if m := a.names.Load(); m != nil {
		if s, ok := (*m)[k]; ok {
			return s
		}
	}
	s := method + " " + route
	store(&a.mu, &a.names, k, s)
	return s
}

func (a *attrSets) request(method, scheme string, status int, route, errType, proto string) requestSet {
	k := requestKey{method: method, scheme: scheme, route: route, errType: errType, proto: proto, status: status}
	if m := a.requests.Load(); m != nil {
		if s, ok := (*m)[k]; ok {
			return s
		}
	}
	kvs := make([]attribute.KeyValue, 0, 6)
	kvs = append(kvs,
		semconv.HTTPRequestMethodKey.String(method),
		semconv.URLScheme(scheme),
		semconv.HTTPResponseStatusCode(status),
		semconv.NetworkProtocolVersion(proto),
	)
	if route != "" {
		kvs = append(kvs, semconv.HTTPRoute(route))
	}
	if errType != "" {
		kvs = append(kvs, semconv.ErrorTypeKey.String(errType))
	}
	set := attribute.NewSet(kvs...)
	s := requestSet{set: set, record: []metric.RecordOption{metric.WithAttributeSet(set)}, name: method, otherName: "HTTP"}
	if route != "" {
		s.name += " " + route
		s.otherName += " " + route
	}
	store(&a.mu, &a.requests, k, s)
	return s
}

func (a *attrSets) active(method, scheme string) activeSet {
	k := activeKey{method, scheme}
	if m := a.actives.Load(); m != nil {
		if s, ok := (*m)[k]; ok {
			return s
		}
	}
	set := attribute.NewSet(semconv.HTTPRequestMethodKey.String(method), semconv.URLScheme(scheme))
	s := activeSet{n: new(atomic.Int64), observe: []metric.ObserveOption{metric.WithAttributeSet(set)}}
	a.mu.Lock()
	defer a.mu.Unlock()
	// Unlike the other caches, this one must not drop an entry once a
	// counter has been handed out, and two callers racing for a new key
	// must share one counter; its keys are bounded (methods x schemes).
	old := a.actives.Load()
	if old != nil {
		if got, ok := (*old)[k]; ok {
			return got
		}
	}
	m := make(map[activeKey]activeSet, 1)
	if old != nil {
		for kk, v := range *old {
			m[kk] = v
		}
	}
	m[k] = s
	a.actives.Store(&m)
	return s
}

// observeActive reports every counter of http.server.active_requests.
func (a *attrSets) observeActive(o metric.Observer, inst metric.Int64Observable) {
	if m := a.actives.Load(); m != nil {
		for _, s := range *m {
			o.ObserveInt64(inst, s.n.Load(), s.observe...)
		}
	}
}

// store adds k to the map behind p by copying it, unless the map is full.
func store[K comparable, V any](mu *sync.Mutex, p *atomic.Pointer[map[K]V], k K, s V) {
	mu.Lock()
	defer mu.Unlock()
	old := p.Load()
	n := 0
	if old != nil {
		if _, ok := (*old)[k]; ok {
			return
		}
		n = len(*old)
	}
	if n >= maxCachedSets {
		return
	}
	m := make(map[K]V, n+1)
	if old != nil {
		for kk, v := range *old {
			m[kk] = v
		}
	}
	m[k] = s
	p.Store(&m)
}
