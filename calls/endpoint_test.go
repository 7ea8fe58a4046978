package calls_test

import (
	"testing"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/trace"
)

func TestCatchAll(t *testing.T) {
	for op, want := range map[string]bool{
		"/*": true, "/**": true, "GET /*": true, "ANY /{proxy+}": true, "/api/**": true, "": true,
		"<unnamed>": true, "*": true,
		"/": false, "GET /": false, "/api/v1/orders/{id}": false, "POST /checkout": false, "oteldemo.CartService/GetCart": false,
	} {
		if got := calls.CatchAll(op); got != want {
			t.Errorf("CatchAll(%q) = %v, want %v", op, got, want)
		}
	}
}

// TestRequestEndpoint: a gateway whose route is a catch-all is named from
// the first downstream server span (in start order, past its own wrapper
// and client spans); other roots keep their own name.
func TestRequestEndpoint(t *testing.T) {
	mk := func(rootName string) *trace.Trace {
		tr := &trace.Trace{Spans: []trace.Span{
			{Service: "gw", Name: rootName, Kind: trace.KindServer, Start: 0, End: 100},
			{Service: "gw", Name: "FilteringWebHandler.handle", Start: 1, End: 90},
			{Service: "gw", Name: "HTTP GET", Kind: trace.KindClient, Start: 2, End: 99},
			{Service: "order", Name: "/api/v1/orders/{orderId}", Kind: trace.KindServer, Start: 3, End: 98},
			{Service: "pay", Name: "/pay", Kind: trace.KindServer, Start: 4, End: 10},
		}, Parent: []int32{-1, 0, 0, 2, 3}}
		tr.Link()
		return tr
	}
	for _, tc := range []struct {
		root, want string
		forward    int32
	}{
		{"/*", "/* → order /api/v1/orders/{orderId}", 3},
		{"GET /**", "GET /** → order /api/v1/orders/{orderId}", 3},
		{"GET /orders", "GET /orders", -1},
	} {
		e, f := calls.RequestEndpoint(mk(tc.root), 0, nil)
		if e.Service != "gw" || e.Operation != tc.want || f != tc.forward {
			t.Errorf("root %q: %q %q forward %d, want gw %q forward %d", tc.root, e.Service, e.Operation, f, tc.want, tc.forward)
		}
	}
}
