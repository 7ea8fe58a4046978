package repair

import "github.com/syncaudit/syncaudit/trace"

// Truncate returns an Adjuster that clips every child to its parent's window
// exactly as the Jaeger UI's sanitizeOverFlowingChildren does before it
// computes a critical path (CRISP and Jaeger's Go get_critical_path apply the
// same cases). Spans are visited in preorder, so each child is compared with
// its already clipped parent:
//
//   - parent dropped: the child is dropped;
//   - child starts at or after the parent's start:
//     starts at or after the parent's end: dropped;
//     ends after the parent's end: End = parent end;
//   - child starts before the parent's start:
//     ends at or before the parent's start: dropped;
//     ends at or before the parent's end: Start = parent start;
//     else: Start = parent start and End = parent end.
//
// Changed spans get trace.WarnTruncated. Dropped spans are removed with
// their subtrees and counted in t.Rejected under trace.RejectOutsideParent;
// the other spans keep their order, and the trace is re-linked.
//
// Spans already marked async (MarkAsyncRelations) and their subtrees are not
// clipped, as the Jaeger UI prunes PRODUCER->CONSUMER subtrees and CRISP
// leaves FOLLOWS_FROM spans out of the critical path; they are removed only
// with a dropped ancestor. Unlike the Jaeger UI this changes the trace
// itself, so what later stages see matches what the critical path used.
//
// Assumes Parent is acyclic and End >= Start; spans not reachable from a
// root are left alone. Iterative, O(n) plus an O(n log n) re-sort when a
// span changed.
func Truncate() Adjuster {
	return Func(truncate)
}

func truncate(t *trace.Trace) {
	link(t)
	n := len(t.Spans)
	if n < 2 {
		return
	}
	drop := make([]bool, n)
	skip := make([]bool, n) // inside an async subtree
	dropped, changed := 0, false
	var order []int32
	for _, root := range t.Roots {
		order = t.Preorder(root, order[:0])
		for _, i := range order {
			p := t.Parent[i]
			if p < 0 {
				continue
			}
			if drop[p] {
				drop[i] = true
				dropped++
				continue
			}
			s := &t.Spans[i]
			if skip[p] || s.Async() {
				skip[i] = true
				continue
			}
			par := &t.Spans[p]
			start, end := s.Start, s.End
			if start >= par.Start {
				switch {
				case start >= par.End:
					drop[i] = true
				case end > par.End:
					end = par.End
				}
			} else {
				switch {
				case end <= par.Start:
					drop[i] = true
				case end <= par.End:
					start = par.Start
				default:
					start, end = par.Start, par.End
				}
			}
			if drop[i] {
				dropped++
				continue
			}
			if start != s.Start || end != s.End {
				changed = true
				s.Start, s.End = start, end
				s.Warnings |= trace.WarnTruncated
			}
		}
	}
	if dropped == 0 && !changed {
		return
	}
	if dropped > 0 {
		keep := make([]bool, n)
		for i := range keep {
			keep[i] = !drop[i]
		}
		compact(t, keep, nil)
		if t.Rejected == nil {
			t.Rejected = trace.Tally{}
		}
		t.Rejected.Add(trace.RejectOutsideParent, dropped)
	}
	resort(t) // a clipped start or end can change the canonical order
	t.Link()
}
