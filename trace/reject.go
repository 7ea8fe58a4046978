package trace

import "sort"

// Reason says why a span read from the input is not in any trace. Every span
// read is either in a trace or counted under one Reason.
type Reason string

// Rejection reasons.
const (
	RejectInvalidTraceID Reason = "invalid-trace-id" // empty, zero or malformed trace ID
	RejectInvalidSpanID  Reason = "invalid-span-id"  // empty, zero or malformed span ID
	RejectInvalidSpan    Reason = "invalid-span"     // a span object with wrong field types
	RejectDuplicate      Reason = "duplicate-span"   // an exact copy of a span already read
	RejectOutsideParent  Reason = "outside-parent"   // --jaeger-compat: child entirely outside its parent (dropped with its subtree)
	RejectFiltered       Reason = "filtered"         // excluded by --trace-id or another filter
)

// Tally counts rejected spans by reason.
type Tally map[Reason]int

// Add counts n spans under r.
func (t Tally) Add(r Reason, n int) {
	if n > 0 {
		t[r] += n
	}
}

// Merge adds every count of o to t.
func (t Tally) Merge(o Tally) {
	for r, n := range o {
		t[r] += n
	}
}

// Total is the number of rejected spans.
func (t Tally) Total() int {
	n := 0
	for _, c := range t {
		n += c
	}
	return n
}

// Reasons returns the reasons with a non-zero count, sorted.
func (t Tally) Reasons() []Reason {
	out := make([]Reason, 0, len(t))
	for r, n := range t {
		if n > 0 {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
