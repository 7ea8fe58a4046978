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
	// Streams are inputs read besides the paths, such as traces streamed
	// from a live Jaeger (decode.ReaderInput), named in messages by their
	// Name.
	Streams []decode.Input
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
	// third of it (estimated from their size), or more than 256 MiB
	// whatever the limit (past that, partition by partition is nearly as
	// fast, in far less memory), not counting the largest trace (which no
	// partitioning splits), they are partitioned by trace ID into temporary files, and
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
	// OnLarge, when set, is called once, from the goroutine that called
	// Load, when the spans held in memory first pass LargeBytes
	// (estimated, as for MemoryLimit; only tracked with a MemoryLimit):
	// from then on the heap is large, and the caller may have the
	// collector trade time for memory. Spilling does not call it.
	OnLarge func()
	// LargeBytes is OnLarge's threshold; 0 means DefaultLargeBytes.
	LargeBytes int64
}

// DefaultLargeBytes is the estimate of spans held in memory past which
// OnLarge is called: 10,000 traces of 26 spans (as Jaeger or OTLP files)
// are under it, the 1,001,001-span trace is past it a third of the way
// through.
const DefaultLargeBytes = 128 << 20

// Summary accounts for everything read.
type Summary struct {
	Files         int                   `json:"files"`
	FilesFailed   int                   `json:"filesFailed"`
	Formats       map[decode.Format]int `json:"formats"`
	SpansRead     int                   `json:"spansRead"`
	SpansInTraces int                   `json:"spansInTraces"`
	SpansRejected int                   `json:"spansRejected"`
	// SpansWithoutKind counts spans in traces that had no kind as read:
	// still unspecified after repair, or given one by inference.
	SpansWithoutKind int                  `json:"spansWithoutKind,omitempty"`
	Rejected         map[trace.Reason]int `json:"rejected"`
	Traces           int                  `json:"traces"`
	PartialTraces    int                  `json:"partialTraces"`
	Warnings         map[string]int       `json:"warnings"`
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
	src, err := Open(ctx, paths, stdin, opt)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	for p, err := range src.Partitions(ctx, nil) {
		if err != nil {
			return nil, err
		}
		if err := fn(p); err != nil {
			return nil, err
		}
	}
	return src.Result(), nil
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
			if t.Spans[i].Kind == trace.KindUnspecified || w.Has(trace.WarnKindInferred) {
				res.Summary.SpansWithoutKind++
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
