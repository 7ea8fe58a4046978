package trace

import (
	"bytes"
	"cmp"
	"slices"
)

// Trace is one trace's spans and, once linked, its span forest.
//
// Spans are sorted by (Start, SpanID, ...) so that the same input gives the
// same Trace whatever the file order. Parent[i] is the index of span i's
// parent, or -1 for a root. After Link, Roots lists the roots in span order
// and Children(i) the children of span i in start order.
type Trace struct {
	ID     TraceID
	Spans  []Span
	Parent []int32
	Roots  []int32
	// Rejected counts spans of this trace removed by repair steps.
	Rejected Tally

	childOff []int32 // CSR offsets, len(Spans)+1
	childIdx []int32
}

// Len is the number of spans.
func (t *Trace) Len() int { return len(t.Spans) }

// Linked reports whether Link has built a tree for as many spans as t has.
// It cannot see a change of Parent alone: whoever changes Parent after
// Link calls Link again (as repair's steps do).
func (t *Trace) Linked() bool {
	return len(t.childOff) == len(t.Spans)+1 && len(t.Parent) == len(t.Spans)
}

// Children returns the children of span i in start order. The slice must not be modified.
func (t *Trace) Children(i int32) []int32 {
	return t.childIdx[t.childOff[i]:t.childOff[i+1]]
}

// SortSpans puts Spans in the canonical order and resets Parent to -1.
// Decoders and groupers call it before repair; repair steps that remove
// spans keep the order.
func (t *Trace) SortSpans() {
	slices.SortStableFunc(t.Spans, func(a, b Span) int { return CompareSpans(&a, &b) })
	t.Parent = make([]int32, len(t.Spans))
	for i := range t.Parent {
		t.Parent[i] = -1
	}
	t.Roots, t.childOff, t.childIdx = nil, nil, nil
}

// CompareSpans is the canonical span order used by SortSpans: start time,
// span ID, end time, kind, service, name, parent ID. Repair steps that change
// any of these keys re-sort with it.
func CompareSpans(a, b *Span) int {
	if c := cmp.Compare(a.Start, b.Start); c != 0 {
		return c
	}
	if c := bytes.Compare(a.SpanID[:], b.SpanID[:]); c != 0 {
		return c
	}
	if c := cmp.Compare(a.End, b.End); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Service, b.Service); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return bytes.Compare(a.ParentID[:], b.ParentID[:])
}

// Link builds Roots and the children index from Parent. Children of a span
// are ordered by (Start, End, index). It runs in O(n log n) and must be
// called again after Parent changes.
func (t *Trace) Link() {
	n := len(t.Spans)
	if len(t.Parent) != n {
		panic("trace: Parent and Spans differ in length")
	}
	off := make([]int32, n+1)
	t.Roots = t.Roots[:0]
	for i, p := range t.Parent {
		if p < 0 {
			t.Roots = append(t.Roots, int32(i))
		} else {
			off[p+1]++
		}
	}
	for i := 0; i < n; i++ {
		off[i+1] += off[i]
	}
	idx := make([]int32, n-len(t.Roots))
	fill := make([]int32, n)
	copy(fill, off[:n])
	for i, p := range t.Parent {
		if p >= 0 {
			idx[fill[p]] = int32(i)
			fill[p]++
		}
	}
	t.childOff, t.childIdx = off, idx
	// Spans are sorted by Start, so children already are; order equal starts by End.
	for i := 0; i < n; i++ {
		c := idx[off[i]:off[i+1]]
		if len(c) > 1 && !slices.IsSortedFunc(c, t.childOrder) {
			slices.SortFunc(c, t.childOrder)
		}
	}
}

func (t *Trace) childOrder(a, b int32) int {
	sa, sb := &t.Spans[a], &t.Spans[b]
	if c := cmp.Compare(sa.Start, sb.Start); c != 0 {
		return c
	}
	if c := cmp.Compare(sa.End, sb.End); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

// Preorder appends to buf the spans of the subtree rooted at root in
// depth-first preorder (children in start order) and returns it. It uses an
// explicit stack, so any depth is safe.
func (t *Trace) Preorder(root int32, buf []int32) []int32 {
	return t.PreorderN(root, buf, len(t.Spans))
}

// PreorderN is Preorder stopped after n spans: a caller that needs the
// first few spans of a huge subtree does not walk the rest.
func (t *Trace) PreorderN(root int32, buf []int32, n int) []int32 {
	if cap(buf) == 0 {
		buf = make([]int32, 0, min(n, len(t.Spans))) // the subtree's size at most: one allocation
	}
	stack := make([]int32, 1, 32)
	stack[0] = root
	for added := 0; len(stack) > 0 && added < n; added++ {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		buf = append(buf, i)
		c := t.Children(i)
		for k := len(c) - 1; k >= 0; k-- {
			stack = append(stack, c[k])
		}
	}
	return buf
}

// Depth returns each span's depth (roots are 0), computed iteratively.
func (t *Trace) Depth() []int32 {
	d := make([]int32, len(t.Spans))
	var order []int32
	for _, r := range t.Roots {
		order = t.Preorder(r, order[:0])
		for _, i := range order {
			if p := t.Parent[i]; p >= 0 {
				d[i] = d[p] + 1
			}
		}
	}
	return d
}
