package audit

import (
	"fmt"
	"slices"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/stats"
	"github.com/syncaudit/syncaudit/trace"
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

type callGroup struct {
	key    calls.Key
	all    []int64 // durations of every sync occurrence
	failed []int64
	ok     []int64
	// requests counts the distinct requests with an occurrence; last is
	// the serial number of the last one counted.
	requests int
	last     int
}

func ref(e calls.Endpoint) report.Ref { return report.Ref{Service: e.Service, Operation: e.Operation} }

// groupAcc collects the synchronous calls of requests, batch by batch, by
// (endpoint, caller, callee).
type groupAcc struct {
	byKey  map[calls.Key]*callGroup
	serial int // requests added so far
	order  []int32
	inReq  []bool // per span: in the request being added (false between requests)
}

func newGroupAcc() *groupAcc { return &groupAcc{byKey: map[calls.Key]*callGroup{}} }

// add adds the synchronous calls of reqs.
func (ga *groupAcc) add(reqs []Request) {
	for ri := range reqs {
		r := &reqs[ri]
		ga.serial++
		// Requests of one trace share its calls: keep those in r's subtree.
		ga.order = r.Trace.Preorder(r.Root, ga.order[:0])
		if n := len(r.Trace.Spans); len(ga.inReq) < n {
			ga.inReq = make([]bool, n)
		}
		for _, i := range ga.order {
			ga.inReq[i] = true
		}
		for _, c := range r.Calls {
			if c.Async || c.Span < 0 || int(c.Span) >= len(ga.inReq) || !ga.inReq[c.Span] {
				continue
			}
			k := calls.Key{Endpoint: r.Endpoint, Caller: c.Caller, Callee: c.Callee}
			g := ga.byKey[k]
			if g == nil {
				g = &callGroup{key: k}
				ga.byKey[k] = g
			}
			d := r.Trace.Spans[c.Span].Duration()
			g.all = append(g.all, d)
			if c.Failed {
				g.failed = append(g.failed, d)
			} else {
				g.ok = append(g.ok, d)
			}
			if g.last != ga.serial {
				g.requests++
				g.last = ga.serial
			}
		}
		for _, i := range ga.order {
			ga.inReq[i] = false
		}
	}
}

// groups returns the groups sorted by key.
func (ga *groupAcc) groups() []*callGroup {
	out := make([]*callGroup, 0, len(ga.byKey))
	for _, g := range ga.byKey {
		out = append(out, g)
	}
	slices.SortFunc(out, func(a, b *callGroup) int { return a.key.Compare(b.key) })
	return out
}

// syncCallGroups collects the synchronous calls of every request by
// (endpoint, caller, callee), sorted by key.
func syncCallGroups(reqs []Request) []*callGroup {
	ga := newGroupAcc()
	ga.add(reqs)
	return ga.groups()
}

// Checklist evaluates the seed's design-review checklist on the requests.
func Checklist(reqs []Request, endpoints []report.Endpoint, cands []report.Candidate, flows []report.AsyncFlow, th Thresholds) []report.CheckItem {
	return checklist(syncCallGroups(reqs), endpoints, cands, flows, th)
}

// checklist evaluates the checklist on the synchronous call groups.
func checklist(groups []*callGroup, endpoints []report.Endpoint, cands []report.Candidate, flows []report.AsyncFlow, th Thresholds) []report.CheckItem {
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
		d := stats.Of(append([]int64(nil), g.all...))
		ev := report.Evidence{Endpoint: ref(g.key.Endpoint), Caller: ref(g.key.Caller), Callee: ref(g.key.Callee), Traces: g.requests}
		if d.P95 > th.SlowCallP95.Nanoseconds() {
			it.Pass = false
			e := ev
			e.Value, e.Unit, e.Detail = ms(d.P95), "ms p95", fmt.Sprintf("%d call(s), p50 %.1fms", d.N, ms(d.P50))
			it.Evidence = append(it.Evidence, e)
		}
		over := 0
		for _, x := range g.all {
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
		if len(g.failed) >= th.MinSlowFailures {
			f := stats.Of(append([]int64(nil), g.failed...))
			okMed := stats.Of(append([]int64(nil), g.ok...)).P50
			if f.P50*2 >= okMed {
				cb.Pass = false
				e := ev
				e.Value, e.Unit = float64(len(g.failed)), "failed calls"
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
		Threshold: fmt.Sprintf("publish→consume lag p95 > %s", th.MaxAsyncLag), Pass: true, Evidence: []report.Evidence{}}
	for _, f := range flows {
		ev := report.Evidence{Endpoint: f.Endpoint, Caller: f.Producer, Callee: f.Consumer, Value: f.LagMs.P95, Unit: "ms lag p95",
			Traces: f.Count, Detail: fmt.Sprintf("lag p50 %.1fms, max %.1fms", f.LagMs.P50, f.LagMs.Max)}
		if f.LagMs.P95 > ms(th.MaxAsyncLag.Nanoseconds()) {
			al.Pass = false
		}
		al.Evidence = append(al.Evidence, ev)
	}
	items = append(items, al)
	return items
}

// AsyncFlows finds PRODUCER spans with a CONSUMER child (already
// asynchronous work) and measures the lag from the start of the publish to
// the start of the consume, per endpoint, producer and consumer.
func AsyncFlows(reqs []Request) []report.AsyncFlow {
	fa := flowAcc{}
	fa.add(reqs)
	return fa.flows()
}

// flowAcc collects the publish→consume lags of requests, batch by batch.
type flowAcc struct {
	lags  map[calls.Key][]int64 // Caller: the producer, Callee: the consumer
	order []int32
}

// add adds the lags of reqs.
func (fa *flowAcc) add(reqs []Request) {
	if fa.lags == nil {
		fa.lags = map[calls.Key][]int64{}
	}
	for ri := range reqs {
		r := &reqs[ri]
		t := r.Trace
		fa.order = t.Preorder(r.Root, fa.order[:0])
		for _, i := range fa.order {
			s := &t.Spans[i]
			if s.Kind != trace.KindConsumer {
				continue
			}
			p := t.Parent[i]
			if p < 0 || t.Spans[p].Kind != trace.KindProducer {
				continue
			}
			ps := &t.Spans[p]
			k := calls.Key{Endpoint: r.Endpoint, Caller: calls.Endpoint{Service: ps.Service, Operation: calls.UsefulName(ps)},
				Callee: calls.Endpoint{Service: s.Service, Operation: calls.UsefulName(s)}}
			fa.lags[k] = append(fa.lags[k], max(0, s.Start-ps.Start))
		}
	}
}

// flows returns the flows sorted by endpoint, producer and consumer.
func (fa *flowAcc) flows() []report.AsyncFlow {
	out := make([]report.AsyncFlow, 0, len(fa.lags))
	for k, l := range fa.lags {
		out = append(out, report.AsyncFlow{Endpoint: ref(k.Endpoint), Producer: ref(k.Caller), Consumer: ref(k.Callee),
			Count: len(l), LagMs: percentiles(stats.Of(l))})
	}
	slices.SortFunc(out, func(a, b report.AsyncFlow) int {
		return calls.Key{Endpoint: calls.Endpoint(a.Endpoint), Caller: calls.Endpoint(a.Producer), Callee: calls.Endpoint(a.Consumer)}.Compare(
			calls.Key{Endpoint: calls.Endpoint(b.Endpoint), Caller: calls.Endpoint(b.Producer), Callee: calls.Endpoint(b.Consumer)})
	})
	return out
}
