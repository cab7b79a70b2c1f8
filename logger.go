package observe

import (
	"io"
	"log"
	"log/slog"
)

// slogDefault is what [WithSlogDefault] replaced: slog's default logger and
// the log package's output and flags, which slog.SetDefault redirects.
type slogDefault struct {
	installed *slog.Logger
	prev      *slog.Logger
	logOut    io.Writer
	logFlags  int
}

// setSlogDefault makes l slog's default logger and returns what to restore.
func setSlogDefault(l *slog.Logger) *slogDefault {
	d := &slogDefault{installed: l, prev: slog.Default(), logOut: log.Writer(), logFlags: log.Flags()}
	slog.SetDefault(l)
	return d
}

// restore puts back the default logger and the log package's settings,
// unless the default has been replaced since. A nil d does nothing.
func (d *slogDefault) restore() {
	if d == nil || slog.Default() != d.installed {
		return
	}
	slog.SetDefault(d.prev)
	// SetDefault leaves the log package writing to the replaced handler
	// when prev is slog's initial logger, which writes through the log
	// package itself.
	log.SetOutput(d.logOut)
	log.SetFlags(d.logFlags)
}
