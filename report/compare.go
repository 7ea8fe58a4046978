package report

// EndpointChange is one endpoint's latency in two runs.
type EndpointChange struct {
	Endpoint     Ref         `json:"endpoint"`
	BeforeTraces int         `json:"beforeTraces"`
	AfterTraces  int         `json:"afterTraces"`
	BeforeMs     Percentiles `json:"beforeMs"`
	AfterMs      Percentiles `json:"afterMs"`
	// ChangePct is (after-before)/before in percent, per percentile.
	ChangePct Percentiles `json:"changePct"`
	// ProjectedMs is what the BEFORE run's combined plan projected for the
	// endpoint (only in `syncaudit compare`, when BEFORE had a plan).
	ProjectedMs *LatencyAfter `json:"projectedMs,omitempty"`
	// ProjectionErrorPct is (actual-projected)/projected in percent.
	ProjectionErrorPct *LatencyAfter `json:"projectionErrorPct,omitempty"`
}

// CallChange is one callee's critical-path time per request in two runs.
type CallChange struct {
	Endpoint Ref `json:"endpoint"`
	Callee   Ref `json:"callee"`
	// BeforeMeanMs and AfterMeanMs are mean critical-path milliseconds per
	// request spent in the callee (0 when absent from that run).
	BeforeMeanMs float64 `json:"beforeMeanMs"`
	AfterMeanMs  float64 `json:"afterMeanMs"`
	BeforeShare  float64 `json:"beforeShare"`
	AfterShare   float64 `json:"afterShare"`
}

// Comparison is the output of `syncaudit compare BEFORE AFTER`: the
// measured change between two trace sets, and how it compares with what the
// BEFORE set's plan projected.
type Comparison struct {
	SchemaVersion  int              `json:"schemaVersion"`
	BeforeRequests int              `json:"beforeRequests"`
	AfterRequests  int              `json:"afterRequests"`
	Endpoints      []EndpointChange `json:"endpoints"`
	Calls          []CallChange     `json:"calls"`
}

// CandidateKey identifies a candidate across runs.
type CandidateKey struct {
	Action   Action `json:"action"`
	Endpoint Ref    `json:"endpoint"`
	Caller   Ref    `json:"caller"`
	Callee   Ref    `json:"callee"`
}

// Key returns the candidate's identity across runs.
func (c *Candidate) Key() CandidateKey {
	return CandidateKey{c.Action, c.Endpoint, c.Caller, c.Callee}
}

// SavingsChange is a candidate present in both runs whose projected saving changed.
type SavingsChange struct {
	Candidate   CandidateKey `json:"candidate"`
	BeforeP95Ms float64      `json:"beforeP95Ms"`
	AfterP95Ms  float64      `json:"afterP95Ms"`
}

// BaselineDiff compares a report with an earlier one (--baseline).
type BaselineDiff struct {
	// File is the baseline report read.
	File      string           `json:"file"`
	Endpoints []EndpointChange `json:"endpoints"`
	// NewCandidates appeared since the baseline; Resolved disappeared.
	NewCandidates []CandidateKey  `json:"newCandidates"`
	Resolved      []CandidateKey  `json:"resolved"`
	Savings       []SavingsChange `json:"savings"`
	Regressions   []string        `json:"regressions"`
	Improvements  []string        `json:"improvements"`
	// TolerancePct is the relative change below which nothing counts as a
	// regression or an improvement.
	TolerancePct float64 `json:"tolerancePct"`
}
