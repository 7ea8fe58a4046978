package calls

import (
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

const (
	method   = trace.AttrHTTPMethod
	route    = trace.AttrHTTPRoute
	urlFull  = trace.AttrURLFull
	urlPath  = trace.AttrURLPath
	status   = trace.AttrHTTPStatus
	addr     = trace.AttrServerAddress
	peer     = trace.AttrPeerService
	rpcSys   = trace.AttrRPCSystem
	rpcSvc   = trace.AttrRPCService
	rpcMeth  = trace.AttrRPCMethod
	dbSys    = trace.AttrDBSystem
	dbNS     = trace.AttrDBNamespace
	dbOp     = trace.AttrDBOperation
	dbStmt   = trace.AttrDBStatement
	msgSys   = trace.AttrMessagingSystem
	msgDest  = trace.AttrMessagingDestination
	msgOp    = trace.AttrMessagingOperation
	async    = trace.FlagAsync
	errorSts = trace.StatusError
)

func TestFind(t *testing.T) {
	tests := []struct {
		name string
		rows []sp
		want []Call
	}{{
		// The shape otelhttp produces (shared/notes/real-components.md §2.1):
		// CLIENT spans named "HTTP POST" with url.full, SERVER spans named
		// "POST", no http.route and no peer.service.
		name: "otelhttp",
		rows: []sp{
			{parent: -1, svc: "order", kind: server, name: "POST /checkout", end: 652, attrs: kv(method, "POST", urlPath, "/checkout")},
			{parent: 0, svc: "order", kind: client, name: "HTTP POST", start: 1, end: 101,
				attrs: kv(method, "POST", urlFull, "http://127.0.0.1:4321/pay", addr, "127.0.0.1", status, "200")},
			{parent: 1, svc: "payment", kind: server, name: "POST", start: 1, end: 101, attrs: kv(method, "POST", urlPath, "/pay")},
			{parent: 0, svc: "order", kind: client, name: "HTTP POST", start: 102, end: 602,
				attrs: kv(method, "POST", urlFull, "http://127.0.0.1:4322/send?to=42")},
			{parent: 3, svc: "email", kind: server, name: "POST", start: 102, end: 602,
				attrs: kv(method, "POST", urlPath, "/send", status, "503")},
			{parent: 0, svc: "order", kind: client, name: "HTTP POST", start: 602, end: 652,
				attrs: kv(method, "POST", urlFull, "http://127.0.0.1:4323/track/ord_8f3k29x")},
			// No url.path on this server: the client's path completes the name.
			{parent: 5, svc: "analytics", kind: server, name: "POST", start: 602, end: 652, attrs: kv(method, "POST")},
		},
		want: []Call{
			{Span: 1, Server: 2, Caller: ep("order", "POST /checkout"), Callee: ep("payment", "POST /pay"), Write: true, Protocol: "http"},
			{Span: 3, Server: 4, Caller: ep("order", "POST /checkout"), Callee: ep("email", "POST /send"), Failed: true, Write: true, Protocol: "http"},
			{Span: 5, Server: 6, Caller: ep("order", "POST /checkout"), Callee: ep("analytics", "POST /track/{id}"), Write: true, Protocol: "http"},
		},
	}, {
		// Zipkin: both halves named after the method, lower case, with
		// http.path; one service calling itself (client and server of the
		// same service) is still one call, and its server is a new entry.
		name: "zipkin",
		rows: []sp{
			{parent: -1, svc: "frontend", kind: server, name: "get /", end: 100},
			{parent: 0, svc: "frontend", kind: client, name: "get", start: 10, end: 90, attrs: kv(urlPath, "/api/orders/123")},
			{parent: 1, svc: "backend", kind: server, name: "get", start: 11, end: 89, attrs: kv(urlPath, "/api/orders/123")},
			{parent: 2, svc: "backend", kind: client, name: "get", start: 20, end: 40, attrs: kv(urlPath, "/internal/cache?key=9"), status: errorSts},
			{parent: 3, svc: "backend", kind: server, name: "get", start: 21, end: 39, attrs: kv(urlPath, "/internal/cache")},
			{parent: 4, svc: "backend", kind: client, name: "delete", start: 22, end: 30, attrs: kv(urlPath, "/cache/entries/55")},
		},
		want: []Call{
			{Span: 1, Server: 2, Caller: ep("frontend", "GET /"), Callee: ep("backend", "GET /api/orders/{id}"), Protocol: "http"},
			{Span: 3, Server: 4, Caller: ep("backend", "GET /api/orders/{id}"), Callee: ep("backend", "GET /internal/cache"), Failed: true, Protocol: "http"},
			{Span: 5, Server: -1, Caller: ep("backend", "GET /internal/cache"), Callee: ep(Unknown, "DELETE /cache/entries/{id}"), Write: true, Protocol: "http"},
		},
	}, {
		name: "untraced third parties",
		rows: []sp{
			{parent: -1, svc: "shop", kind: server, name: "GET", end: 1000, attrs: kv(method, "GET", route, "/cart/{id}", urlPath, "/cart/7")},
			{parent: 0, svc: "shop", kind: client, name: "HTTP POST", start: 1, end: 2,
				attrs: kv(method, "POST", peer, "stripe", urlFull, "https://api.stripe.com/v1/charges?amount=5", addr, "api.stripe.com")},
			{parent: 0, svc: "shop", kind: client, name: "GET", start: 2, end: 3,
				attrs: kv(method, "GET", addr, "api.github.com:443", urlFull, "https://api.github.com/repos/a/b/issues/42")},
			{parent: 0, svc: "shop", kind: client, name: "GET", start: 3, end: 4, attrs: kv(urlFull, "https://user:pw@[::1]:8443/x")},
			{parent: 0, svc: "shop", kind: client, name: "postgresql.query", start: 4, end: 5,
				attrs: kv(dbSys, "postgresql", dbNS, "orders", addr, "db.internal", dbStmt, "INSERT INTO orders (id, total) VALUES ($1, $2)")},
			{parent: 0, svc: "shop", kind: client, name: "SELECT shop.orders", start: 5, end: 6,
				attrs: kv(dbSys, "postgresql", dbOp, "SELECT")},
			{parent: 0, svc: "shop", kind: client, name: "HSET", start: 6, end: 7,
				attrs: kv(dbSys, "redis", addr, "cache:6379", dbStmt, "HSET cart:7 qty 1")},
			{parent: 0, svc: "shop", kind: client, name: "payments.v1.Payments/Charge", start: 7, end: 8,
				attrs: kv(rpcSys, "grpc", rpcSvc, "payments.v1.Payments", rpcMeth, "Charge")},
			{parent: 0, svc: "shop", kind: client, name: "lookup", start: 8, end: 9},
			// An SDK span wrapping the HTTP span that does the work: one call,
			// named by the inner span, the service taken from the wrapper.
			{parent: 0, svc: "shop", kind: client, name: "DynamoDB.GetItem", start: 9, end: 20, attrs: kv(peer, "dynamodb")},
			{parent: 9, svc: "shop", kind: client, name: "HTTP POST", start: 10, end: 19},
			{parent: 0, svc: "shop", kind: client, name: "SendEmail", start: 20, end: 21, attrs: kv(rpcSvc, "ses")},
		},
		want: []Call{
			{Span: 1, Server: -1, Caller: ep("shop", "GET /cart/{id}"), Callee: ep("stripe", "POST /v1/charges"), Write: true, Protocol: "http"},
			{Span: 2, Server: -1, Caller: ep("shop", "GET /cart/{id}"), Callee: ep("api.github.com", "GET /repos/a/b/issues/{id}"), Protocol: "http"},
			{Span: 3, Server: -1, Caller: ep("shop", "GET /cart/{id}"), Callee: ep("::1", "GET /x"), Protocol: "http"},
			{Span: 4, Server: -1, Caller: ep("shop", "GET /cart/{id}"), Callee: ep("postgresql/orders", "INSERT orders"), Write: true, Protocol: "db"},
			{Span: 5, Server: -1, Caller: ep("shop", "GET /cart/{id}"), Callee: ep("postgresql", "SELECT shop.orders"), Protocol: "db"},
			{Span: 6, Server: -1, Caller: ep("shop", "GET /cart/{id}"), Callee: ep("redis@cache", "HSET"), Write: true, Protocol: "db"},
			{Span: 7, Server: -1, Caller: ep("shop", "GET /cart/{id}"), Callee: ep("payments.v1.Payments", "payments.v1.Payments/Charge"), Protocol: "rpc"},
			{Span: 8, Server: -1, Caller: ep("shop", "GET /cart/{id}"), Callee: ep(Unknown, "lookup"), Protocol: "other"},
			{Span: 10, Server: -1, Caller: ep("shop", "GET /cart/{id}"), Callee: ep("dynamodb", "POST"), Write: true, Protocol: "http"},
			{Span: 11, Server: -1, Caller: ep("shop", "GET /cart/{id}"), Callee: ep("ses", "SendEmail"), Protocol: "rpc"},
		},
	}, {
		name: "messaging",
		rows: []sp{
			{parent: -1, svc: "order", kind: server, name: "POST /orders", end: 100},
			{parent: 0, svc: "order", kind: producer, name: "orders publish", start: 10, end: 12, attrs: kv(msgSys, "kafka", msgDest, "orders")},
			{parent: 1, svc: "email", kind: consumer, name: "orders process", start: 50, end: 600, flags: async, attrs: kv(msgSys, "kafka", msgDest, "orders", msgOp, "process")},
			{parent: 2, svc: "email", kind: client, name: "SMTP send", start: 60, end: 590, attrs: kv(peer, "smtp")},
			{parent: 0, svc: "order", kind: producer, name: "", start: 13, end: 14, attrs: kv(msgSys, "rabbitmq", msgDest, "emails", msgOp, "publish")},
			{parent: 0, svc: "order", kind: client, name: "send audit", start: 15, end: 16, attrs: kv(msgDest, "audit", msgOp, "send")},
			// One message, two consumer groups: two calls.
			{parent: 0, svc: "order", kind: producer, name: "send", start: 17, end: 18, attrs: kv(peer, "kafka")},
			{parent: 6, svc: "billing", kind: consumer, name: "poll", start: 19, end: 30, flags: async},
			{parent: 6, svc: "order", kind: consumer, name: "poll", start: 20, end: 31},
		},
		want: []Call{
			{Span: 1, Server: 2, Caller: ep("order", "POST /orders"), Callee: ep("email", "orders process"), Async: true, Write: true, Protocol: "messaging"},
			{Span: 3, Server: -1, Caller: ep("email", "orders process"), Callee: ep("smtp", "SMTP send"), Async: true, Protocol: "other"},
			{Span: 4, Server: -1, Caller: ep("order", "POST /orders"), Callee: ep("rabbitmq:emails", "publish emails"), Async: true, Write: true, Protocol: "messaging"},
			{Span: 5, Server: -1, Caller: ep("order", "POST /orders"), Callee: ep("messaging:audit", "send audit"), Write: true, Protocol: "messaging"},
			{Span: 6, Server: 7, Caller: ep("order", "POST /orders"), Callee: ep("billing", "poll"), Async: true, Write: true, Protocol: "messaging"},
			{Span: 8, Server: 8, Caller: ep("order", "POST /orders"), Callee: ep("order", "poll"), Async: true, Write: true, Protocol: "messaging"},
		},
	}, {
		name: "under async and uninstrumented clients",
		rows: []sp{
			{parent: -1, svc: "a", kind: server, name: "GET /x", end: 100},
			{parent: 0, svc: "a", kind: internal, name: "background", start: 10, end: 200, flags: async},
			{parent: 1, svc: "a", kind: client, name: "GET", start: 20, end: 30, attrs: kv(urlFull, "http://b/items/5")},
			{parent: 2, svc: "b", kind: server, name: "GET /items/{id}", start: 21, end: 29},
			{parent: 1, svc: "c", kind: server, name: "POST", start: 40, end: 50, attrs: kv(urlPath, "/jobs")},
			// A span of another service under a plain internal span: a
			// call from an uninstrumented client.
			{parent: 0, svc: "a", kind: internal, name: "work", start: 5, end: 90},
			{parent: 5, svc: "d", kind: server, name: "GET", start: 6, end: 80, attrs: kv(urlPath, "/items/5", status, "500")},
			{parent: 6, svc: "d", kind: internal, name: "compute", start: 7, end: 70},
			{parent: 7, svc: "e", kind: consumer, name: "", start: 8, end: 60, attrs: kv(msgDest, "jobs")},
		},
		want: []Call{
			{Span: 2, Server: 3, Caller: ep("a", "GET /x"), Callee: ep("b", "GET /items/{id}"), Async: true, Protocol: "http"},
			{Span: 4, Server: 4, Caller: ep("a", "GET /x"), Callee: ep("c", "POST /jobs"), Async: true, Write: true, Protocol: "http"},
			{Span: 6, Server: 6, Caller: ep("a", "GET /x"), Callee: ep("d", "GET /items/{id}"), Failed: true, Protocol: "http"},
			{Span: 8, Server: 8, Caller: ep("d", "GET /items/{id}"), Callee: ep("e", "jobs"), Protocol: "messaging"},
		},
	}, {
		// A CLIENT with two SERVER children (a retry below the client span):
		// the first is the call's server, the second a call of its own,
		// still made by the client (its protocol and failure come from it). A
		// CLIENT whose child is another service's INTERNAL span (no SERVER
		// span) takes that child as its server.
		name: "server choice",
		rows: []sp{
			{parent: -1, svc: "a", kind: server, name: "op", end: 100},
			{parent: 0, svc: "a", kind: client, name: "GET", start: 1, end: 50, attrs: kv(urlFull, "http://b/v1/x")},
			{parent: 1, svc: "a", kind: internal, name: "http.dns", start: 1, end: 2},
			{parent: 1, svc: "b", kind: server, name: "GET /v1/x", start: 3, end: 20, status: errorSts},
			{parent: 1, svc: "b", kind: server, name: "GET /v1/x", start: 21, end: 49},
			{parent: 0, svc: "a", kind: client, name: "call", start: 50, end: 60, status: errorSts},
			{parent: 5, svc: "c", kind: internal, name: "handle", start: 51, end: 59},
			// A SERVER child wins over an earlier INTERNAL child of another
			// service, which is a further call.
			{parent: 0, svc: "a", kind: client, name: "submit", start: 60, end: 70},
			{parent: 7, svc: "c", kind: internal, name: "handle", start: 61, end: 62},
			{parent: 7, svc: "d", kind: server, name: "POST", start: 62, end: 69, attrs: kv(urlPath, "/jobs")},
		},
		want: []Call{
			{Span: 1, Server: 3, Caller: ep("a", "op"), Callee: ep("b", "GET /v1/x"), Failed: true, Protocol: "http"},
			{Span: 4, Server: 4, Caller: ep("a", "op"), Callee: ep("b", "GET /v1/x"), Protocol: "http"},
			{Span: 5, Server: 6, Caller: ep("a", "op"), Callee: ep("c", "handle"), Failed: true, Protocol: "other"},
			{Span: 7, Server: 9, Caller: ep("a", "op"), Callee: ep("d", "POST /jobs"), Write: true, Protocol: "http"},
			{Span: 8, Server: 8, Caller: ep("a", "op"), Callee: ep("c", "handle"), Protocol: "other"},
		},
	}, {
		name: "several roots",
		rows: []sp{
			{parent: -1, svc: "a", kind: client, name: "GET", end: 10, attrs: kv(urlFull, "http://b/p")},
			{parent: 0, svc: "b", kind: server, name: "GET /p", start: 1, end: 9},
			{parent: -1, svc: "b", kind: server, name: "orphan", start: 20, end: 30},
			{parent: 2, svc: "c", kind: internal, name: "x", start: 21, end: 29},
		},
		want: []Call{
			{Span: 0, Server: 1, Caller: ep("a", "GET /p"), Callee: ep("b", "GET /p"), Protocol: "http"},
			{Span: 3, Server: 3, Caller: ep("b", "orphan"), Callee: ep("c", "x"), Protocol: "other"},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Find(build(t, tc.rows))
			diffCalls(t, got, tc.want)
			if cap(got) != len(got) {
				t.Errorf("result sized %d for %d calls", cap(got), len(got))
			}
		})
	}
}

func TestFindInvalid(t *testing.T) {
	linked := build(t, []sp{{parent: -1, svc: "a", name: "x"}, {parent: 0, svc: "b", name: "y"}})
	tests := []struct {
		name string
		t    *trace.Trace
	}{
		{"nil", nil},
		{"empty", &trace.Trace{}},
		{"unlinked", &trace.Trace{Spans: make([]trace.Span, 2), Parent: []int32{-1, 0}}},
		{"parent length", &trace.Trace{Spans: linked.Spans, Parent: linked.Parent[:1], Roots: linked.Roots}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Find(tc.t); got != nil {
				t.Errorf("Find = %v, want nil", got)
			}
			if got := Measure(tc.t, 0, nil, nil, nil); got.SyncCalls != 0 || got.Breakdown != nil {
				t.Errorf("Measure = %+v, want zero", got)
			}
		})
	}
	if got := len(Find(linked)); got != 1 {
		t.Errorf("linked control: %d calls, want 1", got)
	}
}

func TestWriteAndProtocol(t *testing.T) {
	tests := []struct {
		name  string
		span  sp
		write bool
		proto string
	}{
		{"http get", sp{kind: client, name: "GET"}, false, "http"},
		{"http delete attr", sp{kind: client, name: "x", attrs: kv(method, "delete")}, true, "http"},
		{"http patch name", sp{kind: client, name: "PATCH /a/1"}, true, "http"},
		{"http status only", sp{kind: client, name: "call", attrs: kv(status, "200")}, false, "http"},
		{"sql select", sp{kind: client, name: "q", attrs: kv(dbStmt, "select * from t")}, false, "db"},
		{"sql commented update", sp{kind: client, name: "q", attrs: kv(dbStmt, "/* app */ -- x\n update t set a=1")}, true, "db"},
		{"sql upsert op", sp{kind: client, name: "q", attrs: kv(dbSys, "cockroachdb", dbOp, "UPSERT")}, true, "db"},
		{"sql merge", sp{kind: client, name: "q", attrs: kv(dbStmt, "MERGE INTO t USING s ON 1=1")}, true, "db"},
		{"sql verb from name", sp{kind: client, name: "DELETE FROM carts WHERE id = 3", attrs: kv(dbSys, "mysql")}, true, "db"},
		{"mongo insertOne", sp{kind: client, name: "insertOne", attrs: kv(dbSys, "mongodb", dbOp, "insertOne")}, true, "db"},
		{"mongo find", sp{kind: client, name: "find", attrs: kv(dbSys, "mongodb", dbOp, "find")}, false, "db"},
		{"redis set", sp{kind: client, name: "SET", attrs: kv(dbSys, "redis", dbOp, "set")}, true, "db"},
		{"redis get", sp{kind: client, name: "GET", attrs: kv(dbSys, "redis", dbStmt, "GET k")}, false, "db"},
		{"set is not a write outside redis", sp{kind: client, name: "q", attrs: kv(dbSys, "postgresql", dbStmt, "SET search_path TO x")}, false, "db"},
		{"producer", sp{kind: producer, name: "send"}, true, "messaging"},
		{"publish op", sp{kind: client, name: "x", attrs: kv(msgOp, "publish")}, true, "messaging"},
		{"receive op", sp{kind: client, name: "x", attrs: kv(msgOp, "receive", msgSys, "sqs")}, false, "messaging"},
		{"rpc", sp{kind: client, name: "x", attrs: kv(rpcSys, "grpc")}, false, "rpc"},
		{"aws sdk dynamodb is db", sp{kind: client, name: "x", attrs: kv(rpcSys, "aws-api", dbSys, "dynamodb", dbOp, "PutItem")}, true, "db"},
		{"other", sp{kind: client, name: "compute"}, false, "other"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.span.parent = 0
			tc.span.svc = "a"
			tr := build(t, []sp{{parent: -1, svc: "a", kind: server, name: "root"}, tc.span})
			cs := Find(tr)
			if len(cs) != 1 {
				t.Fatalf("got %d calls, want 1", len(cs))
			}
			if cs[0].Write != tc.write || cs[0].Protocol != tc.proto {
				t.Errorf("write=%v protocol=%s, want write=%v protocol=%s", cs[0].Write, cs[0].Protocol, tc.write, tc.proto)
			}
		})
	}
}
