package detect

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/trace"
	"github.com/syncaudit/syncaudit/whatif"
)

// Confidence weights of the make-async detector (see MakeAsync).
const (
	basePolicyDeferrable = 0.80
	baseDeferrable       = 0.55
	baseDeferrableName   = 0.50
	baseNeutral          = 0.20

	weightTolerated    = 0.35
	weightPropagated   = -0.15
	weightAsyncOp      = 0.20
	weightAsyncService = 0.10
	weightTail         = 0.15
	weightWrite        = 0.10
	weightRead         = -0.20
	weightDeeper       = -0.15
)

const makeAsyncDoc = `synchronous calls that could be made asynchronous

For every synchronous call, grouped by (endpoint, caller, callee), the
make-async detector projects what publishing an event to a queue instead of
waiting for the call would save: each request containing the call is
re-simulated with all its occurrences detached (each then costs the caller
only the enqueue cost), and the saving is the request's latency minus the
re-simulated one.

Confidence (0–1) that the call may be deferred is a base set by the
call's class plus evidence from the traces, clamped to [0, 1] and rounded
to two decimals:

  base   0.80  a policy rule marks it deferrable
         0.55  a built-in deferrable category (notification, analytics,
               logging, reporting, search indexing, cache warming, media
               processing) found in the operation, route or an attribute
         0.50  the same, found in a name only (the callee service,
               peer.service, server.address, rpc.service)
         0.20  neutral: no category matches (an ambiguous word such as
               "warehouse" or "report" in a name alone does not count:
               see Classifier)
  +0.35 × t/f  failures tolerated: of the f occurrences that failed, t did
               so while their request still succeeded
  -0.15 × u/f  failures propagate: u of the f failures failed the request
  +0.20        the same callee service and operation is called
               asynchronously elsewhere in the data (+0.10 when only the
               same service is)
  +0.15 × k/n  tail position in k of n occurrences: no other synchronous
               child of the caller span starts after the call returns, and
               the caller ends within 5% of its duration (at least 1 ms)
  +0.10 × k/n  writes (HTTP POST/PUT/PATCH/DELETE, INSERT/UPDATE,
               publishing, RPC Send…/Create…) in k of n occurrences
  -0.20 × k/n  explicit reads (GET, SELECT, RPC Get…/List…) in k of n: the
               caller usually needs what a read returns
  -0.15 × k/n  a deferrable call deeper down: in k of n occurrences the
               callee's own subtree makes a synchronous call of a deferrable
               category (or policy): that call, not this one, is the place
               to cut, and its own finding says what it saves

Critical calls (built-in authentication, payment, inventory, validation or
pricing categories, or a policy rule marking them critical) are never
recommended and are not reported by this detector, whatever their savings.
Reads (explicit reads in at least as many occurrences as writes) are
reported but never recommended, whatever their confidence: the caller
needs their answer, so the fix proposed is to run them concurrently or to
cache or prefetch their answer, never to publish an event.

The call a catch-all gateway forwards the request with (the endpoint is
named after it: "/* → orders /api/orders") is the request itself and is
never a candidate.
Reasons are listed strongest first (by the size of their contribution).`

// MakeAsync returns the make-async detector. Its Doc explains the
// projection and the confidence scoring.
func MakeAsync() *Detector {
	return &Detector{Name: ActionMakeAsync, Doc: makeAsyncDoc,
		New: func() DetectorState { return &asyncState{aggs: map[calls.Key]*asyncAgg{}} }}
}

// asyncAgg accumulates the occurrences of one calls.Key.
type asyncAgg struct {
	key       calls.Key
	class     Class
	sites     []Site // while observing one pass
	calls     int
	traces    int
	lastTrace *trace.Trace
	perReq    int // occurrences in the current (last) request
	maxPerReq int
	failed    int
	tolerated int
	tail      int
	writes    int
	reads     int
	writeHow  string
	readHow   string
	protocol  string
	// deeper counts the occurrences whose callee makes a deferrable call
	// further down; deeperHow names the first such call.
	deeper    int
	deeperHow string
	// classAt, writeAt, readAt, firstAt and deeperAt are the requests where
	// class, writeHow, readHow, protocol and deeperHow were set: merging
	// keeps the earliest in canonical order, as one pass over every request
	// does.
	classAt, writeAt, readAt, firstAt, deeperAt Record
}

// asyncState is the make-async detector's state: one aggregate per
// (endpoint, caller, callee).
type asyncState struct {
	aggs map[calls.Key]*asyncAgg
}

// Observe aggregates the synchronous calls of every request of p per
// calls.Key and returns their sites.
func (s *asyncState) Observe(p *Pass) []Sites {
	local := map[calls.Key]*asyncAgg{}
	var keys []calls.Key
	var dp deeperScratch
	for r := range p.Requests {
		req := &p.Requests[r]
		cs := p.Calls(r)
		if !p.SitesOnly {
			dp.mark(p, r, cs)
		}
		for k := range cs {
			c := &cs[k]
			if c.Async || forwards(req, c) {
				continue
			}
			key := calls.Key{Endpoint: req.Endpoint, Caller: c.Caller, Callee: c.Callee}
			a := local[key]
			if a == nil {
				a = &asyncAgg{key: key, protocol: c.Protocol}
				if !p.SitesOnly {
					a.firstAt = p.Record(r)
				}
				local[key] = a
				keys = append(keys, key)
			}
			if p.SitesOnly {
				// Only the sites are wanted (the plan pass).
			} else if cls := p.Classify(r, c); a.calls == 0 || cls.Lean > a.class.Lean {
				a.class, a.classAt = cls, p.Record(r)
			}
			a.calls++
			if n := len(a.sites); n > 0 && a.sites[n-1].Request == r {
				a.sites[n-1].Change.Detach = append(a.sites[n-1].Change.Detach, c.Span)
				a.perReq++
			} else {
				a.sites = append(a.sites, Site{Request: r, Change: whatif.Change{Detach: []int32{c.Span}}})
				a.perReq = 1
			}
			a.maxPerReq = max(a.maxPerReq, a.perReq)
			if p.SitesOnly {
				continue
			}
			if req.Trace != a.lastTrace {
				a.traces++
				a.lastTrace = req.Trace
			}
			if c.Failed {
				a.failed++
				if !req.Failed {
					a.tolerated++
				}
			}
			if p.Tail(r, c) {
				a.tail++
			}
			if d := dp.below(c.Span); d != nil {
				a.deeper++
				if a.deeperHow == "" {
					a.deeperHow, a.deeperAt = d.Callee.String(), p.Record(r)
				}
			}
			switch acc, how := p.Access(r, c); acc {
			case Write:
				a.writes++
				if a.writeHow == "" {
					a.writeHow, a.writeAt = how, p.Record(r)
				}
			case Read:
				a.reads++
				if a.readHow == "" {
					a.readHow, a.readAt = how, p.Record(r)
				}
			}
		}
	}
	out := make([]Sites, len(keys))
	for i, k := range keys {
		a := local[k]
		out[i] = Sites{Group: Group{Action: ActionMakeAsync, Endpoint: k.Endpoint, Caller: k.Caller, Callees: k.Callee.String()}, Sites: a.sites}
		a.sites, a.lastTrace = nil, nil
	}
	if !p.SitesOnly {
		s.add(local)
	}
	return out
}

// forwards reports whether c is the call a catch-all gateway forwarded
// the request with (Request.Forward): its answer is the response.
func forwards(req *Request, c *calls.Call) bool {
	f := req.Forward - 1
	return f >= 0 && (c.Server == f || c.Span == f)
}

// add merges aggregates into the state.
func (s *asyncState) add(aggs map[calls.Key]*asyncAgg) {
	for k, b := range aggs {
		m := s.aggs[k]
		if m == nil {
			s.aggs[k] = b
			continue
		}
		less := func(x, y *Record) bool { return compareRecords(x, y) < 0 }
		if b.class.Lean > m.class.Lean || b.class.Lean == m.class.Lean && less(&b.classAt, &m.classAt) {
			m.class, m.classAt = b.class, b.classAt
		}
		if b.writeHow != "" && (m.writeHow == "" || less(&b.writeAt, &m.writeAt)) {
			m.writeHow, m.writeAt = b.writeHow, b.writeAt
		}
		if b.readHow != "" && (m.readHow == "" || less(&b.readAt, &m.readAt)) {
			m.readHow, m.readAt = b.readHow, b.readAt
		}
		if less(&b.firstAt, &m.firstAt) {
			m.protocol, m.firstAt = b.protocol, b.firstAt
		}
		if b.deeperHow != "" && (m.deeperHow == "" || less(&b.deeperAt, &m.deeperAt)) {
			m.deeperHow, m.deeperAt = b.deeperHow, b.deeperAt
		}
		m.deeper += b.deeper
		m.calls += b.calls
		m.traces += b.traces
		m.maxPerReq = max(m.maxPerReq, b.maxPerReq)
		m.failed += b.failed
		m.tolerated += b.tolerated
		m.tail += b.tail
		m.writes += b.writes
		m.reads += b.reads
	}
}

// Merge adds another make-async state (see DetectorState).
func (s *asyncState) Merge(o DetectorState) error {
	t, ok := o.(*asyncState)
	if !ok {
		return fmt.Errorf("detect: make-async: cannot merge a %T", o)
	}
	cp := make(map[calls.Key]*asyncAgg, len(t.aggs))
	for k, a := range t.aggs {
		b := *a
		cp[k] = &b
	}
	s.add(cp)
	return nil
}

// Findings turns the aggregates into findings, sorted by key.
func (s *asyncState) Findings(sh *Shared) []Finding {
	keys := make([]calls.Key, 0, len(s.aggs))
	for k := range s.aggs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, calls.Key.Compare)
	var out []Finding
	for _, k := range keys {
		a := s.aggs[k]
		if a.class.Lean == Critical {
			continue // never recommended: see the Doc
		}
		conf, reasons := a.confidence(sh.AsyncElsewhere)
		read := a.read()
		if read {
			reasons = append(reasons, "never recommended: the caller needs what a read returns; make it concurrent or cache it instead")
		}
		out = append(out, Finding{
			Action:     ActionMakeAsync,
			Endpoint:   k.Endpoint,
			Caller:     k.Caller,
			Callee:     k.Callee,
			Callees:    []calls.Endpoint{k.Callee},
			Calls:      a.calls,
			Traces:     a.traces,
			Confidence: conf,
			Read:       read,
			Reasons:    reasons,
			Fix:        a.fix(),
		})
	}
	return out
}

// read reports whether the call is an explicit read in most of its
// occurrences: it returns data the caller needs.
func (a *asyncAgg) read() bool { return a.reads > 0 && a.reads >= a.writes }

// AppendBinary encodes the aggregates in key order.
func (s *asyncState) AppendBinary(b []byte) ([]byte, error) {
	keys := make([]calls.Key, 0, len(s.aggs))
	for k := range s.aggs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, calls.Key.Compare)
	e := enc{b: b}
	e.uint(uint64(len(keys)))
	for _, k := range keys {
		a := s.aggs[k]
		e.endpoint(k.Endpoint)
		e.endpoint(k.Caller)
		e.endpoint(k.Callee)
		e.class(&a.class)
		for _, v := range [...]int{a.calls, a.traces, a.maxPerReq, a.failed, a.tolerated, a.tail, a.writes, a.reads} {
			e.uint(uint64(v))
		}
		e.str(a.writeHow)
		e.str(a.readHow)
		e.str(a.protocol)
		for _, r := range [...]*Record{&a.classAt, &a.writeAt, &a.readAt, &a.firstAt} {
			e.record(r)
		}
	}
	// Evidence added later follows as an optional trailing section, so
	// that states encoded before it still decode (and states without such
	// evidence encode as they did): a section version, then per key, in
	// the same order, the deeper-call evidence.
	deeper := false
	for _, a := range s.aggs {
		deeper = deeper || a.deeper > 0
	}
	if deeper {
		e.uint(asyncExtDeeper)
		for _, k := range keys {
			a := s.aggs[k]
			e.uint(uint64(a.deeper))
			e.str(a.deeperHow)
			e.record(&a.deeperAt)
		}
	}
	return e.b, nil
}

// asyncExtDeeper is the version of the make-async state's trailing
// section: the deeper-call evidence (deeper, deeperHow, deeperAt).
const asyncExtDeeper = 1

// UnmarshalBinary decodes what AppendBinary wrote.
func (s *asyncState) UnmarshalBinary(b []byte) error {
	d := dec{b: b}
	n := d.count(8)
	s.aggs = make(map[calls.Key]*asyncAgg, n)
	order := make([]*asyncAgg, 0, n)
	for range n {
		a := &asyncAgg{}
		a.key = calls.Key{Endpoint: d.endpoint(), Caller: d.endpoint(), Callee: d.endpoint()}
		a.class = d.class()
		for _, v := range [...]*int{&a.calls, &a.traces, &a.maxPerReq, &a.failed, &a.tolerated, &a.tail, &a.writes, &a.reads} {
			*v = d.nonneg()
		}
		a.writeHow, a.readHow, a.protocol = d.str(), d.str(), d.str()
		for _, r := range [...]*Record{&a.classAt, &a.writeAt, &a.readAt, &a.firstAt} {
			*r = d.record()
		}
		if d.err != nil {
			break
		}
		if _, dup := s.aggs[a.key]; dup {
			d.fail("duplicate make-async key")
			break
		}
		s.aggs[a.key] = a
		order = append(order, a)
	}
	if d.err == nil && d.off < len(d.b) {
		if v := d.uint(); v != asyncExtDeeper {
			d.fail(fmt.Sprintf("make-async section version %d", v))
		}
		for _, a := range order {
			if d.err != nil {
				break
			}
			a.deeper, a.deeperHow, a.deeperAt = d.nonneg(), d.str(), d.record()
		}
	}
	return d.done()
}

// elsewhereFunc is Shared.AsyncElsewhere.
type elsewhereFunc func(callee calls.Endpoint) (sameOperation, sameService int)

// reason is one confidence contribution and its explanation.
type reason struct {
	weight float64
	text   string
	// last puts the reason after all others: it explains the base
	// confidence without being evidence ("category: none").
	last bool
}

// confidence scores the aggregate as documented in makeAsyncDoc.
func (a *asyncAgg) confidence(elsewhere elsewhereFunc) (float64, []string) {
	var rs []reason
	add := func(w float64, format string, args ...any) {
		rs = append(rs, reason{weight: w, text: fmt.Sprintf(format, args...)})
	}
	n := float64(a.calls)
	switch {
	case a.class.Policy:
		add(basePolicyDeferrable, "%s", a.class.Reason())
	case a.class.Lean == Deferrable && a.class.NameOnly():
		add(baseDeferrableName, "%s", a.class.Reason())
	case a.class.Lean == Deferrable:
		add(baseDeferrable, "%s", a.class.Reason())
	case a.class.Ambiguous() != "":
		rs = append(rs, reason{baseNeutral, fmt.Sprintf("category: none (%s would be %s, but the word is ambiguous in a name and no operation, route or attribute confirms it)",
			strconv.Quote(a.key.Callee.String()), a.class.Ambiguous()), true})
	default:
		rs = append(rs, reason{baseNeutral, fmt.Sprintf("category: none (no built-in category matches %s)",
			strconv.Quote(a.key.Callee.String())), true})
	}
	if a.failed > 0 {
		if a.tolerated > 0 {
			text := fmt.Sprintf("failures tolerated: failed in %d of %d calls while the request still succeeded",
				a.tolerated, a.calls)
			add(weightTolerated*float64(a.tolerated)/float64(a.failed), "%s", text)
		}
		if u := a.failed - a.tolerated; u > 0 {
			add(weightPropagated*float64(u)/float64(a.failed),
				"failures propagate: the request failed in %d of the %d calls that failed", u, a.failed)
		}
	}
	if same, svc := elsewhere(a.key.Callee); same > 0 {
		add(weightAsyncOp, "async elsewhere: %s is already called asynchronously in %d %s",
			a.key.Callee, same, plural(same, "call", "calls"))
	} else if svc > 0 {
		add(weightAsyncService, "async elsewhere: service %q is already called asynchronously in %d %s",
			a.key.Callee.Service, svc, plural(svc, "call", "calls"))
	}
	if a.tail > 0 {
		add(weightTail*float64(a.tail)/n, "tail position: the caller waits for nothing after it in %d of %d calls",
			a.tail, a.calls)
	}
	if a.writes > 0 {
		add(weightWrite*float64(a.writes)/n, "write: changes state (%s) in %d of %d calls", a.writeHow, a.writes, a.calls)
	}
	if a.reads > 0 {
		add(weightRead*float64(a.reads)/n, "read: returns data the caller may need (%s) in %d of %d calls",
			a.readHow, a.reads, a.calls)
	}
	if a.deeper > 0 {
		add(weightDeeper*float64(a.deeper)/n, "deferrable call deeper down: the callee itself calls %s synchronously in %d of %d calls; make that call asynchronous instead",
			a.deeperHow, a.deeper, a.calls)
	}
	var sum float64
	for _, r := range rs {
		sum += r.weight
	}
	return round2(sum), sortReasons(rs)
}

// sortReasons orders reasons by the size of their contribution, largest
// first, with those marked last at the end; equal sizes keep their order.
func sortReasons(rs []reason) []string {
	slices.SortStableFunc(rs, func(a, b reason) int {
		if a.last != b.last {
			if a.last {
				return 1
			}
			return -1
		}
		return cmp.Compare(math.Abs(b.weight), math.Abs(a.weight))
	})
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.text
	}
	return out
}

// round2 clamps x to [0, 1] and rounds it to two decimals.
func round2(x float64) float64 {
	x = min(1, max(0, x))
	return math.Round(x*100) / 100
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// fix is the verb phrase for the aggregate.
func (a *asyncAgg) fix() string {
	target := a.key.Callee.String()
	if a.read() {
		// A read cannot become an event: its answer is needed.
		return "fetch " + target + " concurrently with the caller's other work, or cache or prefetch its answer, instead of waiting for it in sequence"
	}
	var s string
	switch a.protocol {
	case calls.ProtocolMessaging:
		s = "publish to " + target + " without waiting for the broker's acknowledgement"
	case calls.ProtocolDB:
		s = "queue the work and let a background worker run " + target + " instead of waiting for it"
	default:
		if a.maxPerReq > 1 {
			s = "publish events to a queue instead of calling " + target
		} else {
			s = "publish an event to a queue instead of calling " + target
		}
	}
	if a.maxPerReq > 1 {
		s += fmt.Sprintf(" (up to %d times per request)", a.maxPerReq)
	}
	return s
}

// deeperScratch finds, per request, the spans above a synchronous
// deferrable call: cutting there would defer more than the deferrable work.
type deeperScratch struct {
	t *trace.Trace
	// by holds, per span of t, the index plus one of the first deferrable
	// call (in span order) below it, 0 for none; touched lists the spans
	// set, to reset them.
	by      []int32
	touched []int32
	cs      []calls.Call
}

// mark records the ancestors of request r's synchronous deferrable calls.
func (dp *deeperScratch) mark(p *Pass, r int, cs []calls.Call) {
	for _, v := range dp.touched {
		dp.by[v] = 0
	}
	dp.touched = dp.touched[:0]
	t := p.Requests[r].Trace
	dp.t, dp.cs = t, cs
	if t == nil {
		return
	}
	if len(dp.by) < len(t.Spans) {
		dp.by = make([]int32, len(t.Spans))
	}
	n := int32(len(t.Spans))
	for k := range cs {
		c := &cs[k]
		if c.Async || c.Span < 0 || c.Span >= n || p.Classify(r, c).Lean != Deferrable {
			continue
		}
		// Up from the call's parent until a span already marked (its
		// ancestors are too); the guard bounds a walk on a cyclic link.
		for v, steps := t.Parent[c.Span], int32(0); v >= 0 && v < n && dp.by[v] == 0 && steps < n; v, steps = t.Parent[v], steps+1 {
			dp.by[v] = int32(k) + 1
			dp.touched = append(dp.touched, v)
		}
	}
}

// below returns the first deferrable call below span, or nil.
func (dp *deeperScratch) below(span int32) *calls.Call {
	if dp.t == nil || span < 0 || int(span) >= len(dp.by) || span >= int32(len(dp.t.Spans)) || dp.by[span] == 0 {
		return nil
	}
	return &dp.cs[dp.by[span]-1]
}
