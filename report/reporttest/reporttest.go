// Package reporttest holds what the tests of the report model and of its
// renderers share: a hand-built report with every field populated and
// hostile names (Rich), a large one (Big), and golden-file comparison.
//
// Input: nothing. Output: *report.Report values and test verdicts.
package reporttest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/report"
)

// Hostile names: each must come out inert in every renderer.
const (
	HostileScript = "<script>alert(1)</script>"
	HostilePipe   = "a|b"
	HostileBold   = "**bold**"
	HostileTick   = "`rm -rf /`"
	HostileLines  = "line one\nline two"
)

// Rich is a hand-built report with every field populated, hostile
// names among the services, operations, reasons and details, and values
// that exercise the number formats (sub-millisecond, seconds, large totals).
func Rich() *report.Report {
	checkout := report.Ref{Service: "frontend", Operation: "POST /checkout"}
	evil := report.Ref{Service: HostileScript, Operation: HostilePipe}
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Summary: report.Summary{
			Input: report.Input{
				Files: 3, FilesFailed: 1,
				Formats:       map[string]int{"otlp-json": 1, "jaeger": 1, "zipkin": 1},
				SpansRead:     12840,
				SpansInTraces: 12790,
				SpansRejected: 50,
				Rejected:      map[string]int{"duplicate-span": 46, "invalid-trace-id": 4},
				Traces:        160, PartialTraces: 2,
				Warnings: map[string]int{"clock-skew": 12, "missing-parent": 2},
			},
			Requests: 160, EnqueueCostMs: 0.5, JaegerCompat: true,
		},
		Endpoints: []report.Endpoint{
			{
				Service: "frontend", Operation: "POST /checkout", Traces: 120, Errors: 3,
				LatencyMs:     report.Percentiles{P50: 420.25, P95: 880, P99: 1210.5, Max: 1630},
				SyncLatencyMs: report.Percentiles{P50: 310, P95: 702.5, P99: 1001, Max: 1400},
				CriticalPath: []report.PathShare{
					{Service: "payment", Operation: "charge", MeanMs: 150, Share: 0.357},
					{Service: "email", Operation: "send receipt", MeanMs: 120, Share: 0.286},
					{Service: "inventory", Operation: "reserve", MeanMs: 60, Share: 0.143},
					{Service: "frontend", Operation: "POST /checkout", MeanMs: 40, Share: 0.095},
					{Service: HostileScript, Operation: HostilePipe, MeanMs: 30, Share: 0.071},
					{Service: "recommendation", Operation: HostileBold, MeanMs: 20, Share: 0.048},
				},
			},
			{
				Service: HostileScript, Operation: HostilePipe, Traces: 40, Errors: 0,
				LatencyMs:     report.Percentiles{P50: 0.42, P95: 8.5, P99: 12.25, Max: 30},
				SyncLatencyMs: report.Percentiles{P50: 0.2, P95: 6, P99: 9, Max: 25},
				CriticalPath: []report.PathShare{
					{Service: "audit-log", Operation: HostileTick, MeanMs: 5.5, Share: 0.65},
					{Service: HostileScript, Operation: HostilePipe, MeanMs: 3, Share: 0.35},
				},
			},
		},
		Candidates: []report.Candidate{
			{
				Rank: 1, Action: report.MakeAsync, Endpoint: checkout,
				Caller: report.Ref{Service: "checkout", Operation: "POST /checkout"}, Callee: report.Ref{Service: "email", Operation: "send receipt"},
				Calls: 120, Traces: 120, Confidence: 0.92, Recommended: true,
				Reasons: []string{
					"the caller's response does not depend on the result: it is sent before the call returns in 97% of requests",
					"the callee's name matches a notification pattern (email)",
				},
				SavingsMs:      report.Savings{Mean: 118.5, P50: 115, P95: 140, P99: 160, Total: 14220},
				Share:          0.27,
				LatencyAfterMs: report.LatencyAfter{P50: 305, P95: 740, P99: 1050},
				Fix:            "publish order.created to a queue instead of calling email",
				CallSites: []report.CallSite{{Callee: report.Ref{Service: "email", Operation: "send receipt"},
					Function: "checkout.(*Service).sendReceipt", File: "internal/checkout/receipt.go", Line: 87}},
			},
			{
				Rank: 2, Action: report.Parallelize, Endpoint: checkout,
				Caller: report.Ref{Service: "checkout", Operation: "POST /checkout"}, Callee: report.Ref{Service: "inventory", Operation: "reserve + shipping quote"},
				Callees: []report.Ref{{Service: "inventory", Operation: "reserve"}, {Service: "shipping", Operation: "quote"}},
				Calls:   240, Traces: 120, Confidence: 0.71, Recommended: true,
				Reasons: []string{
					"independent of payment charge: no data flows between the two calls",
					"runs after payment charge in 100% of requests",
				},
				SavingsMs:      report.Savings{Mean: 55, P50: 58, P95: 61, P99: 70, Total: 6600},
				Share:          0.125,
				LatencyAfterMs: report.LatencyAfter{P50: 362, P95: 819, P99: 1140},
				Fix:            "call inventory reserve concurrently with payment charge",
			},
			{
				Rank: 3, Action: report.MakeAsync, Endpoint: evil,
				Caller: evil, Callee: report.Ref{Service: "audit-log", Operation: HostileTick},
				Calls: 40, Traces: 40, Confidence: 0.55, Recommended: false,
				Reasons: []string{
					"reason with " + HostileScript + " | pipe and " + HostileBold,
					HostileLines,
				},
				SavingsMs:      report.Savings{Mean: 0.75, P50: 0.5, P95: 4.25, P99: 6, Total: 30},
				Share:          0.3,
				LatencyAfterMs: report.LatencyAfter{P50: 0.3, P95: 4.5, P99: 7},
				Fix:            "emit an audit event (" + HostileTick + ") instead of a call",
			},
		},
		Plan: []report.PlanEndpoint{
			{Endpoint: checkout, Changes: []int{1, 2},
				BeforeMs: report.LatencyAfter{P50: 420.25, P95: 880, P99: 1210.5},
				AfterMs:  report.LatencyAfter{P50: 250, P95: 560, P99: 800},
				Failures: &report.PlanFailures{Failed: 3, Avoided: 2, AvoidedShare: 2.0 / 3, ErrorRateBefore: 0.025, ErrorRateAfter: 1.0 / 120}},
			{Endpoint: evil, Changes: []int{3},
				BeforeMs: report.LatencyAfter{P50: 0.42, P95: 8.5, P99: 12.25},
				AfterMs:  report.LatencyAfter{P50: 0.3, P95: 4.5, P99: 7}},
		},
		Checklist: []report.CheckItem{
			{ID: "sync-calls", Title: "At most a few synchronous calls per operation", Pass: false,
				Threshold: "synchronous calls per request p50 > 5",
				Evidence:  []report.Evidence{{Endpoint: checkout, Value: 6, Unit: "sync calls (p50)", Traces: 120, Detail: "max 9 per request"}}},
			{ID: "slow-sync-calls", Title: "No slow synchronous calls", Pass: false,
				Threshold: "call p95 > 200ms",
				Evidence: []report.Evidence{{Endpoint: checkout, Caller: report.Ref{Service: "checkout", Operation: "POST /checkout"}, Callee: report.Ref{Service: "payment", Operation: "charge"},
					Value: 310.5, Unit: "ms p95", Traces: 120, Detail: "120 call(s), p50 150.0ms"}}},
			{ID: "no-timeout", Title: "Timeouts on every synchronous call", Pass: true,
				Threshold: "a call running longer than 5s", Evidence: []report.Evidence{}},
			{ID: "no-circuit-breaker", Title: "Circuit breakers on synchronous calls", Pass: false,
				Threshold: "≥ 3 failures that are not faster than half the successful median",
				Evidence: []report.Evidence{{Endpoint: evil, Caller: evil, Callee: report.Ref{Service: "audit-log", Operation: HostileTick},
					Value: 4, Unit: "failed calls", Traces: 4, Detail: "failures take " + HostileScript + " | " + HostileBold}}},
			{ID: "non-critical-on-path", Title: "Non-critical operations converted to async events", Pass: false,
				Threshold: "a recommended make-async candidate",
				Evidence: []report.Evidence{{Endpoint: checkout, Caller: report.Ref{Service: "checkout", Operation: "POST /checkout"}, Callee: report.Ref{Service: "email", Operation: "send receipt"},
					Value: 115, Unit: "ms saved (p50)", Traces: 120, Detail: "candidate #1, confidence 0.92"}}},
			{ID: "async-lag", Title: "Asynchronous work keeps up", Pass: true,
				Threshold: "publish→consume lag p95 > 1s",
				Evidence: []report.Evidence{{Endpoint: checkout, Caller: report.Ref{Service: "checkout", Operation: "publish order.created"}, Callee: report.Ref{Service: "analytics", Operation: "consume order.created"},
					Value: 95, Unit: "ms lag p95", Traces: 118, Detail: "lag p50 12.0ms, max 240.0ms"}}},
		},
		Waterfalls: []report.Waterfall{
			{Endpoint: checkout, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Percentile: "p95", DurationMs: 880,
				Spans: []report.WaterfallSpan{
					{Depth: 0, Service: "frontend", Operation: "POST /checkout", Kind: "server", StartMs: 0, DurationMs: 880, CriticalMs: 40, OnCriticalPath: true},
					{Depth: 1, Service: "checkout", Operation: "POST /checkout", Kind: "server", StartMs: 2, DurationMs: 875, CriticalMs: 15, OnCriticalPath: true},
					{Depth: 2, Service: "checkout", Operation: "GET /cart", Kind: "client", StartMs: 5, DurationMs: 30, CriticalMs: 2, OnCriticalPath: true},
					{Depth: 3, Service: "cart", Operation: "GET /cart", Kind: "server", StartMs: 6, DurationMs: 27, CriticalMs: 27, OnCriticalPath: true},
					{Depth: 2, Service: "checkout", Operation: "charge", Kind: "client", StartMs: 40, DurationMs: 380, CriticalMs: 5, OnCriticalPath: true},
					{Depth: 3, Service: "payment", Operation: "charge", Kind: "server", StartMs: 42, DurationMs: 375, CriticalMs: 300, OnCriticalPath: true},
					{Depth: 4, Service: "payment", Operation: "SELECT accounts", Kind: "client", StartMs: 60, DurationMs: 70, CriticalMs: 70, OnCriticalPath: true},
					{Depth: 4, Service: "fraud", Operation: "score", Kind: "client", StartMs: 140, DurationMs: 12, CriticalMs: 0, Error: true},
					{Depth: 2, Service: "checkout", Operation: "reserve", Kind: "client", StartMs: 425, DurationMs: 150, CriticalMs: 5, OnCriticalPath: true, Candidate: 2},
					{Depth: 3, Service: "inventory", Operation: "reserve", Kind: "server", StartMs: 427, DurationMs: 146, CriticalMs: 146, OnCriticalPath: true, Candidate: 2},
					{Depth: 2, Service: "checkout", Operation: "send receipt", Kind: "client", StartMs: 580, DurationMs: 290, CriticalMs: 5, OnCriticalPath: true, Candidate: 1},
					{Depth: 3, Service: "email", Operation: "send receipt", Kind: "server", StartMs: 582, DurationMs: 286, CriticalMs: 286, OnCriticalPath: true, Candidate: 1},
					{Depth: 3, Service: HostileScript, Operation: HostilePipe + " " + HostileLines, Kind: "internal", StartMs: 600, DurationMs: 20, CriticalMs: 0},
					{Depth: 2, Service: "checkout", Operation: "publish order.created", Kind: "producer", StartMs: 872, DurationMs: 3, CriticalMs: 0, Async: true},
					{Depth: 3, Service: "analytics", Operation: "consume order.created with a very long operation name that does not fit", Kind: "consumer", StartMs: 890, DurationMs: 180, CriticalMs: 0, Async: true},
				}},
			{Endpoint: evil, TraceID: "00f067aa0ba902b7a3ce929d0e0e4736", Percentile: "p95", DurationMs: 8.5,
				Spans: []report.WaterfallSpan{
					{Depth: 0, Service: HostileScript, Operation: HostilePipe, Kind: "server", StartMs: 0, DurationMs: 8.5, CriticalMs: 3, OnCriticalPath: true},
					{Depth: 1, Service: HostileScript, Operation: HostileTick, Kind: "client", StartMs: 1, DurationMs: 5.5, CriticalMs: 0.5, OnCriticalPath: true, Candidate: 3},
					{Depth: 2, Service: "audit-log", Operation: HostileTick, Kind: "server", StartMs: 1.25, DurationMs: 5, CriticalMs: 5, OnCriticalPath: true, Candidate: 3, Error: true},
				}},
		},
		Async: []report.AsyncFlow{
			{Endpoint: checkout, Producer: report.Ref{Service: "checkout", Operation: "publish order.created"}, Consumer: report.Ref{Service: "analytics", Operation: "consume order.created"},
				Count: 118, LagMs: report.Percentiles{P50: 12, P95: 95, P99: 180, Max: 240}},
			{Endpoint: evil, Producer: report.Ref{Service: HostileScript, Operation: HostileBold}, Consumer: report.Ref{Service: HostilePipe, Operation: HostileLines},
				Count: 2, LagMs: report.Percentiles{P50: 1500, P95: 2500, P99: 2600, Max: 2650}},
		},
		Events: []report.Event{
			{Candidate: 1, Name: "frontend.checkout.email-requested", Channel: "email.send-receipt", Producer: checkout,
				Consumer:       report.Ref{Service: "email", Operation: "send receipt"},
				Payload:        []report.EventField{{Name: "orderId", Type: "string"}, {Name: "eventId", Type: "string"}, {Name: "occurredAt", Type: "date-time"}},
				IdempotencyKey: "orderId + eventId", Rate: report.EventRate{P50: 1.5, Peak: 4.25},
				ProcessingMs: report.LatencyAfter{P50: 120, P95: 260.5, P99: 300}, Consumers: 2},
			{Candidate: 3, Name: HostileScript, Channel: HostileTick, Producer: evil, Consumer: report.Ref{Service: "audit-log", Operation: HostileTick},
				Payload: []report.EventField{{Name: HostilePipe, Type: "string"}}, IdempotencyKey: HostileBold, Consumers: 1},
		},
		Diagrams: []report.Diagram{
			{Endpoint: checkout, Omitted: 3, Edges: []report.DiagramEdge{
				{Caller: checkout, Callee: report.Ref{Service: "payment", Operation: "charge"}, CallsPerRequest: 1, P95Ms: 310, TotalMs: 18000},
				{Caller: checkout, Callee: report.Ref{Service: "email", Operation: "send receipt"}, CallsPerRequest: 0.98, P95Ms: 260.5, TotalMs: 14400, Plan: report.MakeAsync},
				{Caller: checkout, Callee: report.Ref{Service: "inventory", Operation: "reserve"}, CallsPerRequest: 1, P95Ms: 90, TotalMs: 7200, Plan: report.Parallelize},
				{Caller: report.Ref{Service: "inventory", Operation: "reserve"}, Callee: report.Ref{Service: "postgresql/stock", Operation: "UPDATE stock"}, CallsPerRequest: 2.5, P95Ms: 0.8, TotalMs: 150},
				{Caller: report.Ref{Service: "frontend", Operation: "POST /checkout"}, Callee: report.Ref{Service: "frontend", Operation: "render"}, CallsPerRequest: 1, P95Ms: 4, TotalMs: 100},
				{Caller: report.Ref{Service: "checkout", Operation: "publish order.created"}, Callee: report.Ref{Service: "analytics", Operation: "consume order.created"}, Async: true, CallsPerRequest: 0.98},
			}},
			{Endpoint: evil, Edges: []report.DiagramEdge{
				{Caller: evil, Callee: report.Ref{Service: "audit-log", Operation: HostileTick}, CallsPerRequest: 1, P95Ms: 5.5, TotalMs: 220},
				{Caller: evil, Callee: report.Ref{Service: HostilePipe, Operation: HostileLines}, CallsPerRequest: 0.05, P95Ms: 1, TotalMs: 2},
			}},
		},
	}
	r.Baseline = &report.BaselineDiff{
		File: "last-week.json", TolerancePct: 5,
		Endpoints: []report.EndpointChange{
			{Endpoint: checkout, BeforeTraces: 100, AfterTraces: 120,
				BeforeMs:    report.Percentiles{P50: 400, P95: 800, P99: 1100, Max: 1500},
				AfterMs:     r.Endpoints[0].LatencyMs,
				ChangePct:   report.Percentiles{P50: 5.0625, P95: 10, P99: 10.045, Max: 8.667},
				ProjectedMs: &report.LatencyAfter{P50: 260, P95: 580, P99: 820}, ProjectionErrorPct: &report.LatencyAfter{P50: 61.6, P95: 51.7, P99: 47.6}},
			{Endpoint: evil, BeforeTraces: 0, AfterTraces: 40, AfterMs: r.Endpoints[1].LatencyMs},
		},
		NewCandidates: []report.CandidateKey{r.Candidates[1].Key()},
		Resolved:      []report.CandidateKey{{Action: report.MakeAsync, Endpoint: checkout, Caller: report.Ref{Service: "checkout", Operation: "POST /checkout"}, Callee: report.Ref{Service: "sms", Operation: "send"}}},
		Savings:       []report.SavingsChange{{Candidate: r.Candidates[0].Key(), BeforeP95Ms: 120, AfterP95Ms: 140}},
		Regressions:   []string{"frontend POST /checkout latency p95 800.0ms → 880.0ms (+10.0%)", "new candidate " + HostileScript},
		Improvements:  []string{"new endpoint " + HostileScript + " " + HostilePipe + " (p95 8.5ms)"},
	}
	r.Audit = []report.RuleResult{
		{Rule: "savings.p95>100ms", Failed: true, Offenders: []string{"#1 make-async checkout → email send receipt saves 140.0ms at p95"}},
		{Rule: "regressions", Failed: true, Offenders: []string{"frontend POST /checkout latency p95 800.0ms → 880.0ms (+10.0%)", HostileScript + " | " + HostileBold}},
		{Rule: "syncCalls>10", Failed: false, Offenders: []string{}},
	}
	r.Endpoints[0].SyncCalls.P50, r.Endpoints[0].SyncCalls.Max = 6, 9
	r.Endpoints[0].SyncDepth.Max = 3
	r.Endpoints[1].SyncCalls.P50, r.Endpoints[1].SyncCalls.Max = 1, 2
	r.Endpoints[1].SyncDepth.Max = 2
	return r
}

// Golden compares got with testdata/name, or rewrites it with -update.
func Golden(t *testing.T, name string, got []byte, update bool) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d (run go test -update if the change is intended):\ngot:  %q\nwant: %q", path, i+1, g, w)
		}
	}
	t.Fatalf("%s differs (run go test -update if the change is intended)", path)
}

// Big has 50 endpoints, each with 40 callees on its critical path and
// a 400-span waterfall (the most audit draws).
func Big() *report.Report {
	r := Rich()
	r.Endpoints, r.Waterfalls = nil, nil
	for e := range 50 {
		ep := report.Endpoint{Service: fmt.Sprintf("svc-%02d", e), Operation: "POST /op", Traces: 1000,
			LatencyMs: report.Percentiles{P50: 100, P95: 300, P99: 900, Max: 2000}}
		for c := range 40 {
			ep.CriticalPath = append(ep.CriticalPath, report.PathShare{Service: fmt.Sprintf("callee-%02d", c), Operation: "op", MeanMs: 2.5, Share: 0.025})
		}
		r.Endpoints = append(r.Endpoints, ep)
		w := report.Waterfall{Endpoint: report.Ref{Service: ep.Service, Operation: ep.Operation}, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Percentile: "p95", DurationMs: 300}
		for s := range 400 {
			w.Spans = append(w.Spans, report.WaterfallSpan{Depth: s % 7, Service: "svc", Operation: "op", Kind: "client",
				StartMs: float64(s) * 0.7, DurationMs: 20, OnCriticalPath: s%3 == 0, Async: s%11 == 0, Candidate: s % 5})
		}
		r.Waterfalls = append(r.Waterfalls, w)
	}
	return r
}
