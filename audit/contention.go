package audit

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/stats"
	"github.com/syncaudit/syncaudit/trace"
)

// Wait-dominated callees (issue 17). A make-async candidate's saving is
// projected as if the callee's capacity were free: when two deferrable
// calls share a saturated resource, making one asynchronous saves little,
// because the other's wait grows. The projection cannot see that, so a
// candidate whose callee spends most of its time waiting is flagged
// (report.Candidate.SavingsCaveat); its savings and the combined plan are
// left as simulated. Two signals, over every synchronous call of the
// input:
//
//   - leading wait: the callee's server spans start long before their first
//     child does (queueing for a worker, a connection, a lock): over the
//     key's calls whose server span has children, the time before the first
//     child is at least half the server spans' time;
//   - concurrency: the callee service's server spans last longer the more
//     of them are in flight: the median duration of the calls that started
//     with the most others in flight (the top quarter) is at least twice
//     that of the calls that started with the fewest (the bottom quarter,
//     the service time); the wait share is 1 − service time / mean duration.
const (
	// minWaitCalls is the number of calls a signal needs.
	minWaitCalls = 8
	// minWaitShare is the share of the callee's time spent waiting from
	// which a candidate is flagged.
	minWaitShare = 0.5
)

// waitAcc accumulates one key's leading waits.
type waitAcc struct {
	n          int
	wait, busy int64
}

// interval is one server span of a callee service.
type interval struct{ start, end int64 }

// addWait records call c of trace t: its server span's leading wait (for
// its key) and its interval (for its service).
func (ga *groupAcc) addWait(t *trace.Trace, k calls.Key, c *calls.Call) {
	if c.Server < 0 || int(c.Server) >= len(t.Spans) || c.Server == c.Span {
		return
	}
	s := &t.Spans[c.Server]
	if s.End <= s.Start {
		return
	}
	if ga.spans == nil {
		ga.spans, ga.waits = map[string][]interval{}, map[calls.Key]*waitAcc{}
	}
	ga.spans[c.Callee.Service] = append(ga.spans[c.Callee.Service], interval{s.Start, s.End})
	if !t.Linked() {
		return
	}
	first := int64(math.MaxInt64)
	for _, ch := range t.Children(c.Server) {
		first = min(first, t.Spans[ch].Start)
	}
	if first == math.MaxInt64 {
		return
	}
	w := ga.waits[k]
	if w == nil {
		w = &waitAcc{}
		ga.waits[k] = w
	}
	w.n++
	w.wait += min(max(0, first-s.Start), s.End-s.Start)
	w.busy += s.End - s.Start
}

// concurrency measures a service's waits from its server spans' overlap:
// the wait share, the service time (median duration at the lowest
// concurrency) and the median duration at the highest; ok is false when
// the signal does not hold.
func concurrency(iv []interval) (share float64, low, high int64, lowK, highK int, ok bool) {
	n := len(iv)
	if n < minWaitCalls {
		return 0, 0, 0, 0, 0, false
	}
	iv = slices.Clone(iv)
	slices.SortFunc(iv, func(a, b interval) int { return cmp.Or(cmp.Compare(a.start, b.start), cmp.Compare(a.end, b.end)) })
	ends := make([]int64, n)
	for i, x := range iv {
		ends[i] = x.end
	}
	slices.Sort(ends)
	// In flight at each start: the others started at or before it and
	// not yet ended.
	type call struct {
		k   int
		dur int64
	}
	cs := make([]call, n)
	for i, x := range iv {
		started, _ := slices.BinarySearch(ends, x.start+1) // ends <= start
		after := i + 1                                     // starts <= this one, itself included
		for after < n && iv[after].start == x.start {
			after++
		}
		cs[i] = call{k: max(0, after-1-started), dur: x.end - x.start}
	}
	slices.SortFunc(cs, func(a, b call) int { return cmp.Or(cmp.Compare(a.k, b.k), cmp.Compare(a.dur, b.dur)) })
	q := n / 4
	lo, hi := cs[:q], cs[n-q:]
	if q < 2 || lo[len(lo)-1].k >= hi[0].k {
		return 0, 0, 0, 0, 0, false // no spread in concurrency
	}
	med := func(c []call) int64 {
		d := make([]int64, len(c))
		for i, x := range c {
			d[i] = x.dur
		}
		return stats.Of(d).P50
	}
	low, high = med(lo), med(hi)
	var sum float64
	for _, x := range cs {
		sum += float64(x.dur)
	}
	mean := sum / float64(n)
	if low <= 0 || high < 2*low || mean <= 0 {
		return 0, 0, 0, 0, 0, false
	}
	return 1 - float64(low)/mean, low, high, lo[len(lo)-1].k, hi[0].k, true
}

// caveats returns the savings caveat of every make-async candidate of
// cands whose callee is wait-dominated.
func (ga *groupAcc) caveats(cands []report.Candidate) map[int]*report.SavingsCaveat {
	out := map[int]*report.SavingsCaveat{}
	type conc struct {
		share       float64
		low, high   int64
		lowK, highK int
		ok          bool
	}
	bySvc := map[string]conc{}
	for i, c := range cands {
		if c.Action != report.MakeAsync {
			continue
		}
		svc := c.Callee.Service
		k := calls.Key{Endpoint: calls.Endpoint(c.Endpoint), Caller: calls.Endpoint(c.Caller), Callee: calls.Endpoint(c.Callee)}
		var cv *report.SavingsCaveat
		if w := ga.waits[k]; w != nil && w.n >= minWaitCalls && w.busy > 0 {
			if share := float64(w.wait) / float64(w.busy); share >= minWaitShare {
				cv = &report.SavingsCaveat{Resource: svc, WaitShare: round2(share),
					Evidence: fmt.Sprintf("%s's server spans wait %.0f%% of their time before their first child starts (%d calls)", svc, 100*share, w.n)}
			}
		}
		cc, seen := bySvc[svc]
		if !seen {
			share, low, high, lowK, highK, ok := concurrency(ga.spans[svc])
			cc = conc{share, low, high, lowK, highK, ok}
			bySvc[svc] = cc
		}
		if cc.ok && cc.share >= minWaitShare && (cv == nil || cc.share > cv.WaitShare) {
			cv = &report.SavingsCaveat{Resource: svc, WaitShare: round2(cc.share),
				Evidence: fmt.Sprintf("%s's server spans take %s with ≥ %d others in flight vs %s with ≤ %d (%d calls)",
					svc, fmtMs(cc.high), cc.highK, fmtMs(cc.low), cc.lowK, len(ga.spans[svc]))}
		}
		if cv != nil {
			cv.Assumption = fmt.Sprintf("assumes %s's capacity is not saturated: making this call asynchronous alone frees little when other calls wait for the same resource (their wait grows); the combined plan is simulated as is", svc)
			out[i] = cv
		}
	}
	return out
}

// markCaveats sets the candidates' savings caveats (see caveats).
func markCaveats(cands []report.Candidate, cv map[int]*report.SavingsCaveat) {
	for i, c := range cv {
		cands[i].SavingsCaveat = c
	}
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func fmtMs(ns int64) string { return fmt.Sprintf("%.1fms (p50)", ms(ns)) }
