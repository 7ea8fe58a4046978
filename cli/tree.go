package cli

import (
	"github.com/spf13/cobra"

	"github.com/syncaudit/syncaudit/critpath"
	"github.com/syncaudit/syncaudit/render/treeview"
)

// TreeOptions are the options of `syncaudit tree`.
type TreeOptions struct {
	IO     *IOStreams
	Paths  []string
	Output string
	load   loadFlags
}

// NewCmdTree builds `syncaudit tree`. runF replaces the run function in tests.
func NewCmdTree(io *IOStreams, runF func(*TreeOptions) error) *cobra.Command {
	opts := &TreeOptions{IO: io}
	cmd := &cobra.Command{
		Use:   "tree PATH...",
		Short: "Show each trace as a repaired span tree with its critical path",
		Long: `Show each trace as a repaired span tree: service, operation, kind, start
offset, duration, async mark and repair warnings. Spans on the critical path
are marked with "*" and show their exclusive critical-path time (cp=).`,
		Example: `  syncaudit tree fixtures/sync/otlp.jsonl.gz
  syncaudit tree jaeger.json --trace-id 4bf92f3577b34da6a3ce929d0e0e4736 -o json`,
		Args: atLeastOnePath,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if opts.Output != "text" && opts.Output != "json" {
				return usageErrorf("-o %q: want text or json", opts.Output)
			}
			if runF != nil {
				return runF(opts)
			}
			return treeRun(cmd, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.Output, "output", "o", "text", "output format: text or json")
	opts.load.register(cmd.Flags(), loadSources{traceID: true, jaeger: true})
	return cmd
}

func treeRun(cmd *cobra.Command, opts *TreeOptions) error {
	res, code, err := load(cmd.Context(), opts.IO, opts.Paths, &opts.load)
	if err != nil {
		return err
	}
	items := make([]treeview.Item, len(res.Traces))
	for i, t := range res.Traces {
		items[i] = treeview.Item{Trace: t, Path: critpath.ComputeMode(t, opts.load.jaegerCompat.mode())}
	}
	if opts.Output == "json" {
		err = treeview.WriteJSON(opts.IO.Out, res.Summary, items)
	} else {
		err = treeview.WriteText(opts.IO.Out, items)
	}
	if err != nil {
		return err
	}
	if code != ExitOK {
		return withCode(code, nil)
	}
	return nil
}
