package review

import (
	"slices"
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
)

const msNs = int64(time.Millisecond)

var (
	checkoutEP = calls.Endpoint{Service: "order", Operation: "POST /checkout"}
	orderSvc   = calls.Endpoint{Service: "order", Operation: "POST /checkout"}
	emailEP    = calls.Endpoint{Service: "email", Operation: "POST /send"}
)

func group(all, failed, ok []int64, requests int) CallStats {
	return CallStats{Key: calls.Key{Endpoint: checkoutEP, Caller: orderSvc, Callee: emailEP}, All: all, Failed: failed, OK: ok, Requests: requests}
}

func durations(msValues ...int64) []int64 {
	out := make([]int64, len(msValues))
	for i, v := range msValues {
		out[i] = v * msNs
	}
	return out
}

// TestChecklistRules: each rule's pass and fail verdict on data whose
// answer is computed by hand (see each case's comment).
func TestChecklistRules(t *testing.T) {
	th := DefaultThresholds() // 3 sync calls, p95 200ms, timeout 5s, 3 slow failures, lag 1 min
	endpoint := func(p50 int) report.Endpoint {
		e := report.Endpoint{Service: "order", Operation: "POST /checkout", Traces: 10}
		e.SyncCalls.P50, e.SyncCalls.Max = p50, p50+1
		return e
	}
	cand := func(rec bool, action report.Action) report.Candidate {
		return report.Candidate{Rank: 1, Action: action, Recommended: rec, Endpoint: report.Ref{Service: "order", Operation: "POST /checkout"},
			Callee: report.Ref{Service: "email", Operation: "POST /send"}, SavingsMs: report.Savings{P50: 500}, Confidence: 0.65, Traces: 10}
	}
	flow := func(p95 float64) report.AsyncFlow {
		return report.AsyncFlow{Count: 20, LagMs: report.Percentiles{P50: 10, P95: p95, Max: p95 + 1}}
	}
	for _, tc := range []struct {
		name   string
		id     string
		groups []CallStats
		eps    []report.Endpoint
		cands  []report.Candidate
		flows  []report.AsyncFlow
		pass   bool
		value  float64 // the offending evidence's value, when failing
		// also lists the other items the data fails (a 5s call is slow too).
		also []string
	}{
		// p50 of 3 sync calls is not above 3.
		{name: "3 sync calls pass", id: "sync-calls", eps: []report.Endpoint{endpoint(3)}, pass: true},
		// p50 of 4 is above 3: the evidence is the p50.
		{name: "4 sync calls fail", id: "sync-calls", eps: []report.Endpoint{endpoint(4)}, value: 4},
		// 20 calls of 10ms..200ms step 10: nearest-rank p95 = the 19th = 190ms ≤ 200ms.
		{name: "p95 190ms passes", id: "slow-sync-calls", groups: []CallStats{group(durations(10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200), nil, nil, 20)}, pass: true},
		// 20 calls, 19 of 100ms and one of 300ms: p95 = 19th = 100ms; with two of 300ms, p95 = 300ms > 200ms.
		{name: "p95 300ms fails", id: "slow-sync-calls", groups: []CallStats{group(append(durations(100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100), durations(300, 300)...), nil, nil, 20)}, value: 300},
		// The longest call is 5s exactly: not longer than the 5s timeout.
		{name: "5s passes the timeout", id: "no-timeout", groups: []CallStats{group(durations(10, 5000), nil, nil, 2)}, pass: true, also: []string{"slow-sync-calls"}},
		// One call of 6s: it ran longer than 5s; the evidence is the max.
		{name: "6s fails the timeout", id: "no-timeout", groups: []CallStats{group(durations(10, 6000), nil, nil, 2)}, value: 6000, also: []string{"slow-sync-calls"}},
		// Three failures of 10ms against successes of median 100ms: 2×10 < 100, failures are cut short.
		{name: "fast failures pass", id: "no-circuit-breaker", groups: []CallStats{group(durations(10, 10, 10, 100, 100, 100), durations(10, 10, 10), durations(100, 100, 100), 6)}, pass: true},
		// Two slow failures (150ms against a 100ms median) only: fewer than 3.
		{name: "two slow failures pass", id: "no-circuit-breaker", groups: []CallStats{group(durations(150, 150, 100), durations(150, 150), durations(100), 3)}, pass: true},
		// Three failures of 60ms against a 100ms median: 2×60 ≥ 100, not cut short; the evidence is the count.
		{name: "slow failures fail", id: "no-circuit-breaker", groups: []CallStats{group(durations(60, 60, 60, 100, 100, 100), durations(60, 60, 60), durations(100, 100, 100), 6)}, value: 3},
		// A make-async candidate that is not recommended, and a recommended parallelize: neither counts.
		{name: "no recommended make-async passes", id: "non-critical-on-path", cands: []report.Candidate{cand(false, report.MakeAsync), cand(true, report.Parallelize)}, pass: true},
		// A recommended make-async candidate fails; the evidence is its p50 saving.
		{name: "recommended make-async fails", id: "non-critical-on-path", cands: []report.Candidate{cand(true, report.MakeAsync)}, value: 500},
		// Lag p95 of 60,000ms is not above 1 minute.
		{name: "lag of 1 min passes", id: "async-lag", flows: []report.AsyncFlow{flow(60000)}, pass: true},
		// Lag p95 of 60,001ms is above it.
		{name: "lag above 1 min fails", id: "async-lag", flows: []report.AsyncFlow{flow(60001)}, value: 60001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := Checklist(tc.groups, tc.eps, tc.cands, tc.flows, th)
			var it *report.CheckItem
			for i := range items {
				if items[i].ID == tc.id {
					it = &items[i]
				}
			}
			if it == nil {
				t.Fatalf("no item %q", tc.id)
			}
			if it.Pass != tc.pass {
				t.Fatalf("%s: pass = %v, want %v (evidence %+v)", tc.id, it.Pass, tc.pass, it.Evidence)
			}
			if !tc.pass && (len(it.Evidence) != 1 || it.Evidence[0].Value != tc.value) {
				t.Errorf("%s: evidence %+v, want one of value %v", tc.id, it.Evidence, tc.value)
			}
			// Every other item passes on this data.
			for _, other := range items {
				if other.ID != tc.id && !other.Pass && !slices.Contains(tc.also, other.ID) {
					t.Errorf("%s also failed: %+v", other.ID, other.Evidence)
				}
			}
		})
	}
}

func TestChecklistIDs(t *testing.T) {
	items := Checklist(nil, nil, nil, nil, DefaultThresholds())
	var ids []string
	for _, it := range items {
		ids = append(ids, it.ID)
		if !it.Pass || it.Evidence == nil || it.Threshold == "" {
			t.Errorf("%s on no data: %+v", it.ID, it)
		}
	}
	want := []string{"sync-calls", "slow-sync-calls", "no-timeout", "no-circuit-breaker", "non-critical-on-path", "async-lag"}
	if len(ids) != len(want) {
		t.Fatalf("ids %v, want %v", ids, want)
	}
	for i := range want {
		if ids[i] != want[i] {
			t.Errorf("ids %v, want %v", ids, want)
		}
	}
}
