package observe_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/observe-go/observe"
)

// WithPrometheusBridge serves client_golang metrics next to the
// OpenTelemetry ones, each name once, and exports them with them.
func ExampleWithPrometheusBridge() {
	reg := prometheus.NewRegistry()
	emails := prometheus.NewCounter(prometheus.CounterOpts{Name: "emails_sent_total", Help: "Emails sent."})
	reg.MustRegister(emails)
	emails.Add(3)

	tel, err := observe.Configure(
		observe.WithEnvLookup(func(string) (string, bool) { return "", false }),
		observe.WithoutGlobals(),
		observe.WithConsoleWriter(io.Discard),
		observe.WithPrometheusBridge(reg),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tel.Shutdown(context.Background())

	orders, _ := tel.MeterProvider().Meter("shop").Int64Counter("orders.created")
	orders.Add(context.Background(), 2)

	rr := httptest.NewRecorder()
	tel.MetricsHandler().ServeHTTP(rr, httptest.NewRequest("GET", "/metrics", nil))
	for _, line := range strings.Split(rr.Body.String(), "\n") {
		if strings.HasPrefix(line, "orders_created_total") || strings.HasPrefix(line, "emails_sent_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// emails_sent_total 3
	// orders_created_total{otel_scope_name="shop",otel_scope_schema_url="",otel_scope_version=""} 2
}
