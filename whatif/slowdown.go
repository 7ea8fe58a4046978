package whatif

import "math"

// Stretch lengthens one span: its own work takes Extra ns more (negative:
// less, never below zero), added at its end, after its last synchronous
// child, as if it did the extra work just before responding.
type Stretch struct {
	Span  int32
	Extra int64
}

// SimulateStretched is Simulate with the spans of st stretched as well:
// the request rooted at root re-simulated once the changes in ch are made
// and every listed span's duration grows by its Extra. A stretched span
// moves what waited on it, and lengthens its parent only by as much as it
// delays the parent's latest child, exactly as a span whose subtree was
// re-simulated longer. The change wins over the stretch: a stretched span
// that is detached, or inside a detached or async span, or outside the
// root's subtree, changes nothing (a detached span costs the enqueue cost
// whatever its callee does). Stretching root itself adds its Extra to the
// result. A span listed twice is stretched by the sum. With no stretch it
// returns Simulate(root, ch, enqueueCost).
func (m *Model) SimulateStretched(root int32, ch Change, st []Stretch, enqueueCost int64) int64 {
	if root < 0 || root >= m.n {
		return 0
	}
	if len(st) == 0 {
		return m.Simulate(root, ch, enqueueCost)
	}
	sc := m.getScratch()
	defer m.putScratch(sc)
	return m.simulateStretched(sc, root, ch, st, max(0, enqueueCost))
}

// simulateStretched re-simulates root's subtree with ch applied and the
// spans of st stretched (none for simulate): the detached calls and
// parallel groups of ch mark their ancestors dirty; each stretched span
// that ch leaves open is re-scheduled (a leaf keeps its duration) and its
// Extra added, so that its ancestors re-schedule with it; dirty spans are
// then re-scheduled bottom-up, iteratively.
func (m *Model) simulateStretched(sc *scratch, root int32, ch Change, st []Stretch, cost int64) int64 {
	sc.begin()
	for _, x := range ch.Detach {
		if x >= 0 && x < m.n && x != root {
			sc.touch(x).fl |= fDetached
		}
	}
	for _, x := range ch.Detach {
		if x >= 0 && x < m.n && x != root && m.open(sc, x, root) {
			sc.set(m, x, fDetached)
			m.markAncestors(sc, x, root)
		}
	}
	m.normalizeGroups(sc, root, ch.Parallel)
	for _, x := range sc.members {
		m.markAncestors(sc, x, root)
	}
	var extra map[int32]int64 // nil without stretches: simulate's hot path
	if len(st) > 0 {
		extra = make(map[int32]int64, len(st))
	}
	for _, s := range st {
		x := s.Span
		if x < 0 || x >= m.n || s.Extra == 0 {
			continue
		}
		if x != root && (sc.has(x, fDetached) || !m.open(sc, x, root)) {
			continue
		}
		extra[x] += s.Extra
		d := sc.touch(x)
		if d.fl&fDirty != 0 {
			continue // an ancestor of a change: already scheduled
		}
		d.fl |= fDirty
		sc.dirty = append(sc.dirty, x)
		if x != root {
			sc.touch(m.parent[x]).pending++
			m.markAncestors(sc, x, root)
		}
	}
	if !sc.has(root, fDirty) {
		return m.Duration(root)
	}
	q := sc.queue[:0]
	for _, v := range sc.dirty {
		if sc.nd[v].pending == 0 {
			q = append(q, v)
		}
	}
	for len(q) > 0 {
		v := q[len(q)-1]
		q = q[:len(q)-1]
		d := m.reschedule(sc, v, sc.nd[v].minPos, cost)
		if extra != nil {
			if e, ok := extra[v]; ok {
				d = max(0, d+e)
			}
		}
		sc.nd[v].newDur = d
		if v == root {
			break
		}
		sc.done(m, v)
		p := m.parent[v]
		pd := &sc.nd[p]
		pd.pending--
		if pd.pending == 0 {
			q = append(q, p)
		}
	}
	sc.queue = q[:0]
	return sc.nd[root].newDur
}

// Slowdown is a hypothetical slowdown of one dependency: every synchronous
// call into it takes Delta ns longer (Delta > 0) or Factor times as long
// (Factor > 0; 0 means 1). Both may be set: the call then takes
// Factor × its duration + Delta.
type Slowdown struct {
	Delta  int64
	Factor float64
}

// Extra is how much longer a call that took dur ns takes under s:
// Delta + (Factor − 1) × dur, rounded to the nanosecond.
func (s Slowdown) Extra(dur int64) int64 {
	e := s.Delta
	if s.Factor > 0 && s.Factor != 1 {
		e += int64(math.Round((s.Factor - 1) * float64(dur)))
	}
	return e
}

// Stretches returns the stretches that slow the calls whose entry spans
// are entries down by s, in the request rooted at root: one per entry
// span (duplicates dropped), stretched by s.Extra of its own duration,
// except the entries below another entry — a call the dependency makes
// to itself, directly or through others, is already inside the outer
// call's time, which the outer stretch scales. An entry span is the
// callee's span that handles the call (the SERVER span under the CLIENT
// span), or the CLIENT span itself when the callee is not traced: its
// stretch lengthens the CLIENT span around it by the same delta (when it
// ends last among the CLIENT span's children, as a server span does).
// Entries outside root's subtree are kept: SimulateStretched ignores them.
// It walks each entry's ancestors once in all (memoized), iteratively.
func (m *Model) Stretches(root int32, entries []int32, s Slowdown) []Stretch {
	isEntry := make(map[int32]bool, len(entries))
	for _, x := range entries {
		if x >= 0 && x < m.n {
			isEntry[x] = true
		}
	}
	// below[v]: v is an entry, or below one, on its way up to root.
	below := make(map[int32]bool, len(entries))
	var path []int32
	nested := func(x int32) bool {
		if x == root {
			return false
		}
		path = path[:0]
		res := false
		for v := m.parent[x]; v >= 0; v = m.parent[v] {
			if b, ok := below[v]; ok {
				res = b
				break
			}
			if isEntry[v] {
				res = true
				break
			}
			path = append(path, v)
			if v == root {
				break
			}
		}
		for _, v := range path {
			below[v] = res
		}
		return res
	}
	out := make([]Stretch, 0, len(entries))
	seen := make(map[int32]bool, len(entries))
	for _, x := range entries {
		if x < 0 || x >= m.n || seen[x] {
			continue
		}
		seen[x] = true
		if nested(x) {
			continue
		}
		if e := s.Extra(m.Duration(x)); e != 0 {
			out = append(out, Stretch{Span: x, Extra: e})
		}
	}
	return out
}
