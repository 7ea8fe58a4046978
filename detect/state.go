package detect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/internal/parallel"
	"github.com/syncaudit/syncaudit/stats"
	"github.com/syncaudit/syncaudit/trace"
)

// State is detection's one driver: it observes requests batch by batch
// into a mergeable, encodable state, then turns it into ranked findings
// and the combined plan. One batch, many sub-batches (Observe cuts every
// batch into sub-batches of whole traces, observed concurrently and
// merged), many partitions (Observe called once per partition) and many
// processes (Merge, MarshalBinary) are the same mechanism:
//
//	st, _ := detect.NewState(opt)
//	for _, b := range batches { st.Observe(ctx, b) } // pass 1: evidence, savings
//	st.Merge(other)                                   // states of other requests
//	res, _ := st.Finish(ctx)                          // confidence, ranking
//	for _, b := range batches { st.ObservePlan(ctx, b) } // pass 2: the combined plan
//	res.Plan = st.Plan()
//
// Pass 1 re-simulates each request a finding applies to as soon as it is
// seen and keeps the saving; the combined plan needs the recommended set,
// known only after Finish, so pass 2 re-simulates each request with the
// recommended changes of its endpoint. A request must be observed exactly
// once, and all requests of a trace in the same batch. No trace is
// referenced after Observe returns. The result does not depend on the
// order of batches or merges, nor on the number of workers.
//
// With Options.Savings set to SavingsSketch, the State keeps histograms
// (per endpoint and per finding group) instead of a Record per request
// and a saving per site: its memory is bounded by the number of groups
// and endpoints, not of requests (see SavingsSketch).
type State struct {
	opt    Options
	dets   []*Detector
	states []DetectorState // same order as dets
	shared *Shared

	reqs   []Record // every request observed, in observation order
	saving map[Group][]siteSaving

	// sk replaces reqs and saving with SavingsSketch (nil otherwise);
	// skPlan and skSpec are then the combined plan's and the speculated
	// plan's latencies per endpoint (the exact mode's planSave and
	// specSave).
	sk     *sketchState
	skPlan map[calls.Endpoint]*shift
	skSpec map[calls.Endpoint]*shift
	// skSpecN counts the requests observed while speculating, per
	// endpoint (sketch mode).
	skSpecN map[calls.Endpoint]int

	// Set by Finish.
	finished  bool
	sorted    []Record // canonical order
	pos       []int    // index into reqs → canonical index
	endpoints map[calls.Endpoint]*endpointState
	recOrder  []Finding // recommended findings, in rank order
	planSave  map[int]int64

	// Speculation (see Speculate): the guessed recommended findings, the
	// plan savings simulated under the guess, and whether it was right.
	guess       []Finding
	speculating bool
	specSave    []siteSaving // req: index into reqs (before Finish)
	specOK      bool

	// retain keeps each sub-batch's pass for PlanRetained; retained are
	// those observations.
	retain   bool
	retained []*observation
}

// siteSaving is the saving of one site: req indexes State.reqs (before
// Finish) or the canonical order (after).
type siteSaving struct {
	req    int
	saving int64
}

// NewState returns an empty State, or an error when opt is invalid.
func NewState(opt Options) (*State, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	s := &State{opt: opt, dets: opt.detectors(), shared: newShared(), saving: map[Group][]siteSaving{}}
	if opt.Savings == SavingsSketch {
		s.sk, s.saving = newSketchState(), nil
	}
	for _, d := range s.dets {
		s.states = append(s.states, d.New())
	}
	return s, nil
}

var errFinished = errors.New("detect: Observe after Finish")

// Observe adds a batch of requests (pass 1): it finds every candidate
// change in them, re-simulates each request with the change applied, and
// keeps the savings and the evidence confidence is computed from. The
// batch is cut into sub-batches of whole traces, observed on up to
// Options.Workers goroutines and merged in canonical order.
func (s *State) Observe(ctx context.Context, batch []Request) error {
	keep := s.retain
	if s.finished {
		return errFinished
	}
	subs := splitByTrace(batch, s.opt.Workers)
	obs := make([]*observation, len(subs))
	err := parallel.Ranges(ctx, len(subs), s.opt.Workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			o, err := s.observe(ctx, subs[i], keep || s.speculating, innerWorkers(len(subs), s.opt.Workers))
			if err != nil {
				return err
			}
			if s.speculating {
				// The combined plan under the guess, while the requests
				// are at hand (see Speculate).
				o.spec = planSavings(s.guess, o.pass, o.sites)
				if s.sk != nil {
					o.specN = endpointCounts(o.reqs)
				}
				if !keep {
					o.pass, o.sites = nil, nil
				}
			}
			if s.sk != nil {
				o.sketch()
			}
			obs[i] = o
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, o := range obs {
		base := len(s.reqs)
		s.add(o)
		for _, sv := range o.spec {
			s.specSave = append(s.specSave, siteSaving{req: base + sv.req, saving: sv.saving})
		}
		if keep {
			o.base = base
			s.retained = append(s.retained, o)
		}
	}
	return nil
}

// observation is what pass 1 finds in one sub-batch; request indices in
// it are relative to the sub-batch's canonical order.
type observation struct {
	reqs   []Record
	shared *Shared
	states []DetectorState
	groups []Group
	saving map[Group][]siteSaving

	// Kept for the plan pass of Run and for speculation: the pass and
	// every group's sites; base is the index of reqs[0] in State.reqs.
	pass  *Pass
	sites map[Group][]Site
	base  int
	// spec are the plan savings under the speculated recommendations.
	spec []siteSaving

	// With SavingsSketch, sketch replaces reqs, saving and spec by sk and
	// specSk.
	sk     *sketchState
	specSk map[calls.Endpoint]*shift
	specN  map[calls.Endpoint]int // requests per endpoint, when speculating
}

// sketch replaces the observation's records and savings by histograms.
func (o *observation) sketch() {
	o.sk = sketchOf(o.reqs, o.saving)
	if o.spec != nil {
		o.specSk = shifts(o.reqs, o.spec)
	}
	o.reqs, o.saving, o.spec = nil, nil, nil
}

// observe runs pass 1 over one sub-batch. It reads only s's options and
// detectors, so sub-batches can be observed concurrently.
//
// With inner > 1 (the sub-batch is all the work there is: one huge
// trace), it uses inner goroutines itself: the detectors run
// concurrently, and so do the re-simulations.
func (s *State) observe(ctx context.Context, batch []Request, keep bool, inner int) (*observation, error) {
	p := newPass(batch, s.opt)
	o := &observation{
		reqs:   p.records,
		shared: p.shared,
		states: make([]DetectorState, len(s.dets)),
		saving: map[Group][]siteSaving{},
	}
	found := make([][]Sites, len(s.dets))
	// Each detector running on a goroutine of its own gets its own fork,
	// made here, before any detector writes p's classification caches.
	passes := make([]*Pass, len(s.dets))
	for i := range passes {
		passes[i] = p
		if inner > 1 && i > 0 {
			passes[i] = p.fork()
		}
	}
	err := parallel.Ranges(ctx, len(s.dets), inner, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			o.states[i] = s.dets[i].New()
			found[i] = o.states[i].Observe(passes[i])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var all []Sites
	for _, f := range found {
		all = append(all, f...)
	}
	// Re-simulate every group's sites (Model.Simulate may run concurrently).
	savings := make([][]siteSaving, len(all))
	err = parallel.Ranges(ctx, len(all), inner, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			ss := mergeSites(all[i].Sites)
			out := make([]siteSaving, len(ss))
			for k, st := range ss {
				out[k] = siteSaving{req: st.Request, saving: p.saving(st.Request, st.Change)}
			}
			savings[i] = out
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	o.groups = make([]Group, len(all))
	for i, g := range all {
		o.groups[i] = g.Group
		o.saving[g.Group] = savings[i]
	}
	if keep {
		o.pass, o.sites = p, make(map[Group][]Site, len(all))
		for _, g := range all {
			o.sites[g.Group] = g.Sites
		}
	}
	return o, nil
}

// add merges an observation into the state.
func (s *State) add(o *observation) {
	base := len(s.reqs)
	s.reqs = append(s.reqs, o.reqs...)
	s.shared.merge(o.shared)
	for i, st := range o.states {
		// Same detector, fresh state: Merge cannot fail.
		_ = s.states[i].Merge(st)
	}
	if s.sk != nil {
		s.sk.merge(o.sk)
		if o.specSk != nil {
			mergeShifts(s.skSpec, o.specSk)
		}
		for e, n := range o.specN {
			s.skSpecN[e] += n
		}
		return
	}
	for _, g := range o.groups {
		ss := o.saving[g]
		for i := range ss {
			ss[i].req += base
		}
		s.saving[g] = append(s.saving[g], ss...)
	}
}

// Merge adds o, the state of other requests observed with the same
// options and detectors (in this process or decoded from another), to s.
// Neither may be finished or speculating. A sketch state (SavingsSketch)
// accepts an exact one, whose requests it sketches; merging a sketch
// state into an exact one is an error (the per-request savings are
// gone).
func (s *State) Merge(o *State) error {
	switch {
	case s.finished || o.finished:
		return errors.New("detect: Merge after Finish")
	case s.speculating || o.speculating:
		return errors.New("detect: Merge of a speculating state")
	case s.opt.EnqueueCost != o.opt.EnqueueCost:
		return fmt.Errorf("detect: Merge of states with enqueue costs %v and %v", s.opt.EnqueueCost, o.opt.EnqueueCost)
	case !slices.EqualFunc(s.dets, o.dets, func(a, b *Detector) bool { return a.Name == b.Name }):
		return errors.New("detect: Merge of states with different detectors")
	case s.sk == nil && o.sk != nil:
		return errors.New("detect: Merge of a sketch state into an exact one")
	}
	s.shared.merge(o.shared)
	for i := range s.states {
		if err := s.states[i].Merge(o.states[i]); err != nil {
			return err
		}
	}
	if s.sk != nil {
		k := o.sk
		if k == nil {
			k = sketchOf(o.reqs, o.saving)
		}
		s.sk.merge(k)
		return nil
	}
	base := len(s.reqs)
	s.reqs = append(s.reqs, o.reqs...)
	for g, ss := range o.saving {
		for _, sv := range ss {
			s.saving[g] = append(s.saving[g], siteSaving{req: base + sv.req, saving: sv.saving})
		}
	}
	return nil
}

// Requests returns the number of requests observed.
func (s *State) Requests() int {
	if s.sk != nil {
		return s.sk.requests
	}
	return len(s.reqs) + len(s.sorted)
}

// Speculate guesses, from the requests observed so far, which findings
// Finish will recommend, and makes later Observe calls also simulate their
// requests under the guessed combined plan. Finish checks the guess (see
// Speculated): when right, the plan savings of every request observed
// after Speculate are known, and pass 2 (ObservePlan) is needed only for
// the requests observed before. Batches are random samples of the traces
// (partitions by trace-ID hash), so after one of them the guess is
// usually right; when it is wrong, nothing is lost but the work.
func (s *State) Speculate(ctx context.Context) error { return s.SpeculateFrom(ctx, s) }

// Speculated reports, after Finish, whether Speculate was called and
// guessed the recommended findings right: the combined plan's savings of
// the requests observed after Speculate are then known.
func (s *State) Speculated() bool { return s.specOK }

// sameRecommendations reports whether two lists of recommended findings
// name the same changes in the same order.
func sameRecommendations(x, y []Finding) bool {
	return slices.EqualFunc(x, y, func(f, g Finding) bool {
		return f.Action == g.Action && f.Endpoint == g.Endpoint && f.Caller == g.Caller &&
			slices.Equal(f.Callees, g.Callees)
	})
}

// innerWorkers is the goroutines each of n sub-batches may use itself:
// all of them when there is one sub-batch.
func innerWorkers(n, workers int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if n == 1 {
		return workers
	}
	return 1
}

// splitByTrace cuts reqs into sub-batches of whole traces, about four per
// worker (GOMAXPROCS when workers <= 0) so that uneven traces still keep
// every worker busy. Requests of one trace (one *trace.Trace) stay
// together in their first-seen order; sub-batches follow the order of
// each trace's first request.
func splitByTrace(reqs []Request, workers int) [][]Request {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	n := min(4*workers, len(reqs))
	if n <= 1 {
		return [][]Request{reqs}
	}
	// Group requests by trace, keeping order (they usually arrive grouped).
	grouped := true
	pos := map[*trace.Trace]int{}
	for i := range reqs {
		t := reqs[i].Trace
		if j, ok := pos[t]; ok && j != i-1 {
			grouped = false
			break
		}
		pos[t] = i
	}
	if !grouped {
		order := map[*trace.Trace]int{}
		for i := range reqs {
			if _, ok := order[reqs[i].Trace]; !ok {
				order[reqs[i].Trace] = len(order)
			}
		}
		reqs = slices.Clone(reqs)
		slices.SortStableFunc(reqs, func(x, y Request) int { return cmp.Compare(order[x.Trace], order[y.Trace]) })
	}
	size := (len(reqs) + n - 1) / n
	var out [][]Request
	for lo := 0; lo < len(reqs); {
		hi := min(lo+size, len(reqs))
		for hi < len(reqs) && reqs[hi].Trace == reqs[hi-1].Trace {
			hi++
		}
		out = append(out, reqs[lo:hi:hi])
		lo = hi
	}
	return out
}

// Finish ends pass 1: it orders the requests canonically, scores, ranks
// and selects the findings. The Result has no Plan yet (see ObservePlan
// and Plan). Observe and Merge may not be called afterwards.
func (s *State) Finish(ctx context.Context) (*Result, error) {
	if s.finished {
		return nil, errors.New("detect: Finish called twice")
	}
	s.finished = true
	if s.sk == nil {
		s.canonicalize()
	}
	var all []Finding
	for _, st := range s.states {
		all = append(all, st.Findings(s.shared)...)
	}
	// Each finding's percentiles sort its endpoint's latencies (or shift
	// its histogram): findings are independent, so attach them in
	// parallel.
	err := parallel.Ranges(ctx, len(all), s.opt.Workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			if s.sk != nil {
				if err := s.sk.attach(&all[i], s.sk.groups[groupOf(&all[i])]); err != nil {
					return err
				}
				continue
			}
			s.attach(&all[i], s.saving[groupOf(&all[i])])
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.saving = nil

	kept := selectFindings(all, s.opt)
	for _, f := range kept {
		if f.Recommended {
			s.recOrder = append(s.recOrder, f)
		}
	}
	s.planSave = map[int]int64{}
	s.skPlan = map[calls.Endpoint]*shift{}
	if s.speculating {
		s.specOK = sameRecommendations(s.guess, s.recOrder)
		if s.specOK {
			for _, sv := range s.specSave {
				s.planSave[s.pos[sv.req]] = sv.saving
			}
			if s.sk != nil {
				s.skPlan = s.skSpec
			}
		}
		s.specSave, s.guess, s.skSpec, s.skSpecN = nil, nil, nil, nil
	}
	return &Result{Findings: slices.Clone(kept), Requests: s.sorted}, nil
}

// canonicalize orders the requests canonically (exact savings): sorted,
// pos and the endpoint index.
func (s *State) canonicalize() {
	n := len(s.reqs)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(x, y int) int { return compareRecords(&s.reqs[x], &s.reqs[y]) })
	pos := make([]int, n) // observation index → canonical index
	s.pos = pos
	s.sorted = make([]Record, n)
	for c, i := range perm {
		pos[i] = c
		s.sorted[c] = s.reqs[i]
	}
	s.reqs = nil
	s.endpoints = endpointIndex(n, func(i int) (calls.Endpoint, int64) { return s.sorted[i].Endpoint, s.sorted[i].Latency })
}

// attach sets f's sites (canonical order, no change), savings, share and
// latency after from the per-site savings ss.
func (s *State) attach(f *Finding, ss []siteSaving) {
	for i := range ss {
		ss[i].req = s.pos[ss[i].req]
	}
	slices.SortFunc(ss, func(x, y siteSaving) int { return cmp.Compare(x.req, y.req) })
	f.Sites = make([]Site, len(ss))
	xs := make([]int64, len(ss))
	saving := make(map[int]int64, len(ss))
	for i, sv := range ss {
		f.Sites[i] = Site{Request: sv.req, Saving: time.Duration(sv.saving)}
		xs[i] = sv.saving
		saving[sv.req] = sv.saving
	}
	d := stats.Of(xs)
	f.Savings = savingsOf(d)
	ep := s.endpoints[f.Endpoint]
	if ep == nil {
		return
	}
	if ep.meanLatency > 0 {
		f.Share = d.Mean / ep.meanLatency
	}
	f.LatencyAfter = after(ep, saving)
}

// NeedsPlan reports whether the combined plan needs pass 2: whether any
// finding is recommended. It is false before Finish.
func (s *State) NeedsPlan() bool { return s.finished && len(s.recOrder) > 0 }

// ObservePlan adds a batch of requests for pass 2 (after Finish; the
// batches of pass 1, in any order and grouping that keeps each trace in
// one batch): it re-simulates each of their requests with every
// recommended change of its endpoint applied together. With
// SavingsSketch, each request must be given once (and, when Speculated,
// only those observed before Speculate): the plan's histograms cannot
// tell a request given twice.
func (s *State) ObservePlan(ctx context.Context, batch []Request) error {
	if !s.finished {
		return errors.New("detect: ObservePlan before Finish")
	}
	if len(s.recOrder) == 0 {
		return nil
	}
	subs := splitByTrace(batch, s.opt.Workers)
	found := make([][]planSaving, len(subs))
	err := parallel.Ranges(ctx, len(subs), s.opt.Workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			found[i] = s.observePlan(subs[i])
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.sk != nil {
		batch := map[calls.Endpoint]*shift{}
		for _, ps := range found {
			for _, sv := range ps {
				addShift(batch, sv.rec.Endpoint, sv.rec.Latency, sv.saving)
			}
		}
		return s.addPlan(batch)
	}
	for _, ps := range found {
		for _, sv := range ps {
			c, ok := slices.BinarySearchFunc(s.sorted, sv.rec, func(x, y Record) int { return compareRecords(&x, &y) })
			if !ok {
				return errors.New("detect: ObservePlan: a request that Observe did not see")
			}
			s.planSave[c] = sv.saving
		}
	}
	return nil
}

// addPlan adds the plan's shifts of a batch (sketch mode), unless they
// hold latencies the endpoint's do not.
func (s *State) addPlan(batch map[calls.Endpoint]*shift) error {
	for e, sh := range batch {
		ep := s.sk.endpoints[e]
		if ep == nil {
			return errNotObserved
		}
		all := sh
		if t := s.skPlan[e]; t != nil {
			c := t.clone()
			c.merge(sh)
			all = &c
		}
		if _, err := afterShift(ep, all); err != nil {
			return err
		}
	}
	mergeShifts(s.skPlan, batch)
	return nil
}

// planSaving is one request's saving under its endpoint's combined plan.
type planSaving struct {
	rec    Record
	saving int64
}

// observePlan re-simulates the requests of one sub-batch with the
// recommended changes of their endpoints. It only reads the state, so
// sub-batches can be observed concurrently.
func (s *State) observePlan(batch []Request) []planSaving {
	p := newPass(batch, s.opt)
	p.SitesOnly = true
	sites := map[Group][]Site{}
	for _, d := range s.dets {
		for _, g := range d.New().Observe(p) {
			sites[g.Group] = g.Sites
		}
	}
	local := planSavings(s.recOrder, p, sites)
	out := make([]planSaving, len(local))
	for k, sv := range local {
		out[k] = planSaving{rec: p.Record(sv.req), saving: sv.saving}
	}
	return out
}

// planSavings re-simulates the requests of p with the changes of rec (the
// recommended findings in rank order) of their endpoints, given the sites
// of every Group in p. Requests are indices into p.Requests.
func planSavings(rec []Finding, p *Pass, sites map[Group][]Site) []siteSaving {
	// The sites of every recommended finding, per endpoint, in rank order.
	byEP := map[calls.Endpoint][]Site{}
	for i := range rec {
		f := &rec[i]
		byEP[f.Endpoint] = append(byEP[f.Endpoint], sites[groupOf(f)]...)
	}
	var out []siteSaving
	for _, ss := range byEP {
		for _, st := range mergeSites(ss) {
			out = append(out, siteSaving{req: st.Request, saving: p.saving(st.Request, st.Change)})
		}
	}
	return out
}

// Plan returns the combined plan from the requests given to ObservePlan
// (nil before Finish).
func (s *State) Plan() []PlanEndpoint {
	if !s.finished {
		return nil
	}
	type epPlan struct {
		ep      calls.Endpoint
		changes []int
	}
	byEP := map[calls.Endpoint]*epPlan{}
	var eps []*epPlan
	for _, f := range s.recOrder {
		pl := byEP[f.Endpoint]
		if pl == nil {
			pl = &epPlan{ep: f.Endpoint}
			byEP[f.Endpoint] = pl
			eps = append(eps, pl)
		}
		pl.changes = append(pl.changes, f.Rank)
	}
	out := make([]PlanEndpoint, 0, len(eps))
	for _, pl := range eps {
		slices.Sort(pl.changes)
		if s.sk != nil {
			h := s.sk.endpoints[pl.ep]
			if h == nil {
				continue
			}
			a, err := afterShift(h, s.skPlan[pl.ep])
			if err != nil {
				a = h // cannot happen: addPlan checked
			}
			out = append(out, PlanEndpoint{Endpoint: pl.ep, Changes: pl.changes, Before: latencyOfSketch(h), After: latencyOfSketch(a)})
			continue
		}
		ep := s.endpoints[pl.ep]
		if ep == nil {
			continue
		}
		out = append(out, PlanEndpoint{
			Endpoint: pl.ep,
			Changes:  pl.changes,
			Before:   latencyOf(stats.Of(slices.Clone(ep.latencies))),
			After:    after(ep, s.planSave),
		})
	}
	return out
}

// after returns the percentiles of an endpoint's latencies, each reduced
// by its request's saving.
func after(ep *endpointState, saving map[int]int64) Latency {
	lat := make([]int64, len(ep.reqs))
	for k, r := range ep.reqs {
		lat[k] = ep.latencies[k] - saving[r]
	}
	return latencyOf(stats.Of(lat))
}

// Retain makes later Observe calls keep what they computed of each
// request (its trace's what-if model and its sites), so that after Finish
// PlanRetained simulates the combined plan without the requests being
// observed again: for requests held in memory anyway. A retaining State
// holds its traces until PlanRetained.
func (s *State) Retain() { s.retain = true }

// PlanRetained is ObservePlan over every request observed since Retain,
// from what Observe kept; it then releases it.
func (s *State) PlanRetained(ctx context.Context) error {
	if !s.finished {
		return errors.New("detect: PlanRetained before Finish")
	}
	obs := s.retained
	s.retained = nil
	if !s.NeedsPlan() {
		return nil
	}
	found := make([][]siteSaving, len(obs))
	err := parallel.Ranges(ctx, len(obs), s.opt.Workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			found[i] = planSavings(s.recOrder, obs[i].pass, obs[i].sites)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if s.sk != nil {
		batch := map[calls.Endpoint]*shift{}
		for i, ss := range found {
			for _, sv := range ss {
				r := obs[i].pass.Record(sv.req)
				addShift(batch, r.Endpoint, r.Latency, sv.saving)
			}
		}
		return s.addPlan(batch)
	}
	for i, ss := range found {
		for _, sv := range ss {
			s.planSave[s.pos[obs[i].base+sv.req]] = sv.saving
		}
	}
	return nil
}

// Run is detection over requests held in memory: one retaining State
// observing them as one batch (on opt.Workers goroutines, sub-batches of
// whole traces), finished, with the plan simulated from what the first
// pass kept. Each Finding's Sites hold request indices in canonical
// order, without their Change (none with SavingsSketch).
func Run(ctx context.Context, reqs []Request, opt Options) (*Result, error) {
	s, err := NewState(opt)
	if err != nil {
		return nil, err
	}
	s.Retain()
	if err := s.Observe(ctx, reqs); err != nil {
		return nil, err
	}
	res, err := s.Finish(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.PlanRetained(ctx); err != nil {
		return nil, err
	}
	res.Plan = s.Plan()
	return res, nil
}
