package calls

import (
	"cmp"
	"slices"

	"github.com/syncaudit/syncaudit/trace"
)

// Metrics are the synchronous-call metrics of one request.
type Metrics struct {
	// SyncCalls is the number of synchronous calls in the request: calls
	// below the root that are not Async (neither async themselves nor under
	// an async span), on the critical path or not.
	SyncCalls int
	// Depth is the longest chain of nested synchronous calls on the critical
	// path: gateway→order→inventory→pricing→db is 4. A further server of a
	// call (see Find) is the same hop as the call.
	Depth int
	// SyncLatency is the critical-path time, in nanoseconds, spent inside
	// synchronous calls (in the call span or any of its descendants).
	SyncLatency int64
	// Breakdown is the critical-path time per callee endpoint: each on-path
	// span's exclusive time goes to the innermost call containing it; time
	// outside every call goes to the root's own endpoint. Entries with no
	// time are left out. Sorted by Nanos, largest first, then by endpoint.
	Breakdown []Share
}

// Share is the critical-path time spent in one endpoint.
type Share struct {
	Endpoint Endpoint
	Nanos    int64
}

// Measure computes the metrics of the request rooted at span root, from the
// calls Find returned for t and the critical path of t: self[i] is span i's
// exclusive critical-path time in nanoseconds and onPath[i] whether it is on
// the path (critpath.Path's Self and OnPath). The root is the request, not
// one of its calls, even when it is a call of its own (a partial trace).
//
// The Breakdown entries add up to the root's duration when the exclusive
// times of the path do: a shortfall (time the path attributes to no span) is
// counted for the root's endpoint; an excess, which the critical path's
// clock-skew rule can produce, is kept as it is.
//
// t must be linked, as for Find. Measure never panics: an unlinked trace or
// an out-of-range root gives zero Metrics, calls with
// out-of-range spans are ignored, and self and onPath shorter than t.Spans
// count as zero and false. It walks the subtree iteratively, in O(n).
func Measure(t *trace.Trace, root int32, calls []Call, self []int64, onPath []bool) Metrics {
	var m Metrics
	if t == nil || len(t.Roots) == 0 || len(t.Parent) != len(t.Spans) || root < 0 || int(root) >= len(t.Spans) {
		return m
	}
	n := int32(len(t.Spans))
	callAt := make([]int32, n)
	for i := range callAt {
		callAt[i] = -1
	}
	for k := range calls {
		if s := calls[k].Span; s >= 0 && s < n {
			callAt[s] = int32(k)
		}
	}
	on := func(i int32) bool { return int(i) < len(onPath) && onPath[i] }
	selfOf := func(i int32) int64 {
		if int(i) < len(self) {
			return self[i]
		}
		return 0
	}

	rs := &t.Spans[root]
	rootEP := Endpoint{Service: rs.Service, Operation: UsefulName(rs)}
	// Self time per innermost call (the last slot: the root's endpoint),
	// merged by endpoint at the end: one map update per call, not per span.
	perCall := make([]int64, len(calls)+1)
	var total int64

	// Per span: the innermost call containing it (-1: none), whether a
	// synchronous call contains it, and the number of on-path synchronous
	// calls from the root down to it.
	inner := make([]int32, n)
	hops := make([]int32, n)
	inSync := make([]bool, n)
	seen := make([]bool, n)
	inner[root], seen[root] = -1, true
	stack := make([]int32, 1, min(n, 64))
	stack[0] = root
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if on(i) {
			ns := selfOf(i)
			total += ns
			if k := inner[i]; k >= 0 {
				perCall[k] += ns
			} else {
				perCall[len(calls)] += ns
			}
			if inSync[i] {
				m.SyncLatency += ns
			}
			m.Depth = max(m.Depth, int(hops[i]))
		}
		if k := callAt[i]; k >= 0 && i != root && !calls[k].Async {
			m.SyncCalls++
		}
		for _, c := range t.Children(i) {
			if c < 0 || c >= n || seen[c] {
				continue
			}
			seen[c] = true
			inner[c], hops[c], inSync[c] = inner[i], hops[i], inSync[i]
			if k := callAt[c]; k >= 0 {
				inner[c] = k
				// A further server of i's call (a retry, another consumer
				// group) is the same hop, not a nested one.
				further := calls[k].Server == c && isClient(t.Spans[i].Kind)
				if !calls[k].Async {
					inSync[c] = true
					if on(c) && !further {
						hops[c]++
					}
				}
			}
			stack = append(stack, c)
		}
	}
	if gap := rs.Duration() - total; gap > 0 {
		perCall[len(calls)] += gap
	}
	shares := make(map[Endpoint]int64, 8)
	for k, ns := range perCall {
		if ns == 0 {
			continue
		}
		if k == len(calls) {
			shares[rootEP] += ns
		} else {
			shares[calls[k].Callee] += ns
		}
	}
	m.Breakdown = make([]Share, 0, len(shares))
	for ep, ns := range shares {
		if ns != 0 {
			m.Breakdown = append(m.Breakdown, Share{Endpoint: ep, Nanos: ns})
		}
	}
	slices.SortFunc(m.Breakdown, func(a, b Share) int {
		if c := cmp.Compare(b.Nanos, a.Nanos); c != 0 {
			return c
		}
		if c := cmp.Compare(a.Endpoint.Service, b.Endpoint.Service); c != 0 {
			return c
		}
		return cmp.Compare(a.Endpoint.Operation, b.Endpoint.Operation)
	})
	return m
}
