package report

// Slowdown is the blast radius of one slow dependency (analyze
// --slowdown SERVICE=+DURATION or SERVICE=×FACTOR): every synchronous
// call into Service takes DeltaMs longer, or Factor times as long, and
// every request is re-simulated with it, as measured and under the
// combined plan (see package whatif, "Slowdowns").
type Slowdown struct {
	// Service is the slowed dependency.
	Service string `json:"service"`
	// Spec is the slowdown as written after "SERVICE=": "+500ms", "×3".
	Spec string `json:"spec"`
	// DeltaMs is the time each call into Service takes longer (0 with a
	// factor).
	DeltaMs float64 `json:"deltaMs,omitempty"`
	// Factor multiplies each call's observed duration (0 with a delta).
	Factor float64 `json:"factor,omitempty"`
	// Endpoints are the endpoints for which Service is a synchronous
	// dependency (at least one request calls it synchronously, directly
	// or through others), hardest hit first: by the p95 increase the
	// slowdown causes today (descending), then service and operation.
	// Empty when no request calls Service synchronously.
	Endpoints []SlowdownEndpoint `json:"endpoints"`
}

// SlowdownEndpoint is one endpoint's latency with and without a slow
// dependency, today and under the combined plan. Every request of the
// endpoint counts (those that do not call the dependency are unchanged).
type SlowdownEndpoint struct {
	Endpoint Ref `json:"endpoint"`
	// Requests is the endpoint's number of requests; Affected of them
	// call the dependency synchronously.
	Requests int `json:"requests"`
	Affected int `json:"affected"`
	// BaselineMs is the endpoint's latency as measured.
	BaselineMs LatencyAfter `json:"baselineMs"`
	// SlowMs is the projected latency with the dependency slowed down.
	SlowMs LatencyAfter `json:"slowMs"`
	// PlanMs is the projected latency under the combined plan (the
	// plan's afterMs; the baseline when no change applies).
	PlanMs LatencyAfter `json:"planMs"`
	// PlanSlowMs is the projected latency under the combined plan with
	// the dependency slowed down: a call the plan makes asynchronous no
	// longer delays the request but for the enqueue cost.
	PlanSlowMs LatencyAfter `json:"planSlowMs"`
}
