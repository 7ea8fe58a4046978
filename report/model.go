// Package report holds syncaudit's report model and its JSON schema: what
// one analysis produced, independent of how it is shown.
//
// Input: a *Report built by the audit package (input accounting,
// per-endpoint latency and synchronous-call breakdown, ranked candidates,
// the combined plan, the checklist). Output: the versioned JSON document
// (WriteJSON, report.schema.json). The renderers of the render/...
// packages read the model and never compute anything it does not hold.
// The package imports no pipeline stage.
package report

// SchemaVersion is the version of the JSON document. It changes only when a
// field is removed or changes meaning; new fields keep the version.
const SchemaVersion = 1

// Report is everything one analysis produced.
type Report struct {
	SchemaVersion int            `json:"schemaVersion"`
	Summary       Summary        `json:"summary"`
	Endpoints     []Endpoint     `json:"endpoints"`
	Candidates    []Candidate    `json:"candidates"`
	Plan          []PlanEndpoint `json:"plan"`
	// Checklist is the seed's design-review checklist evaluated on the data.
	Checklist []CheckItem `json:"checklist"`
	// Waterfalls holds, per endpoint, a representative slow (p95) request
	// with its critical path and candidate calls marked (for the HTML report).
	Waterfalls []Waterfall `json:"waterfalls,omitempty"`
	// Async lists work that is already asynchronous, with publish→consume lag.
	Async []AsyncFlow `json:"async"`
	// Diagrams holds, per endpoint, its call graph: the synchronous and
	// already-asynchronous edges between services, and the edges the
	// combined plan changes (for the Mermaid and SVG dependency diagrams).
	Diagrams []Diagram `json:"diagrams,omitempty"`
	// Events proposes an event contract for every recommended make-async
	// candidate (the AsyncAPI document, -o asyncapi, is built from them).
	Events []Event `json:"events,omitempty"`
	// Baseline compares this report with an earlier one (--baseline).
	Baseline *BaselineDiff `json:"baseline,omitempty"`
	// Audit lists the --fail-on rules and whether each held.
	Audit []RuleResult `json:"audit,omitempty"`
	// Slowdowns holds, per --slowdown (in the order given), the blast
	// radius of that slow dependency on every endpoint that calls it
	// synchronously, today and under the plan. Omitted without
	// --slowdown.
	Slowdowns []Slowdown `json:"slowdowns,omitempty"`
}

// RuleResult is one --fail-on rule evaluated on the report.
type RuleResult struct {
	Rule   string `json:"rule"`
	Failed bool   `json:"failed"`
	// Offenders name what broke the rule, with the measured value.
	Offenders []string `json:"offenders"`
}

// Input accounts for everything read: files, formats, spans analysed or
// rejected (with reasons), traces and repair warnings by kind.
type Input struct {
	Files         int            `json:"files"`
	FilesFailed   int            `json:"filesFailed"`
	Formats       map[string]int `json:"formats"`
	SpansRead     int            `json:"spansRead"`
	SpansInTraces int            `json:"spansInTraces"`
	SpansRejected int            `json:"spansRejected"`
	// SpansWithoutKind counts the spans in traces that had no span kind
	// in the input (their kinds inferred where possible: kind-inferred).
	SpansWithoutKind int            `json:"spansWithoutKind,omitempty"`
	Rejected         map[string]int `json:"rejected"`
	Traces           int            `json:"traces"`
	PartialTraces    int            `json:"partialTraces"`
	Warnings         map[string]int `json:"warnings"`
}

// Summary accounts for the input and the analysis.
type Summary struct {
	Input
	// Requests is the number of requests analysed (one per trace root).
	Requests int `json:"requests"`
	// EnqueueCostMs is the cost charged to a caller for publishing instead of calling.
	EnqueueCostMs float64 `json:"enqueueCostMs"`
	// EnqueueCostSource says where EnqueueCostMs came from: "flag"
	// (--enqueue-cost, or the state's own), "default" (1 ms: the input
	// has too few publishes to measure), or "measured: <messaging.system>
	// median of <N> publishes" (the median duration of the input's
	// PRODUCER spans of the system with the most). Omitted when unknown.
	EnqueueCostSource string `json:"enqueueCostSource,omitempty"`
	// JaegerCompat records whether --jaeger-compat was on.
	JaegerCompat bool `json:"jaegerCompat"`
	// CriticalPathMode is the critical-path walk when it is not syncaudit's
	// default: "crisp" (--jaeger-compat or --jaeger-compat=crisp) or "ui"
	// (--jaeger-compat=ui, the Jaeger UI's walk). Empty (omitted) for the
	// default walk; reports from before the field existed with jaegerCompat
	// true were made in crisp mode.
	CriticalPathMode string `json:"criticalPathMode,omitempty"`
	// Sampling says whether counts and totals speak for the real traffic
	// or for the sampled traces only (nil in a report merged from
	// detection states, which keep no trace's sampling).
	Sampling *Sampling `json:"sampling,omitempty"`
}

// Sampling is what the traces say of how they were sampled (package
// sampling: the W3C tracestate's OpenTelemetry threshold or p-value,
// Jaeger's sampler.type and sampler.param on the root span) and how the
// report uses it. A request whose sampling probability p is known stands
// for 1/p requests of the real traffic (its adjusted count); one whose
// probability is unknown, for itself.
type Sampling struct {
	// Known and Unknown count the requests whose sampling probability
	// the traces carry, and the others.
	Known   int `json:"known"`
	Unknown int `json:"unknown"`
	// Sources counts the known ones by where the probability came from
	// ("tracestate th", "tracestate p", "jaeger probabilistic",
	// "jaeger const").
	Sources map[string]int `json:"sources,omitempty"`
	// AdjustedRequests is the number of requests of the real traffic the
	// sample stands for: the sum of the adjusted counts, unknown ones
	// counted once.
	AdjustedRequests float64 `json:"adjustedRequests"`
	// Scaled is set when some probability is known: endpoints'
	// AdjustedTraces and candidates' Adjusted are then given.
	// Percentiles are always those of the sampled requests.
	Scaled bool `json:"scaled"`
	// Note says it in a sentence.
	Note string `json:"note"`
}

// Adjusted is a candidate's counts and total saving scaled to the real
// traffic: each request it applies to weighs its adjusted count.
type Adjusted struct {
	Traces         float64 `json:"traces"`
	SavingsTotalMs float64 `json:"savingsTotalMs"`
}

// Ref names a service operation.
type Ref struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
}

// Percentiles of a latency in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Endpoint is one entry point (root service and operation).
type Endpoint struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Traces    int    `json:"traces"`
	// AdjustedTraces is the requests of the real traffic Traces stand
	// for (Summary.Sampling.Scaled; 0, omitted, otherwise).
	AdjustedTraces float64     `json:"adjustedTraces,omitempty"`
	Errors         int         `json:"errors"`
	LatencyMs      Percentiles `json:"latencyMs"`
	SyncCalls      struct {
		P50 int `json:"p50"`
		Max int `json:"max"`
	} `json:"syncCalls"`
	SyncDepth struct {
		Max int `json:"max"`
	} `json:"syncDepth"`
	// SyncLatencyMs is the critical-path time spent inside synchronous calls.
	SyncLatencyMs Percentiles `json:"syncLatencyMs"`
	// CriticalPath breaks the critical path down by callee (and the entry
	// point's own time), sorted by mean time descending.
	CriticalPath []PathShare `json:"criticalPath"`
}

// PathShare is a callee's part of an endpoint's critical path.
type PathShare struct {
	Service   string  `json:"service"`
	Operation string  `json:"operation"`
	MeanMs    float64 `json:"meanMs"`
	// Share is the fraction (0–1) of the endpoint's total latency.
	Share float64 `json:"share"`
}

// Action is what a candidate proposes.
type Action string

// Actions.
const (
	MakeAsync   Action = "make-async"
	Parallelize Action = "parallelize"
)

// Savings is a projected saving distribution in milliseconds.
type Savings struct {
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	Total float64 `json:"total"`
}

// LatencyAfter is the projected endpoint latency after a change.
type LatencyAfter struct {
	P50 float64 `json:"p50"`
	P95 float64 `json:"p95"`
	P99 float64 `json:"p99"`
}

// Candidate is one ranked recommendation.
type Candidate struct {
	Rank     int    `json:"rank"`
	Action   Action `json:"action"`
	Endpoint Ref    `json:"endpoint"`
	Caller   Ref    `json:"caller"`
	Callee   Ref    `json:"callee"`
	// Callees lists every callee of a parallelize group (Callee joins them).
	Callees    []Ref   `json:"callees,omitempty"`
	Calls      int     `json:"calls"`
	Traces     int     `json:"traces"`
	Confidence float64 `json:"confidence"`
	// Recommended is set when the candidate is in the combined plan
	// (confidence at least the minimum, never a critical call).
	Recommended bool     `json:"recommended"`
	Reasons     []string `json:"reasons"`
	SavingsMs   Savings  `json:"savingsMs"`
	// Share is the mean saving as a fraction of the endpoint's mean latency.
	Share          float64      `json:"share"`
	LatencyAfterMs LatencyAfter `json:"latencyAfterMs"`
	// Fix says what to do, as a verb phrase.
	Fix string `json:"fix"`
	// SavingsCaveat, on a make-async candidate whose callee spends most of
	// its time waiting (a saturated pool, connection or lock: see
	// audit/contention.go), says that SavingsMs, Share and LatencyAfterMs
	// assume the callee's capacity is not saturated: with another call
	// waiting for the same resource, making this one asynchronous alone
	// saves less. The combined plan is not affected. Nil otherwise.
	SavingsCaveat *SavingsCaveat `json:"savingsCaveat,omitempty"`
	// CallSites name the code that makes the call (one per callee), when
	// the spans carry code.function.name, code.file.path or
	// code.line.number (or their deprecated forms): the place to change.
	CallSites []CallSite `json:"callSites,omitempty"`
	// Adjusted is the candidate's traces and total saving in the real
	// traffic (Summary.Sampling.Scaled; nil otherwise, and with sketched
	// savings, which keep no request's saving).
	Adjusted *Adjusted `json:"adjusted,omitempty"`
}

// SavingsCaveat flags a candidate's single-candidate savings as resting
// on an assumption the traces contradict.
type SavingsCaveat struct {
	// Resource is the service whose capacity the projection assumes free.
	Resource string `json:"resource"`
	// WaitShare (0–1) is the share of the callee's time spent waiting.
	WaitShare float64 `json:"waitShare"`
	// Evidence says what was measured.
	Evidence string `json:"evidence"`
	// Assumption states what the projection assumes.
	Assumption string `json:"assumption"`
}

// CallSite is where in the caller's code a call is made, as its spans
// record it (the first occurrence in canonical request order).
type CallSite struct {
	Callee   Ref    `json:"callee"`
	Function string `json:"function,omitempty"`
	File     string `json:"file,omitempty"`
	Line     int    `json:"line,omitempty"`
}

// PlanEndpoint is the combined effect of all recommended changes on one
// endpoint (savings are not additive, so the plan is simulated as a whole).
type PlanEndpoint struct {
	Endpoint Ref          `json:"endpoint"`
	Changes  []int        `json:"changes"` // ranks of the candidates applied
	BeforeMs LatencyAfter `json:"beforeMs"`
	AfterMs  LatencyAfter `json:"afterMs"`
	// Failures is the plan's effect on the endpoint's failed requests
	// (absent when the report was merged from detection states, which
	// keep no failures).
	Failures *PlanFailures `json:"failures,omitempty"`
	// Estimated is set on a plan merged from detection states whose
	// requests were not all simulated under these changes together
	// (analyze --state): AfterMs is then the best change's alone, an
	// estimate that ignores what the others add.
	Estimated bool `json:"estimated,omitempty"`
}

// PlanFailures is what the plan does to an endpoint's failures: a failed
// request in which a call the plan makes asynchronous failed too would
// have succeeded (the deferred call now fails, and is retried, on the
// consumer's side).
type PlanFailures struct {
	// Failed is the number of failed requests today; Avoided of them had
	// a failing call the plan defers.
	Failed  int `json:"failed"`
	Avoided int `json:"avoided"`
	// AvoidedShare is Avoided/Failed (0 without failures).
	AvoidedShare float64 `json:"avoidedShare"`
	// ErrorRateBefore and ErrorRateAfter are the shares of the endpoint's
	// requests that fail today and with the plan.
	ErrorRateBefore float64 `json:"errorRateBefore"`
	ErrorRateAfter  float64 `json:"errorRateAfter"`
}

// CheckItem is one design-review checklist question answered from the data.
type CheckItem struct {
	// ID is stable: sync-calls, slow-sync-calls, no-timeout, no-circuit-breaker,
	// non-critical-on-path, async-lag.
	ID    string `json:"id"`
	Title string `json:"title"`
	Pass  bool   `json:"pass"`
	// Threshold states the rule applied, e.g. "p95 > 200ms".
	Threshold string `json:"threshold"`
	// Evidence lists the offending calls or endpoints (or what passed).
	Evidence []Evidence `json:"evidence"`
}

// Evidence is one observation behind a checklist answer.
type Evidence struct {
	Endpoint Ref     `json:"endpoint"`
	Caller   Ref     `json:"caller,omitzero"`
	Callee   Ref     `json:"callee,omitzero"`
	Value    float64 `json:"value"`
	Unit     string  `json:"unit"`
	Traces   int     `json:"traces"`
	Detail   string  `json:"detail"`
}

// Waterfall is one request drawn as a timeline.
type Waterfall struct {
	Endpoint   Ref             `json:"endpoint"`
	TraceID    string          `json:"traceId"`
	Percentile string          `json:"percentile"`
	DurationMs float64         `json:"durationMs"`
	Spans      []WaterfallSpan `json:"spans"`
}

// WaterfallSpan is one bar of a Waterfall, in tree preorder.
type WaterfallSpan struct {
	Depth          int     `json:"depth"`
	Service        string  `json:"service"`
	Operation      string  `json:"operation"`
	Kind           string  `json:"kind"`
	StartMs        float64 `json:"startMs"`
	DurationMs     float64 `json:"durationMs"`
	CriticalMs     float64 `json:"criticalMs"`
	OnCriticalPath bool    `json:"onCriticalPath"`
	Async          bool    `json:"async"`
	Error          bool    `json:"error"`
	// Candidate is the rank of the candidate this call belongs to, 0 if none.
	Candidate int `json:"candidate"`
}

// AsyncFlow is work already done asynchronously: a producer and its consumer.
type AsyncFlow struct {
	Endpoint Ref         `json:"endpoint"`
	Producer Ref         `json:"producer"`
	Consumer Ref         `json:"consumer"`
	Count    int         `json:"count"`
	LagMs    Percentiles `json:"lagMs"`
	// ArrivalsPerSecond and CompletionsPerSecond compare the messages
	// published per second (over the publishes' window) with those the
	// consumers complete (over the consumes' window); LagGrowthMs is the
	// median lag of the last quarter of the messages (by publish time)
	// minus that of the first. All are 0 (omitted) under 8 messages.
	ArrivalsPerSecond    float64 `json:"arrivalsPerSecond,omitempty"`
	CompletionsPerSecond float64 `json:"completionsPerSecond,omitempty"`
	LagGrowthMs          float64 `json:"lagGrowthMs,omitempty"`
	// FallingBehind is set when the consumers complete fewer than 90% of
	// the arrivals per second and the lag grows by more than 5% of the
	// publishes' window: a backlog builds. It fails the checklist's
	// async-lag item whatever the lag threshold.
	FallingBehind bool `json:"fallingBehind,omitempty"`
}

// Diagram is one endpoint's call graph, its heaviest edges first.
type Diagram struct {
	Endpoint Ref `json:"endpoint"`
	// Edges are at most MaxDiagramEdges edges, by total time descending
	// (then caller, callee); Omitted counts the lighter ones left out.
	Edges   []DiagramEdge `json:"edges"`
	Omitted int           `json:"omitted"`
}

// MaxDiagramEdges bounds a diagram's edges, so that a Mermaid flowchart
// stays well under GitHub's rendering limits.
const MaxDiagramEdges = 25

// DiagramEdge is the calls from one caller operation to one callee
// operation within an endpoint's requests.
type DiagramEdge struct {
	Caller Ref `json:"caller"`
	Callee Ref `json:"callee"`
	// Async is set for work already done asynchronously (a producer and
	// its consumer); such edges carry no P95Ms.
	Async bool `json:"async"`
	// CallsPerRequest is the mean number of calls per request of the
	// endpoint.
	CallsPerRequest float64 `json:"callsPerRequest"`
	// P95Ms is the p95 of the calls' durations (synchronous edges).
	P95Ms float64 `json:"p95Ms"`
	// TotalMs is the calls' total duration (the ranking key).
	TotalMs float64 `json:"totalMs"`
	// Plan is the action the combined plan applies to this edge
	// (make-async or parallelize), empty when it leaves it alone.
	Plan Action `json:"plan,omitempty"`
}

// Event is the event a recommended make-async candidate would publish
// instead of calling: its contract, the traffic it would carry and the
// consumers needed to keep up.
type Event struct {
	// Candidate is the rank of the candidate it replaces.
	Candidate int `json:"candidate"`
	// Name is "<producer>.<endpoint operation>.<consumer>-requested"
	// (e.g. order.checkout.email-requested).
	Name string `json:"name"`
	// Channel is "<consumer>.<callee operation>" (e.g. email.send).
	Channel  string `json:"channel"`
	Producer Ref    `json:"producer"`
	Consumer Ref    `json:"consumer"`
	// Payload suggests the message's fields: the callee route's
	// parameters and the call's identifying attributes (names and types,
	// never values), then the correlation fields every event carries.
	Payload []EventField `json:"payload"`
	// IdempotencyKey suggests what the consumer deduplicates on.
	IdempotencyKey string `json:"idempotencyKey"`
	// Rate is the observed arrival rate in events per second: the median
	// minute (over the minutes from the first call to the last) and the
	// busiest minute.
	Rate EventRate `json:"ratePerSecond"`
	// ProcessingMs is the callee's time per call today (its server span).
	ProcessingMs LatencyAfter `json:"processingMs"`
	// Consumers is the concurrency needed to keep up with the busiest
	// minute: ⌈peak rate × p95 processing time⌉ (Little's law), at least 1.
	Consumers int `json:"consumers"`
}

// EventField is one suggested payload field.
type EventField struct {
	Name string `json:"name"`
	// Type is a JSON Schema type or format: string, integer, date-time.
	Type string `json:"type"`
}

// EventRate is an arrival rate in events per second.
type EventRate struct {
	P50  float64 `json:"p50"`
	Peak float64 `json:"peakMinute"`
}
