package ingest

import (
	"context"
	"errors"
	"io"
	"iter"
	"runtime"

	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/trace"
)

// Source is the input read once and handed out partition by partition,
// as many times over as an analysis needs (see Open).
type Source struct {
	opt      Options
	workers  int
	sk       *sink
	res      *Result
	rejected trace.Tally
	// passes counts the passes started; the first one accounts the
	// traces in the Summary.
	passes int
	// single is the one partition once repaired, when nothing spilled.
	single []*trace.Trace
	closed bool
}

// Open reads and decodes paths (see decode.Expand; "-" is stdin), keeping
// the spans grouped in memory or, past Options.MemoryLimit, spilled to
// partition files by trace ID. Problems with individual inputs are
// collected in the Result's Errors and the other inputs are still read;
// the returned error is only for cancellation and failing to write the
// partition files. Call Partitions to get the repaired traces, and Close
// when done.
func Open(ctx context.Context, paths []string, stdin io.Reader, opt Options) (*Source, error) {
	inputs, errs := decode.Expand(paths, stdin)
	inputs = append(inputs, opt.Streams...)
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
	src := &Source{opt: opt, workers: workers, sk: newSink(opt, inputs), res: res, rejected: trace.Tally{}}
	add := func(spans []trace.Span, chunkBytes int) error {
		src.sk.consumed(chunkBytes)
		if opt.TraceID.IsZero() {
			return src.sk.add(spans)
		}
		kept := spans[:0]
		for i := range spans {
			if spans[i].TraceID == opt.TraceID {
				kept = append(kept, spans[i])
			} else {
				src.rejected.Add(trace.RejectFiltered, 1)
			}
		}
		return src.sk.add(kept)
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
		src.rejected.Merge(f.rejected)
		done++
		if opt.Progress != nil {
			opt.Progress(done, len(inputs), res.Summary.SpansRead)
		}
	}, add)
	if err == nil && src.sk.sp != nil {
		err = src.sk.sp.finish()
	}
	if err != nil {
		src.Close()
		return nil, err
	}
	return src, nil
}

// Partitions returns an iterator over the partitions of the input, in
// index order, each grouped and repaired: every trace whose ID falls in
// it, sorted by ID, with at least one span. Everything is one partition
// unless the input spilled; then each pass reads the partition files
// again (the next one while the caller works on the current), so a
// partition's traces are equal, not identical, from one pass to the next.
// A partition's traces are not referenced by the Source once the loop
// moves on (but for the single in-memory partition, kept for later
// passes).
//
// Partitions may be called again for another pass. In passes after the
// first, want (when not nil) selects the partitions to read; the first
// pass reads all of them and completes the Summary. An error (reading a
// partition file, cancellation) is yielded once and ends the pass.
func (s *Source) Partitions(ctx context.Context, want func(index int) bool) iter.Seq2[*Partition, error] {
	return func(yield func(*Partition, error) bool) {
		if s.closed {
			yield(nil, errors.New("ingest: Partitions after Close"))
			return
		}
		pass := s.passes
		s.passes++
		if pass > 0 && s.sk.sp == nil {
			yield(&Partition{Index: 0, Count: 1, Traces: s.single}, nil)
			return
		}
		var todo []int
		if s.sk.sp == nil {
			todo = []int{0}
		} else {
			for i := range s.sk.sp.files {
				if pass == 0 || want == nil || want(i) {
					todo = append(todo, i)
				}
			}
		}
		stopped := errors.New("stopped")
		err := s.sk.pass(ctx, todo, func(p *Partition, g *trace.Grouper) error {
			huge := g.Largest() >= hugeTrace
			traces := g.Traces()
			if huge {
				runtime.GC()
			}
			if err := repairAll(ctx, traces, s.opt.Repair, s.workers); err != nil {
				return err
			}
			if pass == 0 {
				p.Traces = account(s.res, s.rejected, traces)
			} else {
				p.Traces = withSpans(traces)
			}
			if p.Count == 1 {
				s.single = p.Traces
			}
			if !yield(p, nil) {
				return stopped
			}
			return nil
		})
		if err != nil && err != stopped {
			yield(nil, err)
		}
	}
}

// hugeTrace is the size of a trace past which grouping ends with a
// garbage collection. Grouping a huge trace copies its spans into one
// slice in canonical order, so at the collection that happens during
// grouping both copies are live, and the collector lets the heap grow to
// twice that before the next one. Collecting once the blocks are garbage
// sets the pace from the spans' one copy instead. It is a trade: on the
// 1,001,001-span trace (6 interleaved runs each) peak RSS 549-579 MB
// with it, 590-653 MB without, for ~0.2 s more wall time (3.29-3.96 s
// against 3.01-3.32 s), the collection being all the work there is then.
const hugeTrace = 1 << 16

// Result returns the Summary and Errors of the whole input (complete once
// the first pass of Partitions is over), with no Traces.
func (s *Source) Result() *Result {
	for r, n := range s.rejected {
		s.res.Summary.Rejected[r] = n
	}
	s.res.Summary.SpansRejected = s.rejected.Total()
	return s.res
}

// Close removes the partition files.
func (s *Source) Close() {
	if !s.closed {
		s.closed = true
		s.sk.close()
	}
}
