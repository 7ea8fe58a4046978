package calls

import (
	"fmt"
	"reflect"
	"runtime/debug"
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/trace"
)

// chain is gateway→order→inventory→pricing→db with, in order, a parallel
// call to audit that the path does not wait for and a publish to Kafka whose
// consumer outlives the request. Spans 0-7 and 10 are on the critical path;
// their exclusive times (self) add up to the root's 100 ns.
func chain() []sp {
	return []sp{
		/* 0 */ {parent: -1, svc: "gateway", kind: server, name: "GET /order", end: 100},
		/* 1 */ {parent: 0, svc: "gateway", kind: client, name: "GET", start: 5, end: 95, attrs: kv(urlFull, "http://order/orders/1")},
		/* 2 */ {parent: 1, svc: "order", kind: server, name: "GET", start: 10, end: 90, attrs: kv(route, "/orders/{id}")},
		/* 3 */ {parent: 2, svc: "order", kind: client, name: "GET", start: 15, end: 85, attrs: kv(urlFull, "http://inventory/stock")},
		/* 4 */ {parent: 3, svc: "inventory", kind: server, name: "GET /stock", start: 20, end: 80},
		/* 5 */ {parent: 4, svc: "inventory", kind: client, name: "GET", start: 25, end: 75},
		/* 6 */ {parent: 5, svc: "pricing", kind: server, name: "GET /price", start: 30, end: 70},
		/* 7 */ {parent: 6, svc: "pricing", kind: client, name: "q", start: 35, end: 65,
			attrs: kv(dbSys, "postgresql", dbNS, "prices", dbStmt, "SELECT * FROM prices WHERE sku = $1")},
		/* 8 */ {parent: 2, svc: "order", kind: client, name: "POST", start: 16, end: 50, attrs: kv(urlFull, "http://audit/audit")},
		/* 9 */ {parent: 8, svc: "audit", kind: server, name: "POST /audit", start: 17, end: 49},
		/* 10 */ {parent: 2, svc: "order", kind: producer, name: "orders publish", start: 86, end: 88, attrs: kv(msgSys, "kafka", msgDest, "orders")},
		/* 11 */ {parent: 10, svc: "email", kind: consumer, name: "orders process", start: 87, end: 120, flags: async},
	}
}

// chainPath returns the critical path of chain: self and onPath by span.
func chainPath() (self []int64, onPath []bool) {
	return []int64{10, 10, 8, 10, 10, 10, 10, 30, 0, 0, 2, 0},
		[]bool{true, true, true, true, true, true, true, true, false, false, true, false}
}

func TestMeasure(t *testing.T) {
	chainSelf, chainOn := chainPath()
	tests := []struct {
		name   string
		rows   []sp
		root   int32
		self   []int64
		onPath []bool
		want   Metrics
	}{{
		name: "chain of four", rows: chain(), self: chainSelf, onPath: chainOn,
		want: Metrics{
			SyncCalls:   5, // 1, 3, 5, 7 and the parallel 8; not the publish
			Depth:       4,
			SyncLatency: 90, // everything but the gateway's own 10 ns
			Breakdown: []Share{
				{ep("postgresql/prices", "SELECT prices"), 30},
				{ep("inventory", "GET /stock"), 20},
				{ep("pricing", "GET /price"), 20},
				{ep("order", "GET /orders/{id}"), 18},
				{ep("gateway", "GET /order"), 10},
				{ep("email", "orders process"), 2},
			},
		},
	}, {
		// The same request seen from the order service's server span.
		name: "subtree", rows: chain(), root: 2, self: chainSelf, onPath: chainOn,
		want: Metrics{
			SyncCalls:   4,
			Depth:       3,
			SyncLatency: 70,
			// The order server's own 8 ns are the root endpoint's; the
			// publish is async, so its 2 ns are not synchronous latency.
			Breakdown: []Share{
				{ep("postgresql/prices", "SELECT prices"), 30},
				{ep("inventory", "GET /stock"), 20},
				{ep("pricing", "GET /price"), 20},
				{ep("order", "GET /orders/{id}"), 8},
				{ep("email", "orders process"), 2},
			},
		},
	}, {
		// Two parallel calls, the longer on the path; the root's self time
		// leaves a 5 ns gap the path did not attribute, which goes to the
		// root.
		name: "parallel with gap",
		rows: []sp{
			{parent: -1, svc: "web", kind: server, name: "GET /home", end: 50},
			{parent: 0, svc: "web", kind: client, name: "GET", start: 10, end: 40, attrs: kv(urlFull, "http://users/me")},
			{parent: 1, svc: "users", kind: server, name: "GET /me", start: 11, end: 39},
			{parent: 0, svc: "web", kind: client, name: "GET", start: 10, end: 20, attrs: kv(urlFull, "http://ads/ads")},
			{parent: 3, svc: "ads", kind: server, name: "GET /ads", start: 11, end: 19, status: errorSts},
		},
		self:   []int64{15, 2, 28, 0, 0},
		onPath: []bool{true, true, true, false, false},
		want: Metrics{
			SyncCalls:   2,
			Depth:       1,
			SyncLatency: 30,
			Breakdown:   []Share{{ep("users", "GET /me"), 30}, {ep("web", "GET /home"), 20}},
		},
	}, {
		// A retry below the client span: two server spans, both on the
		// path, one hop.
		name: "retried call",
		rows: []sp{
			{parent: -1, svc: "a", kind: server, name: "op", end: 100},
			{parent: 0, svc: "a", kind: client, name: "GET", start: 10, end: 90, attrs: kv(urlFull, "http://b/x")},
			{parent: 1, svc: "b", kind: server, name: "GET /x", start: 11, end: 40, status: errorSts},
			{parent: 1, svc: "b", kind: server, name: "GET /x", start: 41, end: 89},
		},
		self:   []int64{20, 3, 29, 48},
		onPath: []bool{true, true, true, true},
		want: Metrics{
			SyncCalls:   2,
			Depth:       1,
			SyncLatency: 80,
			Breakdown:   []Share{{ep("b", "GET /x"), 80}, {ep("a", "op"), 20}},
		},
	}, {
		name: "call under async span",
		rows: []sp{
			{parent: -1, svc: "a", kind: server, name: "op", end: 10},
			{parent: 0, svc: "a", kind: internal, name: "later", start: 1, end: 30, flags: async},
			{parent: 1, svc: "a", kind: client, name: "x", start: 2, end: 20},
			{parent: 2, svc: "b", kind: server, name: "y", start: 3, end: 19},
		},
		self:   []int64{10, 0, 0, 0},
		onPath: []bool{true, false, false, false},
		want:   Metrics{Breakdown: []Share{{ep("a", "op"), 10}}},
	}, {
		name:   "short slices",
		rows:   []sp{{parent: -1, svc: "a", name: "op", end: 10}, {parent: 0, svc: "b", name: "y", start: 1, end: 9}},
		self:   []int64{2},
		onPath: []bool{true},
		want:   Metrics{SyncCalls: 1, Breakdown: []Share{{ep("a", "op"), 10}}},
	}, {
		name: "root out of range", rows: chain(), root: 12, self: chainSelf, onPath: chainOn,
	}, {
		name: "negative root", rows: chain(), root: -1, self: chainSelf, onPath: chainOn,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(t, tc.rows)
			got := Measure(tr, tc.root, Find(tr), tc.self, tc.onPath)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Measure =\n %+v\nwant\n %+v", got, tc.want)
			}
			var sum int64
			for _, s := range got.Breakdown {
				sum += s.Nanos
			}
			if tc.root >= 0 && int(tc.root) < len(tr.Spans) && sum != tr.Spans[tc.root].Duration() {
				t.Errorf("breakdown sums to %d, want the root's %d", sum, tr.Spans[tc.root].Duration())
			}
		})
	}
}

// TestMeasureIgnoresBadCalls checks that calls naming spans outside the
// trace are ignored rather than trusted.
func TestMeasureIgnoresBadCalls(t *testing.T) {
	tr := build(t, chain())
	cs := append(Find(tr), Call{Span: 99}, Call{Span: -3})
	self, on := chainPath()
	got := Measure(tr, 0, cs, self, on)
	if got.SyncCalls != 5 || got.Depth != 4 {
		t.Errorf("got %+v", got)
	}
}

// alternating builds an n-deep chain of spans alternating between two
// services. With pairs, each hop is a CLIENT span and the other service's
// SERVER span (n/2 calls); without, each span is a SERVER of the other
// service under the previous one (n-1 calls from uninstrumented clients).
func alternating(n int, pairs bool) *trace.Trace {
	t := &trace.Trace{Spans: make([]trace.Span, n), Parent: make([]int32, n)}
	svcs := [2]string{"a", "b"}
	for i := range t.Spans {
		s := &t.Spans[i]
		s.Start, s.End = int64(i), int64(2*n-i)
		s.Kind = trace.KindServer
		s.Service = svcs[i%2]
		if pairs {
			s.Service = svcs[i/2%2]
			if i%2 == 1 {
				s.Kind = trace.KindClient
			}
		}
		s.Name = "op"
		t.Parent[i] = int32(i - 1)
	}
	t.Link()
	return t
}

func TestDeepChain(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))
	const n = 100_000
	for _, tc := range []struct {
		pairs bool
		calls int
	}{{false, n - 1}, {true, n / 2}} {
		t.Run(fmt.Sprintf("pairs=%v", tc.pairs), func(t *testing.T) {
			tr := alternating(n, tc.pairs)
			cs := Find(tr)
			if len(cs) != tc.calls {
				t.Fatalf("%d calls, want %d", len(cs), tc.calls)
			}
			last := cs[len(cs)-1]
			if tc.pairs && (last.Span != n-1 || last.Server != -1 || last.Callee.Service != Unknown) {
				t.Errorf("last call %s", callString(last))
			}
			if !tc.pairs && (last.Span != n-1 || last.Caller.Service != "a" || last.Callee.Service != "b") {
				t.Errorf("last call %s", callString(last))
			}
			self := make([]int64, n)
			on := make([]bool, n)
			for i := range self {
				self[i], on[i] = 2, true
			}
			m := Measure(tr, 0, cs, self, on)
			// Every span lasts 2 ns more than its child: all but the
			// root's 2 ns are inside synchronous calls.
			if m.SyncCalls != tc.calls || m.Depth != tc.calls || m.SyncLatency != 2*(n-1) {
				t.Errorf("got SyncCalls=%d Depth=%d SyncLatency=%d", m.SyncCalls, m.Depth, m.SyncLatency)
			}
		})
	}
}

// TestWideFanOut checks that a request making 200,000 calls is handled in
// linear time (the entry span's name is computed once).
func TestWideFanOut(t *testing.T) {
	const n = 200_000
	tr := fanOut(n)
	start := time.Now()
	cs := Find(tr)
	m := Measure(tr, 0, cs, make([]int64, len(tr.Spans)), make([]bool, len(tr.Spans)))
	if len(cs) != n || m.SyncCalls != n || cs[n-1].Callee != ep("b", "GET /items/{id}") {
		t.Fatalf("%d calls, SyncCalls %d, last %s", len(cs), m.SyncCalls, callString(cs[n-1]))
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

// fanOut is a root making n calls, each a CLIENT span and its SERVER span.
func fanOut(n int) *trace.Trace {
	t := &trace.Trace{Spans: make([]trace.Span, 2*n+1), Parent: make([]int32, 2*n+1)}
	t.Spans[0] = trace.Span{Service: "a", Kind: trace.KindServer, Name: "GET", End: int64(n + 2),
		Attrs: kv(route, "/fan")}
	t.Parent[0] = -1
	for k := 0; k < n; k++ {
		c, s := 2*k+1, 2*k+2
		t.Spans[c] = trace.Span{Service: "a", Kind: trace.KindClient, Name: "GET", Start: int64(k + 1), End: int64(k + 2),
			Attrs: kv(urlFull, fmt.Sprintf("http://b/items/%d", k))}
		t.Spans[s] = trace.Span{Service: "b", Kind: trace.KindServer, Name: "GET", Start: int64(k + 1), End: int64(k + 2),
			Attrs: kv(urlPath, fmt.Sprintf("/items/%d", k))}
		t.Parent[c], t.Parent[s] = 0, int32(c)
	}
	t.Link()
	return t
}

func BenchmarkFind(b *testing.B) {
	for _, bc := range []struct {
		name string
		t    *trace.Trace
	}{
		{"chain100k", alternating(100_000, true)},
		{"fanout200k", fanOut(200_000)},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				Find(bc.t)
			}
		})
	}
}

func BenchmarkMeasure(b *testing.B) {
	tr := fanOut(200_000)
	cs := Find(tr)
	self := make([]int64, len(tr.Spans))
	on := make([]bool, len(tr.Spans))
	for b.Loop() {
		Measure(tr, 0, cs, self, on)
	}
}
