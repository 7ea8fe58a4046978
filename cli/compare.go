package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/render/text"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/review"
)

// CompareOptions are the options of `syncaudit compare`.
type CompareOptions struct {
	IO            *IOStreams
	Before, After string
	Output        string
	analyze       AnalyzeOptions
}

// NewCmdCompare builds `syncaudit compare BEFORE AFTER`.
func NewCmdCompare(io *IOStreams, runF func(*CompareOptions) error) *cobra.Command {
	opts := &CompareOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "compare BEFORE AFTER",
		Short: "Measure the latency change between two trace sets (before and after a change)",
		Long: `Analyse two trace sets, BEFORE and AFTER a change (each a file, directory or
glob), and report the measured latency change per endpoint and the critical-path
time per callee. Where BEFORE's combined plan projected an endpoint's latency,
the projection is shown next to the measured AFTER latency, so you can check
that a migration to async delivered what syncaudit projected.`,
		Example: `  syncaudit compare traces/before/ traces/after/
  syncaudit compare fixtures/sync/otlp.jsonl.gz fixtures/async/otlp.jsonl.gz -o json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErrorf("compare needs exactly two arguments: BEFORE and AFTER")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Before, opts.After = args[0], args[1]
			switch opts.Output {
			case "table", "json", "markdown":
			default:
				return usageErrorf("-o %q: want table, json or markdown", opts.Output)
			}
			if runF != nil {
				return runF(opts)
			}
			return compareRun(cmd, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "table", "output format: table, json or markdown")
	cmd.Flags().StringVar(&opts.analyze.PolicyFile, "policy", "", "policy `FILE` used for BEFORE's plan")
	cmd.Flags().DurationVar(&opts.analyze.EnqueueCost, "enqueue-cost", detect.DefaultEnqueueCost, "enqueue cost used for BEFORE's plan")
	cmd.Flags().Float64Var(&opts.analyze.MinConfidence, "min-confidence", detect.DefaultMinConfidence, "confidence from which a candidate enters BEFORE's plan")
	opts.analyze.Thresholds = review.DefaultThresholds()
	opts.analyze.load.register(cmd.Flags(), loadSources{})
	return cmd
}

func compareRun(cmd *cobra.Command, opts *CompareOptions) error {
	ao, err := opts.analyze.auditOptions()
	if err != nil {
		return err
	}
	worst := ExitOK
	analyse := func(label, path string) (*report.Report, error) {
		fmt.Fprintf(opts.IO.ErrOut, "%s: ", label)
		res, code, err := load(cmd.Context(), opts.IO, []string{path}, &opts.analyze.load)
		if err != nil {
			return nil, err
		}
		worst = max(worst, code)
		return audit.Run(cmd.Context(), res, ao)
	}
	before, err := analyse("before", opts.Before)
	if err != nil {
		return err
	}
	after, err := analyse("after", opts.After)
	if err != nil {
		return err
	}
	c := review.Compare(before, after)
	switch opts.Output {
	case "json":
		err = report.WriteComparisonJSON(opts.IO.Out, c)
	case "markdown":
		err = text.WriteComparisonMarkdown(opts.IO.Out, c)
	default:
		err = text.WriteComparisonTable(opts.IO.Out, c, text.TableOptions{TTY: opts.IO.OutTTY, Color: opts.IO.Color})
	}
	if err != nil {
		return fmt.Errorf("writing comparison: %w", err)
	}
	if worst != ExitOK {
		return withCode(worst, nil)
	}
	return nil
}
