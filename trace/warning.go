package trace

import (
	"math/bits"
	"strings"
)

// Warning is a set of named warnings left on a span by the step that touched it.
type Warning uint32

// Warnings, one per repair step or decoder fix-up. Names (String) are stable:
// they appear in JSON output and in summaries.
const (
	// WarnNonHexID: an ID was not hex and was hashed to a stable ID (decoders).
	WarnNonHexID Warning = 1 << iota
	// WarnSharedSpanID: a server span shared its ID with its client parent
	// (Zipkin style) and was given a new ID (repair.DedupeSpanIDs).
	WarnSharedSpanID
	// WarnDuplicateSpanID: two different spans carried the same ID; the later
	// one was given a new ID (repair.DedupeSpanIDs).
	WarnDuplicateSpanID
	// WarnMultipleParents: several parent references; the first same-trace
	// CHILD_OF (else FOLLOWS_FROM) was chosen (repair.ChooseParents).
	WarnMultipleParents
	// WarnCrossTraceRef: a reference to another trace was ignored (repair.ChooseParents).
	WarnCrossTraceRef
	// WarnMissingParent: the parent is not in the input; the span is the root
	// of a partial trace (repair.ChooseParents).
	WarnMissingParent
	// WarnCycle: the span's parent chain looped; the link was cut and the span
	// became a root (repair.BreakCycles).
	WarnCycle
	// WarnNegativeDuration: end was before start; end was set to start
	// (repair.ClampDurations).
	WarnNegativeDuration
	// WarnClockSkew: a server span on another service was shifted into its
	// client parent's window (repair.CorrectClockSkew).
	WarnClockSkew
	// WarnSkewTooLarge: the skew exceeded the maximum delta and was left alone
	// (repair.CorrectClockSkew).
	WarnSkewTooLarge
	// WarnOutlivesParent: the span ends after its parent by more than the
	// tolerance, or starts after the parent ended; it is marked async
	// (repair.MarkAsync).
	WarnOutlivesParent
	// WarnTruncated: the span overflowed its parent and was clipped to the
	// parent's window (--jaeger-compat, repair.Truncate).
	WarnTruncated
	// WarnMissingTimestamp: the input had no start time or duration (decoders).
	WarnMissingTimestamp
	// WarnKindInferred: the span had no kind; CLIENT, SERVER, PRODUCER or
	// CONSUMER was inferred from the service boundaries of the tree
	// (repair.InferKinds).
	WarnKindInferred
	// WarnWrapper: the span waits on a sibling call it encloses or nearly
	// coincides with and no longer gates its parent (repair.MarkWrappers).
	WarnWrapper
	warnCount = iota
)

var warnNames = [...]string{
	"non-hex-id", "shared-span-id", "duplicate-span-id", "multiple-parents", "cross-trace-ref",
	"missing-parent", "cycle", "negative-duration", "clock-skew", "skew-too-large",
	"outlives-parent", "truncated", "missing-timestamp", "kind-inferred",
	"wrapper",
}

// Has reports whether all warnings in x are set.
func (w Warning) Has(x Warning) bool { return w&x == x }

// Each calls f for each warning set, in declaration order.
func (w Warning) Each(f func(Warning)) {
	for w != 0 {
		b := Warning(1) << bits.TrailingZeros32(uint32(w))
		f(b)
		w &^= b
	}
}

// Names returns the names of the warnings set, in declaration order.
func (w Warning) Names() []string {
	var out []string
	w.Each(func(x Warning) { out = append(out, x.name()) })
	return out
}

func (w Warning) name() string {
	i := bits.TrailingZeros32(uint32(w))
	if i < len(warnNames) {
		return warnNames[i]
	}
	return "unknown"
}

// String joins the warning names with commas.
func (w Warning) String() string { return strings.Join(w.Names(), ",") }

// AllWarnings lists every warning, in declaration order.
func AllWarnings() []Warning {
	out := make([]Warning, 0, warnCount)
	for i := 0; i < warnCount; i++ {
		out = append(out, Warning(1)<<i)
	}
	return out
}
