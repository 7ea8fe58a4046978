package detect

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/trace"
	"github.com/syncaudit/syncaudit/whatif"
)

// Confidence weights of the parallelize detector (see Parallelize).
const (
	baseParallel          = 0.50
	weightDistinctService = 0.10
	weightExplicitReads   = 0.10
	weightWorkBetween     = -0.20
	// workBetweenShare is the share of a group's time the caller may spend
	// between the calls before it counts as working on their results.
	workBetweenShare = 0.20
)

const parallelizeDoc = `sequential independent reads that could run concurrently

Under one caller span, the parallelize detector looks for runs of two or
more synchronous calls that are not writes (calls.Call.Write is false) and
that run one after another: each starts at or after the previous one ended.
A write call among the caller's synchronous children ends a run (the reads
after it may need what it wrote); the caller's own spans and gaps between
the calls do not, but they are measured. Runs are grouped by (endpoint,
caller, set of callees); each request's runs are re-simulated started
together (whatif.Change.Parallel): a span that waited on any of them waits
for all of them.

Traces cannot show whether one read needs another's answer, so confidence
is moderate:

  base   0.50  sequential non-write calls under one caller
  +0.10        the calls go to distinct services
  +0.10        every call is an explicit read (GET, SELECT, RPC Get…/List…)
  -0.20 × k/n  in k of n runs the caller spends more than 20% of the run
               between the calls: it may build each request from the
               previous answer

clamped to [0, 1] and rounded to two decimals. Critical reads (payment,
inventory, ...) may be parallelized: they stay synchronous.`

// Parallelize returns the parallelize detector. Its Doc explains what it
// finds and the confidence scoring.
func Parallelize() *Detector {
	return &Detector{Name: ActionParallelize, Doc: parallelizeDoc,
		New: func() DetectorState { return &parallelState{aggs: map[groupKey]*parallelAgg{}} }}
}

type groupKey struct {
	endpoint, caller calls.Endpoint
	callees          string // the sorted distinct callees, joined
}

type parallelAgg struct {
	key       groupKey
	callees   []calls.Endpoint
	sites     []Site
	runs      int
	traces    int
	lastTrace *trace.Trace
	distinct  bool // distinct services in every run
	explicit  bool // every call an explicit read
	busy      int  // runs where the caller worked between the calls
	critical  bool
	// guard: in some run an authentication or authorization call comes
	// before other calls: it protects them and must finish first.
	guard   bool
	maxSize int
}

// parallelState is the parallelize detector's state: one aggregate per
// (endpoint, caller, set of callees).
type parallelState struct {
	aggs map[groupKey]*parallelAgg
}

// Observe aggregates the sequential runs of every request of p and
// returns their sites.
func (s *parallelState) Observe(p *Pass) []Sites {
	aggs, keys := collectParallel(p)
	out := make([]Sites, len(keys))
	for i, k := range keys {
		a := aggs[k]
		out[i] = Sites{Group: Group{Action: ActionParallelize, Endpoint: k.endpoint, Caller: k.caller, Callees: k.callees}, Sites: a.sites}
		a.sites, a.lastTrace = nil, nil
	}
	if !p.SitesOnly {
		s.add(aggs)
	}
	return out
}

// add merges aggregates into the state.
func (s *parallelState) add(aggs map[groupKey]*parallelAgg) {
	for k, b := range aggs {
		m := s.aggs[k]
		if m == nil {
			s.aggs[k] = b
			continue
		}
		m.runs += b.runs
		m.traces += b.traces
		m.distinct = m.distinct && b.distinct
		m.explicit = m.explicit && b.explicit
		m.busy += b.busy
		m.critical = m.critical || b.critical
		m.guard = m.guard || b.guard
		m.maxSize = max(m.maxSize, b.maxSize)
	}
}

// Merge adds another parallelize state (see DetectorState).
func (s *parallelState) Merge(o DetectorState) error {
	t, ok := o.(*parallelState)
	if !ok {
		return fmt.Errorf("detect: parallelize: cannot merge a %T", o)
	}
	cp := make(map[groupKey]*parallelAgg, len(t.aggs))
	for k, a := range t.aggs {
		b := *a
		cp[k] = &b
	}
	s.add(cp)
	return nil
}

// Findings turns the aggregates into findings, sorted by key.
func (s *parallelState) Findings(*Shared) []Finding {
	keys := make([]groupKey, 0, len(s.aggs))
	for k := range s.aggs {
		keys = append(keys, k)
	}
	return parallelFindings(s.aggs, keys)
}

func compareGroupKeys(a, b groupKey) int {
	return cmp.Or(a.endpoint.Compare(b.endpoint), a.caller.Compare(b.caller), cmp.Compare(a.callees, b.callees))
}

// AppendBinary encodes the aggregates in key order.
func (s *parallelState) AppendBinary(b []byte) ([]byte, error) {
	keys := make([]groupKey, 0, len(s.aggs))
	for k := range s.aggs {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, compareGroupKeys)
	e := enc{b: b}
	e.uint(uint64(len(keys)))
	for _, k := range keys {
		a := s.aggs[k]
		e.endpoint(k.endpoint)
		e.endpoint(k.caller)
		e.uint(uint64(len(a.callees)))
		for _, c := range a.callees {
			e.endpoint(c)
		}
		for _, v := range [...]int{a.runs, a.traces, a.busy, a.maxSize} {
			e.uint(uint64(v))
		}
		e.bool(a.distinct)
		e.bool(a.explicit)
		// critical and guard share one byte: 0, 1 critical, 2 critical
		// guard (an authentication call is critical), so that states
		// written before guard existed decode unchanged.
		lvl := byte(0)
		if a.critical {
			lvl = 1
		}
		if a.guard {
			lvl = 2
		}
		e.uint(uint64(lvl))
	}
	return e.b, nil
}

// UnmarshalBinary decodes what AppendBinary wrote.
func (s *parallelState) UnmarshalBinary(b []byte) error {
	d := dec{b: b}
	n := d.count(8)
	s.aggs = make(map[groupKey]*parallelAgg, n)
	for range n {
		a := &parallelAgg{}
		ep, caller := d.endpoint(), d.endpoint()
		nc := d.count(2)
		a.callees = make([]calls.Endpoint, 0, nc)
		names := make([]string, 0, nc)
		for range nc {
			c := d.endpoint()
			a.callees = append(a.callees, c)
			names = append(names, c.String())
		}
		for _, v := range [...]*int{&a.runs, &a.traces, &a.busy, &a.maxSize} {
			*v = d.nonneg()
		}
		a.distinct, a.explicit = d.bool(), d.bool()
		switch lvl := d.uint(); lvl {
		case 0, 1, 2:
			a.critical, a.guard = lvl >= 1, lvl == 2
		default:
			d.fail("bad parallelize criticality")
		}
		if d.err != nil {
			break
		}
		if a.runs == 0 || !slices.IsSortedFunc(a.callees, calls.Endpoint.Compare) {
			d.fail("bad parallelize aggregate")
			break
		}
		a.key = groupKey{endpoint: ep, caller: caller, callees: strings.Join(names, "\x00")}
		if _, dup := s.aggs[a.key]; dup {
			d.fail("duplicate parallelize key")
			break
		}
		s.aggs[a.key] = a
	}
	return d.done()
}

// collectParallel aggregates the sequential runs of every request of p per
// groupKey, with Sites; keys are in order of first occurrence.
func collectParallel(p *Pass) (map[groupKey]*parallelAgg, []groupKey) {
	aggs := map[groupKey]*parallelAgg{}
	var keys []groupKey
	var run []int // indices into the request's calls
	// callAt: per span of the request's trace, the index of its sync call
	// in cs, or -1; reset after each request.
	var callAt []int32
	var parents []int32
	for r := range p.Requests {
		req := &p.Requests[r]
		cs := p.Calls(r)
		t := req.Trace
		if len(cs) < 2 || p.Model(r) == nil {
			continue
		}
		if n := len(t.Spans); len(callAt) < n {
			callAt = make([]int32, n)
			for i := range callAt {
				callAt[i] = -1
			}
		}
		parents = parents[:0]
		for k := range cs {
			c := &cs[k]
			if c.Async || c.Span < 0 || int(c.Span) >= len(t.Spans) {
				continue
			}
			callAt[c.Span] = int32(k)
			if par := t.Parent[c.Span]; par >= 0 {
				parents = append(parents, par)
			}
		}
		slices.Sort(parents)
		parents = slices.Compact(parents)
		for _, par := range parents {
			// Walk the caller's sync children in start order, cutting runs.
			run = run[:0]
			var lastEnd int64
			flush := func() {
				if len(run) >= 2 {
					p.addRun(aggs, &keys, r, cs, run)
				}
				run = run[:0]
			}
			for _, ch := range t.Children(par) {
				s := &t.Spans[ch]
				if s.Async() {
					continue
				}
				k, isCall := int(callAt[ch]), callAt[ch] >= 0
				switch {
				case !isCall:
					// The caller's own work: allowed between the calls.
				case cs[k].Write:
					flush()
				case len(run) > 0 && s.Start < lastEnd:
					// Already concurrent with the previous call: start anew.
					flush()
					run = append(run, k)
					lastEnd = s.End
				default:
					run = append(run, k)
					lastEnd = s.End
				}
			}
			flush()
		}
		for k := range cs {
			if c := &cs[k]; c.Span >= 0 && int(c.Span) < len(t.Spans) {
				callAt[c.Span] = -1
			}
		}
	}
	return aggs, keys
}

// parallelFindings turns the aggregates into findings, sorted by key.
func parallelFindings(aggs map[groupKey]*parallelAgg, keys []groupKey) []Finding {
	slices.SortFunc(keys, compareGroupKeys)
	out := make([]Finding, 0, len(keys))
	for _, k := range keys {
		a := aggs[k]
		conf, reasons := a.confidence()
		services := make([]string, len(a.callees))
		ops := make([]string, len(a.callees))
		for i, c := range a.callees {
			services[i], ops[i] = c.Service, c.Operation
		}
		out = append(out, Finding{
			Action:     ActionParallelize,
			Endpoint:   k.endpoint,
			Caller:     k.caller,
			Callee:     calls.Endpoint{Service: strings.Join(services, " + "), Operation: strings.Join(ops, " + ")},
			Callees:    a.callees,
			Calls:      a.runs,
			Traces:     a.traces,
			Confidence: conf,
			Critical:   a.critical,
			Guard:      a.guard,
			Reasons:    reasons,
			Fix:        a.fix(),
		})
	}
	return out
}

// addRun records one run of sequential reads (indices into cs) of request r.
func (p *Pass) addRun(aggs map[groupKey]*parallelAgg, keys *[]groupKey, r int, cs []calls.Call, run []int) {
	req := &p.Requests[r]
	t := req.Trace
	callees := make([]calls.Endpoint, 0, len(run))
	group := make([]int32, 0, len(run))
	services := map[string]bool{}
	explicit, critical, guard := true, false, false
	var between int64
	for i, k := range run {
		c := &cs[k]
		callees = append(callees, c.Callee)
		group = append(group, c.Span)
		services[c.Callee.Service] = true
		if !p.SitesOnly {
			if acc, _ := p.Access(r, c); acc != Read {
				explicit = false
			}
			if cls := p.Classify(r, c); cls.Lean == Critical {
				critical = true
				if cls.Category == categoryAuth && i < len(run)-1 {
					guard = true
				}
			}
		}
		if i > 0 {
			between += t.Spans[c.Span].Start - t.Spans[cs[run[i-1]].Span].End
		}
	}
	slices.SortFunc(callees, calls.Endpoint.Compare)
	callees = slices.Compact(callees)
	names := make([]string, len(callees))
	for i, c := range callees {
		names[i] = c.String()
	}
	key := groupKey{endpoint: req.Endpoint, caller: cs[run[0]].Caller, callees: strings.Join(names, "\x00")}
	a := aggs[key]
	if a == nil {
		a = &parallelAgg{key: key, callees: callees, distinct: true, explicit: true}
		aggs[key] = a
		*keys = append(*keys, key)
	}
	a.runs++
	a.maxSize = max(a.maxSize, len(run))
	a.distinct = a.distinct && len(services) == len(run)
	a.explicit = a.explicit && explicit
	a.critical = a.critical || critical
	a.guard = a.guard || guard
	span := t.Spans[cs[run[len(run)-1]].Span].End - t.Spans[cs[run[0]].Span].Start
	if span > 0 && float64(between) > workBetweenShare*float64(span) {
		a.busy++
	}
	if n := len(a.sites); n > 0 && a.sites[n-1].Request == r {
		a.sites[n-1].Change.Parallel = append(a.sites[n-1].Change.Parallel, group)
	} else {
		a.sites = append(a.sites, Site{Request: r, Change: whatif.Change{Parallel: [][]int32{group}}})
	}
	if req.Trace != a.lastTrace {
		a.traces++
		a.lastTrace = req.Trace
	}
}

// confidence scores the aggregate as documented in parallelizeDoc.
func (a *parallelAgg) confidence() (float64, []string) {
	size := fmt.Sprintf("%d calls", a.maxSize)
	if len(a.callees) < a.maxSize {
		size = fmt.Sprintf("up to %d calls", a.maxSize)
	}
	rs := []reason{{weight: baseParallel, text: fmt.Sprintf(
		"sequential: %s that do not write run one after another under the same caller, in %d %s",
		size, a.runs, plural(a.runs, "run", "runs"))}}
	if a.distinct {
		rs = append(rs, reason{weight: weightDistinctService, text: "distinct services: each call goes to a different service"})
	}
	if a.explicit {
		rs = append(rs, reason{weight: weightExplicitReads, text: "reads: every call only reads (GET, SELECT, Get…/List…)"})
	}
	if a.busy > 0 {
		rs = append(rs, reason{weight: weightWorkBetween * float64(a.busy) / float64(a.runs), text: fmt.Sprintf(
			"work between: the caller spends over %d%% of the run between the calls in %d of %d runs (it may use one answer to make the next call)",
			int(workBetweenShare*100), a.busy, a.runs)})
	}
	if a.guard {
		rs = append(rs, reason{text: "never recommended: an authentication or authorization call guards the calls after it; they must not start before it succeeds", last: true})
	} else if a.critical {
		rs = append(rs, reason{text: "critical calls stay synchronous: they only start together", last: true})
	}
	var sum float64
	for _, r := range rs {
		sum += r.weight
	}
	return round2(sum), sortReasons(rs)
}

// fix is the verb phrase for the aggregate.
func (a *parallelAgg) fix() string {
	if a.guard {
		return "keep the authentication or authorization call first: the calls it guards must not start before it succeeds"
	}
	if len(a.callees) == 1 {
		return fmt.Sprintf("make the %d calls to %s concurrently instead of one after another",
			a.maxSize, a.callees[0])
	}
	names := make([]string, len(a.callees))
	for i, c := range a.callees {
		names[i] = c.String()
	}
	list := strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
	return "call " + list + " concurrently instead of one after another"
}
