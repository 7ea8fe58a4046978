package critpath

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

// spansPerOrder is the size of one synthetic "order" request.
const spansPerOrder = 26

// orderTrace builds in memory the trace peers.md §5.1–5.2 timed: one root
// with k sequential "order" requests of 26 spans each (k = 38,500 gives
// 1,001,001 spans). An order is a SERVER "POST /order" with sequential
// CLIENT→SERVER calls to auth (8 ms), inventory (25 ms, 3 sequential
// SELECTs), payment (120 ms), email (90 ms) and analytics (40 ms), then 5
// parallel recommendation calls (30 ms), a PRODUCER span and its CONSUMER
// (async), which starts after the order ends. Durations are jittered ×0.7–1.6
// with a fixed seed. Of each order, 17 spans are on the critical path.
func orderTrace(k int) *trace.Trace {
	const ms = int64(1_000_000)
	r := rand.New(rand.NewPCG(42, 42))
	jitter := func(d int64) int64 { return int64(float64(d) * (0.7 + 0.9*r.Float64())) }
	tid := trace.TraceID{15: 7}
	spans := make([]trace.Span, 0, 1+k*spansPerOrder)
	parents := make([]int32, 0, cap(spans))
	add := func(parent int32, start, end int64, kind trace.Kind, svc, name string) int32 {
		var id trace.SpanID
		binary.BigEndian.PutUint64(id[:], uint64(len(spans)+1))
		spans = append(spans, trace.Span{TraceID: tid, SpanID: id, Service: svc, Name: name, Start: start, End: end, Kind: kind})
		parents = append(parents, parent)
		return int32(len(spans) - 1)
	}
	root := add(-1, 0, 0, trace.KindServer, "gateway", "GET /batch")
	at := ms
	for range k {
		order := add(root, at, 0, trace.KindServer, "frontend", "POST /order")
		t := at + ms
		call := func(svc string, d int64) (server int32, start, end int64) {
			c := add(order, t, t+d, trace.KindClient, "frontend", "call "+svc)
			delta := d / 20
			server = add(c, t+delta, t+d-delta, trace.KindServer, svc, "handle")
			start, end = t+delta, t+d-delta
			t += d + ms
			return server, start, end
		}
		call("auth", jitter(8*ms))
		inv, a, b := call("inventory", jitter(25*ms))
		l, g := (b-a)/4, (b-a)/16
		for q := range int64(3) {
			s := a + g + q*(l+g)
			add(inv, s, s+l, trace.KindClient, "inventory", "SELECT")
		}
		call("payment", jitter(120*ms))
		call("email", jitter(90*ms))
		call("analytics", jitter(40*ms))
		var longest int64
		for range 5 {
			d := jitter(30 * ms)
			c := add(order, t, t+d, trace.KindClient, "frontend", "call recommendation")
			add(c, t+d/20, t+d-d/20, trace.KindServer, "recommendation", "handle")
			longest = max(longest, d)
		}
		t += longest + ms
		prod := add(order, t, t+ms, trace.KindProducer, "frontend", "publish order.created")
		end := t + 2*ms
		spans[order].End = end
		cons := add(prod, end+2*ms, end+7*ms, trace.KindConsumer, "mailer", "consume order.created")
		spans[cons].Flags |= trace.FlagAsync
		spans[cons].ParentRef = trace.RefFollowsFrom
		at = end + ms
	}
	spans[root].End = at
	// Put the spans in canonical order as a decoder would; the span ID
	// remembers the creation index.
	tr := &trace.Trace{ID: tid, Spans: spans}
	tr.SortSpans()
	pos := make([]int32, len(spans))
	for i := range tr.Spans {
		pos[binary.BigEndian.Uint64(tr.Spans[i].SpanID[:])-1] = int32(i)
	}
	for created, p := range parents {
		if p >= 0 {
			tr.Parent[pos[created]] = pos[p]
		}
	}
	tr.Link()
	return tr
}

func TestOrderShape(t *testing.T) {
	const k = 300
	tr := orderTrace(k)
	if got := tr.Len(); got != 1+k*spansPerOrder {
		t.Fatalf("%d spans, want %d", got, 1+k*spansPerOrder)
	}
	p := Compute(tr)
	on := 0
	for i := range tr.Spans {
		s := &tr.Spans[i]
		if p.OnPath[i] {
			on++
		}
		if s.Kind == trace.KindConsumer && p.OnPath[i] {
			t.Errorf("async consumer %d on the path", i)
		}
		if (s.Name == "SELECT" || s.Kind == trace.KindProducer) && !p.OnPath[i] {
			t.Errorf("%s span %d off the path", s.Name, i)
		}
	}
	if on != 1+17*k {
		t.Errorf("%d spans on the path, want %d", on, 1+17*k)
	}
	self, onRef, skew := reference(tr)
	if skew {
		t.Error("the order shape should not need the skew rule")
	}
	if !slices.Equal(p.Self, self) || !slices.Equal(p.OnPath, onRef) {
		t.Error("Compute differs from the reference on the order shape")
	}
	checkInvariants(t, tr, p, false)
	// Its siblings neither overlap nor touch: the Jaeger UI agrees.
	ui := ComputeMode(tr, JaegerUI)
	if !slices.Equal(ui.Self, p.Self) || !slices.Equal(ui.OnPath, p.OnPath) {
		t.Error("JaegerUI mode differs from Default on the order shape")
	}
}

// BenchmarkComputeWide times Compute on the 1,001,001-span order trace whose
// root has 38,500 children (Jaeger's Go port takes 175 s, peers.md §5.2),
// and the same in JaegerUI mode (the UI's own loop is as quadratic).
func BenchmarkComputeWide(b *testing.B) {
	tr := orderTrace(38_500)
	for _, m := range []Mode{Default, JaegerUI} {
		b.Run(m.String(), func(b *testing.B) {
			b.ReportMetric(float64(tr.Len()), "spans")
			b.ReportAllocs()
			for b.Loop() {
				ComputeMode(tr, m)
			}
		})
	}
}
