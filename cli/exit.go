package cli

import (
	"errors"
	"fmt"
)

// Exit codes. This table is the only place they are defined; README.md
// documents the same table.
const (
	// ExitOK: the run completed and every input was read.
	ExitOK = 0
	// ExitError: an unexpected failure (I/O on the output, cancellation, a bug).
	ExitError = 1
	// ExitUsage: bad command line (unknown flag, bad value, missing
	// argument), an unreadable or invalid --policy or --baseline file, or policy init
	// onto an existing file.
	ExitUsage = 2
	// ExitInput: at least one input could not be read, fully or in part. The
	// report still covers everything that was read.
	ExitInput = 3
	// ExitAudit: a --fail-on rule failed (the rule "regressions" compares
	// with --baseline; --baseline alone only reports). ExitInput and
	// ExitNoData outrank it.
	ExitAudit = 4
	// ExitNoData: nothing usable was read at all (no spans in any input,
	// or no trace in Jaeger matched --jaeger's search).
	ExitNoData = 5
	// ExitUnavailable: traces could not be fetched from Jaeger (--jaeger):
	// unreachable, not a Jaeger query URL, authorization refused, a
	// timeout, an error answer, or a request failing part-way (then no
	// output is written).
	ExitUnavailable = 6
)

// exitError carries an exit code through cobra's error return.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so Main exits with code. A nil err still exits with code
// (the message has already been printed).
func withCode(code int, err error) error { return &exitError{code: code, err: err} }

// usageError marks a command-line mistake; Main prints usage hints and exits ExitUsage.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, a ...any) error {
	return &usageError{fmt.Errorf(format, a...)}
}

// codeOf maps an error returned by a command to an exit code.
func codeOf(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return ExitUsage
	}
	return ExitError
}
