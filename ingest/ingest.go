// Package ingest runs the front of the pipeline: it reads every input
// (decode), groups spans by trace ID across files and batches (assemble),
// and repairs each trace into a linked span forest (repair).
//
// Input: command-line paths. Output: a Result holding the repaired traces,
// sorted by trace ID, and a Summary that accounts for every span read: each
// is either in a trace or counted under a rejection reason.
package ingest

import (
	"context"
	"io"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// Options control loading.
type Options struct {
	Decode decode.Options
	Repair repair.Options
	// TraceID, when non-zero, keeps only that trace; other spans are counted
	// as rejected (filtered).
	TraceID trace.TraceID
	// Workers bounds parallel decoding and repair; 0 means GOMAXPROCS.
	Workers int
	// Progress, when set, is called after each input is decoded with the
	// number of inputs done, the total, and the spans read so far. Calls
	// may come from several goroutines but never at the same time.
	Progress func(done, total, spans int)
}

// Summary accounts for everything read.
type Summary struct {
	Files         int                   `json:"files"`
	FilesFailed   int                   `json:"filesFailed"`
	Formats       map[decode.Format]int `json:"formats"`
	SpansRead     int                   `json:"spansRead"`
	SpansInTraces int                   `json:"spansInTraces"`
	SpansRejected int                   `json:"spansRejected"`
	Rejected      map[trace.Reason]int  `json:"rejected"`
	Traces        int                   `json:"traces"`
	PartialTraces int                   `json:"partialTraces"`
	Warnings      map[string]int        `json:"warnings"`
}

// Result is what Load produced.
type Result struct {
	Traces  []*trace.Trace
	Summary Summary
	// Errors are the problems met per input (positioned where possible), in
	// input order. Inputs with errors may still have contributed spans.
	Errors []error
}

// Load reads paths (see decode.Expand), groups and repairs the traces.
// Problems with individual inputs are collected in Result.Errors and the
// other inputs are still processed; the returned error is only for
// cancellation.
func Load(ctx context.Context, paths []string, stdin io.Reader, opt Options) (*Result, error) {
	inputs, errs := decode.Expand(paths, stdin)
	res := &Result{Errors: errs}
	res.Summary.Files = len(inputs)
	res.Summary.FilesFailed = len(errs)
	res.Summary.Formats = map[decode.Format]int{}
	res.Summary.Rejected = map[trace.Reason]int{}
	res.Summary.Warnings = map[string]int{}

	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	grouper := trace.NewGrouper()
	rejected := trace.Tally{}
	add := func(spans []trace.Span) {
		if opt.TraceID.IsZero() {
			grouper.Add(spans...)
			return
		}
		for i := range spans {
			if spans[i].TraceID == opt.TraceID {
				grouper.Add(spans[i])
			} else {
				rejected.Add(trace.RejectFiltered, 1)
			}
		}
	}
	done := 0
	err := decodeAll(ctx, inputs, opt.Decode, workers, func(f *fileResult) {
		if f.err != nil {
			res.Errors = append(res.Errors, f.err)
			if f.spans == 0 {
				res.Summary.FilesFailed++
			}
		}
		if f.format != "" {
			res.Summary.Formats[f.format]++
		}
		res.Summary.SpansRead += f.spans + f.rejected.Total()
		rejected.Merge(f.rejected)
		done++
		if opt.Progress != nil {
			opt.Progress(done, len(inputs), res.Summary.SpansRead)
		}
	}, add)
	if err != nil {
		return nil, err
	}
	traces := grouper.Traces()
	if err := repairAll(ctx, traces, opt.Repair, workers); err != nil {
		return nil, err
	}
	for _, t := range traces {
		rejected.Merge(t.Rejected)
		if len(t.Spans) == 0 {
			continue
		}
		res.Traces = append(res.Traces, t)
		res.Summary.SpansInTraces += len(t.Spans)
		partial := false
		for i := range t.Spans {
			w := t.Spans[i].Warnings
			if w.Has(trace.WarnMissingParent) {
				partial = true
			}
			w.Each(func(x trace.Warning) { res.Summary.Warnings[x.String()]++ })
		}
		if partial {
			res.Summary.PartialTraces++
		}
	}
	res.Summary.Traces = len(res.Traces)
	for r, n := range rejected {
		res.Summary.Rejected[r] = n
	}
	res.Summary.SpansRejected = rejected.Total()
	return res, nil
}

func repairAll(ctx context.Context, traces []*trace.Trace, o repair.Options, workers int) error {
	adj := repair.Standard(o)
	var next int
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	for w := 0; w < workers; w++ {
		g.Go(func() error {
			for {
				if err := gctx.Err(); err != nil {
					return err
				}
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(traces) {
					return nil
				}
				adj.Adjust(traces[i])
			}
		})
	}
	return g.Wait()
}
