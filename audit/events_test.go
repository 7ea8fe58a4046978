package audit

import (
	"reflect"
	"testing"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
)

// TestEvents: a recommended make-async call from order POST /checkout to
// email POST /orders/{orderId}/receipt, made 6 times: 4 in the first
// minute, none in the second, 2 in the third. Hand-computed: rates per
// minute [4, 0, 2] → median 2/60, peak 4/60 events/s; processing 100,
// 200, 300, 400, 500, 600 ms → p50 300 (rank 3), p95 600 (rank 6);
// consumers ⌈4/60 × 0.6⌉ = 1. A non-recommended candidate and a
// parallelize one propose nothing.
func TestEvents(t *testing.T) {
	const s, m = int64(1e9), int64(60e9)
	ms := int64(1e6)
	t0 := 1000 * m
	order := report.Ref{Service: "order", Operation: "POST /checkout"}
	email := report.Ref{Service: "email", Operation: "POST /orders/{orderId}/receipt"}
	k := calls.Key{Endpoint: calls.Endpoint(order), Caller: calls.Endpoint(order), Callee: calls.Endpoint(email)}
	per := map[int64]int64{}
	for _, st := range []int64{t0, t0 + 10*s, t0 + 20*s, t0 + 59*s, t0 + 2*m, t0 + 2*m + 30*s} {
		per[minuteOf(st)]++
	}
	timings := map[calls.Key]callTiming{k: {perMinute: per, serve: []int64{600 * ms, 100 * ms, 500 * ms, 200 * ms, 400 * ms, 300 * ms}}}
	cands := []report.Candidate{
		{Rank: 1, Action: report.MakeAsync, Endpoint: order, Caller: order, Callee: email, Recommended: true},
		{Rank: 2, Action: report.MakeAsync, Endpoint: order, Caller: order, Callee: report.Ref{Service: "x"}},
		{Rank: 3, Action: report.Parallelize, Endpoint: order, Caller: order, Callee: email, Recommended: true},
	}
	got := events(cands, timings)
	want := []report.Event{{
		Candidate: 1, Name: "order.checkout.email-requested", Channel: "email.receipt", Producer: order, Consumer: email,
		Payload:        []report.EventField{{Name: "orderId", Type: "string"}, {Name: "eventId", Type: "string"}, {Name: "occurredAt", Type: "date-time"}, {Name: "traceparent", Type: "string"}},
		IdempotencyKey: "orderId + eventId",
		Rate:           report.EventRate{P50: 2.0 / 60, Peak: 4.0 / 60},
		ProcessingMs:   report.LatencyAfter{P50: 300, P95: 600, P99: 600},
		Consumers:      1,
	}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("events\n got %+v\nwant %+v", got, want)
	}
	// 600 calls in one minute at 600 ms p95 need ⌈10/s × 0.6 s⌉ = 6 consumers.
	busy := callTiming{perMinute: map[int64]int64{}}
	for i := range 600 {
		busy.perMinute[minuteOf(t0+int64(i)*(m/600))]++
		busy.serve = append(busy.serve, 600*ms)
	}
	got = events(cands[:1], map[calls.Key]callTiming{k: busy})
	if got[0].Consumers != 6 || got[0].Rate.Peak != 10 {
		t.Errorf("busy: %d consumers at %v/s, want 6 at 10/s", got[0].Consumers, got[0].Rate.Peak)
	}
}

func TestSlugAndSegments(t *testing.T) {
	for in, want := range map[string]string{"POST /checkout": "checkout", "/* → ts-order-service /api/v1/orders/{id}": "orders",
		"hipstershop.CartService/GetCart": "GetCart", "POST /orders/{orderId}/receipt": "receipt", "GET /": "call"} {
		if got := lastSegment(in); got != want {
			t.Errorf("lastSegment(%q) = %q, want %q", in, got, want)
		}
	}
	if minuteOf(-1) != -1 || minuteOf(0) != 0 || minuteOf(60e9) != 1 || minuteOf(-60e9) != -1 || minuteOf(-60e9-1) != -2 {
		t.Errorf("minuteOf: %d %d %d %d %d", minuteOf(-1), minuteOf(0), minuteOf(60e9), minuteOf(-60e9), minuteOf(-60e9-1))
	}
	if got := slug("Send Receipt!/v2"); got != "send-receipt-v2" {
		t.Errorf("slug = %q", got)
	}
}
