package itest

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func TestPostgres(t *testing.T) {
	pg := StartPostgres(t)
	for _, dsn := range []string{pg.URL, pg.KeywordDSN()} {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatalf("sql.Open(%q): %v", dsn, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		var user string
		var port int
		err = db.QueryRowContext(ctx, "SELECT current_user, inet_server_port()").Scan(&user, &port)
		cancel()
		_ = db.Close()
		if err != nil {
			t.Fatalf("query through %q: %v", dsn, err)
		}
		if user != "postgres" || port != pg.Port {
			t.Errorf("connected as %q to port %d, want postgres on %d", user, port, pg.Port)
		}
	}
	// Only loopback: the server must not listen on other addresses.
	conf, err := os.ReadFile(filepath.Join(pg.Dir, "data", "postmaster.opts"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "listen_addresses=127.0.0.1"; !strings.Contains(string(conf), want) {
		t.Errorf("postmaster.opts lacks %q:\n%s", want, conf)
	}
}
