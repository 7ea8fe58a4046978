package audit

import (
	"cmp"
	"math"
	"slices"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/review"
	"github.com/syncaudit/syncaudit/stats"
	"github.com/syncaudit/syncaudit/trace"
)

// callGroup is one (endpoint, caller, callee)'s synchronous calls being
// collected; last is the serial number of the last request counted.
type callGroup struct {
	review.CallStats
	last int
	// perMinute counts the calls by the Unix minute they started in, and
	// serve is the callee's time on each (its server span, else the client
	// span), for the proposed events' rates and consumer sizing.
	perMinute map[int64]int64
	serve     []int64
	// curMin and curN count the run of calls in one minute (calls arrive
	// mostly in time order): perMinute is updated when the minute changes.
	curMin, curN int64
	// failedWith are the serial numbers of the failed requests in which
	// this call failed too (its failure may have caused theirs).
	failedWith []int
}

func ref(e calls.Endpoint) report.Ref { return report.Ref{Service: e.Service, Operation: e.Operation} }

// groupAcc collects the synchronous calls of requests, batch by batch, by
// (endpoint, caller, callee).
type groupAcc struct {
	byKey  map[calls.Key]*callGroup
	serial int // requests added so far
	order  []int32
	inReq  []bool // per span: in the request being added (false between requests)
	// waits and spans are the wait-dominated callees' evidence (see
	// contention.go): per key its server spans' leading waits, per callee
	// service its server spans' intervals.
	waits map[calls.Key]*waitAcc
	spans map[string][]interval
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
				g = &callGroup{CallStats: review.CallStats{Key: k}}
				ga.byKey[k] = g
			}
			if g.Site.Callee.Service == "" {
				if site, ok := callSite(r.Trace, &c); ok {
					g.Site = site
				}
			}
			d := r.Trace.Spans[c.Span].Duration()
			if m := minuteOf(r.Trace.Spans[c.Span].Start); g.curN > 0 && m == g.curMin {
				g.curN++
			} else {
				g.flushMinute()
				g.curMin, g.curN = m, 1
			}
			if c.Server >= 0 && int(c.Server) < len(r.Trace.Spans) {
				g.serve = append(g.serve, r.Trace.Spans[c.Server].Duration())
			} else {
				g.serve = append(g.serve, d)
			}
			ga.addWait(r.Trace, k, &c)
			g.All = append(g.All, d)
			if c.Failed && r.Failed && (len(g.failedWith) == 0 || g.failedWith[len(g.failedWith)-1] != ga.serial) {
				g.failedWith = append(g.failedWith, ga.serial)
			}
			if c.Failed {
				g.Failed = append(g.Failed, d)
			} else {
				g.OK = append(g.OK, d)
			}
			if g.last != ga.serial {
				g.Requests++
				g.last = ga.serial
			}
		}
		for _, i := range ga.order {
			ga.inReq[i] = false
		}
	}
}

// flushMinute adds the current run of calls to perMinute.
func (g *callGroup) flushMinute() {
	if g.curN == 0 {
		return
	}
	if g.perMinute == nil {
		g.perMinute = map[int64]int64{}
	}
	g.perMinute[g.curMin] += g.curN
	g.curN = 0
}

// timings returns each group's call start times and the callee's time on
// each call.
func (ga *groupAcc) timings() map[calls.Key]callTiming {
	out := make(map[calls.Key]callTiming, len(ga.byKey))
	for k, g := range ga.byKey {
		g.flushMinute()
		out[k] = callTiming{perMinute: g.perMinute, serve: g.serve}
	}
	return out
}

// avoidable returns, per endpoint, how many of its failed requests had a
// failing call of a recommended make-async candidate: the failures the
// combined plan would have avoided (a deferred call's failure no longer
// fails the request).
func (ga *groupAcc) avoidable(cands []report.Candidate) map[report.Ref]int {
	byEndpoint := map[report.Ref]map[int]bool{}
	for _, c := range cands {
		if c.Action != report.MakeAsync || !c.Recommended {
			continue
		}
		k := calls.Key{Endpoint: calls.Endpoint(c.Endpoint), Caller: calls.Endpoint(c.Caller), Callee: calls.Endpoint(c.Callee)}
		g := ga.byKey[k]
		if g == nil || len(g.failedWith) == 0 {
			continue
		}
		set := byEndpoint[c.Endpoint]
		if set == nil {
			set = map[int]bool{}
			byEndpoint[c.Endpoint] = set
		}
		for _, s := range g.failedWith {
			set[s] = true
		}
	}
	out := make(map[report.Ref]int, len(byEndpoint))
	for ep, set := range byEndpoint {
		out[ep] = len(set)
	}
	return out
}

// groups returns the groups sorted by key.
func (ga *groupAcc) groups() []review.CallStats {
	out := make([]review.CallStats, 0, len(ga.byKey))
	for _, g := range ga.byKey {
		out = append(out, g.CallStats)
	}
	slices.SortFunc(out, func(a, b review.CallStats) int { return a.Key.Compare(b.Key) })
	return out
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
	msgs  map[calls.Key][]message
	order []int32
}

// message is one publish and its consume (Unix ns).
type message struct{ published, consumed, done int64 }

// add adds the lags of reqs.
func (fa *flowAcc) add(reqs []Request) {
	if fa.lags == nil {
		fa.lags, fa.msgs = map[calls.Key][]int64{}, map[calls.Key][]message{}
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
			fa.msgs[k] = append(fa.msgs[k], message{ps.Start, s.Start, max(s.Start, s.End)})
		}
	}
}

// flows returns the flows sorted by endpoint, producer and consumer.
func (fa *flowAcc) flows() []report.AsyncFlow {
	out := make([]report.AsyncFlow, 0, len(fa.lags))
	for k, l := range fa.lags {
		f := report.AsyncFlow{Endpoint: ref(k.Endpoint), Producer: ref(k.Caller), Consumer: ref(k.Callee),
			Count: len(l), LagMs: percentiles(stats.Of(l))}
		keepUp(&f, fa.msgs[k])
		out = append(out, f)
	}
	slices.SortFunc(out, func(a, b report.AsyncFlow) int {
		return calls.Key{Endpoint: calls.Endpoint(a.Endpoint), Caller: calls.Endpoint(a.Producer), Callee: calls.Endpoint(a.Consumer)}.Compare(
			calls.Key{Endpoint: calls.Endpoint(b.Endpoint), Caller: calls.Endpoint(b.Producer), Callee: calls.Endpoint(b.Consumer)})
	})
	return out
}

// minKeepUpMessages is the number of messages from which a flow's
// arrival and completion rates are compared.
const minKeepUpMessages = 8

// keepUp compares a flow's consumers with its arrivals (issue 17): the
// arrival rate is the messages over the publishes' window, the completion
// rate the messages over the consumes' window (first consume start to
// last consume end, less the processing of the first); the lag growth is
// the median lag of the last quarter of the messages (by publish time)
// minus that of the first quarter. The consumers fall behind when they
// complete fewer than 90% of the arrivals per second and the lag grows by
// more than 5% of the publishes' window: a backlog builds, whatever the
// lag's size.
func keepUp(f *report.AsyncFlow, msgs []message) {
	n := len(msgs)
	if n < minKeepUpMessages {
		return
	}
	msgs = slices.Clone(msgs)
	slices.SortFunc(msgs, func(a, b message) int {
		return cmp.Or(cmp.Compare(a.published, b.published), cmp.Compare(a.consumed, b.consumed), cmp.Compare(a.done, b.done))
	})
	pubWindow := msgs[n-1].published - msgs[0].published
	first, last := int64(math.MaxInt64), int64(math.MinInt64)
	var firstDone int64
	for _, m := range msgs {
		if m.consumed < first {
			first, firstDone = m.consumed, m.done
		}
		last = max(last, m.done)
	}
	// Completions are counted from the end of the first one: n−1 more.
	doneWindow := last - firstDone
	if pubWindow <= 0 || doneWindow <= 0 {
		return
	}
	f.ArrivalsPerSecond = round2(float64(n-1) / (float64(pubWindow) / 1e9))
	f.CompletionsPerSecond = round2(float64(n-1) / (float64(doneWindow) / 1e9))
	q := n / 4
	lagMedian := func(ms []message) int64 {
		l := make([]int64, len(ms))
		for i, m := range ms {
			l[i] = max(0, m.consumed-m.published)
		}
		return stats.Of(l).P50
	}
	growth := lagMedian(msgs[n-q:]) - lagMedian(msgs[:q])
	f.LagGrowthMs = ms(growth)
	f.FallingBehind = float64(doneWindow)*0.9 > float64(pubWindow) && float64(growth) > 0.05*float64(pubWindow)
}
