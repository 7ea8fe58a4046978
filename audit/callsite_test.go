package audit

import (
	"testing"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/trace"
)

// TestCallSite: the client span's own code.* attributes win; else its
// same-service parent's; a parent on another service or no attribute
// at all gives none.
func TestCallSite(t *testing.T) {
	code := func(fn, file, line string) trace.Attrs {
		var a trace.Attrs
		a.Set(trace.AttrCodeFunction, fn, true)
		a.Set(trace.AttrCodeFile, file, true)
		a.Set(trace.AttrCodeLine, line, true)
		return a
	}
	callee := calls.Endpoint{Service: "email", Operation: "POST /send"}
	for _, tc := range []struct {
		name           string
		parent, client trace.Span
		want           report.CallSite
		ok             bool
	}{
		{"own", trace.Span{Service: "order", Attrs: code("p.F", "p.go", "1")}, trace.Span{Service: "order", Attrs: code("c.Send", "c.go", "12")},
			report.CallSite{Callee: report.Ref(callee), Function: "c.Send", File: "c.go", Line: 12}, true},
		{"parent's", trace.Span{Service: "order", Attrs: code("order.Checkout", "", "x")}, trace.Span{Service: "order"},
			report.CallSite{Callee: report.Ref(callee), Function: "order.Checkout"}, true},
		{"parent on another service", trace.Span{Service: "gw", Attrs: code("gw.F", "gw.go", "3")}, trace.Span{Service: "order"}, report.CallSite{}, false},
		{"none", trace.Span{Service: "order"}, trace.Span{Service: "order"}, report.CallSite{}, false},
	} {
		tr := &trace.Trace{Spans: []trace.Span{tc.parent, tc.client}, Parent: []int32{-1, 0}}
		c := calls.Call{Span: 1, Caller: calls.Endpoint{Service: "order", Operation: "POST /checkout"}, Callee: callee}
		got, ok := callSite(tr, &c)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: %+v %v, want %+v %v", tc.name, got, ok, tc.want, tc.ok)
		}
	}
}
