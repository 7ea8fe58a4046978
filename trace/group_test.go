package trace

import (
	"bytes"
	"cmp"
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// naiveGroup is the reference: append per trace, SortSpans, sort by ID.
func naiveGroup(spans []Span) []*Trace {
	m := map[TraceID]*Trace{}
	for _, s := range spans {
		t := m[s.TraceID]
		if t == nil {
			t = &Trace{ID: s.TraceID}
			m[s.TraceID] = t
		}
		t.Spans = append(t.Spans, s)
	}
	var out []*Trace
	for _, t := range m {
		t.SortSpans()
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *Trace) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	return out
}

func TestGrouperMatchesSortSpans(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var spans []Span
	// Many small traces, one larger than a block, and spans that tie on
	// every key of CompareSpans but differ in attributes (added order decides).
	for tr := range 300 {
		n := 1 + rng.IntN(30)
		if tr == 7 {
			n = 3*blockSpans + 17
		}
		for i := range n {
			s := Span{
				TraceID: TraceID{0: byte(tr), 1: byte(tr >> 8), 15: 1},
				SpanID:  SpanID{7: byte(rng.IntN(4)) + 1},
				Start:   int64(rng.IntN(20)),
				End:     int64(20 + rng.IntN(3)),
				Service: []string{"a", "b"}[rng.IntN(2)],
				Attrs:   Attrs{{AttrHTTPRoute, string(rune('a' + i%26))}},
			}
			spans = append(spans, s)
		}
	}
	rng.Shuffle(len(spans), func(i, j int) { spans[i], spans[j] = spans[j], spans[i] })
	want := naiveGroup(spans)
	g := NewGrouper()
	// Add in uneven batches, as decoders emit.
	for lo := 0; lo < len(spans); {
		hi := min(len(spans), lo+1+rng.IntN(500))
		g.Add(spans[lo:hi]...)
		lo = hi
	}
	if g.Spans() != len(spans) {
		t.Fatalf("Spans() = %d", g.Spans())
	}
	got := g.Traces()
	if len(got) != len(want) {
		t.Fatalf("%d traces, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || !reflect.DeepEqual(got[i].Spans, want[i].Spans) || !reflect.DeepEqual(got[i].Parent, want[i].Parent) {
			t.Fatalf("trace %d (%s) differs", i, got[i].ID)
		}
		if n := len(got[i].Spans); cap(got[i].Spans) > n+n/2+2 {
			t.Errorf("trace %d: cap %d, len %d: more than half again spare", i, cap(got[i].Spans), n)
		}
		if got[i].Linked() {
			t.Errorf("trace %d linked", i)
		}
	}
	if g.Spans() != 0 || len(g.Traces()) != 0 {
		t.Error("Grouper not emptied")
	}
}

func TestGrouperDrain(t *testing.T) {
	g := NewGrouper()
	var spans []Span
	for i := range blockSpans + 10 {
		spans = append(spans, Span{TraceID: TraceID{15: byte(1 + i%3)}, SpanID: SpanID{6: byte(i >> 8), 7: byte(i)}, Start: int64(i % 5)})
	}
	g.Add(spans...)
	var got []Span
	calls := 0
	if err := g.Drain(func(s []Span) error { calls++; got = append(got, s...); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != len(spans) || g.Spans() != 0 || len(g.Traces()) != 0 {
		t.Fatalf("drained %d of %d spans; grouper keeps %d", len(got), len(spans), g.Spans())
	}
	// Trace by trace in ID order, each in the order added.
	for i := 1; i < len(got); i++ {
		a, b := got[i-1], got[i]
		if c := bytes.Compare(a.TraceID[:], b.TraceID[:]); c > 0 || c == 0 && bytes.Compare(a.SpanID[:], b.SpanID[:]) > 0 {
			t.Fatalf("span %d out of order", i)
		}
	}
	g.Add(spans...)
	if err := g.Drain(func([]Span) error { return errors.New("disk full") }); err == nil {
		t.Error("error of f not returned")
	}
}

// TestGrouperFirstBlock: new traces start with room for the mean trace
// size so far, within bounds.
func TestGrouperFirstBlock(t *testing.T) {
	g := NewGrouper()
	if n := g.firstBlock(); n != 2 {
		t.Errorf("empty grouper: %d, want 2", n)
	}
	var spans []Span
	for tr := range 10 {
		for range 26 {
			spans = append(spans, Span{TraceID: TraceID{byte(tr + 1)}})
		}
	}
	g.Add(spans...)
	if n := g.firstBlock(); n != 32 {
		t.Errorf("after 26-span traces: %d, want 32", n)
	}
	g.Add(make([]Span, 3*blockSpans)...) // one huge trace (zero ID)
	if n := g.firstBlock(); n > blockSpans {
		t.Errorf("first block %d exceeds %d", n, blockSpans)
	}
	if got := len(g.Traces()); got != 11 {
		t.Errorf("%d traces, want 11", got)
	}
}

// TestSortParallel: the parallel merge sort gives the sequential order for
// any number of ways, with many equal start times.
func TestSortParallel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	keys := make([]spanKey, 100_000)
	for i := range keys {
		keys[i] = spanKey{start: int64(r.IntN(500)), idx: int32(i)}
	}
	r.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	compare := func(a, b spanKey) int {
		return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.idx, b.idx))
	}
	want := slices.Clone(keys)
	slices.SortFunc(want, compare)
	for _, ways := range []int{1, 2, 3, 8} {
		if got := sortParallel(slices.Clone(keys), compare, ways); !slices.Equal(got, want) {
			t.Errorf("ways=%d: order differs", ways)
		}
	}
}

// TestGrouperHugeTrace: a trace above parallelSortMin comes out in
// canonical order, every span once.
func TestGrouperHugeTrace(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	spans := make([]Span, parallelSortMin+1000)
	for i := range spans {
		spans[i] = Span{TraceID: TraceID{1}, SpanID: SpanID{7: byte(i), 6: byte(i >> 8), 5: byte(i >> 16)}, Start: int64(r.IntN(1000))}
	}
	g := NewGrouper()
	g.Add(spans...)
	tr := g.Traces()[0]
	if len(tr.Spans) != len(spans) {
		t.Fatalf("%d spans, want %d", len(tr.Spans), len(spans))
	}
	if !slices.IsSortedFunc(tr.Spans, func(a, b Span) int { return CompareSpans(&a, &b) }) {
		t.Error("not in canonical order")
	}
	seen := map[SpanID]bool{}
	for i := range tr.Spans {
		seen[tr.Spans[i].SpanID] = true
	}
	if len(seen) != len(spans) {
		t.Errorf("%d distinct spans, want %d", len(seen), len(spans))
	}
}
