package detect

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/syncaudit/syncaudit/calls"
)

// A sketch State (SavingsSketch) that cannot see its requests again (one
// decoded from other processes' encodings and merged) knows the combined
// plan of an endpoint exactly only if its requests were simulated under
// that plan while they were at hand. Speculation does that: a speculating
// state simulates each request under the guessed recommended findings of
// its endpoint, and keeps the result as a specPlan, keyed by the endpoint
// and the guessed findings' groups. specPlans encode (StateVersionPlans)
// and merge; once the merged state is finished, an endpoint whose
// recommended findings are a key's groups, and whose every request was
// simulated under that key, has its plan from it (PlanFromFindings).

// planKey names one combined plan: an endpoint and the groups of the
// findings applied together to its requests.
type planKey struct {
	endpoint calls.Endpoint
	groups   string // the groups' encodings in compareGroups order
}

// specPlan is what a sketch state keeps of the requests of one endpoint
// simulated under one combined plan: how many, and the latencies before
// and after the plan of those it changes.
type specPlan struct {
	groups   []Group // sorted by compareGroups, at least one
	requests int
	shift
}

// keyOf returns the key of the plan of groups (sorted, not empty) on e.
func keyOf(e calls.Endpoint, groups []Group) planKey {
	var enc enc
	for _, g := range groups {
		enc.group(g)
	}
	return planKey{endpoint: e, groups: string(enc.b)}
}

// planGroups returns the groups of each endpoint's findings in fs, sorted
// and without repeats.
func planGroups(fs []Finding) map[calls.Endpoint][]Group {
	out := map[calls.Endpoint][]Group{}
	for i := range fs {
		g := groupOf(&fs[i])
		out[g.Endpoint] = append(out[g.Endpoint], g)
	}
	for e, gs := range out {
		slices.SortFunc(gs, compareGroups)
		out[e] = slices.CompactFunc(gs, func(a, b Group) bool { return compareGroups(a, b) == 0 })
	}
	return out
}

// addPlan adds the requests of one endpoint simulated under the plan of
// groups: n requests, the shift of those the plan changes (nil: none).
// sh is cloned.
func (k *sketchState) addPlan(e calls.Endpoint, groups []Group, n int, sh *shift) {
	if k.plans == nil {
		k.plans = map[planKey]*specPlan{}
	}
	key := keyOf(e, groups)
	p := k.plans[key]
	if p == nil {
		p = &specPlan{groups: slices.Clone(groups), shift: newShift()}
		k.plans[key] = p
	}
	p.requests += n
	if sh != nil {
		p.merge(sh)
	}
}

// withSpeculation returns the state's plans together with those of its
// own speculation (requests observed since Speculate, under the guess),
// leaving s unchanged.
func (s *State) withSpeculation() map[planKey]*specPlan {
	if !s.speculating || len(s.skSpecN) == 0 {
		return s.sk.plans
	}
	k := &sketchState{}
	for key, p := range s.sk.plans {
		k.addPlan(key.endpoint, p.groups, p.requests, &p.shift)
	}
	guess := planGroups(s.guess)
	for e, n := range s.skSpecN {
		if gs := guess[e]; len(gs) > 0 {
			k.addPlan(e, gs, n, s.skSpec[e])
		}
	}
	return k.plans
}

// SpeculateFrom is Speculate with the guess taken from o, another state
// observed with the same options (for example the merged states of
// earlier intervals), instead of s's own requests: later Observe calls
// simulate their requests under the findings o would recommend. o is
// left unchanged.
func (s *State) SpeculateFrom(ctx context.Context, o *State) error {
	switch {
	case s.finished || o.finished:
		return errFinished
	case s.speculating:
		return errors.New("detect: Speculate called twice")
	case o != s && o.opt.EnqueueCost != s.opt.EnqueueCost:
		return errors.New("detect: SpeculateFrom a state with another enqueue cost")
	case o != s && !slices.EqualFunc(s.dets, o.dets, func(a, b *Detector) bool { return a.Name == b.Name }):
		return errors.New("detect: SpeculateFrom a state with other detectors")
	}
	// Finish a copy: Finish rewrites request indices in the savings lists
	// (it leaves sketches unchanged).
	b := &State{opt: o.opt, dets: o.dets, shared: o.shared, reqs: slices.Clone(o.reqs), states: o.states,
		saving: make(map[Group][]siteSaving, len(o.saving)), sk: o.sk}
	for k, v := range o.saving {
		b.saving[k] = slices.Clone(v)
	}
	if _, err := b.Finish(ctx); err != nil {
		return err
	}
	s.guess, s.speculating = b.recOrder, true
	if s.sk != nil && s.skSpec == nil {
		s.skSpec = map[calls.Endpoint]*shift{}
		s.skSpecN = map[calls.Endpoint]int{}
	}
	return nil
}

// SpeculateRetained is Speculate for a retaining State (Retain): it
// guesses the recommendations from the requests observed so far and
// simulates those requests under the guess from what Observe kept, so
// that every request of the state, not only later ones, is simulated
// under the guess. It then releases what was kept and stops retaining.
// A process that cannot see its requests again (the Collector's
// connector, whose encoded states are merged elsewhere) retains its first
// requests until it has enough to guess from.
func (s *State) SpeculateRetained(ctx context.Context) error {
	if err := s.Speculate(ctx); err != nil {
		return err
	}
	obs := s.retained
	s.retained, s.retain = nil, false
	for _, o := range obs {
		spec := planSavings(s.guess, o.pass, o.sites)
		if s.sk == nil {
			for _, sv := range spec {
				s.specSave = append(s.specSave, siteSaving{req: o.base + sv.req, saving: sv.saving})
			}
			continue
		}
		mergeShifts(s.skSpec, shifts(o.pass.records, spec))
		for e, n := range endpointCounts(o.pass.records) {
			s.skSpecN[e] += n
		}
	}
	return ctx.Err()
}

// endpointCounts counts requests per endpoint.
func endpointCounts(reqs []Record) map[calls.Endpoint]int {
	out := map[calls.Endpoint]int{}
	for i := range reqs {
		out[reqs[i].Endpoint]++
	}
	return out
}

// planFromSpeculation sets the plan of the endpoints of a finished sketch
// state from its specPlans: those whose recommended findings were
// speculated for every one of their requests. It returns the endpoints
// whose plan it set.
func (s *State) planFromSpeculation() map[calls.Endpoint]bool {
	set := map[calls.Endpoint]bool{}
	if len(s.sk.plans) == 0 {
		return set
	}
	for e, gs := range planGroups(s.recOrder) {
		if s.skPlan[e] != nil {
			continue
		}
		p, ep := s.sk.plans[keyOf(e, gs)], s.sk.endpoints[e]
		if p == nil || ep == nil || uint64(p.requests) != ep.Count() {
			continue
		}
		c := p.clone()
		s.skPlan[e] = &c
		set[e] = true
	}
	return set
}

// appendPlans encodes the plans (sorted by key): endpoint, groups,
// requests, before and after histograms.
func appendPlans(e *enc, plans map[planKey]*specPlan) error {
	keys := make([]planKey, 0, len(plans))
	for k := range plans {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, comparePlanKeys)
	e.uint(uint64(len(keys)))
	for _, k := range keys {
		p := plans[k]
		e.endpoint(k.endpoint)
		e.uint(uint64(len(p.groups)))
		for _, g := range p.groups {
			e.group(g)
		}
		e.uint(uint64(p.requests))
		if err := e.histogram(p.before); err != nil {
			return err
		}
		if err := e.histogram(p.after); err != nil {
			return err
		}
	}
	return nil
}

func comparePlanKeys(a, b planKey) int {
	if c := a.endpoint.Compare(b.endpoint); c != 0 {
		return c
	}
	return strings.Compare(a.groups, b.groups)
}

// sketchPlans reads what appendPlans wrote into k and checks each plan
// against its endpoint.
func (d *dec) sketchPlans(k *sketchState) {
	var prev planKey
	sum := map[calls.Endpoint]uint64{}
	for i := d.count(6); i > 0 && d.err == nil; i-- {
		e := d.endpoint()
		var groups []Group
		for j := d.count(6); j > 0 && d.err == nil; j-- {
			g := d.group()
			if g.Endpoint != e || len(groups) > 0 && compareGroups(groups[len(groups)-1], g) >= 0 {
				d.fail("plan groups not sorted, or of another endpoint")
			}
			groups = append(groups, g)
		}
		n := d.nonneg()
		sh := shift{before: d.histogram(true), after: d.histogram(true)}
		if d.err != nil {
			return
		}
		key := keyOf(e, groups)
		ep := k.endpoints[e]
		switch {
		case len(groups) == 0:
			d.fail("plan without groups")
		case len(k.plans) > 0 && comparePlanKeys(prev, key) >= 0:
			d.fail("plans not sorted")
		case ep == nil || sum[e]+uint64(n) > ep.Count() || sh.before.Count() > uint64(n) || sh.after.Count() != sh.before.Count():
			d.fail("plan requests not among its endpoint's")
		}
		if d.err != nil {
			return
		}
		if _, err := afterShift(ep, &sh); err != nil {
			d.fail("plan latencies not among its endpoint's")
			return
		}
		prev = key
		sum[e] += uint64(n)
		if k.plans == nil {
			k.plans = map[planKey]*specPlan{}
		}
		k.plans[key] = &specPlan{groups: groups, requests: n, shift: sh}
	}
}
