package whatif

import (
	"cmp"
	"math"
	"slices"
	"sync"
)

// Change is a set of hypothetical changes to a request, applied together.
type Change struct {
	// Detach lists spans made asynchronous: each now costs its parent only
	// the enqueue cost, and its subtree no longer matters. Detaching the
	// simulated root, an async span, or a span outside the root's subtree,
	// inside an async span or inside another detached span changes nothing.
	//
	// A synchronous retry becomes one publish: a detached span that
	// retries a detached sibling (Model.RetryOf: the same call made again
	// after it failed) costs nothing and no longer holds up its parent, so
	// a retried group costs one enqueue cost, and the waits between its
	// attempts (back-off) vanish with them.
	Detach []int32
	// Parallel lists groups of sibling spans started together. Members that
	// are async, the root itself, outside the root's subtree, or inside an
	// async or detached span are ignored;
	// groups sharing a member are merged; a group whose members have
	// different parents is split into one group per parent; a group of one
	// changes nothing.
	Parallel [][]int32
}

// Simulate returns the re-simulated duration (ns) of the request rooted at
// root once the changes in ch are made; each detached span costs
// enqueueCost (negative costs count as 0). With an empty change it returns
// Duration(root). root may be any span; it returns 0 when root is out of
// range. Only the ancestors of the changed spans are re-scheduled, each in
// time linear in its number of sync children.
func (m *Model) Simulate(root int32, ch Change, enqueueCost int64) int64 {
	if root < 0 || root >= m.n {
		return 0
	}
	sc := m.getScratch()
	defer m.putScratch(sc)
	return m.simulate(sc, root, ch, max(0, enqueueCost))
}

// Saving returns Duration(root) minus Simulate(root, ch, enqueueCost): the
// projected reduction of the request's latency (negative when the change
// makes it slower, e.g. detaching a call shorter than the enqueue cost).
func (m *Model) Saving(root int32, ch Change, enqueueCost int64) int64 {
	if root < 0 || root >= m.n {
		return 0
	}
	return m.Duration(root) - m.Simulate(root, ch, enqueueCost)
}

// Baseline returns the root's modelled duration with no change, computed by
// re-simulating every span of its subtree bottom-up. It equals Duration(root)
// for every tree (a check of the model); it costs O(subtree size).
func (m *Model) Baseline(root int32) int64 {
	if root < 0 || root >= m.n {
		return 0
	}
	sc := m.getScratch()
	defer m.putScratch(sc)
	sc.begin()
	// Preorder with an explicit stack, then children before parents.
	order := sc.queue[:0]
	stack := append(sc.path[:0], root)
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		order = append(order, v)
		// Async children never gate their parent: only sync subtrees matter.
		stack = append(stack, m.ord[m.off[v]:m.off[v+1]]...)
	}
	for k := len(order) - 1; k >= 0; k-- {
		v := order[k]
		sc.touch(v).newDur = m.reschedule(sc, v, 0, 0)
		sc.done(m, v)
	}
	sc.queue, sc.path = order[:0], stack[:0]
	return sc.nd[root].newDur
}

// Per-call flags of a span, valid while stamp == epoch.
const (
	fDetached  uint8 = 1 << iota // listed in Change.Detach
	fOpenKnown                   // fOpen has been computed
	fOpen                        // a change here reaches the root
	fDirty                       // an ancestor of a change: must be re-scheduled
	fDone                        // newDur is valid
	fGrouped                     // grp holds a raw group (normalization)
	fMember                      // grp holds a final group with >= 2 members
)

type group struct {
	parent int32
	first  int32 // smallest end-order position among the members
	lo, hi int32 // members are scratch.members[lo:hi]
	start  int64 // re-simulated start, relative to the parent's start
	end    int64 // latest re-simulated member end
	done   bool
}

// node is one span's per-call state, valid while stamp == scratch.epoch.
// Kept together so that touching a span costs one cache line.
type node struct {
	stamp   uint32
	pending int32 // dirty children not yet re-scheduled
	minPos  int32 // earliest end-order position of a changed child
	grp     int32 // group (fGrouped: raw index; fMember: final index)
	newDur  int64 // re-simulated duration (fDone)
	fl      uint8
}

// scratch is one call's working state, reused through Model.free or
// scratchPool. Per-span
// state is valid only where stamp == epoch, per-slot marks only where
// mark == epoch, so a call costs O(touched spans), not O(n).
type scratch struct {
	epoch uint32
	nd    []node
	// mark[q] == epoch when the child in slot q is detached, re-simulated
	// or a group member: any other child keeps its clipped duration.
	mark []uint32

	dirty, queue, path, cand []int32
	uf                       []int32
	groups                   []group
	members                  []int32
	pm                       []int64

	work int // children visited by reschedule; tests check locality
}

func newScratch(n, slots int) *scratch {
	return &scratch{nd: make([]node, n), mark: make([]uint32, slots)}
}

// Small models share scratch states through scratchPool instead of
// keeping their own: an analysis keeps a model per request (tens of
// thousands), and a scratch kept by each was a tenth of the live heap.
// A scratch moves between models safely because its per-span and
// per-slot state is valid only at its own current epoch.
const pooledScratchSpans = 1 << 12

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func (m *Model) getScratch() *scratch {
	if m.n <= pooledScratchSpans {
		sc := scratchPool.Get().(*scratch)
		sc.fit(int(m.n), len(m.ord))
		return sc
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if k := len(m.free); k > 0 {
		sc := m.free[k-1]
		m.free = m.free[:k-1]
		return sc
	}
	return newScratch(int(m.n), len(m.ord))
}

func (m *Model) putScratch(sc *scratch) {
	if m.n <= pooledScratchSpans {
		scratchPool.Put(sc)
		return
	}
	m.mu.Lock()
	m.free = append(m.free, sc)
	m.mu.Unlock()
}

// fit sizes a pooled scratch for n spans and slots slots. What it keeps
// from earlier calls is stamped with earlier epochs, so it reads as unset.
func (sc *scratch) fit(n, slots int) {
	if cap(sc.nd) < n {
		sc.nd = make([]node, n)
	}
	if cap(sc.mark) < slots {
		sc.mark = make([]uint32, slots)
	}
	sc.nd, sc.mark = sc.nd[:n], sc.mark[:slots]
}

// begin starts a new call: every per-span field becomes invalid.
func (sc *scratch) begin() {
	sc.epoch++
	if sc.epoch == 0 {
		// Past the length too: a pooled scratch is resliced from model
		// to model, and a stamp from before the wrap must not come back.
		clear(sc.nd[:cap(sc.nd)])
		clear(sc.mark[:cap(sc.mark)])
		sc.epoch = 1
	}
	sc.dirty, sc.queue, sc.path, sc.cand = sc.dirty[:0], sc.queue[:0], sc.path[:0], sc.cand[:0]
	sc.uf, sc.groups, sc.members = sc.uf[:0], sc.groups[:0], sc.members[:0]
	sc.work = 0
}

// touch returns v's state, reset if it is from an earlier call.
func (sc *scratch) touch(v int32) *node {
	d := &sc.nd[v]
	if d.stamp != sc.epoch {
		*d = node{stamp: sc.epoch, minPos: math.MaxInt32}
	}
	return d
}

func (sc *scratch) has(v int32, f uint8) bool {
	d := &sc.nd[v]
	return d.stamp == sc.epoch && d.fl&f != 0
}

// set sets flag f on v and marks v's slot (if it has one).
func (sc *scratch) set(m *Model, v int32, f uint8) {
	sc.touch(v).fl |= f
	if q := m.slot[v]; q >= 0 {
		sc.mark[q] = sc.epoch
	}
}

// done records that nd[v].newDur is v's re-simulated duration.
func (sc *scratch) done(m *Model, v int32) { sc.set(m, v, fDone) }

// simulate re-simulates root's subtree with ch applied (see
// simulateStretched, which does it with stretched spans too).
func (m *Model) simulate(sc *scratch, root int32, ch Change, cost int64) int64 {
	return m.simulateStretched(sc, root, ch, nil, cost)
}

// open reports whether a change at x (x != root) can reach root: x is not
// async, and every ancestor up to root is a sync, non-detached child of its
// parent. Results are memoized along the walked path.
func (m *Model) open(sc *scratch, x, root int32) bool {
	path := sc.path[:0]
	res := false
	for v := x; ; {
		if v == root {
			res = true
			break
		}
		if d := sc.touch(v); d.fl&fOpenKnown != 0 {
			res = d.fl&fOpen != 0
			break
		}
		path = append(path, v)
		p := m.parent[v]
		// No slot: a root or an async span.
		if m.slot[v] < 0 || (p != root && sc.has(p, fDetached)) {
			break
		}
		v = p
	}
	f := fOpenKnown
	if res {
		f |= fOpen
	}
	for _, u := range path {
		sc.nd[u].fl |= f
	}
	sc.path = path[:0]
	return res
}

// markAncestors marks the ancestors of the changed span x, up to root,
// dirty, counts each dirty span's dirty children and lowers each one's
// minPos to the position of its changed child. x must be open.
func (m *Model) markAncestors(sc *scratch, x, root int32) {
	for c := x; ; {
		v := m.parent[c]
		d := sc.touch(v)
		d.minPos = min(d.minPos, m.slot[c]-m.off[v])
		if d.fl&fDirty != 0 {
			return
		}
		d.fl |= fDirty
		sc.dirty = append(sc.dirty, v)
		if v == root {
			return
		}
		sc.touch(m.parent[v]).pending++
		c = v
	}
}

func (sc *scratch) find(g int32) int32 {
	for sc.uf[g] != g {
		sc.uf[g] = sc.uf[sc.uf[g]]
		g = sc.uf[g]
	}
	return g
}

// normalizeGroups turns ch.Parallel into disjoint groups of >= 2 relevant
// sync siblings (see Change.Parallel) in sc.groups, with their members, in
// group order, in sc.members; members get fMember and grp = their group.
func (m *Model) normalizeGroups(sc *scratch, root int32, groups [][]int32) {
	if len(groups) == 0 {
		return
	}
	for g := range groups {
		sc.uf = append(sc.uf, int32(g))
	}
	for g, members := range groups {
		for _, x := range members {
			if x < 0 || x >= m.n || x == root || !m.open(sc, x, root) {
				continue
			}
			d := &sc.nd[x] // touched by open
			if d.fl&fGrouped != 0 {
				a, b := sc.find(d.grp), sc.find(int32(g))
				sc.uf[max(a, b)] = min(a, b)
				continue
			}
			d.fl |= fGrouped
			d.grp = int32(g)
			sc.cand = append(sc.cand, x)
		}
	}
	for _, x := range sc.cand {
		sc.nd[x].grp = sc.find(sc.nd[x].grp)
	}
	// One final group per (merged group, parent).
	slices.SortFunc(sc.cand, func(a, b int32) int {
		if c := cmp.Compare(sc.nd[a].grp, sc.nd[b].grp); c != 0 {
			return c
		}
		if c := cmp.Compare(m.parent[a], m.parent[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	c := sc.cand
	for i := 0; i < len(c); {
		j := i + 1
		for j < len(c) && sc.nd[c[j]].grp == sc.nd[c[i]].grp && m.parent[c[j]] == m.parent[c[i]] {
			j++
		}
		if j-i >= 2 {
			p := m.parent[c[i]]
			g := group{parent: p, first: math.MaxInt32, lo: int32(len(sc.members))}
			id := int32(len(sc.groups))
			for _, x := range c[i:j] {
				g.first = min(g.first, m.slot[x]-m.off[p])
				sc.members = append(sc.members, x)
				sc.set(m, x, fMember)
				sc.nd[x].grp = id
			}
			g.hi = int32(len(sc.members))
			sc.groups = append(sc.groups, g)
		}
		i = j
	}
}

// effDur is the re-simulated duration of the child in slot q in its
// parent's frame.
func (m *Model) effDur(sc *scratch, q int32, cost int64) int64 {
	cdur := m.cdur[q]
	if sc.mark[q] != sc.epoch {
		return cdur
	}
	c := m.ord[q]
	switch d := &sc.nd[c]; {
	case d.fl&fDetached != 0:
		return cost
	case d.fl&fDone != 0:
		return max(0, cdur+d.newDur-m.Duration(c))
	}
	return cdur
}

// reschedule re-simulates p's sync children in end order and returns p's
// re-simulated duration. Times are relative to p's start. pm[j] is the
// latest re-simulated end among end-order positions < j (0 = p's start);
// a group's first member contributes the end of the whole group, so a span
// that waited on any member waits for all of them. Children before position
// from are unchanged, as are their ends.
func (m *Model) reschedule(sc *scratch, p, from int32, cost int64) int64 {
	lo, hi := m.off[p], m.off[p+1]
	if lo == hi {
		return m.Duration(p)
	}
	ps := m.t.Spans[p].Start
	k := hi - lo
	from = min(max(from, 0), k)
	if int32(cap(sc.pm)) < k+1 {
		sc.pm = make([]int64, k+1, 2*(k+1))
	}
	pm := sc.pm[:k+1]
	pm[0] = 0
	for j := int32(1); j <= from; j++ {
		pm[j] = m.cend[lo+j-1] - ps
	}
	for j := from; j < k; j++ {
		q := lo + j
		var val int64
		if c := m.ord[q]; sc.mark[q] == sc.epoch && sc.nd[c].fl&fMember != 0 {
			g := &sc.groups[sc.nd[c].grp]
			if !g.done {
				m.startGroup(sc, g, lo, pm, cost)
			}
			val = g.start + m.effDur(sc, q, cost)
			if j == g.first {
				val = g.end
			}
		} else if m.coalesced(sc, q) {
			val = 0 // a retry published with its first attempt: nothing to wait for
		} else {
			val = pm[m.pred[q]] + m.gap[q] + m.effDur(sc, q, cost)
		}
		pm[j+1] = max(pm[j], val)
	}
	sc.work += int(k - from)
	tail := max(ps, m.t.Spans[p].End) - m.cend[hi-1]
	return pm[k] + tail
}

// startGroup computes a group's start and end when the sweep reaches its first
// member: the earliest start any member would have had counting only the
// predecessors before the first member, each with its gap re-measured from
// the latest of those predecessors.
func (m *Model) startGroup(sc *scratch, g *group, lo int32, pm []int64, cost int64) {
	ps := m.t.Spans[g.parent].Start
	for i, x := range sc.members[g.lo:g.hi] {
		q := m.slot[x]
		k := min(m.pred[q], g.first)
		origBase := ps
		if k > 0 {
			origBase = m.cend[lo+k-1]
		}
		s := pm[k] + m.cend[q] - m.cdur[q] - origBase
		if i == 0 || s < g.start {
			g.start = s
		}
	}
	for _, x := range sc.members[g.lo:g.hi] {
		g.end = max(g.end, g.start+m.effDur(sc, m.slot[x], cost))
	}
	g.done = true
}

// coalesced reports whether the child in slot q is a detached retry of a
// detached sibling (see Change.Detach): it costs its parent nothing.
func (m *Model) coalesced(sc *scratch, q int32) bool {
	if m.retryPrev == nil || sc.mark[q] != sc.epoch {
		return false
	}
	prev := m.retryPrev[q]
	return prev >= 0 && sc.nd[m.ord[q]].fl&fDetached != 0 && sc.has(m.ord[prev], fDetached)
}
