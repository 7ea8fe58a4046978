// Package ingest runs the front of the pipeline: it reads every input
// (decode), groups spans by trace ID across files and batches (assemble),
// and repairs each trace into a linked span forest (repair).
//
// Input: command-line paths. Output: a Result holding the repaired traces,
// sorted by trace ID, and a Summary that accounts for every span read: each
// is either in a trace or counted under a rejection reason.
//
// Inputs are decoded in parallel, large OTLP/JSON-lines files chunk by
// chunk (decode.Split), and merged in input order, so the result does not
// depend on the number of cores. With Options.MemoryLimit set, spans that
// would not fit are partitioned by trace ID into temporary files in one
// pass and grouped and repaired one partition at a time; LoadPartitions
// hands the partitions to the caller one by one, so that memory depends on
// the largest partition, not on the input.
package ingest

import (
	"bytes"
	"context"
	"io"
	"runtime"
	"slices"

	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/internal/parallel"
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
	// come from the goroutine that called Load, in input order.
	Progress func(done, total, spans int)
	// MemoryLimit, when positive, bounds the memory that spans waiting to
	// be grouped may take: once the spans read would take more than a
	// third of it (estimated from their size), or more than 512 MiB
	// whatever the limit (past that, partition by partition is as fast or
	// faster), they are partitioned by trace ID into temporary files, and
	// grouped and repaired one partition at a time. The result is the
	// same; only memory and time change. 0 keeps everything in memory.
	MemoryLimit int64
	// SpillDir is where partition files go (removed before Load returns);
	// "" means os.TempDir().
	SpillDir string
	// OnSpill, when set, is called once, from the goroutine that called
	// Load, when spans start spilling to partition files, with the
	// budget of grouped spans that made them spill (see MemoryLimit):
	// from then on the live data stays a small multiple of it, and the
	// caller may tighten the runtime's memory limit.
	OnSpill func(budget int64)
	// Skip, when set, is asked before LoadPasses reads a spilled partition
	// again in a pass after the first: true skips it (its callback is not
	// called). The first pass reads every partition.
	Skip func(pass, index int) bool
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

// Partition is one part of the traces: every trace whose ID falls in it,
// grouped and repaired.
type Partition struct {
	// Index numbers the partition from 0; Count is how many there are (1
	// when everything fitted in memory).
	Index, Count int
	// Traces are the partition's traces, sorted by ID, with at least one span.
	Traces []*trace.Trace
}

// Load reads paths (see decode.Expand), groups and repairs the traces.
// Problems with individual inputs are collected in Result.Errors and the
// other inputs are still processed; the returned error is only for
// cancellation (and, with MemoryLimit, failing to write or read the
// partition files).
func Load(ctx context.Context, paths []string, stdin io.Reader, opt Options) (*Result, error) {
	var traces []*trace.Trace
	parts := 0
	res, err := LoadPartitions(ctx, paths, stdin, opt, func(p *Partition) error {
		traces = append(traces, p.Traces...)
		parts = p.Count
		return nil
	})
	if err != nil {
		return nil, err
	}
	if parts > 1 {
		slices.SortFunc(traces, func(a, b *trace.Trace) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	}
	res.Traces = traces
	return res, nil
}

// LoadPartitions reads paths as Load does and calls fn with the traces of
// each partition in turn, in partition order; a partition's traces are not
// referenced by ingest after fn returns. The returned Result has the
// Summary and Errors of the whole input and no Traces. Everything is one
// partition unless Options.MemoryLimit made the loader spill; then the
// traces are split by a hash of their ID, and the union of the partitions
// is exactly what Load returns. An error from fn stops loading and is
// returned.
func LoadPartitions(ctx context.Context, paths []string, stdin io.Reader, opt Options, fn func(*Partition) error) (*Result, error) {
	return LoadPasses(ctx, paths, stdin, opt, 1, func(_ int, p *Partition) error { return fn(p) })
}

// LoadPasses is LoadPartitions for analyses that need several passes over
// the traces: it reads the inputs once and calls fn with every partition,
// passes times over (pass 0, 1, ..., partitions in order within a pass;
// passes < 1 counts as 1). When the loader spilled, the partition files
// are kept until the last pass, and each pass reads, groups and repairs
// them again, so a partition's traces are equal (not identical) from one
// pass to the next and memory stays bounded by the largest partition.
// Without spilling, every pass gets the same single partition. The
// Summary counts the traces once.
func LoadPasses(ctx context.Context, paths []string, stdin io.Reader, opt Options, passes int, fn func(pass int, p *Partition) error) (*Result, error) {
	passes = max(passes, 1)
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
	sk := newSink(opt, inputs)
	defer sk.close()
	rejected := trace.Tally{}
	add := func(spans []trace.Span, chunkBytes int) error {
		sk.consumed(chunkBytes)
		if opt.TraceID.IsZero() {
			return sk.add(spans)
		}
		kept := spans[:0]
		for i := range spans {
			if spans[i].TraceID == opt.TraceID {
				kept = append(kept, spans[i])
			} else {
				rejected.Add(trace.RejectFiltered, 1)
			}
		}
		return sk.add(kept)
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
	var single []*trace.Trace // the one partition, for later passes
	err = sk.partitions(ctx, passes, func(pass int, p *Partition, g *trace.Grouper) error {
		if g == nil {
			p.Traces = single
			return fn(pass, p)
		}
		traces := g.Traces()
		if err := repairAll(ctx, traces, opt.Repair, workers); err != nil {
			return err
		}
		if pass == 0 {
			p.Traces = account(res, rejected, traces)
		} else {
			p.Traces = withSpans(traces)
		}
		if p.Count == 1 && passes > 1 {
			single = p.Traces
		}
		return fn(pass, p)
	})
	if err != nil {
		return nil, err
	}
	for r, n := range rejected {
		res.Summary.Rejected[r] = n
	}
	res.Summary.SpansRejected = rejected.Total()
	return res, nil
}

// account adds repaired traces to the summary and returns those with spans.
func account(res *Result, rejected trace.Tally, traces []*trace.Trace) []*trace.Trace {
	kept := traces[:0]
	for _, t := range traces {
		rejected.Merge(t.Rejected)
		if len(t.Spans) == 0 {
			continue
		}
		kept = append(kept, t)
		res.Summary.SpansInTraces += len(t.Spans)
		res.Summary.Traces++
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
	clear(traces[len(kept):])
	return kept
}

// withSpans returns the traces that have spans (as account does, without
// counting them).
func withSpans(traces []*trace.Trace) []*trace.Trace {
	kept := traces[:0]
	for _, t := range traces {
		if len(t.Spans) > 0 {
			kept = append(kept, t)
		}
	}
	clear(traces[len(kept):])
	return kept
}

func repairAll(ctx context.Context, traces []*trace.Trace, o repair.Options, workers int) error {
	adj := repair.Standard(o)
	// A few traces per step: many tiny traces cost little each.
	return parallel.Ranges(ctx, len(traces), workers, 16, func(lo, hi int) error {
		for _, t := range traces[lo:hi] {
			adj.Adjust(t)
		}
		return nil
	})
}

// spanBytes estimates what a span takes in memory while grouped: the Span
// itself, its attributes and references, and a share of the strings and
// slack (measured: about 370 bytes for a span with five attributes).
func spanBytes(s *trace.Span) int64 {
	return 200 + 32*int64(len(s.Attrs)) + 40*int64(len(s.Refs))
}
