package repair

import "github.com/syncaudit/syncaudit/trace"

// ClampDurations returns an Adjuster that sets End = Start on every span
// that ends before it starts, with trace.WarnNegativeDuration.
//
// Assumes Start is the more trustworthy of the two: decoders compute it from
// the recorded timestamp, and End from a duration or a second clock reading
// that may have gone backwards. A clamped span keeps its place in the tree
// but contributes no time. The trace is not linked afterwards. O(n).
func ClampDurations() Adjuster {
	return Func(clampDurations)
}

func clampDurations(t *trace.Trace) {
	clamped := false
	for i := range t.Spans {
		s := &t.Spans[i]
		if s.End < s.Start {
			s.End = s.Start
			s.Warnings |= trace.WarnNegativeDuration
			clamped = true
		}
	}
	if clamped {
		// End is a sort key after (Start, SpanID): only spans sharing both
		// can change places.
		fixParent(t)
		resort(t)
	}
}
