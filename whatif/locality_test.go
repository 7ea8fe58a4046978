package whatif

import (
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

// tree builds a root with `subtrees` sequential handlers, each calling
// `calls` services in turn, each making 2 calls in turn. call(h, c) is the
// index of handler h's call c, at end-order position h under the root and
// c under its handler.
func tree(subtrees, calls int) (tr *trace.Trace, call func(h, c int) int32) {
	tr = &trace.Trace{}
	add := func(parent int32, start, end int64) int32 {
		tr.Spans = append(tr.Spans, trace.Span{Start: start, End: end})
		tr.Parent = append(tr.Parent, parent)
		return int32(len(tr.Spans) - 1)
	}
	const dur = 30
	handler := int64(calls * dur)
	add(-1, 0, int64(subtrees)*handler)
	for h := range subtrees {
		hs := int64(h) * handler
		hi := add(0, hs, hs+handler)
		for c := range calls {
			cs := hs + int64(c*dur)
			ci := add(hi, cs, cs+dur)
			add(ci, cs, cs+10)
			add(ci, cs+10, cs+30)
		}
	}
	tr.Link()
	return tr, func(h, c int) int32 { return int32(1 + h*(1+3*calls) + 1 + 3*c) }
}

// TestLocality: a simulation re-schedules only the ancestors of the changed
// spans, each over its own sync children from the first changed one on,
// never the whole trace.
func TestLocality(t *testing.T) {
	const subtrees, calls = 1000, 50
	tr, call := tree(subtrees, calls)
	m := NewModel(tr)
	tests := []struct {
		name string
		ch   Change
		work int // children visited
	}{
		{"one call", Change{Detach: []int32{call(0, 0)}}, calls + subtrees},
		{"late call", Change{Detach: []int32{call(900, 40)}}, 10 + 100},
		{"one grandchild", Change{Detach: []int32{call(7, 3) + 2}}, 1 + (calls - 3) + (subtrees - 7)},
		{"two calls, one handler", Change{Detach: []int32{call(500, 20), call(500, 10)}}, (calls - 10) + 500},
		{"two handlers", Change{Detach: []int32{call(600, 20), call(500, 10)}}, (calls - 20) + (calls - 10) + 500},
		// Detaching inside a detached call re-schedules nothing more.
		{"nested", Change{Detach: []int32{call(3, 5), call(3, 5) + 1, call(3, 5) + 2}}, (calls - 5) + (subtrees - 3)},
		{"group", Change{Parallel: [][]int32{{call(5, 9), call(5, 7)}}}, (calls - 7) + (subtrees - 5)},
		{"group below detached", Change{Detach: []int32{call(5, 1)}, Parallel: [][]int32{{call(5, 1) + 1, call(5, 1) + 2}}}, (calls - 1) + (subtrees - 5)},
		{"root detached", Change{Detach: []int32{0}}, 0},
		{"handler detached", Change{Detach: []int32{call(999, 0) - 1, call(999, 3)}}, 1},
	}
	for _, tt := range tests {
		sc := m.getScratch()
		got := m.simulate(sc, 0, tt.ch, 0)
		if sc.work != tt.work {
			t.Errorf("%s: visited %d children, want %d", tt.name, sc.work, tt.work)
		}
		if want := m.Simulate(0, tt.ch, 0); got != want {
			t.Errorf("%s: %d != %d", tt.name, got, want)
		}
		m.putScratch(sc)
	}
}

// TestEpochWrap: per-span state from an earlier call never leaks into a
// later one, also when the epoch counter wraps around.
func TestEpochWrap(t *testing.T) {
	tr, call := tree(3, 3)
	first := []int32{call(1, 1)}
	m := NewModel(tr)
	sc := newScratch(tr.Len(), len(m.ord))
	sc.epoch = ^uint32(0) - 2
	want := m.Duration(0) - 30
	for i := range 6 {
		if got := m.simulate(sc, 0, Change{Detach: first[:1]}, 0); got != want {
			t.Fatalf("call %d (epoch %d): %d, want %d", i, sc.epoch, got, want)
		}
		if got := m.simulate(sc, 0, Change{}, 0); got != m.Duration(0) {
			t.Fatalf("call %d (epoch %d): no change gives %d", i, sc.epoch, got)
		}
	}
}

// TestScratchMovesBetweenModels: a pooled scratch resliced from a larger
// model to a smaller one and back, across an epoch wrap, gives every
// model the results a fresh scratch gives.
func TestScratchMovesBetweenModels(t *testing.T) {
	big, bigCall := tree(4, 3)
	small, smallCall := tree(2, 2)
	mb, ms := NewModel(big), NewModel(small)
	bigCh := Change{Detach: []int32{bigCall(3, 2), bigCall(1, 0)}}
	smallCh := Change{Detach: []int32{smallCall(1, 1)}}
	wantBig := mb.simulate(newScratch(big.Len(), len(mb.ord)), 0, bigCh, 0)
	wantSmall := ms.simulate(newScratch(small.Len(), len(ms.ord)), 0, smallCh, 0)
	sc := &scratch{epoch: ^uint32(0) - 3}
	for i := range 8 {
		sc.fit(big.Len(), len(mb.ord))
		if got := mb.simulate(sc, 0, bigCh, 0); got != wantBig {
			t.Fatalf("round %d (epoch %d): big model %d, want %d", i, sc.epoch, got, wantBig)
		}
		sc.fit(small.Len(), len(ms.ord))
		if got := ms.simulate(sc, 0, smallCh, 0); got != wantSmall {
			t.Fatalf("round %d (epoch %d): small model %d, want %d", i, sc.epoch, got, wantSmall)
		}
		if got := ms.simulate(sc, 0, Change{}, 0); got != ms.Duration(0) {
			t.Fatalf("round %d: small model unchanged gives %d, want %d", i, got, ms.Duration(0))
		}
	}
}
