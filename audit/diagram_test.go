package audit

import (
	"reflect"
	"testing"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/review"
)

// TestDiagrams: two requests of gw GET /a; a is called once in each (20
// and 40 ms), b twice in the first (10 and 5 ms) and not in the second;
// one message to mail per request is already asynchronous. Hand-computed:
// gw → a 1/req, p95 40 ms (nearest rank 2 of 2), total 60 ms; gw → b
// 1/req, p95 10 ms, total 15 ms; the async edge last. A recommended
// make-async candidate on b marks that edge, a non-recommended one on a
// leaves it alone.
func TestDiagrams(t *testing.T) {
	ms := int64(1_000_000)
	ep := calls.Endpoint{Service: "gw", Operation: "GET /a"}
	a := calls.Endpoint{Service: "a", Operation: "GET /x"}
	b := calls.Endpoint{Service: "b", Operation: "POST /y"}
	groups := []review.CallStats{
		{Key: calls.Key{Endpoint: ep, Caller: ep, Callee: b}, All: []int64{10 * ms, 5 * ms}, Requests: 1},
		{Key: calls.Key{Endpoint: ep, Caller: ep, Callee: a}, All: []int64{20 * ms, 40 * ms}, Requests: 2},
	}
	epRef := report.Ref{Service: "gw", Operation: "GET /a"}
	flows := []report.AsyncFlow{{Endpoint: epRef, Producer: report.Ref{Service: "gw", Operation: "publish"},
		Consumer: report.Ref{Service: "mail", Operation: "consume"}, Count: 2}}
	eps := []report.Endpoint{{Service: "gw", Operation: "GET /a", Traces: 2}}
	ds := diagrams(eps, groups, flows)
	markPlan(ds, []report.Candidate{
		{Action: report.MakeAsync, Endpoint: epRef, Caller: epRef, Callee: ref(b), Recommended: true},
		{Action: report.MakeAsync, Endpoint: epRef, Caller: epRef, Callee: ref(a), Recommended: false},
	})
	want := []report.Diagram{{Endpoint: epRef, Edges: []report.DiagramEdge{
		{Caller: epRef, Callee: ref(a), CallsPerRequest: 1, P95Ms: 40, TotalMs: 60},
		{Caller: epRef, Callee: ref(b), CallsPerRequest: 1, P95Ms: 10, TotalMs: 15, Plan: report.MakeAsync},
		{Caller: report.Ref{Service: "gw", Operation: "publish"}, Callee: report.Ref{Service: "mail", Operation: "consume"}, Async: true, CallsPerRequest: 1},
	}}}
	if !reflect.DeepEqual(ds, want) {
		t.Errorf("diagrams\n got %+v\nwant %+v", ds, want)
	}
}

// TestDiagramsCut: an endpoint with more edges than MaxDiagramEdges keeps
// the heaviest and counts the rest.
func TestDiagramsCut(t *testing.T) {
	ep := calls.Endpoint{Service: "gw", Operation: "GET /a"}
	var groups []review.CallStats
	n := report.MaxDiagramEdges + 4
	for i := range n {
		callee := calls.Endpoint{Service: "s", Operation: string(rune('A' + i))}
		groups = append(groups, review.CallStats{Key: calls.Key{Endpoint: ep, Caller: ep, Callee: callee}, All: []int64{int64(i+1) * 1_000_000}})
	}
	ds := diagrams([]report.Endpoint{{Service: "gw", Operation: "GET /a", Traces: 1}}, groups, nil)
	if len(ds) != 1 || len(ds[0].Edges) != report.MaxDiagramEdges || ds[0].Omitted != 4 {
		t.Fatalf("got %d diagrams, %d edges, %d omitted", len(ds), len(ds[0].Edges), ds[0].Omitted)
	}
	if ds[0].Edges[0].TotalMs != float64(n) || ds[0].Edges[len(ds[0].Edges)-1].TotalMs != 5 {
		t.Errorf("kept totals %v … %v, want %d … 5", ds[0].Edges[0].TotalMs, ds[0].Edges[len(ds[0].Edges)-1].TotalMs, n)
	}
}
