// Package critpath computes the critical path of each request in a trace:
// the chain of synchronous spans the request's latency waited on, and the
// exclusive (self) time each of them contributes.
//
// Input: a repaired, linked *trace.Trace (Roots, Children and Parent set by
// trace.Link; asynchronous spans marked trace.FlagAsync by the repair step).
// Every root is its own request. Output: a Path with, per span, its
// exclusive critical-path time and whether it is on the path.
//
//	p := critpath.Compute(t)
//	for i := range t.Spans {
//		if p.OnPath[i] {
//			fmt.Println(t.Spans[i].Name, time.Duration(p.Self[i]))
//		}
//	}
//	for _, s := range p.Sections(t, t.Roots[0]) { /* timeline rendering */ }
//
// # Algorithm
//
// This is the "last finishing child" walk of CRISP (uber-research/CRISP,
// computeCriticalPath) and the Jaeger UI. Each child's window is first
// clipped to its parent's clipped window; a child whose clipped window is
// empty (it lies outside the parent, touches it only at an edge, or has
// zero duration) cannot add time and is ignored, and so is its subtree.
// Asynchronous children (trace.FlagAsync) never gate their parent and their
// subtrees are not entered; nor do wrappers waiting on a sibling call
// (trace.FlagWrapper, set by repair.MarkWrappers outside --jaeger-compat):
// the parent is on the path instead, for the wrapper's time outside the
// call.
//
// From a span's end the walk steps to the synchronous child that finished
// last and descends into it; back in the span, it steps to the child that
// finished last before that child started, and so on. The span's exclusive
// time is what its own duration leaves after its path children's durations.
//
// Rules, and where they differ from CRISP and Jaeger:
//
//   - A sibling that ends exactly when the next one starts happens before it
//     (CRISP needs a strict < or its skew rule; the Jaeger UI a strict <).
//   - Clock-skew rule (CRISP's happensBefore): a sibling cn that overlaps the
//     later path sibling l by less than 1% of the parent's duration also
//     happens before l when cn.start < l.start, cn.end < l.end and no other
//     child starts or ends inside [l.start, cn.end] (exactly two events in the
//     window, counted over the parent's synchronous children including
//     zero-duration ones, as CRISP counts them). Both keep their full
//     duration; the overlap comes out of the parent's exclusive time, which
//     is clamped at zero, as in CRISP.
//   - Equal end times: the child that started earlier (the longer one) is
//     taken first, then the one that comes first in t.Spans. CRISP takes the
//     one later in document order, which depends on the input file.
//   - A child that starts before its parent and ends after it is clipped to
//     the parent's window, as the Jaeger UI does (CRISP drops it).
//
// The exclusive times of a request add up to its root's duration exactly,
// unless a skew-rule overlap exceeded what was left of a parent's own time
// and was clamped; then they add up to a little more.
//
// # Modes
//
// ComputeMode selects the walk; Compute is ComputeMode(t, Default).
//
//   - Default: the walk above. It credits back-to-back siblings and siblings
//     overlapping by a clock-skew hair (sql.conn.query then sql.rows) with
//     their own time, which is what an audit of synchronous calls needs.
//   - CRISP: the same walk. What CRISP's 25 regression cases also need is
//     repair's Jaeger-compatible truncation (--jaeger-compat=crisp) instead
//     of marking overflowing children async.
//   - JaegerUI: the Jaeger UI's walk (jaeger-ui
//     packages/jaeger-ui/src/components/TracePage/CriticalPath), span for
//     span; see below.
//
// # Jaeger UI mode
//
// The Jaeger UI clips children as sanitizeOverFlowingChildren does, in
// preorder against the already clipped parent: a child that starts at or
// after its parent's end, or ends at or before its parent's start, is
// dropped with its subtree; otherwise its start is raised to the parent's
// start and its end lowered to the parent's end where they overflow. A
// zero-duration child inside the parent (at its start included, at its end
// excluded) is kept. Then, from a span's end, it steps to the child that
// ends last (findLastFinishingChildSpan), descends into it and, back in the
// span at that child's start, takes the child that ends last strictly
// before that start, and so on. So:
//
//   - a sibling that overlaps the next path sibling by any amount, even
//     1µs, is off the path, and its whole time is charged to the parent;
//   - a sibling that ends exactly when the next one starts is off the path
//     too (strict <), its time charged to the parent;
//   - among children that end at the same time, the first in the UI's child
//     order wins: the earliest start, then the first in the input file.
//     syncaudit does not keep file order; it takes the children in
//     trace.Children order (start, end, canonical span order);
//   - zero-duration children can be on the path (with Self 0), as the UI
//     walks into them;
//   - a span's Self is the sum of its sections: its clipped duration minus
//     its path children's, which never overlap; a request's Self adds up to
//     its root's duration exactly.
//
// Asynchronous children (trace.FlagAsync) are skipped with their subtrees,
// as the UI skips non-blocking ones; with --jaeger-compat=ui the repair step
// marks exactly the UI's non-blocking children (CONSUMER under PRODUCER) and
// rounds every span to whole microseconds, as the Jaeger UI sees them.
// One deliberate difference: a returning time of 0 (the Unix epoch) is a time
// like any other here, where the UI takes it for "none" and loops.
//
// # Cost
//
// Each parent on the path has its kept children sorted by clipped end once;
// the walk keeps a pointer into that order that only moves backwards, so a
// parent with k children costs O(k log k) in all, however often the walk
// returns to it, in every mode. (The Jaeger UI rescans all k children at
// each return: O(k²).) The walk uses an explicit stack, so any depth is safe.
// Spans off the path are never visited beyond being clipped as a child.
package critpath

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strconv"

	"github.com/syncaudit/syncaudit/trace"
)

// Path is the critical path of every request (root) of one trace. Its slices
// are indexed like the trace's Spans.
type Path struct {
	// Self is the exclusive critical-path time of each span in nanoseconds:
	// its clipped duration minus the clipped durations of its path children,
	// never negative. It is 0 for spans off the path.
	Self []int64
	// OnPath reports whether each span is on its request's critical path.
	// Every root is.
	OnPath []bool

	// first[i] is 1 + the path child of span i that ends last (0: none);
	// next[c] is 1 + the path sibling chosen after c, which ends earlier.
	first, next []int32
}

// Mode selects the critical-path walk (see the package documentation).
type Mode uint8

// Modes. Default and CRISP walk alike; JaegerUI is the Jaeger UI's walk.
const (
	Default  Mode = iota // syncaudit's walk: <= for touching siblings, CRISP's skew rule
	CRISP                // CRISP's walk (the Default walk; --jaeger-compat=crisp)
	JaegerUI             // the Jaeger UI's walk, span for span (--jaeger-compat=ui)
)

var modeNames = [...]string{Default: "default", CRISP: "crisp", JaegerUI: "ui"}

// String returns "default", "crisp" or "ui", the names ParseMode reads.
func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseMode returns the Mode named "default", "crisp" or "ui".
func ParseMode(s string) (Mode, error) {
	for m, name := range modeNames {
		if s == name {
			return Mode(m), nil
		}
	}
	return Default, fmt.Errorf("unknown critical-path mode %q (want default, crisp or ui)", s)
}

// overlapPercent is CRISP's overlap_allowance_fraction (0.01) in percent of
// the parent's duration.
const overlapPercent = 100

// child is a kept child of the span being walked, with its clipped window
// and its position among the span's children (trace.Children order).
// In Default and CRISP mode a zero-duration child inside the parent is kept
// only as two events for the skew rule; it is never chosen.
type child struct {
	span, pos  int32
	start, end int64
}

// frame is one span on the walk's explicit stack.
type frame struct {
	span       int32
	start, end int64 // clipped window
	self       int64 // duration minus path children so far
	lo, hi     int   // kept children in byEnd[lo:hi] and starts[slo:slo+hi-lo]
	slo        int
	k          int // next candidate is byEnd[k-1]; only moves down
	lrc        int // byEnd index of the last path child chosen, or -1
}

// walker holds the scratch space of one Compute call.
type walker struct {
	t      *trace.Trace
	p      *Path
	ui     bool    // JaegerUI mode
	byEnd  []child // per frame: kept children sorted by (end, -start, -span); JaegerUI: (end, -pos)
	starts []int64 // per frame: clipped starts of the same children, ascending
	stack  []frame
}

// Compute returns the critical path of every root of t in Default mode. It
// never panics: a nil or unlinked trace (Parent not the length of Spans)
// gives a Path with every span off the path.
func Compute(t *trace.Trace) *Path {
	return ComputeMode(t, Default)
}

// ComputeMode is Compute with the walk of mode m. An unknown mode walks as
// Default.
func ComputeMode(t *trace.Trace, m Mode) *Path {
	if t == nil {
		return &Path{}
	}
	n := len(t.Spans)
	p := &Path{
		Self:   make([]int64, n),
		OnPath: make([]bool, n),
		first:  make([]int32, n),
		next:   make([]int32, n),
	}
	if len(t.Parent) != n {
		return p
	}
	// Every span is pushed at most once: size the walker's lists once.
	w := walker{t: t, p: p, ui: m == JaegerUI, byEnd: make([]child, 0, n), stack: make([]frame, 0, 16)}
	if !w.ui {
		w.starts = make([]int64, 0, n)
	}
	for _, r := range t.Roots {
		if r < 0 || int(r) >= n || p.OnPath[r] {
			continue
		}
		s := &t.Spans[r]
		w.walk(r, s.Start, max(s.Start, s.End))
	}
	return p
}

// walk computes the path of the request rooted at root, whose window is
// [start, end].
func (w *walker) walk(root int32, start, end int64) {
	w.p.OnPath[root] = true
	w.push(root, start, end)
	for len(w.stack) > 0 {
		f := &w.stack[len(w.stack)-1]
		chosen := -1
		for f.k > f.lo {
			f.k--
			c := w.byEnd[f.k]
			if w.ui {
				// findLastFinishingChildSpan: the child that ends last, and
				// on a return the last to end strictly before the start of
				// the child the walk returns from. A child that fails it now
				// fails it at every later return, which come earlier.
				if f.lrc < 0 || c.end < w.byEnd[f.lrc].start {
					chosen = f.k
					break
				}
				continue
			}
			if c.start == c.end {
				continue // zero duration: an event for the skew rule only
			}
			if f.lrc < 0 || w.before(f, c, w.byEnd[f.lrc]) {
				chosen = f.k
				break
			}
			// c ends after the last path child started and is not excused by
			// the skew rule. No later-chosen child can change that: they all
			// start earlier and end no later than c.
		}
		if chosen < 0 {
			w.p.Self[f.span] = max(f.self, 0)
			w.byEnd = w.byEnd[:f.lo]
			w.starts = w.starts[:f.slo]
			w.stack = w.stack[:len(w.stack)-1]
			continue
		}
		c := w.byEnd[chosen]
		if f.lrc < 0 {
			w.p.first[f.span] = c.span + 1
		} else {
			w.p.next[w.byEnd[f.lrc].span] = c.span + 1
		}
		f.lrc = chosen
		f.self -= c.end - c.start
		w.p.OnPath[c.span] = true
		w.push(c.span, c.start, c.end) // invalidates f
	}
}

// push clips span's children to its window [start, end], keeps the
// synchronous ones that overlap it, sorts them by end and pushes a frame.
func (w *walker) push(span int32, start, end int64) {
	lo, slo := len(w.byEnd), len(w.starts)
	for pos, c := range w.t.Children(span) {
		s := &w.t.Spans[c]
		if !s.Gates() {
			continue
		}
		if w.ui {
			if cs, ce, ok := clipUI(s.Start, s.End, start, end); ok {
				w.byEnd = append(w.byEnd, child{c, int32(pos), cs, ce})
			}
			continue
		}
		cs, ce := max(s.Start, start), min(s.End, end)
		if cs < ce || (s.Start == s.End && start <= s.Start && s.Start <= end) {
			w.byEnd = append(w.byEnd, child{c, int32(pos), cs, ce})
			// Children come in start order and clipping keeps that order.
			w.starts = append(w.starts, cs)
		}
	}
	kids := w.byEnd[lo:]
	cmpKids := compareChildren
	if w.ui {
		cmpKids = compareChildrenUI
	}
	if !slices.IsSortedFunc(kids, cmpKids) {
		slices.SortFunc(kids, cmpKids)
	}
	w.stack = append(w.stack, frame{
		span: span, start: start, end: end, self: end - start,
		lo: lo, hi: len(w.byEnd), slo: slo, k: len(w.byEnd), lrc: -1,
	})
}

// compareChildren orders by end ascending, then start descending, then span
// descending, so that scanning backwards meets, among equal ends, the child
// that started first (and then the lowest span index) first.
func compareChildren(a, b child) int {
	if c := cmp.Compare(a.end, b.end); c != 0 {
		return c
	}
	if c := cmp.Compare(b.start, a.start); c != 0 {
		return c
	}
	return cmp.Compare(b.span, a.span)
}

// clipUI clips a child's window [s, e] to its parent's clipped window
// [ps, pe] as the Jaeger UI's sanitizeOverFlowingChildren does, and reports
// whether the child is kept. A negative duration counts as zero.
func clipUI(s, e, ps, pe int64) (cs, ce int64, ok bool) {
	e = max(e, s)
	if s >= ps {
		// Starts inside the parent or after it: dropped if at or after its
		// end, else its end is clipped.
		return s, min(e, pe), s < pe
	}
	// Starts before the parent: dropped if it ends at or before the
	// parent's start, else both ends are clipped.
	return ps, min(e, pe), e > ps
}

// compareChildrenUI orders by end ascending, then by position descending,
// so that scanning backwards meets, among equal ends, the child first in
// the UI's child order (findLastFinishingChildSpan keeps the first maximum).
func compareChildrenUI(a, b child) int {
	if c := cmp.Compare(a.end, b.end); c != 0 {
		return c
	}
	return cmp.Compare(b.pos, a.pos)
}

// before reports whether child cn happens before l, the last path child of
// f: it ends no later than l starts, or CRISP's clock-skew rule excuses a
// small overlap.
func (w *walker) before(f *frame, cn, l child) bool {
	if cn.end <= l.start {
		return true
	}
	if cn.start >= l.start || cn.end >= l.end {
		return false
	}
	if !smallOverlap(cn.end-l.start, f.end-f.start) {
		return false
	}
	return w.events(f, l.start, cn.end) == 2
}

// smallOverlap reports overlap/duration < 1/overlapPercent in exact integer
// arithmetic (overlap*100 could overflow).
func smallOverlap(overlap, duration int64) bool {
	q, r := duration/overlapPercent, duration%overlapPercent
	return overlap < q || (overlap == q && r > 0)
}

// events counts the starts and ends of f's kept children (zero-duration ones
// included) inside [a, b]: CRISP's numSyncEventsInWindowInclusive.
func (w *walker) events(f *frame, a, b int64) int {
	starts := w.starts[f.slo : f.slo+f.hi-f.lo]
	n := sort.Search(len(starts), func(i int) bool { return starts[i] > b }) -
		sort.Search(len(starts), func(i int) bool { return starts[i] >= a })
	kids := w.byEnd[f.lo:f.hi]
	n += sort.Search(len(kids), func(i int) bool { return kids[i].end > b }) -
		sort.Search(len(kids), func(i int) bool { return kids[i].end >= a })
	return n
}

// AppendChildren appends to dst the path children of span i in time order
// (earliest first) and returns it.
func (p *Path) AppendChildren(dst []int32, i int32) []int32 {
	if i < 0 || int(i) >= len(p.first) {
		return dst
	}
	n := len(dst)
	for c := p.first[i]; c != 0; c = p.next[c-1] {
		dst = append(dst, c-1)
	}
	slices.Reverse(dst[n:])
	return dst
}
