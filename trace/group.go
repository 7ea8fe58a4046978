package trace

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"runtime"
	"slices"

	"github.com/syncaudit/syncaudit/internal/parallel"
)

// Grouper collects spans from any number of files and batches and groups
// them by trace ID. The zero value is not usable; call NewGrouper.
type Grouper struct {
	traces map[TraceID]*pending
	spans  int
	// largest is the span count of the largest trace added.
	largest int
}

// blockSpans is the size of the blocks that hold the spans of a large
// trace: a trace that outgrows one block gets another, so adding spans
// never copies the ones already added.
const blockSpans = 4096

// pending holds one trace's spans while they are added: full blocks of
// blockSpans spans, then the current one.
type pending struct {
	id     TraceID
	blocks [][]Span
	cur    []Span
}

func (p *pending) len() int { return len(p.blocks)*blockSpans + len(p.cur) }

func (p *pending) at(i int) *Span {
	if b := i / blockSpans; b < len(p.blocks) {
		return &p.blocks[b][i%blockSpans]
	}
	return &p.cur[i-len(p.blocks)*blockSpans]
}

// NewGrouper returns an empty Grouper.
func NewGrouper() *Grouper { return &Grouper{traces: make(map[TraceID]*pending)} }

// Add appends spans to their traces. The spans are copied.
func (g *Grouper) Add(spans ...Span) {
	var last *pending
	for i := range spans {
		s := &spans[i]
		p := last
		if p == nil || p.id != s.TraceID {
			p = g.traces[s.TraceID]
			if p == nil {
				p = &pending{id: s.TraceID, cur: make([]Span, 0, g.firstBlock())}
				g.traces[s.TraceID] = p
			}
			last = p
		}
		if len(p.cur) == blockSpans {
			p.blocks = append(p.blocks, p.cur)
			p.cur = make([]Span, 0, blockSpans) // a large trace: full blocks from now on
		}
		p.cur = append(p.cur, *s)
		if n := p.len(); n > g.largest {
			g.largest = n
		}
	}
	g.spans += len(spans)
}

// Largest is the number of spans of the largest trace added.
func (g *Grouper) Largest() int { return g.largest }

// firstBlock is the capacity a new trace starts with: the mean trace size
// so far, rounded up to a power of two (2 to blockSpans), so that most
// traces are held in one allocation instead of growing by doubling.
func (g *Grouper) firstBlock() int {
	n := 2
	if len(g.traces) > 0 {
		for mean := g.spans / len(g.traces); n < mean+1 && n < blockSpans; {
			n *= 2
		}
	}
	return n
}

// Spans is the number of spans added.
func (g *Grouper) Spans() int { return g.spans }

// Traces returns the traces sorted by ID, each with its spans in canonical
// order (as SortSpans leaves them: sorted by CompareSpans, spans that
// compare equal in the order they were added) and not yet linked. A
// trace's Spans has at most half its length again of spare capacity. The
// traces are sorted in parallel. The Grouper is emptied.
func (g *Grouper) Traces() []*Trace {
	ps := g.take()
	out := make([]*Trace, len(ps))
	// The work cannot fail and the context never ends, so the error is nil.
	_ = parallel.Ranges(context.Background(), len(ps), 0, 64, func(lo, hi int) error {
		var keys []spanKey // scratch for sorted, reused over the range
		for i := lo; i < hi; i++ {
			out[i], keys = ps[i].sorted(keys)
			ps[i] = nil // release the blocks
		}
		return nil
	})
	return out
}

// take returns the pending traces sorted by ID and empties the Grouper.
func (g *Grouper) take() []*pending {
	ps := make([]*pending, 0, len(g.traces))
	for _, p := range g.traces {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b *pending) int { return bytes.Compare(a.id[:], b.id[:]) })
	g.traces = make(map[TraceID]*pending)
	g.spans, g.largest = 0, 0
	return ps
}

// spanKey is what the canonical order looks at first: the start time,
// then the position in the pending trace.
type spanKey struct {
	start int64
	id    uint64 // the span ID, big-endian: CompareSpans's second key
	idx   int32
}

// sorted returns the trace with its spans copied into a slice of the
// exact size in canonical order. keys is scratch space, returned for reuse.
func (p *pending) sorted(keys []spanKey) (*Trace, []spanKey) {
	n := p.len()
	keys = slices.Grow(keys[:0], n) // (appending a huge trace's keys allocated them five times over)
	for i := range n {
		s := p.at(i)
		keys = append(keys, spanKey{s.Start, binary.BigEndian.Uint64(s.SpanID[:]), int32(i)})
	}
	// CompareSpans, with its first two keys (start, span ID) in the key:
	// spans are rarely compared whole (only copies sharing start and ID).
	compare := func(a, b spanKey) int {
		if c := cmp.Compare(a.start, b.start); c != 0 {
			return c
		}
		if c := cmp.Compare(a.id, b.id); c != 0 {
			return c
		}
		if c := CompareSpans(p.at(int(a.idx)), p.at(int(b.idx))); c != 0 {
			return c
		}
		return cmp.Compare(a.idx, b.idx)
	}
	if len(p.blocks) == 0 && cap(p.cur) <= n+n/2+2 {
		// A trace in one block (most are) is sorted where it is: a copy
		// of every span would double the memory of spans at the very
		// moment it peaks (all of them pending, and their sorted copy).
		slices.SortFunc(keys, compare)
		permute(p.cur, keys)
		t := &Trace{ID: p.id, Spans: p.cur, Parent: make([]int32, n)}
		for i := range t.Parent {
			t.Parent[i] = -1
		}
		p.cur = nil
		return t, keys
	}
	t := &Trace{ID: p.id, Spans: make([]Span, n), Parent: make([]int32, n)}
	fill := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			t.Spans[i] = *p.at(int(keys[i].idx))
			t.Parent[i] = -1
		}
	}
	if n < parallelSortMin {
		slices.SortFunc(keys, compare)
		fill(0, n)
		return t, keys
	}
	// One huge trace is all the work there is: sort and copy it on every
	// core. The order is total (the index breaks ties), so it does not
	// depend on how the work is cut.
	procs := runtime.GOMAXPROCS(0)
	keys = sortParallel(keys, compare, procs)
	_ = parallel.Ranges(context.Background(), n, procs, (n+procs-1)/procs, func(lo, hi int) error {
		fill(lo, hi)
		return nil
	})
	return t, keys
}

// permute reorders spans in place so that spans[i] becomes the span at
// keys[i].idx, following each cycle of the permutation once (so each
// span moves once). It overwrites keys' idx fields.
func permute(spans []Span, keys []spanKey) {
	for i := range keys {
		if int(keys[i].idx) == i {
			continue
		}
		tmp := spans[i]
		j := i
		for {
			k := int(keys[j].idx)
			keys[j].idx = int32(j) // placed
			if k == i {
				spans[j] = tmp
				break
			}
			spans[j] = spans[k]
			j = k
		}
	}
}

// parallelSortMin is the trace size from which sorted uses every core.
const parallelSortMin = 1 << 16

// sortParallel sorts keys with compare, cutting them into about ways
// parts sorted concurrently and merged. It returns the sorted keys (keys
// itself, or a new slice of the same length).
func sortParallel(keys []spanKey, compare func(a, b spanKey) int, ways int) []spanKey {
	if ways <= 1 || len(keys) < 2048 {
		slices.SortFunc(keys, compare)
		return keys
	}
	mid := len(keys) / 2
	var left []spanKey
	done := make(chan struct{})
	go func() {
		defer close(done)
		left = sortParallel(keys[:mid], compare, ways/2)
	}()
	right := sortParallel(keys[mid:], compare, ways-ways/2)
	<-done
	out := make([]spanKey, 0, len(keys))
	i, j := 0, 0
	for i < len(left) && j < len(right) {
		if compare(right[j], left[i]) < 0 {
			out = append(out, right[j])
			j++
		} else {
			out = append(out, left[i])
			i++
		}
	}
	out = append(out, left[i:]...)
	return append(out, right[j:]...)
}

// Drain calls f with the spans added so far, trace by trace in ID order,
// each trace's spans in the order they were added (in one or more calls),
// and empties the Grouper. It stops at the first error of f. Spans added
// after Drain join them in order, so a caller that moves spans elsewhere
// (to files) and then adds the rest there keeps every trace's order.
func (g *Grouper) Drain(f func(spans []Span) error) error {
	ps := g.take()
	for i, p := range ps {
		for _, b := range p.blocks {
			if err := f(b); err != nil {
				return err
			}
		}
		if err := f(p.cur); err != nil {
			return err
		}
		ps[i] = nil
	}
	return nil
}
