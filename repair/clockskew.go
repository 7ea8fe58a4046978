package repair

import (
	"time"

	"github.com/syncaudit/syncaudit/trace"
)

// CorrectClockSkew returns an Adjuster that moves spans recorded on a host
// whose clock disagrees with their caller's back into the caller's window.
//
// A span is checked against its parent when it is the receiving half of a
// call from another service: a SERVER or CONSUMER child of a CLIENT or
// PRODUCER parent whose Service differs, related by CHILD_OF. Services stand
// in for hosts (Jaeger compares host IDs, which syncaudit does not keep); two
// spans of one service are assumed to share a clock. A CONSUMER under a
// PRODUCER is asynchronous (it may run long after the message was sent) and
// FOLLOWS_FROM, linked and already async children are not waited for, so
// they are never moved.
//
// When such a child's window falls outside its parent's, the delta is, as in
// Jaeger's adjuster:
//   - if the child is not longer than the parent, the one that centres it in
//     the parent: network latency is assumed to be split equally between
//     request and response (parent.Start + (parentDur-childDur)/2 - child.Start);
//   - if it is longer, it was either async or the parent timed out before the
//     child responded; the only safe correction is to make the child start
//     with its parent (parent.Start - child.Start), applied only when the
//     child starts before the parent. A longer child that starts inside its
//     parent is left for MarkAsync.
//
// A delta with |delta| <= maxDelta moves the child and its whole subtree,
// and every moved span gets trace.WarnClockSkew. A larger delta moves nothing
// and the child gets trace.WarnSkewTooLarge; maxDelta <= 0 disables
// correction, so every skew found is only warned about. Deltas accumulate
// down the tree: a span first moves with its parent, then is checked against
// the moved parent. Span order and the tree index are restored afterwards.
//
// Assumes Parent is acyclic and End >= Start (BreakCycles, ClampDurations).
// The walk is top-down with an explicit stack, so any depth is safe; spans
// not reachable from a root are left alone. O(n) plus an O(n log n) re-sort
// when a span moved.
func CorrectClockSkew(maxDelta time.Duration) Adjuster {
	limit := max(int64(maxDelta), 0)
	return Func(func(t *trace.Trace) { correctClockSkew(t, limit) })
}

func correctClockSkew(t *trace.Trace, limit int64) {
	link(t)
	n := len(t.Spans)
	if n < 2 {
		return
	}
	var shift []int64 // accumulated delta per span; allocated on first skew
	var order []int32
	for _, root := range t.Roots {
		order = t.Preorder(root, order[:0])
		for _, i := range order {
			p := t.Parent[i]
			if p < 0 {
				continue
			}
			s := &t.Spans[i]
			var d int64
			if shift != nil && shift[p] != 0 {
				d = shift[p]
				s.Start, s.End = addSat(s.Start, d), addSat(s.End, d)
			}
			if own, ok := skewDelta(&t.Spans[p], s); ok && own != 0 {
				if own > limit || own < -limit {
					s.Warnings |= trace.WarnSkewTooLarge
				} else {
					s.Start, s.End = addSat(s.Start, own), addSat(s.End, own)
					d = addSat(d, own)
				}
			}
			if d != 0 {
				if shift == nil {
					shift = make([]int64, n)
				}
				shift[i] = d
				s.Warnings |= trace.WarnClockSkew
			}
		}
	}
	if shift != nil {
		resort(t)
		t.Link()
	}
}

// skewDelta returns how far to move child into parent, and whether the pair
// is one that clock skew can affect.
func skewDelta(parent, child *trace.Span) (int64, bool) {
	if !skewChecked(parent, child) {
		return 0, false
	}
	if child.Start >= parent.Start && child.End <= parent.End {
		return 0, true // already inside
	}
	pd, cd := duration(parent), duration(child)
	if cd > pd {
		if child.Start < parent.Start {
			return subSat(parent.Start, child.Start), true
		}
		return 0, true
	}
	return subSat(addSat(parent.Start, (pd-cd)/2), child.Start), true
}

// skewChecked reports whether child is the receiving half of a synchronous
// call from parent on another service.
func skewChecked(parent, child *trace.Span) bool {
	if child.Service == parent.Service || child.Async() {
		return false
	}
	if child.ParentRef != trace.RefChildOf && child.ParentRef != trace.RefNone {
		return false
	}
	switch {
	case parent.Kind == trace.KindProducer && child.Kind == trace.KindConsumer:
		return false
	case child.Kind != trace.KindServer && child.Kind != trace.KindConsumer:
		return false
	case parent.Kind == trace.KindClient || parent.Kind == trace.KindProducer:
		return true
	}
	// A server whose kind was inferred is the receiving half of a call
	// from its parent whatever the parent's kind (InferKinds leaves a span
	// that both receives and makes calls a SERVER).
	return child.Kind == trace.KindServer && child.Warnings.Has(trace.WarnKindInferred)
}
