package audit

import (
	"cmp"
	"slices"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/review"
	"github.com/syncaudit/syncaudit/stats"
)

// diagrams builds each endpoint's call graph from the synchronous call
// groups and the asynchronous flows, in the endpoints' order. Edges of an
// endpoint are ranked by total time (the calls' summed durations), the
// asynchronous flows after every synchronous edge, and cut at
// report.MaxDiagramEdges.
func diagrams(endpoints []report.Endpoint, groups []review.CallStats, flows []report.AsyncFlow) []report.Diagram {
	requests := make(map[report.Ref]int, len(endpoints))
	for _, e := range endpoints {
		requests[report.Ref{Service: e.Service, Operation: e.Operation}] = e.Traces
	}
	edges := map[report.Ref][]report.DiagramEdge{}
	for _, g := range groups {
		ep := ref(g.Key.Endpoint)
		n := requests[ep]
		if n == 0 || len(g.All) == 0 {
			continue
		}
		d := stats.Of(slices.Clone(g.All)) // Of sorts; the checklist reads All too
		edges[ep] = append(edges[ep], report.DiagramEdge{
			Caller: ref(g.Key.Caller), Callee: ref(g.Key.Callee),
			CallsPerRequest: float64(len(g.All)) / float64(n),
			P95Ms:           ms(d.P95),
			TotalMs:         ms(d.Sum),
		})
	}
	for _, f := range flows {
		n := requests[f.Endpoint]
		if n == 0 {
			continue
		}
		edges[f.Endpoint] = append(edges[f.Endpoint], report.DiagramEdge{
			Caller: f.Producer, Callee: f.Consumer, Async: true,
			CallsPerRequest: float64(f.Count) / float64(n),
		})
	}
	var out []report.Diagram
	for _, e := range endpoints {
		ep := report.Ref{Service: e.Service, Operation: e.Operation}
		es := edges[ep]
		if len(es) == 0 {
			continue
		}
		slices.SortFunc(es, func(a, b report.DiagramEdge) int {
			if a.Async != b.Async {
				if a.Async {
					return 1
				}
				return -1
			}
			if c := cmp.Compare(b.TotalMs, a.TotalMs); c != 0 {
				return c
			}
			if c := compareRefs(a.Caller, b.Caller); c != 0 {
				return c
			}
			return compareRefs(a.Callee, b.Callee)
		})
		d := report.Diagram{Endpoint: ep, Edges: es}
		if len(es) > report.MaxDiagramEdges {
			d.Edges, d.Omitted = es[:report.MaxDiagramEdges], len(es)-report.MaxDiagramEdges
		}
		out = append(out, d)
	}
	return out
}

// markPlan sets the action of every diagram edge the combined plan
// changes: the caller → callee of each recommended make-async candidate,
// and every member of each recommended parallel group.
func markPlan(ds []report.Diagram, cands []report.Candidate) {
	type key struct{ ep, caller, callee report.Ref }
	act := map[key]report.Action{}
	for _, c := range cands {
		if !c.Recommended {
			continue
		}
		callees := c.Callees
		if len(callees) == 0 {
			callees = []report.Ref{c.Callee}
		}
		for _, ce := range callees {
			k := key{c.Endpoint, c.Caller, ce}
			if act[k] != report.MakeAsync { // make-async wins over parallelize
				act[k] = c.Action
			}
		}
	}
	for i := range ds {
		for j := range ds[i].Edges {
			e := &ds[i].Edges[j]
			if !e.Async {
				e.Plan = act[key{ds[i].Endpoint, e.Caller, e.Callee}]
			}
		}
	}
}

func compareRefs(a, b report.Ref) int {
	return calls.Endpoint(a).Compare(calls.Endpoint(b))
}
