// Package cli implements the syncaudit commands. Each command is an options
// struct, a NewCmdX constructor and a private run function; all output goes
// through the injected IOStreams.
//
// Input: command-line arguments. Output: reports on IOStreams.Out,
// diagnostics on IOStreams.ErrOut, and an exit code from the table in exit.go.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

// Version is the syncaudit version, set at build time with
// -ldflags "-X github.com/syncaudit/syncaudit/cli.Version=v1.2.3".
var Version = "dev"

// Main runs syncaudit with args and returns the process exit code. An
// interrupt (Ctrl-C) or SIGTERM cancels the command's context, so a
// command can stop cleanly (fetch removes its unfinished output); a second
// one ends the process at once.
func Main(args []string, io *IOStreams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() { <-ctx.Done(); stop() }()
	root := NewRootCmd(io)
	stopProfile := addProfileFlags(root)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if serr := stopProfile(); err == nil {
		err = serr
	}
	if err == nil {
		return ExitOK
	}
	code := codeOf(err)
	if code == ExitError && isCobraUsage(err) {
		code = ExitUsage
	}
	var ee *exitError
	if !errors.As(err, &ee) || ee.err != nil {
		fmt.Fprintf(io.ErrOut, "syncaudit: %v\n", err)
	}
	if code == ExitUsage {
		fmt.Fprintf(io.ErrOut, "Run 'syncaudit %s --help' for usage.\n", commandPath(root, args))
	}
	return code
}

// isCobraUsage recognises the errors cobra itself returns for bad command lines.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires at most"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

func commandPath(root *cobra.Command, args []string) string {
	c, _, err := root.Find(args)
	if err != nil || c == nil || c == root {
		return ""
	}
	return strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
}

// NewRootCmd builds the command tree.
func NewRootCmd(io *IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "syncaudit",
		Short: "Find synchronous calls on the critical path that could be asynchronous",
		Long: `syncaudit reads the traces you already export (OpenTelemetry: Collector file
exports, OTLP/JSON, protobuf; Jaeger: UI/API JSON, api_v3; Zipkin v2), rebuilds
each request's span tree, measures the synchronous latency on its critical path,
and ranks the calls that could be made asynchronous or run concurrently, with
the latency each change would save.

Inputs may be files, directories (searched recursively), globs, or - for
stdin; gzip and zstd compression are removed transparently and the format is
detected from the content.`,
		Example: `  # Show each request's repaired span tree with its critical path
  syncaudit tree traces.jsonl

  # One trace from a Jaeger UI download, as JSON
  syncaudit tree jaeger-download.json --trace-id 4bf92f3577b34da6a3ce929d0e0e4736 -o json

  # Per-endpoint latency and synchronous-call breakdown
  syncaudit analyze exports/ -o json

  # Straight from a running Jaeger: the last hour of the order service
  syncaudit analyze --jaeger http://localhost:16686 --service order --since 1h`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(io.Out)
	root.SetErr(io.ErrOut)
	root.SetIn(io.In)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(
		NewCmdVersion(io),
		NewCmdTree(io, nil),
		NewCmdAnalyze(io, nil),
		NewCmdFetch(io, nil),
		NewCmdPolicy(io),
		NewCmdCompare(io, nil),
	)
	return root
}

// NewCmdVersion prints the version.
func NewCmdVersion(io *IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the syncaudit version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintf(io.Out, "syncaudit %s\n", Version)
			return err
		},
	}
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usageErrorf("%s takes no arguments, got %q", cmd.CommandPath(), args)
	}
	return nil
}

// atLeastOnePath accepts one or more PATHs, or none when traces come from
// Jaeger (--jaeger, --jaeger-grpc).
func atLeastOnePath(cmd *cobra.Command, args []string) error {
	if len(args) == 0 && !cmd.Flags().Changed("jaeger") && !cmd.Flags().Changed("jaeger-grpc") {
		return usageErrorf("%s needs at least one PATH (a file, directory, glob, or - for stdin) or --jaeger URL", cmd.CommandPath())
	}
	return nil
}
