package detect

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/stats"
	"github.com/syncaudit/syncaudit/whatif"
)

// The standard detectors' names: the Action of their findings.
const (
	ActionMakeAsync   = "make-async"
	ActionParallelize = "parallelize"
)

// Site is one request's part of a finding: the change that applies the
// finding to that request.
type Site struct {
	// Request is an index into Pass.Requests (while a pass observes it),
	// or into the canonical order of every request observed (in a Result).
	Request int
	Change  whatif.Change
	// Saving is the request's projected saving (in a Result with exact
	// savings; 0 with SavingsSketch, which keeps no sites).
	Saving time.Duration
}

// Savings is the distribution of a finding's projected saving per
// request it applies to (nearest-rank percentiles, see package stats).
type Savings struct {
	// Count is the number of requests the finding applies to.
	Count int
	// Total is the sum of the savings.
	Total, P50, P95, P99 time.Duration
}

// Mean returns the mean saving in nanoseconds (0 when Count is 0).
func (s Savings) Mean() float64 {
	if s.Count == 0 {
		return 0
	}
	return float64(s.Total) / float64(s.Count)
}

func savingsOf(d stats.Dist) Savings {
	return Savings{Count: d.N, Total: time.Duration(d.Sum), P50: time.Duration(d.P50),
		P95: time.Duration(d.P95), P99: time.Duration(d.P99)}
}

// Latency is an endpoint's latency percentiles.
type Latency struct {
	P50, P95, P99 time.Duration
}

func latencyOf(d stats.Dist) Latency {
	return Latency{P50: time.Duration(d.P50), P95: time.Duration(d.P95), P99: time.Duration(d.P99)}
}

// Finding is one recommendation, aggregated over every request in which it
// applies.
type Finding struct {
	// Action is the name of the detector that found it.
	Action   string
	Endpoint calls.Endpoint
	Caller   calls.Endpoint
	// Callee is the called endpoint; for a parallel group, the group's
	// callees joined with " + " (service and operation joined in the same
	// order). Callees lists them one by one.
	Callee  calls.Endpoint
	Callees []calls.Endpoint
	// Calls counts occurrences: calls detached, or sequential groups found.
	Calls int
	// Traces counts the distinct traces with an occurrence.
	Traces int
	// Confidence (0–1) that the change is safe and right.
	Confidence float64
	// Critical is set when a callee is critical (built in or by policy).
	// Critical calls are never recommended for asynchronous execution; they
	// may still be parallelized.
	Critical bool
	// Read is set when the call returns data the caller needs (an
	// explicit read — GET, SELECT, RPC Get…/List…/Read… — in most of its
	// occurrences): it is never recommended for asynchronous execution,
	// and its Fix proposes running it concurrently or caching it instead.
	Read bool
	// Guard is set on a parallel group in which an authentication or
	// authorization call comes before the calls it protects: never
	// recommended.
	Guard bool
	// Reasons explain the confidence, strongest first.
	Reasons []string
	// Fix says what to do, as a verb phrase.
	Fix string
	// Sites are the requests the finding applies to, in canonical order
	// (with exact savings; none with a sketch). A Result's sites carry no
	// Change.
	Sites []Site

	// Set by the driver.
	Rank    int
	Savings Savings
	// Share is the mean saving over the endpoint's mean latency.
	Share float64
	// LatencyAfter is the endpoint's latency with the change applied to
	// every request (requests without it unchanged).
	LatencyAfter Latency
	// Recommended: confidence ≥ MinConfidence, positive total savings, and
	// not a critical call made asynchronous. Recommended findings make up
	// the plan.
	Recommended bool
}

// Score is the ranking key: total projected saving (ms) × confidence.
func (f *Finding) Score() float64 { return ms(int64(f.Savings.Total)) * f.Confidence }

// Group identifies what a finding is about: the detector, the endpoint,
// the caller and the set of callees. Every site a detector reports for
// one Group is part of one finding.
type Group struct {
	Action           string
	Endpoint, Caller calls.Endpoint
	// Callees are the distinct callees' names (calls.Endpoint.String),
	// sorted and joined with "\x00".
	Callees string
}

// groupOf is the Group of a finding.
func groupOf(f *Finding) Group {
	names := make([]string, len(f.Callees))
	for i, c := range f.Callees {
		names[i] = c.String()
	}
	return Group{Action: f.Action, Endpoint: f.Endpoint, Caller: f.Caller, Callees: strings.Join(names, "\x00")}
}

// compareGroups orders groups by endpoint, caller, callees and action.
func compareGroups(a, b Group) int {
	return cmp.Or(a.Endpoint.Compare(b.Endpoint), a.Caller.Compare(b.Caller),
		cmp.Compare(a.Callees, b.Callees), cmp.Compare(a.Action, b.Action))
}

// PlanEndpoint is the combined effect of every recommended finding of one
// endpoint, simulated together (savings are not additive).
type PlanEndpoint struct {
	Endpoint calls.Endpoint
	// Changes are the ranks of the findings applied, ascending.
	Changes       []int
	Before, After Latency
}

// Result is what detection found.
type Result struct {
	// Findings are ranked (Rank 1..N, best first), cut to Options.Top.
	Findings []Finding
	// Plan is the combined effect of the recommended findings (among those
	// kept by Top), per endpoint, in order of each endpoint's best rank.
	Plan []PlanEndpoint
	// Requests are the records of every request observed, in the
	// canonical order Site.Request indexes (nil with SavingsSketch). They
	// must not be modified.
	Requests []Record
}

// selectFindings drops findings that save nothing, marks the recommended
// ones, ranks the rest and cuts them to opt.Top.
func selectFindings(all []Finding, opt Options) []Finding {
	kept := all[:0]
	for i := range all {
		f := &all[i]
		if f.Savings.Total <= 0 {
			continue // no request gets faster
		}
		f.Recommended = f.Confidence >= opt.MinConfidence &&
			!((f.Critical || f.Read) && f.Action == ActionMakeAsync) && !f.Guard
		kept = append(kept, *f)
	}
	rank(kept)
	if opt.Top > 0 && len(kept) > opt.Top {
		kept = kept[:opt.Top]
	}
	return kept
}

// rank sorts findings by score (total saving × confidence), then endpoint,
// caller, callee and action, and numbers them from 1.
func rank(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(b.Score(), a.Score()),
			calls.Key{Endpoint: a.Endpoint, Caller: a.Caller, Callee: a.Callee}.Compare(
				calls.Key{Endpoint: b.Endpoint, Caller: b.Caller, Callee: b.Callee}),
			cmp.Compare(a.Action, b.Action))
	})
	for i := range fs {
		fs[i].Rank = i + 1
	}
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }
