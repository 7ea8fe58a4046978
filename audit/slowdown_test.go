package audit_test

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/whatif"
)

func TestParseSlowdown(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want audit.Slowdown
		err  bool
	}{
		{in: "payment=+500ms", want: audit.Slowdown{Service: "payment", Change: whatif.Slowdown{Delta: int64(500 * time.Millisecond)}, Spec: "+500ms"}},
		{in: "payment=1.5s", want: audit.Slowdown{Service: "payment", Change: whatif.Slowdown{Delta: int64(1500 * time.Millisecond)}, Spec: "+1.5s"}},
		{in: "payment=×3", want: audit.Slowdown{Service: "payment", Change: whatif.Slowdown{Factor: 3}, Spec: "×3"}},
		{in: "payment=x3", want: audit.Slowdown{Service: "payment", Change: whatif.Slowdown{Factor: 3}, Spec: "×3"}},
		{in: "payment=X2.5", want: audit.Slowdown{Service: "payment", Change: whatif.Slowdown{Factor: 2.5}, Spec: "×2.5"}},
		{in: " payment = *3 ", want: audit.Slowdown{Service: "payment", Change: whatif.Slowdown{Factor: 3}, Spec: "×3"}},
		{in: "a=b=+1ms", want: audit.Slowdown{Service: "a=b", Change: whatif.Slowdown{Delta: int64(time.Millisecond)}, Spec: "+1ms"}},
		{in: "payment", err: true},
		{in: "=+500ms", err: true},
		{in: "payment=", err: true},
		{in: "payment=-500ms", err: true},
		{in: "payment=+0s", err: true},
		{in: "payment=×0", err: true},
		{in: "payment=×-2", err: true},
		{in: "payment=×Inf", err: true},
		{in: "payment=×NaN", err: true},
		{in: "payment=3", err: true},
	} {
		got, err := audit.ParseSlowdown(tc.in)
		if (err != nil) != tc.err || !tc.err && got != tc.want {
			t.Errorf("ParseSlowdown(%q) = %+v, %v; want %+v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// slowdownTraces: two checkouts calling payment, then email (a deferrable
// notification the plan makes asynchronous at 1 ms), with 10 ms of the
// caller's own work after; a refund calling payment only; a health check
// calling nothing. Each CLIENT span holds the callee's SERVER span 1 ms
// inside it at both ends.
//
//	t1 checkout [0,100]: payment [5,25] (server 18 ms), email [30,90] (server 58 ms)
//	t2 checkout [0,200]: payment [5,25], email [30,190] (server 158 ms)
//	t3 refund   [0,50]:  payment [10,40], then 10 ms
//	t4 health   [0,5]
func slowdownTraces(t *testing.T) string {
	call := func(id, parent, svc, op string, start, end float64) []otlpSpan {
		a := map[string]string{"http.request.method": "POST"}
		return []otlpSpan{
			{svc: "checkout", name: "HTTP POST", id: id, parent: parent, kind: 3, start: start, end: end, attrs: a},
			{svc: svc, name: op, id: id + "1", parent: id, kind: 2, start: start + 1, end: end - 1,
				attrs: map[string]string{"http.request.method": "POST", "http.route": op[len("POST "):]}},
		}
	}
	root := func(op string, end float64) otlpSpan {
		return otlpSpan{svc: "checkout", name: op, id: "1", kind: 2, start: 0, end: end}
	}
	checkout := func(end, emailEnd float64) []otlpSpan {
		s := []otlpSpan{root("POST /checkout", end)}
		s = append(s, call("2", "1", "payment", "POST /charge", 5, 25)...)
		return append(s, call("3", "1", "email", "POST /send", 30, emailEnd)...)
	}
	return writeOTLP(t, map[string][]otlpSpan{
		"1": checkout(100, 90),
		"2": checkout(200, 190),
		"3": append([]otlpSpan{root("POST /refund", 50)}, call("2", "1", "payment", "POST /charge", 10, 40)...),
		"4": {root("GET /health", 5)},
	})
}

// TestSlowdownHandComputed: the blast radius of a slow payment and a slow
// email, today and under the plan (email detached at 1 ms), computed by
// hand from slowdownTraces:
//
//   - payment +500ms: every call to payment ends 500 ms later and
//     everything after it moves: checkout {600, 700} ms, refund 550 ms.
//     Under the plan, email costs 1 ms after payment: checkout ends at
//     525 + 5 + 1 + 10 = 541 ms in both traces.
//   - email ×3: email's server spans (58 and 158 ms) take 116 and 316 ms
//     more: checkout {216, 516}; the plan makes email asynchronous, so the
//     slowdown no longer counts: 30 + 1 + 10 = 41 ms, as the plan alone.
//   - nobody=+1s: no endpoint calls it.
//
// Percentiles are nearest-rank: of two values, p50 is the lower, p95 and
// p99 the higher.
func TestSlowdownHandComputed(t *testing.T) {
	ctx := context.Background()
	res, err := ingest.Load(ctx, []string{slowdownTraces(t)}, nil, ingest.Options{Repair: repair.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	opt := audit.DefaultOptions()
	opt.Detect.EnqueueCost = time.Millisecond
	for _, s := range []string{"payment=+500ms", "email=×3", "nobody=+1s"} {
		sd, err := audit.ParseSlowdown(s)
		if err != nil {
			t.Fatal(err)
		}
		opt.Slowdowns = append(opt.Slowdowns, sd)
	}
	rep, err := audit.Run(ctx, res, opt)
	if err != nil {
		t.Fatal(err)
	}
	lat := func(p50, p95, p99 float64) report.LatencyAfter {
		return report.LatencyAfter{P50: p50, P95: p95, P99: p99}
	}
	checkout := report.Ref{Service: "checkout", Operation: "POST /checkout"}
	refund := report.Ref{Service: "checkout", Operation: "POST /refund"}
	want := []report.Slowdown{
		{Service: "payment", Spec: "+500ms", DeltaMs: 500, Endpoints: []report.SlowdownEndpoint{
			{Endpoint: checkout, Requests: 2, Affected: 2, BaselineMs: lat(100, 200, 200), SlowMs: lat(600, 700, 700),
				PlanMs: lat(41, 41, 41), PlanSlowMs: lat(541, 541, 541)},
			{Endpoint: refund, Requests: 1, Affected: 1, BaselineMs: lat(50, 50, 50), SlowMs: lat(550, 550, 550),
				PlanMs: lat(50, 50, 50), PlanSlowMs: lat(550, 550, 550)},
		}},
		{Service: "email", Spec: "×3", Factor: 3, Endpoints: []report.SlowdownEndpoint{
			{Endpoint: checkout, Requests: 2, Affected: 2, BaselineMs: lat(100, 200, 200), SlowMs: lat(216, 516, 516),
				PlanMs: lat(41, 41, 41), PlanSlowMs: lat(41, 41, 41)},
		}},
		{Service: "nobody", Spec: "+1s", DeltaMs: 1000, Endpoints: []report.SlowdownEndpoint{}},
	}
	if !reflect.DeepEqual(rep.Slowdowns, want) {
		t.Errorf("slowdowns:\n got %+v\nwant %+v", rep.Slowdowns, want)
	}
	// The plan's own projection agrees with the slowdowns' planMs.
	for _, p := range rep.Plan {
		if p.Endpoint == checkout && p.AfterMs != lat(41, 41, 41) {
			t.Errorf("plan after %+v, want 41 ms", p.AfterMs)
		}
	}

	opt.Slowdowns = nil
	rep, err = audit.Run(ctx, res, opt)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Slowdowns != nil {
		t.Errorf("without slowdowns: %+v", rep.Slowdowns)
	}
}

// TestSlowdownPartitioned: the slowdowns of a partitioned input (pass 2
// reads every partition) are those of the input in memory, byte for byte.
func TestSlowdownPartitioned(t *testing.T) {
	opt := audit.DefaultOptions()
	for _, s := range []string{"payment=+500ms", "email=x2", "inventory=*3"} {
		sd, err := audit.ParseSlowdown(s)
		if err != nil {
			t.Fatal(err)
		}
		opt.Slowdowns = append(opt.Slowdowns, sd)
	}
	checkPartitioned(t, []string{filepath.Join("..", "fixtures", "sync", "otlp.jsonl.gz")}, 20_000, opt)
}
