package repair

import (
	"math"
	"slices"

	"github.com/syncaudit/syncaudit/trace"
)

// LinkTree returns an Adjuster that builds t.Roots and the children index
// from t.Parent (trace.Trace.Link).
//
// It assumes Parent was set by ChooseParents and BreakCycles. A Parent of the
// wrong length is replaced by all roots, and an entry that is not a span index
// becomes -1, so Link never panics; spans on an unbroken cycle are linked but
// unreachable from Roots.
func LinkTree() Adjuster {
	return Func(link)
}

// link fixes Parent so that Trace.Link cannot panic, then links t.
func link(t *trace.Trace) {
	fixParent(t)
	t.Link()
}

// fixParent makes t.Parent one valid entry (-1 or a span index) per span.
func fixParent(t *trace.Trace) {
	n := len(t.Spans)
	if len(t.Parent) != n {
		t.Parent = make([]int32, n)
		for i := range t.Parent {
			t.Parent[i] = -1
		}
		return
	}
	for i, p := range t.Parent {
		if p < -1 || int(p) >= n {
			t.Parent[i] = -1
		}
	}
}

// compact removes the spans with keep[i] false, keeping the order of the
// others. A kept span whose parent is removed is re-pointed to to[parent] if
// to is non-nil and that span is kept, else it becomes a root. t is not
// linked afterwards.
func compact(t *trace.Trace, keep []bool, to []int32) {
	n := len(t.Spans)
	newIdx := make([]int32, n)
	k := int32(0)
	for i := range n {
		if keep[i] {
			newIdx[i] = k
			k++
		} else {
			newIdx[i] = -1
		}
	}
	if int(k) == n {
		return
	}
	spans := make([]trace.Span, 0, k)
	parent := make([]int32, 0, k)
	for i := range n {
		if !keep[i] {
			continue
		}
		spans = append(spans, t.Spans[i])
		np := int32(-1)
		if p := t.Parent[i]; p >= 0 {
			np = newIdx[p]
			if np < 0 && to != nil && to[p] >= 0 {
				np = newIdx[to[p]]
			}
		}
		parent = append(parent, np)
	}
	t.Spans, t.Parent = spans, parent
}

// resort restores the canonical span order of trace.Trace.SortSpans after a
// step moved spans in time, carrying Parent along. It reports whether the
// order changed; t is not linked afterwards.
func resort(t *trace.Trace) bool {
	n := len(t.Spans)
	sorted := true
	for i := 1; i < n; i++ {
		if trace.CompareSpans(&t.Spans[i-1], &t.Spans[i]) > 0 {
			sorted = false
			break
		}
	}
	if sorted {
		return false
	}
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortStableFunc(perm, func(a, b int32) int { return trace.CompareSpans(&t.Spans[a], &t.Spans[b]) })
	newIdx := make([]int32, n)
	for k, old := range perm {
		newIdx[old] = int32(k)
	}
	spans := make([]trace.Span, n)
	parent := make([]int32, n)
	for k, old := range perm {
		spans[k] = t.Spans[old]
		parent[k] = -1
		if p := t.Parent[old]; p >= 0 {
			parent[k] = newIdx[p]
		}
	}
	t.Spans, t.Parent = spans, parent
	return true
}

func addSat(a, b int64) int64 {
	c := a + b
	if (a^c)&(b^c) < 0 {
		if b > 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return c
}

// subSat returns a-b, saturated at the int64 limits.
func subSat(a, b int64) int64 {
	c := a - b
	if (a^b)&(a^c) < 0 {
		if a >= 0 {
			return math.MaxInt64
		}
		return math.MinInt64
	}
	return c
}

// duration is End-Start, saturated, and never negative.
func duration(s *trace.Span) int64 {
	return max(subSat(s.End, s.Start), 0)
}
