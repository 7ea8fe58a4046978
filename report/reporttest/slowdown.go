package reporttest

import "github.com/syncaudit/syncaudit/report"

// WithSlowdowns returns Rich with two slowdowns (analyze --slowdown): a
// slow payment that the plan leaves on the request's path, and a slow
// hostile-named dependency that the plan makes asynchronous, on two
// endpoints; plus a slowdown of a service no request calls.
func WithSlowdowns() *report.Report {
	r := Rich()
	checkout := report.Ref{Service: "frontend", Operation: "POST /checkout"}
	evil := report.Ref{Service: HostileScript, Operation: HostilePipe}
	lat := func(p50, p95, p99 float64) report.LatencyAfter {
		return report.LatencyAfter{P50: p50, P95: p95, P99: p99}
	}
	r.Slowdowns = []report.Slowdown{
		{Service: "payment", Spec: "+500ms", DeltaMs: 500, Endpoints: []report.SlowdownEndpoint{
			{Endpoint: checkout, Requests: 120, Affected: 118, BaselineMs: lat(420, 910.5, 1200),
				SlowMs: lat(920, 1410.5, 1700), PlanMs: lat(160, 240, 310), PlanSlowMs: lat(660, 740, 810)},
		}},
		{Service: HostileScript, Spec: "×3", Factor: 3, Endpoints: []report.SlowdownEndpoint{
			{Endpoint: checkout, Requests: 120, Affected: 60, BaselineMs: lat(420, 910.5, 1200),
				SlowMs: lat(500, 1500, 2100), PlanMs: lat(160, 240, 310), PlanSlowMs: lat(160, 240, 310)},
			{Endpoint: evil, Requests: 3, Affected: 3, BaselineMs: lat(10, 12, 12),
				SlowMs: lat(30, 36, 36), PlanMs: lat(10, 12, 12), PlanSlowMs: lat(30, 36, 36)},
		}},
		{Service: "nobody", Spec: "+1s", DeltaMs: 1000, Endpoints: []report.SlowdownEndpoint{}},
	}
	return r
}
