package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/detect/policy"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/render/asyncapi"
	"github.com/syncaudit/syncaudit/render/html"
	"github.com/syncaudit/syncaudit/render/text"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/review"
)

// AnalyzeOptions are the options of `syncaudit analyze`.
type AnalyzeOptions struct {
	IO     *IOStreams
	Paths  []string
	Output string
	// OutFile, when set, receives the report instead of stdout.
	OutFile       string
	PolicyFile    string
	EnqueueCost   time.Duration
	MinConfidence float64
	Top           int
	// Savings is --savings: "exact" or "sketch" (detect.SavingsMode).
	Savings    string
	Thresholds review.Thresholds
	// FailOn are --fail-on rules; Baseline is an earlier JSON report.
	FailOn       []string
	Baseline     string
	TolerancePct float64
	// State is --state: the paths are detection states (see state.go).
	State bool
	load  loadFlags
	// rules are the parsed FailOn rules.
	rules []review.Rule
	// enqueueCostSet: --enqueue-cost was given.
	enqueueCostSet bool
	// Slowdown are --slowdown SERVICE=+DURATION|×FACTOR flags; slowdowns
	// the parsed ones.
	Slowdown  []string
	slowdowns []audit.Slowdown
}

var outputFormats = []string{"table", "json", "markdown", "html", "asyncapi"}

// NewCmdAnalyze builds `syncaudit analyze`. runF replaces the run function in tests.
func NewCmdAnalyze(io *IOStreams, runF func(*AnalyzeOptions) error) *cobra.Command {
	opts := &AnalyzeOptions{IO: io}
	dd := detect.DefaultOptions()
	th := review.DefaultThresholds()
	cmd := &cobra.Command{
		Use:   "analyze PATH...",
		Short: "Rank the synchronous calls that could be asynchronous, with projected savings",
		Long: `Analyse every request (trace root): its latency, the synchronous calls it waited
for, how deep they nest, and where its critical path spends time, aggregated per
entry point (root service and operation). Then rank the calls that could be made
asynchronous (or run concurrently), each with a confidence, its reasons and the
latency it would save, projected by re-simulating every trace that contains it,
and evaluate the design-review checklist.`,
		Example: `  syncaudit analyze fixtures/sync/otlp.jsonl.gz
  syncaudit analyze exports/ -o json --out report.json
  syncaudit analyze exports/ -o markdown --policy syncaudit-policy.yaml > review.md
  syncaudit analyze exports/ -o html --out review.html --top 10

  # Scheduled audit: fail (exit 4) when a candidate saves > 100ms at p95 or
  # anything regressed since last week's report
  syncaudit analyze exports/ -o json --out this-week.json \
    --baseline last-week.json --fail-on 'savings.p95>100ms,regressions'`,
		Args: atLeastOnePath,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Paths = args
			if !slices.Contains(outputFormats, opts.Output) {
				return usageErrorf("-o %q: want table, json, markdown, html or asyncapi", opts.Output)
			}
			if opts.EnqueueCost < 0 {
				return usageErrorf("--enqueue-cost must not be negative")
			}
			if opts.MinConfidence < 0 || opts.MinConfidence > 1 {
				return usageErrorf("--min-confidence must be between 0 and 1")
			}
			if opts.Top < 0 {
				return usageErrorf("--top must not be negative")
			}
			if _, err := detect.ParseSavingsMode(opts.Savings); err != nil {
				return usageErrorf("--savings %q: want exact or sketch", opts.Savings)
			}
			rules, err := review.ParseRules(opts.FailOn)
			if err != nil {
				return usageErrorf("--fail-on: %v", err)
			}
			opts.rules = rules
			opts.enqueueCostSet = cmd.Flags().Changed("enqueue-cost")
			opts.slowdowns = opts.slowdowns[:0]
			for _, s := range opts.Slowdown {
				sd, err := audit.ParseSlowdown(s)
				if err != nil {
					return usageErrorf("--slowdown: %v", err)
				}
				opts.slowdowns = append(opts.slowdowns, sd)
			}
			if len(opts.slowdowns) > 0 && opts.State {
				return usageErrorf("--slowdown re-simulates the traces: it cannot be combined with --state")
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.State {
				return stateRun(cmd, opts)
			}
			return analyzeRun(cmd, opts)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&opts.Output, "output", "o", "table", "report format: table, json, markdown, html or asyncapi (the proposed events as an AsyncAPI 3.0 document)")
	f.StringVar(&opts.OutFile, "out", "", "write the report to `FILE` instead of stdout")
	f.StringVar(&opts.PolicyFile, "policy", "", "YAML `FILE` marking services/operations critical or deferrable (see 'syncaudit policy init')")
	f.DurationVar(&opts.EnqueueCost, "enqueue-cost", dd.EnqueueCost, "what a caller still pays to publish an event instead of calling")
	f.Float64Var(&opts.MinConfidence, "min-confidence", dd.MinConfidence, "confidence (0-1) from which a candidate is recommended and enters the plan")
	f.IntVar(&opts.Top, "top", 0, "keep only the N best-ranked candidates (0: all)")
	f.StringVar(&opts.Savings, "savings", "exact", "how savings are kept: exact, or sketch (bounded memory; percentiles within a small relative error)")
	f.IntVar(&opts.Thresholds.MaxSyncCalls, "max-sync-calls", th.MaxSyncCalls, "checklist: synchronous calls per request (p50) above which an endpoint fails")
	f.DurationVar(&opts.Thresholds.SlowCallP95, "slow-call", th.SlowCallP95, "checklist: p95 duration above which a synchronous call is slow")
	f.DurationVar(&opts.Thresholds.Timeout, "timeout", th.Timeout, "checklist: a call running longer than this has no effective timeout")
	f.IntVar(&opts.Thresholds.MinSlowFailures, "min-slow-failures", th.MinSlowFailures, "checklist: failures (not faster than successes) that show a missing circuit breaker")
	f.DurationVar(&opts.Thresholds.MaxAsyncLag, "max-async-lag", th.MaxAsyncLag, "checklist: publish-to-consume lag p95 above which asynchronous work is falling behind")
	f.StringArrayVar(&opts.FailOn, "fail-on", nil, "audit `RULES` (comma-separated or repeated) that make the run exit 4, e.g. 'savings.p95>100ms', 'syncCalls>3', 'latency.p95>500ms', 'candidates>0', 'checklist>0', 'regressions'")
	f.StringVar(&opts.Baseline, "baseline", "", "earlier JSON report (`FILE`) to compare with: lists what got worse or better")
	f.Float64Var(&opts.TolerancePct, "regression-tolerance", 10, "relative change (percent) below which --baseline reports no regression or improvement")
	f.StringArrayVar(&opts.Slowdown, "slowdown", nil, "what-if `SERVICE=+DURATION` or SERVICE=×FACTOR (x3, *3): every synchronous call into SERVICE slowed down, re-simulated per endpoint today and under the plan (repeatable)")
	opts.load.register(f, loadSources{jaeger: true})
	registerStateFlag(cmd, opts)
	return cmd
}

func (opts *AnalyzeOptions) auditOptions() (audit.Options, error) {
	o := audit.DefaultOptions()
	o.JaegerCompat = opts.load.jaegerCompat.on()
	o.CriticalPath = opts.load.jaegerCompat.mode()
	o.Detect.EnqueueCost = opts.EnqueueCost
	// An explicit --enqueue-cost is used as given; otherwise the input's
	// publishes are measured (audit.EnqueueMeter), and the default is
	// kept when there are too few.
	o.EnqueueCostSource = audit.EnqueueCostDefault
	if opts.enqueueCostSet {
		o.EnqueueCostSource = audit.EnqueueCostFlag
	} else {
		o.MeasureEnqueueCost = !opts.State
	}
	o.Detect.MinConfidence = opts.MinConfidence
	o.Detect.Top = opts.Top
	if opts.Savings != "" {
		m, err := detect.ParseSavingsMode(opts.Savings)
		if err != nil {
			return o, usageErrorf("--savings %q: want exact or sketch", opts.Savings)
		}
		o.Detect.Savings = m
	}
	o.Thresholds = opts.Thresholds
	o.Slowdowns = opts.slowdowns
	if opts.PolicyFile != "" {
		p, err := policy.Load(opts.PolicyFile)
		if err != nil {
			return o, withCode(ExitUsage, fmt.Errorf("--policy: %w", err))
		}
		o.Detect.Policy = p
	}
	return o, nil
}

func analyzeRun(cmd *cobra.Command, opts *AnalyzeOptions) error {
	ao, err := opts.auditOptions()
	if err != nil {
		return err
	}
	var base *report.Report
	if opts.Baseline != "" {
		if base, err = review.LoadReport(opts.Baseline); err != nil {
			return withCode(ExitUsage, fmt.Errorf("--baseline: %w", err))
		}
	}
	limit, err := memoryLimit(cmd)
	if err != nil {
		return usageErrorf("--%s: %v", flagMemoryLimit, err)
	}
	// With a memory limit, ingest spills the spans to partition files when
	// they would not fit, and the audit analyses them partition by
	// partition; the report is the same as in memory.
	var rep *report.Report
	_, code, err := loadWith(cmd.Context(), opts.IO, opts.Paths, &opts.load, limit,
		func(ctx context.Context, paths []string, stdin io.Reader, lo ingest.Options) (*ingest.Result, error) {
			src, err := ingest.Open(ctx, paths, stdin, lo)
			if err != nil {
				return nil, err
			}
			defer src.Close()
			if rep, err = audit.Audit(ctx, src, ao); err != nil {
				return nil, err
			}
			return src.Result(), nil
		})
	if err != nil {
		return err
	}
	if base != nil {
		rep.Baseline = review.Diff(opts.Baseline, base, rep, opts.TolerancePct)
		for _, r := range rep.Baseline.Regressions {
			fmt.Fprintf(opts.IO.ErrOut, "regression: %s\n", r)
		}
	}
	rep.Audit = review.Evaluate(opts.rules, rep)
	for _, s := range rep.Slowdowns {
		if len(s.Endpoints) == 0 {
			fmt.Fprintf(opts.IO.ErrOut, "slowdown: no request calls %q synchronously\n", s.Service)
		}
	}
	if err := writeReport(opts.IO, opts.Output, opts.OutFile, rep); err != nil {
		return err
	}
	failed := 0
	for _, a := range rep.Audit {
		if a.Failed {
			failed++
			fmt.Fprintf(opts.IO.ErrOut, "audit: rule %q failed: %s\n", a.Rule, strings.Join(a.Offenders, "; "))
		}
	}
	if code != ExitOK {
		return withCode(code, nil)
	}
	if failed > 0 {
		return withCode(ExitAudit, nil)
	}
	return nil
}

// writeReport renders rep in format to outFile (atomically) or stdout.
func writeReport(ios *IOStreams, format, outFile string, rep *report.Report) error {
	var buf bytes.Buffer
	w := io.Writer(&buf)
	if outFile == "" {
		w = ios.Out
	}
	var err error
	switch format {
	case "json":
		err = report.WriteJSON(w, rep)
	case "markdown":
		err = text.WriteMarkdown(w, rep)
	case "html":
		err = html.WriteHTML(w, rep)
	case "asyncapi":
		err = asyncapi.Write(w, rep)
	default:
		err = text.WriteTable(w, rep, text.TableOptions{TTY: ios.OutTTY && outFile == "", Color: ios.Color && outFile == ""})
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if outFile == "" {
		return nil
	}
	if fi, err := os.Stat(outFile); err == nil && !fi.Mode().IsRegular() {
		// A device or pipe (/dev/null, /dev/stdout, a FIFO): write to it;
		// renaming over it would replace it.
		if err := os.WriteFile(outFile, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing report: %w", err)
		}
		return nil
	}
	tmp := outFile + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	if err := os.Rename(tmp, outFile); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}
