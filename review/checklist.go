// Package review holds the design-review and audit rules applied to a
// report: the seed's checklist with its thresholds, the --fail-on rules,
// the comparison with a baseline report and of two reports.
//
// Input: the report model (and, for the checklist, each synchronous call
// group's durations, CallStats). Output: report.CheckItem,
// report.RuleResult, report.BaselineDiff and report.Comparison values.
// It computes nothing from traces.
package review

import (
	"fmt"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/stats"
)

// Thresholds are the design-review checklist's limits (all configurable).
type Thresholds struct {
	// MaxSyncCalls: an endpoint whose typical (p50) request makes more
	// synchronous calls than this fails "sync-calls" (seed: "> 3").
	MaxSyncCalls int
	// SlowCallP95: a synchronous call whose p95 duration exceeds this fails
	// "slow-sync-calls" (seed: "anything > 200ms is suspicious").
	SlowCallP95 time.Duration
	// Timeout: a call observed running longer than this has no effective
	// timeout (seed: "timeouts configured for all sync calls (< 5s)").
	Timeout time.Duration
	// MinSlowFailures: a callee that failed at least this many times, with
	// failures not faster than half its successful calls' median, keeps
	// being called while failing slowly (no circuit breaker).
	MinSlowFailures int
	// MaxAsyncLag: already-asynchronous work whose publish→consume lag p95
	// exceeds this fails "async-lag".
	MaxAsyncLag time.Duration
}

// DefaultThresholds are the seed's numbers.
func DefaultThresholds() Thresholds {
	return Thresholds{MaxSyncCalls: 3, SlowCallP95: 200 * time.Millisecond, Timeout: 5 * time.Second,
		MinSlowFailures: 3, MaxAsyncLag: time.Minute}
}

// CallStats are the synchronous occurrences of one (endpoint, caller,
// callee): every duration (ns), those that failed and those that did not,
// and the number of distinct requests with one.
type CallStats struct {
	Key calls.Key
	// Site is where the caller's code makes the call, when its spans say
	// (the first occurrence); zero otherwise.
	Site     report.CallSite
	All      []int64
	Failed   []int64
	OK       []int64
	Requests int
}

func ref(e calls.Endpoint) report.Ref { return report.Ref{Service: e.Service, Operation: e.Operation} }

func ms(ns int64) float64 { return float64(ns) / 1e6 }

// Checklist evaluates the seed's design-review checklist: on the
// endpoints (synchronous calls per request), the synchronous call groups
// (slow calls, missing timeouts, missing circuit breakers), the
// candidates (non-critical work on the critical path) and the flows that
// are already asynchronous (their lag). Every item has a stable ID, the
// threshold applied, a verdict and its evidence.
func Checklist(groups []CallStats, endpoints []report.Endpoint, cands []report.Candidate, flows []report.AsyncFlow, th Thresholds) []report.CheckItem {
	var items []report.CheckItem

	// 1. Maximum synchronous calls per operation.
	it := report.CheckItem{ID: "sync-calls", Title: "At most a few synchronous calls per operation",
		Threshold: fmt.Sprintf("synchronous calls per request p50 > %d", th.MaxSyncCalls), Pass: true, Evidence: []report.Evidence{}}
	for _, e := range endpoints {
		if e.SyncCalls.P50 > th.MaxSyncCalls {
			it.Pass = false
			it.Evidence = append(it.Evidence, report.Evidence{Endpoint: report.Ref{Service: e.Service, Operation: e.Operation},
				Value: float64(e.SyncCalls.P50), Unit: "sync calls (p50)", Traces: e.Traces,
				Detail: fmt.Sprintf("max %d per request", e.SyncCalls.Max)})
		}
	}
	items = append(items, it)

	// 2. Slow synchronous calls.
	it = report.CheckItem{ID: "slow-sync-calls", Title: "No slow synchronous calls",
		Threshold: fmt.Sprintf("call p95 > %s", th.SlowCallP95), Pass: true, Evidence: []report.Evidence{}}
	// 3. Timeouts.
	to := report.CheckItem{ID: "no-timeout", Title: "Timeouts on every synchronous call",
		Threshold: fmt.Sprintf("a call running longer than %s", th.Timeout), Pass: true, Evidence: []report.Evidence{}}
	// 4. Circuit breakers.
	cb := report.CheckItem{ID: "no-circuit-breaker", Title: "Circuit breakers on synchronous calls",
		Threshold: fmt.Sprintf("≥ %d failures that are not faster than half the successful median", th.MinSlowFailures), Pass: true, Evidence: []report.Evidence{}}
	for _, g := range groups {
		d := stats.Of(append([]int64(nil), g.All...))
		ev := report.Evidence{Endpoint: ref(g.Key.Endpoint), Caller: ref(g.Key.Caller), Callee: ref(g.Key.Callee), Traces: g.Requests}
		if d.P95 > th.SlowCallP95.Nanoseconds() {
			it.Pass = false
			e := ev
			e.Value, e.Unit, e.Detail = ms(d.P95), "ms p95", fmt.Sprintf("%d call(s), p50 %.1fms", d.N, ms(d.P50))
			it.Evidence = append(it.Evidence, e)
		}
		over := 0
		for _, x := range g.All {
			if x > th.Timeout.Nanoseconds() {
				over++
			}
		}
		if over > 0 {
			to.Pass = false
			e := ev
			e.Value, e.Unit, e.Detail = ms(d.Max), "ms max", fmt.Sprintf("%d call(s) ran longer than %s", over, th.Timeout)
			to.Evidence = append(to.Evidence, e)
		}
		if len(g.Failed) >= th.MinSlowFailures {
			f := stats.Of(append([]int64(nil), g.Failed...))
			okMed := stats.Of(append([]int64(nil), g.OK...)).P50
			if f.P50*2 >= okMed {
				cb.Pass = false
				e := ev
				e.Value, e.Unit = float64(len(g.Failed)), "failed calls"
				e.Detail = fmt.Sprintf("failures take %.1fms (p50) vs %.1fms for successes: they are not cut short", ms(f.P50), ms(okMed))
				cb.Evidence = append(cb.Evidence, e)
			}
		}
	}
	items = append(items, it, to, cb)

	// 5. Non-critical work on the critical path: the make-async candidates.
	nc := report.CheckItem{ID: "non-critical-on-path", Title: "Non-critical operations converted to async events",
		Threshold: "a recommended make-async candidate", Pass: true, Evidence: []report.Evidence{}}
	for _, c := range cands {
		if c.Action != report.MakeAsync || !c.Recommended {
			continue
		}
		nc.Pass = false
		nc.Evidence = append(nc.Evidence, report.Evidence{Endpoint: c.Endpoint, Caller: c.Caller, Callee: c.Callee,
			Value: c.SavingsMs.P50, Unit: "ms saved (p50)", Traces: c.Traces, Detail: fmt.Sprintf("candidate #%d, confidence %.2f", c.Rank, c.Confidence)})
	}
	items = append(items, nc)

	// 6. Work already asynchronous, and its lag.
	al := report.CheckItem{ID: "async-lag", Title: "Asynchronous work keeps up",
		Threshold: fmt.Sprintf("publish→consume lag p95 > %s, or consumers completing fewer messages per second than arrive while the lag grows", th.MaxAsyncLag),
		Pass:      true, Evidence: []report.Evidence{}}
	for _, f := range flows {
		ev := report.Evidence{Endpoint: f.Endpoint, Caller: f.Producer, Callee: f.Consumer, Value: f.LagMs.P95, Unit: "ms lag p95",
			Traces: f.Count, Detail: fmt.Sprintf("lag p50 %.1fms, max %.1fms", f.LagMs.P50, f.LagMs.Max)}
		if f.ArrivalsPerSecond > 0 {
			ev.Detail += fmt.Sprintf("; %.2f/s arrive, %.2f/s completed, lag grew %.1fms over the run", f.ArrivalsPerSecond, f.CompletionsPerSecond, f.LagGrowthMs)
		}
		if f.LagMs.P95 > ms(th.MaxAsyncLag.Nanoseconds()) {
			al.Pass = false
		}
		if f.FallingBehind {
			al.Pass = false
			ev.Detail += ": consumers fall behind (a backlog builds)"
		}
		al.Evidence = append(al.Evidence, ev)
	}
	items = append(items, al)
	return items
}
