package detect

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/sketch"
)

// SavingsMode selects how a State keeps the savings of each finding
// (Options.Savings).
type SavingsMode uint8

const (
	// SavingsExact keeps a Record per request and a saving per request a
	// finding applies to: exact percentiles, and each finding's Sites.
	// Memory grows with the number of requests. The default.
	SavingsExact SavingsMode = iota
	// SavingsSketch keeps, per finding group, three base-2 exponential
	// histograms (package sketch, OpenTelemetry's data model): the
	// savings, and the latencies of the requests it applies to before and
	// after the change; per endpoint, one of its latencies. Memory per
	// group and per endpoint is bounded (at most sketch.DefaultMaxSize
	// buckets per sign and histogram) whatever the number of requests.
	// Counts, totals, means and Share stay exact (up to floating-point
	// rounding), and so do the lowest and highest savings; p50, p95 and
	// p99 (savings, latency after, the plan) are within the histograms'
	// relative error (sketch.Histogram.RelativeError: 2.2 % when a
	// histogram's values span less than a factor 2^10, 4.3 % for 2^20,
	// 8.6 % for 2^40). Ranks are those of SavingsExact: the score is the
	// exact total times the confidence. Findings carry no Sites. Merged
	// states hold exactly the histograms of the union of their requests.
	// Pass 2 (ObservePlan) must see each request once.
	SavingsSketch
)

// String returns "exact" or "sketch".
func (m SavingsMode) String() string {
	switch m {
	case SavingsExact:
		return "exact"
	case SavingsSketch:
		return "sketch"
	}
	return fmt.Sprintf("SavingsMode(%d)", uint8(m))
}

// ParseSavingsMode parses "exact" or "sketch".
func ParseSavingsMode(s string) (SavingsMode, error) {
	switch s {
	case "exact":
		return SavingsExact, nil
	case "sketch":
		return SavingsSketch, nil
	}
	return 0, fmt.Errorf("detect: savings %q: want exact or sketch", s)
}

// sketchState is what a State in SavingsSketch mode keeps instead of a
// Record per request and a saving per site.
type sketchState struct {
	requests int
	// endpoints holds each endpoint's latencies.
	endpoints map[calls.Endpoint]*sketch.Histogram
	groups    map[Group]*groupSketch
	// plans are the combined plans its requests were simulated under
	// while speculating (see specPlan); nil when none.
	plans map[planKey]*specPlan
}

// groupSketch is what sketch mode keeps of one Group: the savings of the
// requests it applies to, and the latencies before and after the change
// of those of the Group's endpoint (all of them, for the standard
// detectors).
type groupSketch struct {
	saving *sketch.Histogram
	shift
}

// shift is the latencies of a set of requests of one endpoint before and
// after a change: with the endpoint's latencies, it gives the endpoint's
// latencies after the change (latencyAfter).
type shift struct {
	before, after *sketch.Histogram
}

func newShift() shift { return shift{before: sketch.Default(), after: sketch.Default()} }

// add adds one request of latency lat that the change makes saving faster.
func (s *shift) add(lat, saving int64) {
	s.before.Add(lat)
	s.after.Add(lat - saving)
}

func (s *shift) merge(o *shift) {
	s.before.Merge(o.before)
	s.after.Merge(o.after)
}

func (s *shift) clone() shift { return shift{before: s.before.Clone(), after: s.after.Clone()} }

func newSketchState() *sketchState {
	return &sketchState{endpoints: map[calls.Endpoint]*sketch.Histogram{}, groups: map[Group]*groupSketch{}}
}

// sketchOf sketches requests and the per-site savings of each group
// (request indices into reqs).
func sketchOf(reqs []Record, saving map[Group][]siteSaving) *sketchState {
	k := newSketchState()
	k.requests = len(reqs)
	for i := range reqs {
		r := &reqs[i]
		h := k.endpoints[r.Endpoint]
		if h == nil {
			h = sketch.Default()
			k.endpoints[r.Endpoint] = h
		}
		h.Add(r.Latency)
	}
	for g, ss := range saving {
		if len(ss) == 0 {
			continue
		}
		gs := &groupSketch{saving: sketch.Default(), shift: newShift()}
		for _, sv := range ss {
			gs.saving.Add(sv.saving)
			if r := &reqs[sv.req]; r.Endpoint == g.Endpoint {
				gs.add(r.Latency, sv.saving)
			}
		}
		k.groups[g] = gs
	}
	return k
}

// merge adds o to k; o is left unchanged and shares nothing with k.
func (k *sketchState) merge(o *sketchState) {
	k.requests += o.requests
	for e, h := range o.endpoints {
		if m := k.endpoints[e]; m != nil {
			m.Merge(h)
		} else {
			k.endpoints[e] = h.Clone()
		}
	}
	for g, gs := range o.groups {
		if m := k.groups[g]; m != nil {
			m.saving.Merge(gs.saving)
			m.merge(&gs.shift)
		} else {
			k.groups[g] = &groupSketch{saving: gs.saving.Clone(), shift: gs.clone()}
		}
	}
	for key, p := range o.plans {
		k.addPlan(key.endpoint, p.groups, p.requests, &p.shift)
	}
}

// shifts sketches per-request savings (request indices into reqs) per
// endpoint: the combined plan's savings of a batch.
func shifts(reqs []Record, ss []siteSaving) map[calls.Endpoint]*shift {
	out := map[calls.Endpoint]*shift{}
	for _, sv := range ss {
		r := &reqs[sv.req]
		addShift(out, r.Endpoint, r.Latency, sv.saving)
	}
	return out
}

func addShift(m map[calls.Endpoint]*shift, e calls.Endpoint, lat, saving int64) {
	s := m[e]
	if s == nil {
		sh := newShift()
		s = &sh
		m[e] = s
	}
	s.add(lat, saving)
}

// mergeShifts adds o's shifts to m (o is left unchanged).
func mergeShifts(m, o map[calls.Endpoint]*shift) {
	for e, s := range o {
		if t := m[e]; t != nil {
			t.merge(s)
		} else {
			c := s.clone()
			m[e] = &c
		}
	}
}

var errNotObserved = errors.New("detect: latencies of requests that Observe did not see (or saw fewer times)")

// afterShift returns the endpoint's latencies (ep) with s's requests
// shifted: ep without s.before, with s.after. ep is left unchanged.
func afterShift(ep *sketch.Histogram, s *shift) (*sketch.Histogram, error) {
	h := ep.Clone()
	if s == nil {
		return h, nil
	}
	if err := h.Sub(s.before); err != nil {
		return nil, errNotObserved
	}
	h.Merge(s.after)
	return h, nil
}

func latencyOfSketch(h *sketch.Histogram) Latency {
	return Latency{P50: time.Duration(h.Quantile(50)), P95: time.Duration(h.Quantile(95)), P99: time.Duration(h.Quantile(99))}
}

func savingsOfSketch(h *sketch.Histogram) Savings {
	return Savings{Count: int(h.Count()), Total: time.Duration(h.Sum()), P50: time.Duration(h.Quantile(50)),
		P95: time.Duration(h.Quantile(95)), P99: time.Duration(h.Quantile(99))}
}

// attach sets f's savings, share and latency after from the
// group's sketch gs (nil: the group has no site).
func (k *sketchState) attach(f *Finding, gs *groupSketch) error {
	var s *shift
	if gs != nil {
		f.Savings = savingsOfSketch(gs.saving)
		s = &gs.shift
	}
	ep := k.endpoints[f.Endpoint]
	if ep == nil || ep.Count() == 0 {
		return nil
	}
	f.Share = f.Savings.Mean() / (float64(ep.Sum()) / float64(ep.Count()))
	h, err := afterShift(ep, s)
	if err != nil {
		return err
	}
	f.LatencyAfter = latencyOfSketch(h)
	return nil
}

// appendEndpoints encodes the request count and each endpoint (sorted)
// with its latency histogram (see State's MarshalBinary).
func (k *sketchState) appendEndpoints(e *enc) error {
	e.uint(uint64(k.requests))
	eps := make([]calls.Endpoint, 0, len(k.endpoints))
	for ep := range k.endpoints {
		eps = append(eps, ep)
	}
	slices.SortFunc(eps, calls.Endpoint.Compare)
	e.uint(uint64(len(eps)))
	for _, ep := range eps {
		e.endpoint(ep)
		if err := e.histogram(k.endpoints[ep]); err != nil {
			return err
		}
	}
	return nil
}

// appendGroups encodes each group (sorted) with its savings, before and
// after histograms.
func (k *sketchState) appendGroups(e *enc) error {
	groups := make([]Group, 0, len(k.groups))
	for g := range k.groups {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, compareGroups)
	e.uint(uint64(len(groups)))
	for _, g := range groups {
		e.group(g)
		gs := k.groups[g]
		for _, h := range [...]*sketch.Histogram{gs.saving, gs.before, gs.after} {
			if err := e.histogram(h); err != nil {
				return err
			}
		}
	}
	return nil
}

func (e *enc) histogram(h *sketch.Histogram) error {
	b, err := h.AppendBinary(nil)
	if err != nil {
		return err
	}
	e.raw(b)
	return nil
}

// histogram decodes a histogram of a State: length-prefixed, with the
// default size, exact extremes, and at least one value unless empty is
// allowed (then as sketch.Default makes it).
func (d *dec) histogram(empty bool) *sketch.Histogram {
	raw := d.bytes()
	if d.err != nil {
		return nil
	}
	h := sketch.Default()
	n, err := h.Decode(raw)
	switch {
	case err != nil:
		d.fail(err.Error())
	case n != len(raw):
		d.fail("trailing bytes in a histogram")
	case h.MaxSize() != sketch.DefaultMaxSize || !h.Exact() ||
		h.Count() == 0 && (!empty || h.Scale() != sketch.DefaultMaxScale || h.Min() != 0 || h.Max() != 0):
		d.fail("histogram not of a state")
	default:
		return h
	}
	return nil
}

// sketchEndpoints reads what appendEndpoints wrote.
func (d *dec) sketchEndpoints() *sketchState {
	k := newSketchState()
	k.requests = d.nonneg()
	total := 0
	var prev calls.Endpoint
	for i := d.count(3); i > 0 && d.err == nil; i-- {
		ep := d.endpoint()
		h := d.histogram(false)
		if d.err != nil {
			break
		}
		if len(k.endpoints) > 0 && prev.Compare(ep) >= 0 {
			d.fail("endpoints not sorted")
			break
		}
		prev = ep
		k.endpoints[ep] = h
		total += int(min(h.Count(), 1<<40))
	}
	if d.err == nil && total != k.requests {
		d.fail(fmt.Sprintf("%d requests, but the endpoints' latencies hold %d", k.requests, total))
	}
	return k
}

// sketchGroups reads what appendGroups wrote into k and checks each
// group against its endpoint.
func (d *dec) sketchGroups(k *sketchState) {
	for i := d.count(8); i > 0 && d.err == nil; i-- {
		g := d.group()
		gs := &groupSketch{saving: d.histogram(false), shift: shift{before: d.histogram(true), after: d.histogram(true)}}
		if d.err != nil {
			break
		}
		if _, dup := k.groups[g]; dup {
			d.fail("duplicate group")
			break
		}
		// Every site's saving, and the latencies of those of the
		// group's endpoint.
		n := gs.before.Count()
		if gs.after.Count() != n || n > gs.saving.Count() ||
			n == gs.saving.Count() && gs.before.Sum()-gs.after.Sum() != gs.saving.Sum() {
			d.fail("group histograms disagree")
			break
		}
		ep := k.endpoints[g.Endpoint]
		if ep == nil && n > 0 {
			d.fail("group of an endpoint without requests")
			break
		}
		if ep != nil {
			if _, err := afterShift(ep, &gs.shift); err != nil {
				d.fail("group latencies not among its endpoint's")
				break
			}
		}
		k.groups[g] = gs
	}
}

func (e *enc) group(g Group) {
	e.str(g.Action)
	e.endpoint(g.Endpoint)
	e.endpoint(g.Caller)
	e.str(g.Callees)
}

func (d *dec) group() Group {
	return Group{Action: d.str(), Endpoint: d.endpoint(), Caller: d.endpoint(), Callees: d.str()}
}
