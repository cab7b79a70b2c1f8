package itest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const prometheusStartTimeout = 30 * time.Second

// Prometheus is a running Prometheus server scraping one target.
type Prometheus struct {
	// URL is the server's base URL, "http://127.0.0.1:PORT".
	URL string

	proc *process
}

// Sample is one sample of an instant query's result.
type Sample struct {
	Labels map[string]string
	Value  float64
}

// StartPrometheus starts the Prometheus server named by OBSERVE_PROMETHEUS_BIN
// on a free loopback port, with a fresh data dir and a config that scrapes
// target ("127.0.0.1:PORT", path /metrics) every second, waits until it is
// ready, and stops it when the test ends. Without the binary the test is
// skipped, or fails when Required(). The first sample of the target typically
// appears a few seconds after StartPrometheus returns: use WaitQuery.
func StartPrometheus(t testing.TB, target string) *Prometheus {
	t.Helper()
	bin := binary(t, EnvPrometheusBin, "Prometheus ("+EnvPrometheusBin+")")
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		dir := t.TempDir()
		config := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: itest
    metrics_path: /metrics
    static_configs:
      - targets: [%q]
`, target)
		configPath := filepath.Join(dir, "prometheus.yml")
		if err := os.WriteFile(configPath, []byte(config), 0o644); err != nil {
			t.Fatalf("itest: writing the Prometheus config: %v", err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", FreePort(t))
		p, err := startProcess("prometheus", bin, dir, []string{
			"--config.file=" + configPath,
			"--storage.tsdb.path=" + filepath.Join(dir, "data"),
			"--web.listen-address=" + addr,
		}, nil)
		if err != nil {
			t.Fatalf("itest: %v", err)
		}
		p.cleanup(t)
		prom := &Prometheus{URL: "http://" + addr, proc: p}
		err = prom.waitReady(time.Now().Add(prometheusStartTimeout))
		if err == nil {
			return prom
		}
		p.stop()
		lastErr = fmt.Errorf("%v\nprometheus output:\n%s", err, p.out.String())
		if !strings.Contains(p.out.String(), "address already in use") {
			break
		}
	}
	t.Fatalf("itest: starting Prometheus: %v", lastErr)
	return nil
}

// waitReady polls /-/ready until it answers 200.
func (p *Prometheus) waitReady(deadline time.Time) error {
	client := &http.Client{Timeout: time.Second}
	for {
		if done, err := p.proc.exited(); done {
			return fmt.Errorf("prometheus exited before it was ready: %v", err)
		}
		resp, err := client.Get(p.URL + "/-/ready")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET /-/ready: %s", resp.Status)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("prometheus not ready in time: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// WaitQuery runs the PromQL instant query every 200ms until it returns at least
// one sample, and returns the samples. After timeout the test fails with the
// last answer.
func (p *Prometheus) WaitQuery(t testing.TB, timeout time.Duration, promql string) []Sample {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		samples, err := p.Query(promql)
		if err == nil && len(samples) > 0 {
			return samples
		}
		if done, werr := p.proc.exited(); done {
			t.Fatalf("itest: Prometheus exited (%v) while waiting for %q", werr, promql)
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = errors.New("no samples")
			}
			t.Fatalf("itest: timed out after %v waiting for samples of %q: %v\ntargets: %s", timeout, promql, err, p.targets())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Query runs one PromQL instant query and returns its samples (a scalar or
// string result gives one sample without labels).
func (p *Prometheus) Query(promql string) ([]Sample, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get(p.URL + "/api/v1/query?" + url.Values{"query": {promql}}.Encode())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query %q: %s: %s", promql, resp.Status, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %q: %s: %s", promql, resp.Status, r.Error)
	}
	switch r.Data.ResultType {
	case "vector":
		var vec []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &vec); err != nil {
			return nil, fmt.Errorf("query %q: %v", promql, err)
		}
		out := make([]Sample, 0, len(vec))
		for _, s := range vec {
			v, err := promValue(s.Value[1])
			if err != nil {
				return nil, fmt.Errorf("query %q: %v", promql, err)
			}
			out = append(out, Sample{Labels: s.Metric, Value: v})
		}
		return out, nil
	case "scalar", "string":
		var sv [2]any
		if err := json.Unmarshal(r.Data.Result, &sv); err != nil {
			return nil, fmt.Errorf("query %q: %v", promql, err)
		}
		v, err := promValue(sv[1])
		if err != nil {
			return nil, fmt.Errorf("query %q: %v", promql, err)
		}
		return []Sample{{Labels: map[string]string{}, Value: v}}, nil
	default:
		return nil, fmt.Errorf("query %q: result type %q is not supported (use an instant vector query)", promql, r.Data.ResultType)
	}
}

func promValue(v any) (float64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("sample value %v is not a string", v)
	}
	return strconv.ParseFloat(s, 64)
}

// targets returns Prometheus's view of its scrape targets, for failure messages.
func (p *Prometheus) targets() string {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(p.URL + "/api/v1/targets?state=active")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return string(body)
}

// PromtoolCheckMetrics runs `promtool check metrics` (OBSERVE_PROMTOOL_BIN) on
// a Prometheus text exposition and fails the test with promtool's output if it
// reports any problem, including lint findings such as a missing HELP text or
// a counter without the _total suffix. The one finding it accepts is the
// "_count" suffix on the gauges whose OpenTelemetry names the semantic
// conventions fix (see semconvCountGauges). Without promtool the test is
// skipped, or fails when Required().
func PromtoolCheckMetrics(t testing.TB, exposition []byte) {
	t.Helper()
	binary(t, EnvPromtoolBin, "promtool ("+EnvPromtoolBin+")")
	out, err := PromtoolCheck(exposition)
	if err == nil {
		return
	}
	var left []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		name, _, _ := strings.Cut(line, " ")
		if semconvCountGauges[name] && strings.Contains(line, `should not have "_count" suffix`) {
			continue
		}
		left = append(left, line)
	}
	if len(left) > 0 {
		t.Fatalf("itest: promtool check metrics: %v\n%s\nexposition:\n%s", err, strings.Join(left, "\n"), exposition)
	}
}

// semconvCountGauges are the Prometheus names of gauges whose OpenTelemetry
// names, fixed by the semantic conventions, end in ".count"; promtool's
// style lint asks for no "_count" suffix outside histograms and summaries.
var semconvCountGauges = map[string]bool{
	"go_goroutine_count":                 true,
	"process_unix_file_descriptor_count": true,
}

// PromtoolCheck runs `promtool check metrics` (OBSERVE_PROMTOOL_BIN) with
// exposition on its standard input and returns promtool's output. The error
// is non-nil when promtool reports a problem (its exit status is then 1 for a
// parse error and 3 for lint findings) or cannot be run.
func PromtoolCheck(exposition []byte) (string, error) {
	bin, err := lookupBinary(EnvPromtoolBin)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "check", "metrics")
	cmd.Stdin = bytes.NewReader(exposition)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("promtool reported problems (%v)", err)
	}
	return string(out), nil
}
