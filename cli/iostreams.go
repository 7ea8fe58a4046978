package cli

import (
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the streams a command reads and writes, injected so tests
// can capture them and fake a terminal.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and ErrTTY say whether Out and ErrOut are terminals.
	OutTTY, ErrTTY bool
	// Color says whether colour may be used on Out (a TTY and NO_COLOR unset).
	Color bool
	// Getenv reads the environment (injected for tests).
	Getenv func(string) string
}

// System returns the process's real streams.
func System() *IOStreams {
	outTTY := term.IsTerminal(int(os.Stdout.Fd()))
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		OutTTY: outTTY,
		ErrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		Color:  colorOK(outTTY, os.Getenv),
		Getenv: os.Getenv,
	}
}

// colorOK reports whether colour may be used on an output: a terminal,
// and NO_COLOR unset or empty (https://no-color.org).
func colorOK(tty bool, getenv func(string) string) bool {
	return tty && getenv("NO_COLOR") == ""
}

// Test returns streams backed by the given writers, not a terminal.
func Test(in io.Reader, out, errOut io.Writer) *IOStreams {
	return &IOStreams{In: in, Out: out, ErrOut: errOut, Getenv: func(string) string { return "" }}
}
