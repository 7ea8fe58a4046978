// Package repair turns a grouped trace into a linked span forest that later
// stages can trust.
//
// Input: a *trace.Trace as trace.Grouper.Traces returns it: Spans sorted in
// canonical order, Parent all -1, ParentID and Refs as the decoders read them,
// possibly with exact duplicates, Zipkin-style shared client/server span IDs,
// references to other traces, missing parents, cycles, negative durations,
// clock skew and children that outlive their parents.
//
// Output: the same *trace.Trace, modified in place: duplicates removed (and
// counted in Rejected), span IDs unique, Parent set and acyclic, Link called,
// timestamps corrected for clock skew, and the spans the request did not wait
// for marked trace.FlagAsync (or, in Jaeger-compatible mode, overflowing
// children clipped or dropped). Every span a step changed carries that step's
// trace.Warning.
//
//	for _, t := range grouper.Traces() {
//		repair.Standard(repair.DefaultOptions()).Adjust(t)
//		for _, r := range t.Roots { ... t.Children(r) ... }
//	}
//
// Each step is an Adjuster built by a verb-phrase constructor (DropDuplicates,
// DedupeSpanIDs, ChooseParents, BreakCycles, ClampDurations, LinkTree,
// CorrectClockSkew, MarkAsync, MarkAsyncRelations, Truncate). Standard writes
// their order down once. Steps keep no state between calls, so one Adjuster
// may repair many traces concurrently. No step recurses over the tree, none is
// worse than O(n log n) in the number of spans, and none panics on any input.
package repair

import (
	"time"

	"github.com/syncaudit/syncaudit/trace"
)

// Adjuster repairs one trace in place.
type Adjuster interface {
	Adjust(t *trace.Trace)
}

// Func adapts a function to the Adjuster interface.
type Func func(t *trace.Trace)

// Adjust calls f(t). A nil trace or a nil Func does nothing.
func (f Func) Adjust(t *trace.Trace) {
	if f == nil || t == nil {
		return
	}
	f(t)
}

// Sequence returns an Adjuster that runs steps in order. Nil steps are skipped.
func Sequence(steps ...Adjuster) Adjuster {
	steps = append([]Adjuster(nil), steps...)
	return Func(func(t *trace.Trace) {
		for _, s := range steps {
			if s != nil {
				s.Adjust(t)
			}
		}
	})
}

// Options configure Standard.
type Options struct {
	// MaxSkew is the largest clock-skew correction CorrectClockSkew applies
	// to one span. Larger skews are left alone and warned about. 0 disables
	// correction (skewed spans are only warned about).
	MaxSkew time.Duration
	// SkewTolerance is how far a child may end after its parent (or 1% of
	// the parent's duration, whichever is larger) before MarkAsync treats it
	// as fire-and-forget.
	SkewTolerance time.Duration
	// JaegerCompat clips children to their parent's window and drops those
	// entirely outside it, exactly as the Jaeger UI and CRISP do before
	// computing a critical path, instead of marking them async.
	JaegerCompat bool
}

// DefaultOptions returns MaxSkew 1s, SkewTolerance 1ms, JaegerCompat off.
func DefaultOptions() Options {
	return Options{MaxSkew: time.Second, SkewTolerance: time.Millisecond}
}

// Standard returns the documented repair sequence for o. Negative durations
// in o count as 0.
func Standard(o Options) Adjuster {
	steps := []Adjuster{
		// DropDuplicates, DedupeSpanIDs and ChooseParents, in this order,
		// sorting the span IDs once when they do not change (see
		// spanIDSteps).
		spanIDSteps(),
		// Cycles exist only once Parent is set, and every later step walks
		// the tree from its roots: spans on a cycle would be unreachable.
		BreakCycles(),
		// CorrectClockSkew and MarkAsync compute durations and assume
		// End >= Start; Link orders children by (Start, End).
		ClampDurations(),
		// CorrectClockSkew links the tree itself (as LinkTree does) before
		// walking it, and again if it moved spans, so no separate LinkTree
		// step is needed. Skew correction must come before the overflow
		// steps: a server span whose host clock runs 65ms behind its client
		// looks as if it started before its parent and would be clipped or
		// marked async instead of moved.
		CorrectClockSkew(nonNegative(o.MaxSkew)),
	}
	if o.JaegerCompat {
		steps = append(steps,
			// Truncate leaves async subtrees alone, as the Jaeger UI prunes
			// PRODUCER->CONSUMER and CRISP excludes FOLLOWS_FROM: mark
			// them first.
			MarkAsyncRelations(),
			Truncate(),
		)
	} else {
		steps = append(steps, MarkAsync(nonNegative(o.SkewTolerance)))
	}
	return Sequence(steps...)
}

func nonNegative(d time.Duration) time.Duration {
	if d < 0 {
		return 0
	}
	return d
}

// spanIDSteps runs DropDuplicates, DedupeSpanIDs and ChooseParents, which
// all look spans up by ID, sorting the IDs again only after a step changed
// them: most traces have neither copies nor shared IDs, and sorting a
// million IDs takes 50 ms.
//
// Exact copies (the same span exported twice, or read from two files) go
// first: DedupeSpanIDs would otherwise take them for different spans
// sharing one ID and give the copies new IDs. Span IDs must be unique
// before ChooseParents resolves parent IDs to indices. DedupeSpanIDs also
// sets the parent of a Zipkin server half (its client half) and re-points
// the server's children, which ChooseParents then keeps; ChooseParents
// sets ParentID, ParentRef and Parent from parent IDs and references.
func spanIDSteps() Adjuster {
	return Func(func(t *trace.Trace) {
		ids := spanIDs(t)
		if dropDuplicatesIn(t, ids) {
			ids = spanIDs(t)
		}
		if dedupeSpanIDsIn(t, ids) {
			ids = spanIDs(t)
		}
		chooseParentsIn(t, ids)
	})
}
