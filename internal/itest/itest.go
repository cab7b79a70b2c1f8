// Package itest starts real backends for integration tests: an OpenTelemetry
// Collector (built from tools/otelcol) that writes every signal it receives as
// OTLP-JSON lines, a Prometheus server scraping one target, promtool, and a
// throwaway PostgreSQL server.
//
// The backends are found through environment variables that ./scripts/test.sh
// sets after building or installing them:
//
//	OBSERVE_ITEST=1              backends are mandatory: a missing one fails the test
//	OBSERVE_OTELCOL_BIN=<path>   the otelcol-test binary built from tools/otelcol
//	OBSERVE_PROMETHEUS_BIN=<path>
//	OBSERVE_PROMTOOL_BIN=<path>
//	OBSERVE_POSTGRES_BIN_DIR=<dir>  PostgreSQL's initdb, postgres, pg_ctl and pg_isready
//
// Without OBSERVE_ITEST=1 (a plain `go test ./...`), a test whose backend is
// missing is skipped with a message pointing at ./scripts/test.sh.
//
// A typical test:
//
//	col := itest.StartCollector(t)
//	// point the SDK at col.GRPCEndpoint or col.HTTPEndpoint, emit, flush...
//	spans := col.WaitTraces(t, 10*time.Second, func(s []itest.Span) bool { return len(s) >= 1 })
package itest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Environment variables read by this package.
const (
	EnvRequired      = "OBSERVE_ITEST"
	EnvOtelcolBin    = "OBSERVE_OTELCOL_BIN"
	EnvPrometheusBin = "OBSERVE_PROMETHEUS_BIN"
	EnvPromtoolBin   = "OBSERVE_PROMTOOL_BIN"
)

const hint = "run ./scripts/test.sh to run integration tests"

// Required reports whether integration backends are mandatory
// (OBSERVE_ITEST=1, set by scripts/test.sh). When true, a test whose backend
// is missing fails instead of being skipped.
func Required() bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(EnvRequired))) {
	case "1", "true", "yes":
		return true
	}
	return false
}

// FreePort returns a free loopback TCP port. The port is released before
// FreePort returns, so another process could in principle take it first.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("itest: finding a free loopback port: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		t.Fatalf("itest: releasing port %d: %v", port, err)
	}
	return port
}

// binary returns the executable named by the environment variable env. When it
// is unset or not usable, the test fails if Required() and is skipped otherwise.
func binary(t testing.TB, env, what string) string {
	t.Helper()
	path, err := lookupBinary(env)
	if err != nil {
		unavailable(t, fmt.Sprintf("itest: %s is not available: %v; %s", what, err, hint))
		return ""
	}
	return path
}

// lookupBinary resolves the executable named by the environment variable env.
func lookupBinary(env string) (string, error) {
	path := os.Getenv(env)
	if path == "" {
		return "", fmt.Errorf("%s is not set", env)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%s=%q: %v", env, path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("%s=%q: %v", env, path, err)
	}
	if fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
		return "", fmt.Errorf("%s=%q is not an executable file", env, path)
	}
	return abs, nil
}

// unavailable fails the test when backends are required and skips it otherwise.
func unavailable(t testing.TB, msg string) {
	t.Helper()
	if Required() {
		t.Fatal(msg + " (" + EnvRequired + "=1: integration backends are required)")
	}
	t.Skip(msg)
}

// moduleFile finds rel (a slash-separated path such as
// "tools/otelcol/otelcol.yaml") in the working directory or the nearest
// parent directory that contains it, and reports its absolute path.
func moduleFile(rel string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("%s not found in %s or any parent directory", rel, mustGetwd())
		}
		dir = parent
	}
}

func mustGetwd() string {
	d, _ := os.Getwd()
	return d
}

// syncBuffer collects a process's output; safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

const maxOutput = 1 << 20 // keep at most the last 1 MiB of a process's output

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, _ := b.buf.Write(p)
	if b.buf.Len() > 2*maxOutput {
		tail := append([]byte(nil), b.buf.Bytes()[b.buf.Len()-maxOutput:]...)
		b.buf.Reset()
		b.buf.WriteString("[...output truncated...]\n")
		b.buf.Write(tail)
	}
	return n, nil
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// process is a backend started by a test.
type process struct {
	name    string
	cmd     *exec.Cmd
	out     *syncBuffer
	done    chan struct{} // closed when the process has exited
	waitErr error         // valid after done is closed
	stopped sync.Once
	killed  bool // set by the first stop: it had to kill the process
}

// startProcess starts bin and returns at once; its stdout and stderr are
// collected in p.out.
func startProcess(name, bin, dir string, args, env []string) (*process, error) {
	p := &process{name: name, out: &syncBuffer{}, done: make(chan struct{})}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout = p.out
	cmd.Stderr = p.out
	setProcAttr(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s (%s): %w", name, bin, err)
	}
	p.cmd = cmd
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has exited, and how.
func (p *process) exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// stop sends SIGTERM, then kills the process if it has not exited after 5s.
func (p *process) stop() { p.stopWithin(5 * time.Second) }

// stopWithin sends SIGTERM, then kills the process if it has not exited after
// grace. Only the first call does anything; it reports whether the process had
// to be killed, and later calls report the same.
func (p *process) stopWithin(grace time.Duration) (killed bool) {
	p.stopped.Do(func() {
		if done, _ := p.exited(); done {
			return
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			_ = p.cmd.Process.Kill()
		}
		select {
		case <-p.done:
		case <-time.After(grace):
			p.killed = true
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p.killed
}

// cleanup registers stopping p at the end of the test, and logging its output
// if the test failed.
func (p *process) cleanup(t testing.TB) {
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("itest: %s output:\n%s", p.name, p.out.String())
		}
	})
}

// waitTCP waits until addr accepts TCP connections, p exits, or deadline passes.
func waitTCP(p *process, addr string, deadline time.Time) error {
	for {
		if done, err := p.exited(); done {
			return fmt.Errorf("%s exited before listening on %s: %v", p.name, addr, err)
		}
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			_ = c.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is not listening on %s after waiting: %v", p.name, addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
