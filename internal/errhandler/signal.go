package errhandler

import "strings"

// Signal labels err with the signal it concerns ("traces", "metrics" or
// "logs"), so that the line written for it names the signal:
//
//	observe: logs: context canceled
//
// It returns nil for a nil err, and err itself when its message already
// starts with the signal's name. The result wraps err.
func Signal(signal string, err error) error {
	if err == nil || strings.HasPrefix(err.Error(), signal) {
		return err
	}
	return &signalError{signal: signal, err: err}
}

type signalError struct {
	signal string
	err    error
}

func (e *signalError) Error() string { return e.signal + ": " + e.err.Error() }

func (e *signalError) Unwrap() error { return e.err }
