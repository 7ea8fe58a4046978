package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/report"
)

// AnalyzeOptions are the options of `syncaudit analyze`.
type AnalyzeOptions struct {
	IO     *IOStreams
	Paths  []string
	Output string
	load   loadFlags
}

// NewCmdAnalyze builds `syncaudit analyze`. runF replaces the run function in tests.
func NewCmdAnalyze(io *IOStreams, runF func(*AnalyzeOptions) error) *cobra.Command {
	opts := &AnalyzeOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "analyze PATH...",
		Short: "Per-endpoint latency, synchronous calls and async candidates",
		Long: `Analyse every request (trace root): its latency, the synchronous calls it waited
for, how deep they nest, and where its critical path spends time, aggregated per
entry point (root service and operation).`,
		Example: `  syncaudit analyze fixtures/sync/otlp.jsonl
  syncaudit analyze exports/ -o json > report.json`,
		Args: atLeastOnePath,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			switch opts.Output {
			case "table", "json":
			default:
				return usageErrorf("-o %q: want table or json", opts.Output)
			}
			if runF != nil {
				return runF(opts)
			}
			return analyzeRun(cmd, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "table", "output format: table or json")
	opts.load.register(cmd.Flags(), false)
	return cmd
}

func analyzeRun(cmd *cobra.Command, opts *AnalyzeOptions) error {
	res, code, err := load(cmd.Context(), opts.IO, opts.Paths, &opts.load)
	if err != nil {
		return err
	}
	rep, err := audit.Run(cmd.Context(), res, audit.Options{JaegerCompat: opts.load.jaegerCompat})
	if err != nil {
		return err
	}
	switch opts.Output {
	case "json":
		err = report.WriteJSON(opts.IO.Out, rep)
	default:
		err = report.WriteTable(opts.IO.Out, rep, report.TableOptions{TTY: opts.IO.OutTTY, Color: opts.IO.Color})
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if code != ExitOK {
		return withCode(code, nil)
	}
	return nil
}
