package instrument_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/observe-go/observe/instrument"
)

func chiRoute(r *http.Request) string {
	if rc := chi.RouteContext(r.Context()); rc != nil {
		return rc.RoutePattern()
	}
	return ""
}

func TestHTTPHandlerChiRoute(t *testing.T) {
	tests := []struct {
		name      string
		target    string
		wantCode  int
		wantName  string
		wantRoute string
	}{
		{"route with parameter", "/users/42", 200, "GET /users/{id}", "/users/{id}"},
		{"nested route", "/api/v1/orders/7/items", 200, "GET /api/v1/orders/{orderID}/items", "/api/v1/orders/{orderID}/items"},
		{"not found", "/nowhere/42", 404, "GET", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tel := newTelemetry(t)
			r := chi.NewRouter()
			r.Use(func(next http.Handler) http.Handler {
				return tel.handler(next, instrument.WithRouteFunc(chiRoute))
			})
			r.Get("/users/{id}", func(w http.ResponseWriter, r *http.Request) {
				_, _ = w.Write([]byte("user " + chi.URLParam(r, "id")))
			})
			r.Route("/api/v1", func(r chi.Router) {
				r.Get("/orders/{orderID}/items", func(w http.ResponseWriter, _ *http.Request) {
					_, _ = w.Write([]byte("items"))
				})
			})
			w := serveOne(r, httptest.NewRequest(http.MethodGet, tt.target, nil))
			if w.Code != tt.wantCode {
				t.Fatalf("code = %d, want %d", w.Code, tt.wantCode)
			}
			s := tel.ended(t, 1)[0]
			if s.Name() != tt.wantName {
				t.Errorf("span name = %q, want %q", s.Name(), tt.wantName)
			}
			route, ok := attrMap(s.Attributes())["http.route"]
			if tt.wantRoute == "" {
				if ok {
					t.Errorf("http.route = %q, want none", route.Emit())
				}
			} else if route.AsString() != tt.wantRoute {
				t.Errorf("span http.route = %q, want %q", route.Emit(), tt.wantRoute)
			}
			sets := tel.metricAttrSets(t)
			var found bool
			for _, set := range sets {
				v, ok := set.Value("http.route")
				if tt.wantRoute == "" && ok {
					t.Errorf("metric http.route = %q, want none", v.Emit())
				}
				if ok && v.AsString() == tt.wantRoute {
					found = true
				}
			}
			if tt.wantRoute != "" && !found {
				t.Errorf("no metric data point with http.route %q", tt.wantRoute)
			}
		})
	}
}
