// Package calls finds the cross-service calls of a trace and measures how
// much of each request's latency they cost synchronously.
//
// Input: a repaired, linked *trace.Trace (Parent, Roots and Children set by
// trace.Link; spans the request did not wait for marked trace.FlagAsync),
// and for Measure the critical path of that trace (critpath.Path's Self and
// OnPath slices). Output: one Call per RPC, query or published message, and
// per-request Metrics.
//
//	cs := calls.Find(t)           // sorted by span index
//	for _, c := range cs {
//		fmt.Println(c.Caller, "->", c.Callee, c.Protocol, c.Async)
//		// order POST /checkout -> payment POST /pay http false
//	}
//	p := critpath.Compute(t)
//	m := calls.Measure(t, t.Roots[0], cs, p.Self, p.OnPath)
//	// m.SyncCalls, m.Depth, m.SyncLatency, m.Breakdown
//
// One RPC is one call: a CLIENT span and the SERVER span under it are a
// single Call identified by the CLIENT span. Services and operations get
// useful names even when the callee is not traced or its span is just
// called "POST": see Find, UsefulName and TemplatePath.
//
// Every walk over a tree is iterative and linear in the number of spans:
// traces 100,000 spans deep and 200,000 spans wide exist.
package calls
