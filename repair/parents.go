package repair

import "github.com/syncaudit/syncaudit/trace"

// ChooseParents returns an Adjuster that picks each span's parent and sets
// ParentID, ParentRef and t.Parent.
//
//   - A span with a ParentID (OTLP parentSpanId, Zipkin parentId, or a server
//     half re-parented by DedupeSpanIDs) keeps it. Its ParentRef stays as the
//     decoder set it; RefNone becomes FOLLOWS_FROM when the span has a
//     FOLLOWS_FROM and no CHILD_OF reference to that parent (a Jaeger span
//     translated to OTLP keeps its FOLLOWS_FROM parent both as parentSpanId
//     and as a link), else CHILD_OF.
//   - A span without one (Jaeger input) gets Jaeger's rule: the first
//     CHILD_OF reference to a span of the same trace, else the first such
//     FOLLOWS_FROM reference.
//   - A span with neither, but with a link (RefLink) to another span present
//     in the trace, is attached under the first such span with ParentRef
//     RefLink, so that the work it did is not lost as a separate root.
//
// Warnings: trace.WarnCrossTraceRef when a CHILD_OF or FOLLOWS_FROM
// reference names another trace (ignored; links to other traces are normal
// OpenTelemetry and are not warned about); trace.WarnMultipleParents when a
// CHILD_OF or FOLLOWS_FROM reference names a same-trace span other than the
// chosen parent; trace.WarnMissingParent when the chosen parent is not in the
// trace: the span becomes a root of a partial trace.
//
// Assumes span IDs are unique (DedupeSpanIDs); otherwise a parent ID
// resolves to its first holder in span order. A reference with a zero trace
// ID counts as same-trace. A span naming itself as parent gets Parent = its
// own index: BreakCycles turns it into a root. The trace is not linked
// afterwards. O(n + refs) expected time.
func ChooseParents() Adjuster {
	return Func(chooseParents)
}

func chooseParents(t *trace.Trace) { chooseParentsIn(t, nil) }

// chooseParentsIn is chooseParents given t's sorted span IDs (nil: not
// sorted yet).
func chooseParentsIn(t *trace.Trace, ids []idPos) {
	fixParent(t)
	if ids == nil {
		ids = spanIDs(t)
	}
	for i := range t.Spans {
		s := &t.Spans[i]
		pid, typ := parentOf(t, s)
		if pid.IsZero() {
			pid, typ = linkParent(t, s, ids)
		}
		s.ParentID, s.ParentRef = pid, typ
		t.Parent[i] = -1
	}
	// Resolve parent IDs to the first span holding them: the parent IDs,
	// sorted, walked along the sorted span IDs.
	pids := sortIDs(len(t.Spans), func(i int) trace.SpanID { return t.Spans[i].ParentID })
	k := 0
	for _, c := range pids {
		if c.id == 0 {
			continue // a root
		}
		for k < len(ids) && ids[k].id < c.id {
			k++
		}
		if k < len(ids) && ids[k].id == c.id {
			t.Parent[c.pos] = ids[k].pos // the first holder: ids has equal IDs in position order
		} else {
			t.Spans[c.pos].Warnings |= trace.WarnMissingParent
		}
	}
}

// parentOf applies the parent rule to s's ParentID and CHILD_OF/FOLLOWS_FROM
// references and leaves the reference warnings on s.
func parentOf(t *trace.Trace, s *trace.Span) (trace.SpanID, trace.RefType) {
	pid, typ := s.ParentID, s.ParentRef
	// A server half re-parented by DedupeSpanIDs: its references name the
	// RPC's caller, which its client half now stands for.
	final := s.Warnings.Has(trace.WarnSharedSpanID) && !pid.IsZero()
	var firstChild, firstFollows trace.SpanID
	childToPid, followsToPid := false, false
	for k := range s.Refs {
		r := &s.Refs[k]
		if r.Type != trace.RefChildOf && r.Type != trace.RefFollowsFrom || r.SpanID.IsZero() {
			continue
		}
		if !sameTrace(t, r.TraceID) {
			s.Warnings |= trace.WarnCrossTraceRef
			continue
		}
		if r.Type == trace.RefChildOf && firstChild.IsZero() {
			firstChild = r.SpanID
		}
		if r.Type == trace.RefFollowsFrom && firstFollows.IsZero() {
			firstFollows = r.SpanID
		}
		if !pid.IsZero() && r.SpanID == pid {
			childToPid = childToPid || r.Type == trace.RefChildOf
			followsToPid = followsToPid || r.Type == trace.RefFollowsFrom
		}
	}
	if pid.IsZero() {
		switch {
		case !firstChild.IsZero():
			pid, typ = firstChild, trace.RefChildOf
		case !firstFollows.IsZero():
			pid, typ = firstFollows, trace.RefFollowsFrom
		default:
			return trace.SpanID{}, trace.RefNone
		}
	} else if typ == trace.RefNone {
		typ = trace.RefChildOf
		if followsToPid && !childToPid {
			typ = trace.RefFollowsFrom
		}
	}
	if final {
		return pid, typ
	}
	for k := range s.Refs {
		r := &s.Refs[k]
		if (r.Type == trace.RefChildOf || r.Type == trace.RefFollowsFrom) &&
			!r.SpanID.IsZero() && r.SpanID != pid && sameTrace(t, r.TraceID) {
			s.Warnings |= trace.WarnMultipleParents
			break
		}
	}
	return pid, typ
}

// linkParent returns the first same-trace span s links to that is present
// in the trace, with RefLink, or a zero ID.
func linkParent(t *trace.Trace, s *trace.Span, ids []idPos) (trace.SpanID, trace.RefType) {
	for k := range s.Refs {
		r := &s.Refs[k]
		if r.Type != trace.RefLink || r.SpanID.IsZero() || r.SpanID == s.SpanID || !sameTrace(t, r.TraceID) {
			continue
		}
		if firstHolder(ids, r.SpanID) >= 0 {
			return r.SpanID, trace.RefLink
		}
	}
	return trace.SpanID{}, trace.RefNone
}
