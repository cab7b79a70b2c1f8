package itest

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// EnvPostgresBinDir names the directory that holds PostgreSQL's server
// binaries (initdb, postgres, pg_ctl, pg_isready), as
// scripts/postgres-setup.sh prints it, e.g. /usr/lib/postgresql/15/bin.
const EnvPostgresBinDir = "OBSERVE_POSTGRES_BIN_DIR"

const postgresStartTimeout = 60 * time.Second

// Postgres is a throwaway PostgreSQL server: a cluster made by initdb in a
// temporary directory, listening on 127.0.0.1 only (and on a Unix socket
// in that directory), with trust authentication and fsync off.
type Postgres struct {
	// Host and Port are where the server listens.
	Host string
	Port int
	// User is the superuser, Database the database it made ("postgres").
	User, Database string
	// URL is a connection string for it, without a password:
	// "postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable".
	URL string
	// Dir holds the cluster (Dir/data) and the Unix socket (Dir/sock).
	Dir string

	binDir string
	proc   *process
	user   *osUser
}

// StartPostgres makes and starts a server with the binaries of
// OBSERVE_POSTGRES_BIN_DIR, and stops it (pg_ctl stop -m immediate) and
// removes its directory when the test ends. Run as root, the server runs
// as the user postgres, or nobody where there is none, since PostgreSQL
// refuses to run as root. Without the binaries the test is skipped, or
// fails when Required().
func StartPostgres(t testing.TB) *Postgres {
	t.Helper()
	binDir := postgresBinDir(t)
	u, err := serverUser()
	if err != nil {
		t.Fatalf("itest: postgres: %v", err)
	}
	// A directory of its own under the system's temporary directory: the
	// test's own (t.TempDir) is private to root, and the server's user
	// must reach its files.
	dir, err := os.MkdirTemp("", "observe-postgres-")
	if err != nil {
		t.Fatalf("itest: postgres: %v", err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("itest: postgres: %v", err)
	}
	data, sock := filepath.Join(dir, "data"), filepath.Join(dir, "sock")
	for _, d := range []string{data, sock} {
		if err := os.Mkdir(d, 0o700); err != nil {
			t.Fatalf("itest: postgres: %v", err)
		}
		if u != nil {
			if err := os.Chown(d, u.uid, u.gid); err != nil {
				t.Fatalf("itest: postgres: %v", err)
			}
		}
	}

	pg := &Postgres{Host: "127.0.0.1", User: "postgres", Database: "postgres", Dir: dir, binDir: binDir, user: u}
	out, err := pg.run(filepath.Join(binDir, "initdb"), "-D", data, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	if err != nil {
		t.Fatalf("itest: postgres: initdb: %v\n%s", err, out)
	}

	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		pg.Port = FreePort(t)
		p, err := pg.start(data)
		if err != nil {
			t.Fatalf("itest: postgres: %v", err)
		}
		pg.proc = p
		t.Cleanup(func() {
			stop, _ := pg.run(filepath.Join(binDir, "pg_ctl"), "stop", "-D", data, "-m", "immediate", "-w", "-t", "10")
			p.stop()
			if t.Failed() {
				t.Logf("itest: postgres output:\n%s\npg_ctl stop: %s", p.out.String(), stop)
			}
		})
		if lastErr = pg.waitReady(p); lastErr == nil {
			pg.URL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", pg.Port)
			return pg
		}
		p.stop()
		if !strings.Contains(p.out.String(), "Address already in use") {
			break
		}
	}
	t.Fatalf("itest: starting postgres: %v", lastErr)
	return nil
}

// KeywordDSN returns a keyword/value connection string for the server.
func (pg *Postgres) KeywordDSN() string {
	return fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=disable", pg.Host, pg.Port, pg.User, pg.Database)
}

func (pg *Postgres) waitReady(p *process) error {
	deadline := time.Now().Add(postgresStartTimeout)
	for {
		if done, err := p.exited(); done {
			return fmt.Errorf("postgres exited before accepting connections: %v\n%s", err, p.out.String())
		}
		_, err := pg.run(filepath.Join(pg.binDir, "pg_isready"), "-q", "-h", pg.Host, "-p", strconv.Itoa(pg.Port), "-U", pg.User, "-d", pg.Database)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("postgres is not accepting connections on %s:%d after %v\n%s", pg.Host, pg.Port, postgresStartTimeout, p.out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// start starts the server in the foreground, as a child that the kernel
// kills if the test binary dies.
func (pg *Postgres) start(data string) (*process, error) {
	p := &process{name: "postgres", out: &syncBuffer{}, done: make(chan struct{})}
	cmd := exec.Command(filepath.Join(pg.binDir, "postgres"),
		"-D", data, "-p", strconv.Itoa(pg.Port), "-k", filepath.Join(pg.Dir, "sock"),
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
		"-c", "full_page_writes=off", "-c", "max_connections=50", "-c", "shared_buffers=16MB")
	cmd.Dir = pg.Dir
	cmd.Stdout, cmd.Stderr = p.out, p.out
	setProcAttr(cmd)
	runAs(cmd, pg.user)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting postgres: %w", err)
	}
	p.cmd = cmd
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// run runs a PostgreSQL tool as the server's user and returns its output.
func (pg *Postgres) run(bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = pg.Dir
	setProcAttr(cmd)
	runAs(cmd, pg.user)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func postgresBinDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv(EnvPostgresBinDir)
	var missing []string
	if dir == "" {
		missing = append(missing, EnvPostgresBinDir+" is not set")
	} else {
		for _, name := range []string{"initdb", "postgres", "pg_ctl", "pg_isready"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil || fi.IsDir() || fi.Mode().Perm()&0o111 == 0 {
				missing = append(missing, fmt.Sprintf("%s=%q has no executable %s", EnvPostgresBinDir, dir, name))
			}
		}
	}
	if len(missing) > 0 {
		unavailable(t, fmt.Sprintf("itest: PostgreSQL is not available: %s; run ./scripts/postgres-setup.sh or %s", strings.Join(missing, "; "), hint))
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatalf("itest: %s=%q: %v", EnvPostgresBinDir, dir, err)
	}
	return abs
}

// osUser is a user to run a process as.
type osUser struct{ uid, gid int }

// serverUser returns the user the server runs as: nil (this process's)
// unless running as root, then postgres, or nobody.
func serverUser() (*osUser, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, err1 := strconv.Atoi(u.Uid)
		gid, err2 := strconv.Atoi(u.Gid)
		if err1 != nil || err2 != nil {
			continue
		}
		return &osUser{uid: uid, gid: gid}, nil
	}
	return nil, fmt.Errorf("running as root and neither the user postgres nor nobody exists: PostgreSQL refuses to run as root")
}
