package repair

import (
	"time"

	"github.com/syncaudit/syncaudit/trace"
)

// MarkAsync returns an Adjuster that sets trace.FlagAsync on the spans their
// parent did not wait for. A span is async when
//   - it is a CONSUMER under a PRODUCER (the message was sent, not awaited);
//   - its ParentRef is FOLLOWS_FROM or a link (by definition not a wait);
//   - it ends after its parent by more than the tolerance, i.e. it was
//     still running when the parent returned: fire-and-forget work such as
//     a CHILD_OF "send email" call that outlives the request. It also gets
//     trace.WarnOutlivesParent;
//   - it starts at or after its parent's end plus the tolerance (queued
//     work started after the response); it also gets WarnOutlivesParent.
//
// The tolerance is max(tol, 1% of the parent's duration): clocks of one host
// still jitter, and a child that ends a hair after its parent was awaited.
// Children that start slightly before their parent (same service, so not
// corrected by CorrectClockSkew) and end inside it are left alone: the
// critical-path step clips them to the parent's window. Spans marked
// trace.WarnSkewTooLarge are judged by their relation only: their timestamps
// are known to be on another clock.
//
// Only the span's relation to its own parent is judged; descendants of an
// async span are not marked, since they may well be awaited by it. Roots are
// never async. Assumes clock skew was corrected first (CorrectClockSkew) and
// End >= Start. O(n).
func MarkAsync(tol time.Duration) Adjuster {
	tolerance := max(int64(tol), 0)
	return Func(func(t *trace.Trace) { markAsync(t, tolerance, true) })
}

// MarkAsyncRelations returns an Adjuster that marks trace.FlagAsync only by
// relation, never by timing: a CONSUMER under a PRODUCER, and FOLLOWS_FROM
// and linked children. It is the async rule of --jaeger-compat, where
// Truncate handles overflowing children as the Jaeger UI (which prunes
// PRODUCER->CONSUMER subtrees) and CRISP (which excludes FOLLOWS_FROM spans)
// do. O(n).
func MarkAsyncRelations() Adjuster {
	return Func(func(t *trace.Trace) { markAsync(t, 0, false) })
}

func markAsync(t *trace.Trace, tol int64, byTime bool) {
	fixParent(t)
	for i, p := range t.Parent {
		if p < 0 || int(p) == i {
			continue
		}
		parent, s := &t.Spans[p], &t.Spans[i]
		if asyncRelation(parent, s) {
			s.Flags |= trace.FlagAsync
			continue
		}
		if !byTime || s.Warnings.Has(trace.WarnSkewTooLarge) {
			continue
		}
		limit := addSat(parent.End, max(tol, duration(parent)/100))
		if s.End > limit || s.Start >= limit {
			s.Flags |= trace.FlagAsync
			s.Warnings |= trace.WarnOutlivesParent
		}
	}
}

// asyncRelation reports whether child's relation to parent says it was not awaited.
func asyncRelation(parent, child *trace.Span) bool {
	switch child.ParentRef {
	case trace.RefFollowsFrom, trace.RefLink:
		return true
	}
	return parent.Kind == trace.KindProducer && child.Kind == trace.KindConsumer
}
