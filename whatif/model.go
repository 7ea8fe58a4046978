package whatif

import (
	"cmp"
	"slices"
	"sort"
	"sync"

	"github.com/syncaudit/syncaudit/trace"
)

// Model is the per-trace schedule that Simulate re-plays: for every span its
// parent, its clipped window, its predecessors among its sync siblings and its
// gap. It is built once per trace by NewModel and is safe for concurrent use.
// The trace must not be modified while the Model is in use.
type Model struct {
	t *trace.Trace
	n int32
	// parent is t.Parent with out-of-range links and cycles cut (-1).
	parent []int32
	// off/ord: CSR of each span's sync (non-async) children, sorted by
	// (clipped end, clipped start, index): the "end order". A child's place
	// in ord is its slot; slot[i] is span i's slot (-1 for roots and async
	// spans), and slot - off[parent] its position in the end order.
	off  []int32
	ord  []int32
	slot []int32
	// Per slot: pred is the number of end-order positions before the child
	// that are its predecessors (always a prefix, and pred <= position);
	// gap is its clipped start minus the latest predecessor's clipped end
	// (or the parent's start); cend and cdur are its end and duration once
	// clipped to the parent's window.
	pred []int32
	gap  []int64
	cend []int64
	cdur []int64
	// retryPrev is, per slot, the slot of the attempt the child retries
	// (see RetryOf), -1 for none; nil when the trace has no retries.
	retryPrev []int32

	// free holds idle scratch states, one per concurrent caller at most.
	// Unlike a sync.Pool it survives garbage collections: a scratch for a
	// large trace is worth keeping for the Model's lifetime.
	mu   sync.Mutex
	free []*scratch
}

// NewModel builds the model of t in O(n log n). It reads t.Spans and t.Parent
// only (Link is not required); parent links that are out of range or form a
// cycle are treated as absent.
func NewModel(t *trace.Trace) *Model {
	n := len(t.Spans)
	m := &Model{t: t, n: int32(n)}
	m.parent = cutParents(t)

	// CSR of sync children.
	m.off = make([]int32, n+1)
	for i, p := range m.parent {
		if p >= 0 && t.Spans[i].Gates() {
			m.off[p+1]++
		}
	}
	for i := range n {
		m.off[i+1] += m.off[i]
	}
	slots := int(m.off[n])
	m.ord = make([]int32, slots)
	m.slot = make([]int32, n)
	fill := make([]int32, n)
	copy(fill, m.off[:n])
	for i, p := range m.parent {
		m.slot[i] = -1
		if p >= 0 && t.Spans[i].Gates() {
			m.ord[fill[p]] = int32(i)
			fill[p]++
		}
	}

	// Clip every sync child to its parent's window.
	cstart := make([]int64, n)
	cend := make([]int64, n)
	for _, c := range m.ord {
		s, ps := &t.Spans[c], &t.Spans[m.parent[c]]
		pl, ph := ps.Start, max(ps.Start, ps.End)
		lo := min(max(s.Start, pl), ph)
		cstart[c], cend[c] = lo, min(max(s.End, lo), ph)
	}
	endOrder := func(a, b int32) int {
		if c := cmp.Compare(cend[a], cend[b]); c != 0 {
			return c
		}
		if c := cmp.Compare(cstart[a], cstart[b]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	}

	m.pred = make([]int32, slots)
	m.gap = make([]int64, slots)
	m.cend = make([]int64, slots)
	m.cdur = make([]int64, slots)
	for p := range n {
		lo, hi := m.off[p], m.off[p+1]
		if lo == hi {
			continue
		}
		c := m.ord[lo:hi]
		slices.SortFunc(c, endOrder)
		for j, x := range c {
			q := lo + int32(j)
			m.slot[x] = q
			m.cend[q] = cend[x]
			m.cdur[q] = cend[x] - cstart[x]
		}
		ends := m.cend[lo:hi]
		for j, x := range c {
			s := cstart[x]
			// Children ending at or before x starts form a prefix of the end order.
			upper := sort.Search(len(ends), func(q int) bool { return ends[q] > s })
			k := min(upper, j)
			q := lo + int32(j)
			m.pred[q] = int32(k)
			if k > 0 {
				m.gap[q] = s - ends[k-1]
			} else {
				m.gap[q] = s - t.Spans[p].Start
			}
		}
	}
	m.findRetries(cstart)
	return m
}

// findRetries sets retryPrev: among each span's sync children in start
// order, a CLIENT or PRODUCER child retries the one just before it when
// that one failed, ended before it started, and is the same call: same
// service, name and kind, same target attributes (url, route, server
// address, peer service, RPC service and method, messaging destination)
// and, when both have a SERVER or CONSUMER child, the same callee service
// and operation.
func (m *Model) findRetries(cstart []int64) {
	t := m.t
	var byStart []int32
	for p := range m.n {
		lo, hi := m.off[p], m.off[p+1]
		if hi-lo < 2 {
			continue
		}
		byStart = append(byStart[:0], m.ord[lo:hi]...)
		slices.SortFunc(byStart, func(a, b int32) int {
			return cmp.Or(cmp.Compare(cstart[a], cstart[b]), cmp.Compare(a, b))
		})
		for j := 1; j < len(byStart); j++ {
			y, x := byStart[j-1], byStart[j]
			if !m.sameCall(y, x) || !t.Spans[y].IsError() || t.Spans[y].End > t.Spans[x].Start {
				continue
			}
			if m.retryPrev == nil {
				m.retryPrev = make([]int32, len(m.ord))
				for q := range m.retryPrev {
					m.retryPrev[q] = -1
				}
			}
			m.retryPrev[m.slot[x]] = m.slot[y]
		}
	}
}

// retryTargets are the attributes that say what a call reaches.
var retryTargets = [...]trace.AttrKey{trace.AttrURLFull, trace.AttrURLPath, trace.AttrHTTPRoute, trace.AttrServerAddress,
	trace.AttrPeerService, trace.AttrRPCService, trace.AttrRPCMethod, trace.AttrMessagingDestination}

// sameCall reports whether spans a and b are the same call (see findRetries).
func (m *Model) sameCall(a, b int32) bool {
	sa, sb := &m.t.Spans[a], &m.t.Spans[b]
	if sa.Kind != sb.Kind || (sa.Kind != trace.KindClient && sa.Kind != trace.KindProducer) ||
		sa.Service != sb.Service || sa.Name != sb.Name {
		return false
	}
	for _, k := range retryTargets {
		if sa.Attrs.Get(k) != sb.Attrs.Get(k) {
			return false
		}
	}
	ca, cb := m.callee(a), m.callee(b)
	return ca < 0 || cb < 0 || m.t.Spans[ca].Service == m.t.Spans[cb].Service && m.t.Spans[ca].Name == m.t.Spans[cb].Name
}

// callee returns the first SERVER or CONSUMER sync child of span v, or -1.
func (m *Model) callee(v int32) int32 {
	for _, c := range m.ord[m.off[v]:m.off[v+1]] {
		if k := m.t.Spans[c].Kind; k == trace.KindServer || k == trace.KindConsumer {
			return c
		}
	}
	return -1
}

// RetryOf returns the span that span i retries (see Change.Detach), or -1:
// i and the returned span are sync CLIENT or PRODUCER siblings making the
// same call (same service, name, kind, target attributes and callee), the
// earlier one failed and ended before i started, and no other sibling
// started between them.
func (m *Model) RetryOf(i int32) int32 {
	if i < 0 || i >= m.n || m.retryPrev == nil || m.slot[i] < 0 {
		return -1
	}
	if q := m.retryPrev[m.slot[i]]; q >= 0 {
		return m.ord[q]
	}
	return -1
}

// cutParents copies t.Parent, dropping links that are out of range or that
// close a cycle, so that every walk up the tree ends at a root.
func cutParents(t *trace.Trace) []int32 {
	n := len(t.Spans)
	par := make([]int32, n)
	for i := range par {
		par[i] = -1
		if i < len(t.Parent) {
			if p := t.Parent[i]; p >= 0 && int(p) < n && int(p) != i {
				par[i] = p
			}
		}
	}
	// state: 0 unvisited, 1 on the current walk, 2 known to reach a root.
	state := make([]uint8, n)
	var path []int32
	for i := range n {
		path = path[:0]
		v := int32(i)
		for v >= 0 && state[v] == 0 {
			state[v] = 1
			path = append(path, v)
			v = par[v]
		}
		if v >= 0 && state[v] == 1 {
			// The walk returned to itself: cut the link that closed the loop.
			par[path[len(path)-1]] = -1
		}
		for _, u := range path {
			state[u] = 2
		}
	}
	return par
}

// Len is the number of spans modelled.
func (m *Model) Len() int { return int(m.n) }

// Duration returns span i's original duration, End-Start (0 when End is
// before Start or i is out of range).
func (m *Model) Duration(i int32) int64 {
	if i < 0 || i >= m.n {
		return 0
	}
	s := &m.t.Spans[i]
	return max(0, s.End-s.Start)
}
