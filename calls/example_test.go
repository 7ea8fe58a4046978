package calls_test

import (
	"fmt"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/trace"
)

func ExampleTemplatePath() {
	for _, p := range []string{
		"/orders/123",
		"/users/3f2504e0-4f89-11d3-9a0c-0305e82c3301/cart",
		"/blobs/4bf92f3577b34da6a3ce929d0e0e4736",
		"/orders/ord_8f3k29x/items?page=2",
		"http://127.0.0.1:4321/api/v1/pay",
	} {
		fmt.Println(calls.TemplatePath(p))
	}
	// Output:
	// /orders/{id}
	// /users/{id}/cart
	// /blobs/{id}
	// /orders/{id}/items
	// /api/v1/pay
}

func ExampleUsefulName() {
	attrs := func(pairs ...string) trace.Attrs {
		var a trace.Attrs
		for i := 0; i+1 < len(pairs); i += 2 {
			k, _ := trace.KeyOf(pairs[i])
			a.Set(k, pairs[i+1], true)
		}
		return a
	}
	for _, s := range []trace.Span{
		{Name: "POST", Attrs: attrs("url.path", "/pay")},
		{Name: "HTTP GET", Attrs: attrs("url.full", "https://api.example.com/orders/42?expand=1")},
		{Name: "GET", Attrs: attrs("http.route", "/orders/{id}", "url.path", "/orders/42")},
		{Name: "Charge", Attrs: attrs("rpc.service", "payments.v1.Payments", "rpc.method", "Charge")},
		{Name: "postgresql.query", Attrs: attrs("db.system", "postgresql", "db.statement", "INSERT INTO orders (id) VALUES ($1)")},
		{Name: "orders publish", Attrs: attrs("messaging.system", "kafka")},
	} {
		fmt.Println(calls.UsefulName(&s))
	}
	// Output:
	// POST /pay
	// GET /orders/{id}
	// GET /orders/{id}
	// payments.v1.Payments/Charge
	// INSERT orders
	// orders publish
}

// An order service calls payment over HTTP (the shape otelhttp produces)
// and an untraced PostgreSQL database.
func ExampleFind() {
	t := &trace.Trace{
		Spans: []trace.Span{
			{Service: "order", Kind: trace.KindServer, Name: "POST /checkout", End: 100},
			{Service: "order", Kind: trace.KindClient, Name: "HTTP POST", Start: 10, End: 60,
				Attrs: trace.Attrs{{Key: trace.AttrURLFull, Value: "http://127.0.0.1:4321/pay"}}},
			{Service: "payment", Kind: trace.KindServer, Name: "POST", Start: 11, End: 59,
				Attrs: trace.Attrs{{Key: trace.AttrURLPath, Value: "/pay"}}},
			{Service: "order", Kind: trace.KindClient, Name: "INSERT orders", Start: 70, End: 90,
				Attrs: trace.Attrs{{Key: trace.AttrDBSystem, Value: "postgresql"}, {Key: trace.AttrDBNamespace, Value: "shop"},
					{Key: trace.AttrDBOperation, Value: "INSERT"}}},
		},
		Parent: []int32{-1, 0, 1, 0},
	}
	t.Link()
	cs := calls.Find(t)
	for _, c := range cs {
		fmt.Printf("%d→%d %s -> %s (%s, write=%v)\n", c.Span, c.Server, c.Caller, c.Callee, c.Protocol, c.Write)
	}
	// The critical path: the root's own 30 ns, 50 ns in payment, 20 in the database.
	m := calls.Measure(t, 0, cs, []int64{30, 2, 48, 20}, []bool{true, true, true, true})
	fmt.Println(m.SyncCalls, m.Depth, m.SyncLatency)
	for _, s := range m.Breakdown {
		fmt.Println(s.Endpoint, s.Nanos)
	}
	// Output:
	// 1→2 order POST /checkout -> payment POST /pay (http, write=true)
	// 3→-1 order POST /checkout -> postgresql/shop INSERT orders (db, write=true)
	// 2 1 70
	// payment POST /pay 50
	// order POST /checkout 30
	// postgresql/shop INSERT orders 20
}
