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

// StateVersion is the version of State's encoding. It changes whenever
// the layout does; UnmarshalBinary rejects other versions.
const StateVersion = 1

// MarshalBinary encodes the state (before Finish, not speculating) so
// that another process can decode it with UnmarshalBinary and Merge it.
// The encoding is canonical: states holding the same requests, observed
// in any batching or order and merged in any order, encode to the same
// bytes. Layout (varints as in encoding/binary, strings length-prefixed):
//
//	magic "syncaudit-detect\x00", version uvarint
//	enqueue cost (ns) varint
//	requests: count, then each Record (trace ID 16 bytes, span ID 8,
//	  start, root, endpoint service and operation, latency), canonical order
//	shared: async counts per callee endpoint, then per callee service
//	savings: count of groups, then each Group (action, endpoint, caller,
//	  callees) and its sites (request index, saving), sorted
//	detectors: count, then each name and its own encoding (length-prefixed)
func (s *State) MarshalBinary() ([]byte, error) {
	switch {
	case s.finished:
		return nil, fmt.Errorf("detect: MarshalBinary after Finish")
	case s.speculating:
		return nil, fmt.Errorf("detect: MarshalBinary of a speculating state")
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
	e.uint(StateVersion)
	e.int(int64(s.opt.EnqueueCost))
	e.uint(uint64(n))
	for _, i := range perm {
		e.record(&s.reqs[i])
	}
	ops := make([]keyCount[string], 0, len(s.shared.asyncOps))
	for k, v := range s.shared.asyncOps {
		ops = append(ops, keyCount[string]{k.Service + "\x00" + k.Operation, v})
	}
	encodeCounts(&e, ops)
	svcs := make([]keyCount[string], 0, len(s.shared.asyncServices))
	for k, v := range s.shared.asyncServices {
		svcs = append(svcs, keyCount[string]{k, v})
	}
	encodeCounts(&e, svcs)
	groups := make([]Group, 0, len(s.saving))
	for g := range s.saving {
		groups = append(groups, g)
	}
	slices.SortFunc(groups, compareGroups)
	e.uint(uint64(len(groups)))
	for _, g := range groups {
		e.str(g.Action)
		e.endpoint(g.Endpoint)
		e.endpoint(g.Caller)
		e.str(g.Callees)
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
// policy is not encoded, but its classifications are.
func (s *State) UnmarshalBinary(b []byte) error {
	if s.finished || len(s.reqs) > 0 {
		return fmt.Errorf("detect: UnmarshalBinary into a used state")
	}
	if !bytes.HasPrefix(b, []byte(stateMagic)) {
		return fmt.Errorf("%w: not a syncaudit detection state", errCorrupt)
	}
	d := dec{b: b, off: len(stateMagic)}
	if v := d.uint(); d.err == nil && v != StateVersion {
		return fmt.Errorf("detect: state encoding version %d, want %d", v, StateVersion)
	}
	if c := time.Duration(d.int()); d.err == nil && c != s.opt.EnqueueCost {
		return fmt.Errorf("detect: state observed with enqueue cost %v, want %v", c, s.opt.EnqueueCost)
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
	saving := map[Group][]siteSaving{}
	for k := d.count(6); k > 0 && d.err == nil; k-- {
		g := Group{Action: d.str(), Endpoint: d.endpoint(), Caller: d.endpoint(), Callees: d.str()}
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
	nd := d.count(2)
	if d.err == nil && nd != len(s.dets) {
		return fmt.Errorf("detect: state has %d detectors, want %d", nd, len(s.dets))
	}
	states := make([]DetectorState, len(s.dets))
	for i := 0; i < nd && d.err == nil; i++ {
		name, raw := d.str(), d.bytes()
		if d.err != nil {
			break
		}
		if name != s.dets[i].Name {
			return fmt.Errorf("detect: state has detector %q where %q is expected", name, s.dets[i].Name)
		}
		states[i] = s.dets[i].New()
		if err := states[i].UnmarshalBinary(raw); err != nil {
			return fmt.Errorf("detect: decoding %s: %w", name, err)
		}
	}
	if err := d.done(); err != nil {
		return err
	}
	s.reqs, s.shared, s.saving, s.states = reqs, sh, saving, states
	return nil
}

func endpointOfKey(key string, i int) (e calls.Endpoint) {
	e.Service, e.Operation = key[:i], key[i+1:]
	return e
}
