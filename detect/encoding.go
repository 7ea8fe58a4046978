package detect

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/syncaudit/syncaudit/calls"
)

// stateMagic starts every encoded State; StateVersion follows it.
const stateMagic = "syncaudit-detect\x00"

// The versions of State's encoding: one per layout. A state encodes with
// the version of its savings mode (StateVersionExact for SavingsExact,
// StateVersionSketch for SavingsSketch); UnmarshalBinary decodes both and
// rejects other versions. A new layout gets a new version.
const (
	StateVersionExact  = 1
	StateVersionSketch = 2
	// StateVersionPlans is StateVersionSketch followed by the combined
	// plans the requests were simulated under while speculating (see
	// SpeculateFrom): sketch states encode with it; version 2 still
	// decodes (no plans).
	StateVersionPlans = 3
	// StateVersion is the newest version.
	StateVersion = StateVersionPlans
)

// MarshalBinary encodes the state (before Finish, not speculating) so
// that another process can decode it with UnmarshalBinary and Merge it.
// The encoding is canonical: states holding the same requests, observed
// in any batching or order and merged in any order, encode to the same
// bytes. Layout of StateVersionExact (varints as in encoding/binary,
// strings and nested encodings length-prefixed):
//
//	magic "syncaudit-detect\x00", version uvarint (1)
//	enqueue cost (ns) varint
//	requests: count, then each Record (trace ID 16 bytes, span ID 8,
//	  start, root, endpoint service and operation, latency), canonical order
//	shared: async counts per callee endpoint, then per callee service
//	savings: count of groups, then each Group (action, endpoint, caller,
//	  callees) and its sites (request index, saving), sorted
//	detectors: count, then each name and its own encoding (length-prefixed)
//
// StateVersionSketch (SavingsSketch) keeps histograms (sketch.Histogram's
// encoding, length-prefixed) instead of records and sites:
//
//	magic, version uvarint (2), enqueue cost varint
//	requests: count, then the count of endpoints and each endpoint with
//	  its latency histogram, sorted by endpoint
//	shared: as above
//	savings: count of groups, then each Group with its savings, latency
//	  before and latency after histograms, sorted by Group
//	detectors: as above
//
// StateVersionPlans (what SavingsSketch writes) is version 2 with the
// speculated plans between the groups and the detectors:
//
//	plans: count, then each plan (endpoint, count of groups and each
//	  Group, sorted; requests simulated under it; latency before and
//	  latency after histograms of those it changed), sorted by endpoint
//	  and groups
//
// A speculating state encodes only in sketch mode: the requests it
// observed since SpeculateFrom count as simulated under the guess.
func (s *State) MarshalBinary() ([]byte, error) {
	switch {
	case s.finished:
		return nil, fmt.Errorf("detect: MarshalBinary after Finish")
	case s.speculating && s.sk == nil:
		return nil, fmt.Errorf("detect: MarshalBinary of a speculating state (exact savings)")
	}
	if s.sk != nil {
		e := enc{b: []byte(stateMagic)}
		e.uint(StateVersionPlans)
		e.int(int64(s.opt.EnqueueCost))
		if err := s.sk.appendEndpoints(&e); err != nil {
			return nil, err
		}
		s.shared.append(&e)
		if err := s.sk.appendGroups(&e); err != nil {
			return nil, err
		}
		if err := appendPlans(&e, s.withSpeculation()); err != nil {
			return nil, err
		}
		return s.appendDetectors(e)
	}
	// Requests in canonical order, so the encoding does not depend on the
	// order of observation.
	n := len(s.reqs)
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	slices.SortStableFunc(perm, func(x, y int) int { return compareRecords(&s.reqs[x], &s.reqs[y]) })
	pos := make([]int, n)
	for c, i := range perm {
		pos[i] = c
	}
	e := enc{b: []byte(stateMagic)}
	e.uint(StateVersionExact)
	e.int(int64(s.opt.EnqueueCost))
	e.uint(uint64(n))
	for _, i := range perm {
		e.record(&s.reqs[i])
	}
	s.shared.append(&e)
	groups := make([]Group, 0, len(s.saving))
	for g := range s.saving {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, compareGroups)
	e.uint(uint64(len(groups)))
	for _, g := range groups {
		e.group(g)
		ss := make([]siteSaving, len(s.saving[g]))
		for i, sv := range s.saving[g] {
			ss[i] = siteSaving{req: pos[sv.req], saving: sv.saving}
		}
		slices.SortFunc(ss, func(x, y siteSaving) int { return x.req - y.req })
		e.uint(uint64(len(ss)))
		prev := 0
		for _, sv := range ss {
			e.uint(uint64(sv.req - prev)) // ascending: deltas
			prev = sv.req
			e.int(sv.saving)
		}
	}
	return s.appendDetectors(e)
}

// append encodes the shared counts.
func (sh *Shared) append(e *enc) {
	ops := make([]keyCount[string], 0, len(sh.asyncOps))
	for k, v := range sh.asyncOps {
		ops = append(ops, keyCount[string]{k.Service + "\x00" + k.Operation, v})
	}
	encodeCounts(e, ops)
	svcs := make([]keyCount[string], 0, len(sh.asyncServices))
	for k, v := range sh.asyncServices {
		svcs = append(svcs, keyCount[string]{k, v})
	}
	encodeCounts(e, svcs)
}

// appendDetectors ends the encoding with the detectors' states.
func (s *State) appendDetectors(e enc) ([]byte, error) {
	e.uint(uint64(len(s.dets)))
	for i, d := range s.dets {
		e.str(d.Name)
		b, err := s.states[i].AppendBinary(nil)
		if err != nil {
			return nil, fmt.Errorf("detect: encoding %s: %w", d.Name, err)
		}
		e.raw(b)
	}
	return e.b, nil
}

type keyCount[K string] struct {
	key   K
	count int
}

func encodeCounts(e *enc, kc []keyCount[string]) {
	slices.SortFunc(kc, func(a, b keyCount[string]) int { return bytes.Compare([]byte(a.key), []byte(b.key)) })
	e.uint(uint64(len(kc)))
	for _, c := range kc {
		e.str(c.key)
		e.uint(uint64(c.count))
	}
}

// UnmarshalBinary replaces s's observations with the decoded state. s
// must be a new State (NewState) with the options the encoded one was
// observed with: the same enqueue cost and detectors (by name); the
// policy is not encoded, but its classifications are. A sketch State
// (SavingsSketch) decodes both versions (an exact encoding's requests are
// sketched); an exact State rejects a sketch encoding.
func (s *State) UnmarshalBinary(b []byte) error {
	if s.finished || s.Requests() > 0 {
		return fmt.Errorf("detect: UnmarshalBinary into a used state")
	}
	if !bytes.HasPrefix(b, []byte(stateMagic)) {
		return fmt.Errorf("%w: not a syncaudit detection state", errCorrupt)
	}
	d := dec{b: b, off: len(stateMagic)}
	v := d.uint()
	switch {
	case d.err != nil:
		return d.err
	case v != StateVersionExact && v != StateVersionSketch && v != StateVersionPlans:
		return fmt.Errorf("detect: state encoding version %d, want %d, %d or %d", v, StateVersionExact, StateVersionSketch, StateVersionPlans)
	case v != StateVersionExact && s.sk == nil:
		return fmt.Errorf("detect: a state with sketch savings cannot be decoded into an exact one (Options.Savings)")
	}
	if c := time.Duration(d.int()); d.err == nil && c != s.opt.EnqueueCost {
		return fmt.Errorf("detect: state observed with enqueue cost %v, want %v", c, s.opt.EnqueueCost)
	}
	if v != StateVersionExact {
		k := d.sketchEndpoints()
		sh := d.shared()
		d.sketchGroups(k)
		if v == StateVersionPlans {
			d.sketchPlans(k)
		}
		states, err := s.decodeDetectors(&d)
		if err != nil {
			return err
		}
		s.sk, s.shared, s.states = k, sh, states
		return nil
	}
	n := d.count(30)
	reqs := make([]Record, 0, n)
	for range n {
		r := d.record()
		if d.err == nil && len(reqs) > 0 && compareRecords(&reqs[len(reqs)-1], &r) >= 0 {
			d.fail("requests not in canonical order")
		}
		if d.err != nil {
			return d.err
		}
		reqs = append(reqs, r)
	}
	sh := d.shared()
	saving := map[Group][]siteSaving{}
	for k := d.count(6); k > 0 && d.err == nil; k-- {
		g := d.group()
		m := d.count(2)
		ss := make([]siteSaving, 0, m)
		req := 0
		for j := range m {
			delta := d.nonneg()
			req += delta
			if d.err == nil && (req >= n || j > 0 && delta == 0) {
				d.fail("site out of range")
			}
			ss = append(ss, siteSaving{req: req, saving: d.int()})
		}
		if _, dup := saving[g]; dup && d.err == nil {
			d.fail("duplicate group")
		}
		saving[g] = ss
	}
	states, err := s.decodeDetectors(&d)
	if err != nil {
		return err
	}
	if s.sk != nil {
		s.sk, s.shared, s.states = sketchOf(reqs, saving), sh, states
		return nil
	}
	s.reqs, s.shared, s.saving, s.states = reqs, sh, saving, states
	return nil
}

// shared decodes what Shared.append wrote.
func (d *dec) shared() *Shared {
	sh := newShared()
	for k := d.count(2); k > 0 && d.err == nil; k-- {
		key, c := d.str(), d.nonneg()
		i := bytes.IndexByte([]byte(key), 0)
		if i < 0 {
			d.fail("bad async operation key")
			break
		}
		sh.asyncOps[endpointOfKey(key, i)] = c
	}
	for k := d.count(2); k > 0 && d.err == nil; k-- {
		key, c := d.str(), d.nonneg()
		sh.asyncServices[key] = c
	}
	return sh
}

// decodeDetectors decodes the end of the encoding, the detectors' states
// (appendDetectors), and checks that nothing follows.
func (s *State) decodeDetectors(d *dec) ([]DetectorState, error) {
	nd := d.count(2)
	if d.err == nil && nd != len(s.dets) {
		return nil, fmt.Errorf("detect: state has %d detectors, want %d", nd, len(s.dets))
	}
	states := make([]DetectorState, len(s.dets))
	for i := 0; i < nd && d.err == nil; i++ {
		name, raw := d.str(), d.bytes()
		if d.err != nil {
			break
		}
		if name != s.dets[i].Name {
			return nil, fmt.Errorf("detect: state has detector %q where %q is expected", name, s.dets[i].Name)
		}
		states[i] = s.dets[i].New()
		if err := states[i].UnmarshalBinary(raw); err != nil {
			return nil, fmt.Errorf("detect: decoding %s: %w", name, err)
		}
	}
	if err := d.done(); err != nil {
		return nil, err
	}
	return states, nil
}

func endpointOfKey(key string, i int) (e calls.Endpoint) {
	e.Service, e.Operation = key[:i], key[i+1:]
	return e
}
