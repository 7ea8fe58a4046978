package detect

import (
	"cmp"
	"slices"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/trace"
	"github.com/syncaudit/syncaudit/whatif"
)

// Pass is the shared state detectors observe, computed once per batch
// of requests (a sub-batch of whole traces, see State.Observe): the
// requests in canonical order, and per trace its what-if model, which
// request each span belongs to and the latest sync child start under each
// span; per request its calls and baseline latency. Detectors must not
// modify it.
type Pass struct {
	Options Options
	// Requests are the requests in canonical order (by trace ID, root span
	// ID, root start and index); Site.Request indexes them.
	Requests []Request

	// SitesOnly tells detectors to report sites only, without the
	// evidence (classification, access, tail) confidence needs: the plan
	// pass.
	SitesOnly bool

	classifier *Classifier
	reqs       []reqState
	// shared counts calls made asynchronously, per callee endpoint and
	// per callee service.
	shared *Shared
	// records are the requests' Records, same order.
	records []Record
	// classes caches Classify by its key; keyBuf and srcBuf are reused
	// to build keys.
	classes map[string]Class
	byID    map[classID]Class
	keyBuf  []byte
	srcBuf  []source
	// reads caches what the spans below a POST's server do (Access).
	reads readCache
}

// traceState is what the pass computes once per trace.
type traceState struct {
	t     *trace.Trace
	model *whatif.Model
	// last1/last1Span/last2: per span, the latest start among its sync
	// children, which child that is, and the latest start among the others
	// (minInt64 when none).
	last1, last2 []int64
	last1Span    []int32
	// rootOf is the root of t.Roots each span belongs to (-1: none);
	// byRoot buckets the calls last passed to callsOf by root, and bucketed
	// identifies that slice.
	rootOf   []int32
	order    []int32
	byRoot   map[int32][]calls.Call
	bucketed []calls.Call
}

// callsOf returns the calls in cs that belong to the request rooted at
// root, in span order. Requests of one trace usually share one calls
// slice: it is bucketed by root once, so a trace with many roots costs
// O(spans + calls), not O(roots × calls).
func (ts *traceState) callsOf(root int32, cs []calls.Call) []calls.Call {
	t := ts.t
	if ts.rootOf[root] != root {
		// Not a root of the trace: walk its subtree (cycle-safe) and filter.
		in := make([]bool, len(t.Spans))
		stack := append(ts.order[:0], root)
		in[root] = true
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, c := range t.Children(v) {
				if !in[c] {
					in[c] = true
					stack = append(stack, c)
				}
			}
		}
		ts.order = stack[:0]
		var out []calls.Call
		for _, c := range cs {
			if c.Span >= 0 && int(c.Span) < len(t.Spans) && in[c.Span] && c.Span != root {
				out = append(out, c)
			}
		}
		slices.SortStableFunc(out, func(a, b calls.Call) int { return cmp.Compare(a.Span, b.Span) })
		return out
	}
	if len(t.Roots) == 1 {
		// One root (the usual case): every call but one on the root itself
		// belongs to it, and calls.Find sorts calls by span.
		return callsOfOnly(root, cs, ts.rootOf)
	}
	same := ts.byRoot != nil && len(cs) == len(ts.bucketed) && (len(cs) == 0 || &cs[0] == &ts.bucketed[0])
	if !same {
		ts.byRoot = map[int32][]calls.Call{}
		ts.bucketed = cs
		for _, c := range cs {
			if c.Span < 0 || int(c.Span) >= len(t.Spans) {
				continue
			}
			if r := ts.rootOf[c.Span]; r >= 0 && c.Span != r {
				ts.byRoot[r] = append(ts.byRoot[r], c)
			}
		}
		for _, b := range ts.byRoot {
			slices.SortStableFunc(b, func(a, b calls.Call) int { return cmp.Compare(a.Span, b.Span) })
		}
	}
	return ts.byRoot[root]
}

// callsOfOnly returns the calls of cs, a trace's calls when root is its
// only root, that belong to root (rootOf, per span), in span order: cs
// itself when all do, in order, and none is on root.
func callsOfOnly(root int32, cs []calls.Call, rootOf []int32) []calls.Call {
	in := func(c *calls.Call) bool {
		return c.Span >= 0 && int(c.Span) < len(rootOf) && rootOf[c.Span] == root && c.Span != root
	}
	all := true
	for i := range cs {
		if !in(&cs[i]) || i > 0 && cs[i].Span < cs[i-1].Span {
			all = false
			break
		}
	}
	if all {
		return cs
	}
	var out []calls.Call
	for i := range cs {
		if in(&cs[i]) {
			out = append(out, cs[i])
		}
	}
	slices.SortStableFunc(out, func(a, b calls.Call) int { return cmp.Compare(a.Span, b.Span) })
	return out
}

type reqState struct {
	tr       *traceState // nil when the trace cannot be analysed
	calls    []calls.Call
	baseline int64
}

type endpointState struct {
	reqs        []int   // request indices, in order
	latencies   []int64 // same order
	meanLatency float64
}

const minInt64 = -1 << 63

// bigTrace is the trace size from which newTraceState builds the what-if
// model concurrently with the rest.
const bigTrace = 1 << 16

// linked reports whether t can be walked: it has spans and Link has built
// its tree index.
func linked(t *trace.Trace) bool {
	return t != nil && len(t.Spans) > 0 && t.Linked()
}

func newPass(in []Request, opt Options) *Pass {
	p := &Pass{
		Options:    opt,
		Requests:   slices.Clone(in),
		classifier: NewClassifier(opt.Policy),
		shared:     newShared(),
		classes:    map[string]Class{},
		byID:       map[classID]Class{},
	}
	p.records = make([]Record, len(p.Requests))
	for i := range p.Requests {
		p.records[i] = RecordOf(&p.Requests[i])
	}
	// Sort requests and records together, by record.
	perm := make([]int, len(p.Requests))
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(a, b int) int { return compareRecords(&p.records[a], &p.records[b]) })
	reqs, recs := make([]Request, len(perm)), make([]Record, len(perm))
	for c, i := range perm {
		reqs[c], recs[c] = p.Requests[i], p.records[i]
	}
	p.Requests, p.records = reqs, recs
	p.reqs = make([]reqState, len(p.Requests))
	traces := map[*trace.Trace]*traceState{}
	found := map[*trace.Trace][]calls.Call{}
	for i := range p.Requests {
		r := &p.Requests[i]
		t := r.Trace
		if !linked(t) || r.Root < 0 || int(r.Root) >= len(t.Spans) {
			continue
		}
		ts := traces[t]
		if ts == nil {
			ts = newTraceState(t)
			traces[t] = ts
		}
		cs := r.Calls
		if cs == nil {
			var ok bool
			if cs, ok = found[t]; !ok {
				cs = calls.Find(t)
				found[t] = cs
			}
		}
		st := &p.reqs[i]
		st.tr = ts
		st.calls = ts.callsOf(r.Root, cs)
		st.baseline = ts.model.Baseline(r.Root)
		for k := range st.calls {
			if c := &st.calls[k]; c.Async {
				p.shared.asyncOps[c.Callee]++
				p.shared.asyncServices[c.Callee.Service]++
			}
		}
	}
	return p
}

// endpointIndex groups the requests 0…n-1 by endpoint, in order, with
// their latencies and mean latency; at returns request i's endpoint and
// latency.
func endpointIndex(n int, at func(i int) (calls.Endpoint, int64)) map[calls.Endpoint]*endpointState {
	eps := map[calls.Endpoint]*endpointState{}
	for i := range n {
		e, lat := at(i)
		ep := eps[e]
		if ep == nil {
			ep = &endpointState{}
			eps[e] = ep
		}
		ep.reqs = append(ep.reqs, i)
		ep.latencies = append(ep.latencies, lat)
	}
	for _, ep := range eps {
		var sum float64
		for _, l := range ep.latencies {
			sum += float64(l)
		}
		ep.meanLatency = sum / float64(len(ep.latencies))
	}
	return eps
}

func newTraceState(t *trace.Trace) *traceState {
	n := len(t.Spans)
	ts := &traceState{
		t:         t,
		last1:     make([]int64, n),
		last2:     make([]int64, n),
		last1Span: make([]int32, n),
		rootOf:    make([]int32, n),
	}
	if n >= bigTrace {
		// One huge trace may be all the work there is: build its model
		// while the rest is computed (both only read t).
		done := make(chan struct{})
		go func() {
			defer close(done)
			ts.model = whatif.NewModel(t)
		}()
		defer func() { <-done }()
	} else {
		ts.model = whatif.NewModel(t)
	}
	for i := range n {
		ts.last1[i], ts.last2[i], ts.last1Span[i], ts.rootOf[i] = minInt64, minInt64, -1, -1
	}
	for _, r := range t.Roots {
		if r < 0 || int(r) >= n || ts.rootOf[r] >= 0 {
			continue
		}
		ts.order = t.Preorder(r, ts.order[:0])
		for _, s := range ts.order {
			ts.rootOf[s] = r
		}
	}
	for i, par := range t.Parent {
		if par < 0 || int(par) >= n || !t.Spans[i].Gates() {
			continue
		}
		s := t.Spans[i].Start
		switch {
		case s > ts.last1[par] || (s == ts.last1[par] && ts.last1Span[par] < 0):
			ts.last2[par] = ts.last1[par]
			ts.last1[par], ts.last1Span[par] = s, int32(i)
		case s > ts.last2[par]:
			ts.last2[par] = s
		}
	}
	return ts
}

// fork returns a Pass sharing p's state, which is read-only once built,
// with classification caches of its own, so that two collectors can walk
// the requests concurrently.
func (p *Pass) fork() *Pass {
	q := *p
	q.classes, q.byID, q.keyBuf, q.srcBuf = map[string]Class{}, map[classID]Class{}, nil, nil
	q.reads = readCache{}
	return &q
}

// Calls returns the calls of request r (an index into Requests) in span
// order, async ones included. The slice must not be modified.
func (p *Pass) Calls(r int) []calls.Call { return p.reqs[r].calls }

// Model returns the what-if model of request r's trace, or nil when the
// trace cannot be analysed (not linked, root out of range).
func (p *Pass) Model(r int) *whatif.Model {
	if p.reqs[r].tr == nil {
		return nil
	}
	return p.reqs[r].tr.model
}

// Baseline returns request r's modelled latency with no change (ns).
func (p *Pass) Baseline(r int) int64 { return p.reqs[r].baseline }

// Classify returns the class of call c of request r (see Classifier).
// Results are cached by everything they depend on: the caller service,
// the callee, the call's access and its source texts, encoded into one
// reused buffer so that a cache hit allocates nothing.
func (p *Pass) Classify(r int, c *calls.Call) Class {
	t := p.Requests[r].Trace
	if t == nil {
		return Class{}
	}
	// First by identity: decoders share equal attribute lists between
	// spans (decoder.AttrSets), so the same list at the same address
	// means the same texts without reading them.
	id := classID{caller: c.Caller.Service, callee: c.Callee, protocol: c.Protocol, write: c.Write}
	n := int32(len(t.Spans))
	if c.Span >= 0 && c.Span < n {
		s := &t.Spans[c.Span]
		id.name = s.Name
		id.a0, id.n0 = attrsID(s.Attrs)
	}
	if c.Server >= 0 && c.Server < n && c.Server != c.Span {
		id.a1, id.n1 = attrsID(t.Spans[c.Server].Attrs)
	}
	if cls, ok := p.byID[id]; ok {
		return cls
	}
	cls := p.classifyByText(t, c)
	if len(p.byID) >= maxClassIDs {
		clear(p.byID) // attribute lists that are not shared: keep the map small
	}
	p.byID[id] = cls
	return cls
}

// classID identifies what a classification depends on by the identity of
// the spans' attribute lists (see Pass.Classify).
type classID struct {
	caller, name, protocol string
	callee                 calls.Endpoint
	write                  bool
	a0, a1                 *trace.Attr
	n0, n1                 int
}

// maxClassIDs bounds Pass.byID.
const maxClassIDs = 1 << 14

func attrsID(a trace.Attrs) (*trace.Attr, int) {
	if len(a) == 0 {
		return nil, 0
	}
	return &a[0], len(a)
}

// classifyByText is Classify keyed by the texts themselves.
func (p *Pass) classifyByText(t *trace.Trace, c *calls.Call) Class {
	acc, _ := accessOf(t, c, &p.reads)
	k := append(p.keyBuf[:0], byte(acc))
	for _, s := range [...]string{c.Caller.Service, c.Callee.Service, c.Callee.Operation} {
		k = append(k, s...)
		k = append(k, 0)
	}
	p.srcBuf = sources(t, c, p.srcBuf[:0])
	for _, s := range p.srcBuf {
		k = append(k, s.label...)
		k = append(k, 0)
		k = append(k, s.text...)
		k = append(k, 0)
	}
	p.keyBuf = k
	if cls, ok := p.classes[string(k)]; ok {
		return cls
	}
	cls := p.classifier.Classify(t, c)
	p.classes[string(k)] = cls
	return cls
}

// Record returns request r's canonical Record.
func (p *Pass) Record(r int) Record { return p.records[r] }

// AsyncElsewhere returns how many calls in the pass's requests reach
// callee's service and operation asynchronously, and how many reach its
// service.
func (p *Pass) AsyncElsewhere(callee calls.Endpoint) (sameOperation, sameService int) {
	return p.shared.AsyncElsewhere(callee)
}

// TailTolerance is how long a caller may go on after a call for the call
// to be at its tail: 5% of the caller's duration, at least 1 ms.
func TailTolerance(callerDuration int64) int64 {
	return max(int64(time.Millisecond), callerDuration/20)
}

// Tail reports whether call c of request r is at its caller's tail:
// no other synchronous child of the caller span starts at or after the call
// ends, and the caller ends within TailTolerance after it.
func (p *Pass) Tail(r int, c *calls.Call) bool {
	ts := p.reqs[r].tr
	if ts == nil || c.Span < 0 || int(c.Span) >= len(ts.t.Spans) {
		return false
	}
	t := ts.t
	par := t.Parent[c.Span]
	if par < 0 {
		return false
	}
	s, ps := &t.Spans[c.Span], &t.Spans[par]
	latest := ts.last1[par]
	if ts.last1Span[par] == c.Span {
		latest = ts.last2[par]
	}
	if latest != minInt64 && latest >= s.End {
		return false
	}
	return ps.End-s.End <= TailTolerance(ps.Duration())
}

// Access classifies call c of request r as a read or a write (see AccessOf).
func (p *Pass) Access(r int, c *calls.Call) (Access, string) {
	t := p.Requests[r].Trace
	if t == nil {
		return Unknown, ""
	}
	return accessOf(t, c, &p.reads)
}

// saving is request r's latency minus its re-simulated latency under ch.
func (p *Pass) saving(r int, ch whatif.Change) int64 {
	st := &p.reqs[r]
	if st.tr == nil {
		return 0
	}
	d := st.tr.model.Simulate(p.Requests[r].Root, ch, int64(p.Options.EnqueueCost))
	return st.baseline - d
}

// mergeSites sorts sites by request and merges those of the same request.
func mergeSites(sites []Site) []Site {
	if len(sites) == 0 {
		return sites
	}
	out := slices.Clone(sites)
	slices.SortStableFunc(out, func(a, b Site) int { return cmp.Compare(a.Request, b.Request) })
	k := 0
	for i := 1; i < len(out); i++ {
		if out[i].Request == out[k].Request {
			out[k].Change = union(out[k].Change, out[i].Change)
			continue
		}
		k++
		out[k] = out[i]
	}
	return out[:k+1]
}

// union combines two changes to the same request.
func union(a, b whatif.Change) whatif.Change {
	return whatif.Change{
		Detach:   append(slices.Clip(a.Detach), b.Detach...),
		Parallel: append(slices.Clip(a.Parallel), b.Parallel...),
	}
}
