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
// DedupeSpanIDs, ChooseParents, BreakCycles, InferKinds, ClampDurations, LinkTree,
// CorrectClockSkew, MarkAsync, MarkWrappers, MarkAsyncRelations, Truncate). Standard writes
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
	// JaegerUI, with JaegerCompat, repairs the trace into what the Jaeger
	// UI sees (--jaeger-compat=ui): spans rounded to whole microseconds, only
	// a CONSUMER under a PRODUCER (by the kinds as read) async, so that
	// FOLLOWS_FROM and linked children are clipped and gate their parent
	// (see jaegerUIView), then Truncate. Ignored without JaegerCompat.
	JaegerUI bool
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
	}
	if !o.JaegerCompat {
		// Kinds decide which edges are calls, and so which spans skew
		// correction may move and which children are messages: infer the
		// missing ones first. The peers --jaeger-compat reproduces read
		// timing on the kinds as given, so there they are inferred last,
		// for the call analysis only.
		steps = append(steps, InferKinds())
	}
	steps = append(steps,
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
	)
	if o.JaegerCompat && o.JaegerUI {
		// The Jaeger UI reads kinds and relations as given and infers
		// nothing: neither does this sequence.
		return Sequence(append(steps, jaegerUIView(), Truncate())...)
	}
	if o.JaegerCompat {
		steps = append(steps,
			// Truncate leaves async subtrees alone, as the Jaeger UI prunes
			// PRODUCER->CONSUMER and CRISP excludes FOLLOWS_FROM: mark
			// them first.
			MarkAsyncRelations(),
			Truncate(),
			// A consumer under an inferred producer is a message, not a
			// wait, in the call analysis too.
			InferKinds(),
			MarkAsyncRelations(),
		)
	} else {
		steps = append(steps,
			MarkAsync(nonNegative(o.SkewTolerance)),
			// Wrappers are judged among the synchronous siblings only.
			MarkWrappers(),
		)
	}
	return Sequence(steps...)
}

// jaegerUIView rounds every span to whole microseconds as Jaeger's JSON API
// hands spans to the Jaeger UI (start/1000 and duration/1000, truncated, as
// Jaeger's model.TimeAsEpochMicroseconds and DurationAsMicroseconds; end =
// start + duration), then marks async exactly the children the UI's
// critical path skips: a CONSUMER under a PRODUCER (cpspan.ts
// isBlockingSpan), whatever the reference type. Two spans that met within
// one microsecond then touch or overlap, as they do in the UI. Assumes
// End >= Start. O(n), plus a re-sort when rounding changed the order.
func jaegerUIView() Adjuster {
	return Func(func(t *trace.Trace) {
		moved := false
		for i := range t.Spans {
			s := &t.Spans[i]
			start := s.Start / 1000 * 1000
			end := addSat(start, subSat(s.End, s.Start)/1000*1000)
			if start != s.Start || end != s.End {
				s.Start, s.End, moved = start, end, true
			}
		}
		if moved {
			resort(t)
		}
		link(t)
		for i, p := range t.Parent {
			if p >= 0 && int(p) != i && t.Spans[p].Kind == trace.KindProducer && t.Spans[i].Kind == trace.KindConsumer {
				t.Spans[i].Flags |= trace.FlagAsync
			}
		}
	})
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
