package whatif_test

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
	"github.com/syncaudit/syncaudit/whatif"
)

const (
	ms   = int64(1_000_000)
	base = int64(1_700_000_000_000_000_000) // absolute times are Unix ns
)

// sp describes one span of a hand-written test trace, times in ms from base.
type sp struct {
	name, parent string
	start, end   int64
	async        bool
}

// build makes a linked trace from specs; names must be unique.
func build(tb testing.TB, specs []sp) (*trace.Trace, map[string]int32) {
	tb.Helper()
	tr := &trace.Trace{}
	idx := make(map[string]int32, len(specs))
	for i, s := range specs {
		if _, dup := idx[s.name]; dup {
			tb.Fatalf("duplicate span name %q", s.name)
		}
		idx[s.name] = int32(i)
		span := trace.Span{Name: s.name, Start: base + s.start*ms, End: base + s.end*ms}
		span.SpanID[7] = byte(i + 1)
		if s.async {
			span.Flags |= trace.FlagAsync
		}
		tr.Spans = append(tr.Spans, span)
	}
	tr.Parent = make([]int32, len(specs))
	for i, s := range specs {
		tr.Parent[i] = -1
		if s.parent != "" {
			p, ok := idx[s.parent]
			if !ok {
				tb.Fatalf("span %q: unknown parent %q", s.name, s.parent)
			}
			tr.Parent[i] = p
		}
	}
	tr.Link()
	return tr, idx
}

// ids maps names to span indices.
func ids(idx map[string]int32, names ...string) []int32 {
	out := make([]int32, len(names))
	for i, n := range names {
		out[i] = idx[n]
	}
	return out
}

// randomTree builds a seeded random trace of up to n spans with sequential,
// overlapping, zero-length, async, skewed (starting before or ending after
// the parent) and coarse-grained (tied) timestamps. Span 0 is the root.
func randomTree(r *rand.Rand, n int) *trace.Trace {
	tr := &trace.Trace{}
	add := func(parent int32, start, end int64, async bool) int32 {
		s := trace.Span{Start: start, End: end}
		if async {
			s.Flags |= trace.FlagAsync
		}
		i := int32(len(tr.Spans))
		s.SpanID[6], s.SpanID[7] = byte(i>>8), byte(i)
		tr.Spans = append(tr.Spans, s)
		tr.Parent = append(tr.Parent, parent)
		return i
	}
	grain := int64(1 + r.IntN(10)) // small grains give many equal times
	add(-1, base, base+grain*int64(50+r.IntN(1000)), false)
	for q := int32(0); int(q) < len(tr.Spans) && len(tr.Spans) < n; q++ {
		p := tr.Spans[q]
		width := (p.End - p.Start) / grain
		if width <= 0 || r.IntN(4) == 0 {
			// Leaves, and the odd zero-length parent with zero-length children.
			if width == 0 && r.IntN(3) == 0 {
				add(q, p.Start, p.Start, false)
			}
			continue
		}
		kids := r.IntN(6)
		at := p.Start
		for range kids {
			if len(tr.Spans) >= n {
				break
			}
			var s, e int64
			switch r.IntN(6) {
			case 0, 1, 2: // sequential after the previous child
				s = at + grain*int64(r.IntN(3))
				e = s + grain*int64(1+r.IntN(int(width)/3+1))
			case 3: // anywhere in the window (overlaps)
				s = p.Start + grain*int64(r.IntN(int(width)+1))
				e = s + grain*int64(r.IntN(int(width)/2+1))
			case 4: // zero-length
				s = at
				e = s
			default: // skewed: before the parent's start or past its end
				s = p.Start - grain*int64(r.IntN(3))
				e = s + grain*int64(r.IntN(int(width)+3))
			}
			async := r.IntN(8) == 0
			if async {
				e += grain * int64(r.IntN(20)) // async spans may outlive the parent
			}
			add(q, s, e, async)
			if !async {
				at = max(at, e)
			}
		}
	}
	tr.Link()
	return tr
}

// refSimulate is an independent, brute-force (quadratic per parent)
// implementation of the documented model: it re-simulates every span of
// root's subtree. Groups in ch.Parallel must be disjoint sibling sets.
func refSimulate(tr *trace.Trace, root int32, ch whatif.Change, cost int64) int64 {
	n := int32(len(tr.Spans))
	dur := func(i int32) int64 { return max(0, tr.Spans[i].End-tr.Spans[i].Start) }
	detached := map[int32]bool{}
	for _, x := range ch.Detach {
		if x != root {
			detached[x] = true
		}
	}
	groupOf := map[int32]int{}
	for g, members := range ch.Parallel {
		for _, x := range members {
			if x != root && !tr.Spans[x].Async() {
				groupOf[x] = g
			}
		}
	}
	kids := make([][]int32, n)
	for i, p := range tr.Parent {
		if p >= 0 && !tr.Spans[i].Async() {
			kids[p] = append(kids[p], int32(i))
		}
	}
	var order []int32
	stack := []int32{root}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		order = append(order, v)
		stack = append(stack, kids[v]...)
	}
	res := make([]int64, n)
	for k := len(order) - 1; k >= 0; k-- {
		v := order[k]
		if len(kids[v]) == 0 {
			res[v] = dur(v)
			continue
		}
		ws, we := tr.Spans[v].Start, max(tr.Spans[v].Start, tr.Spans[v].End)
		type kid struct {
			i        int32
			cs, ce   int64
			d        int64
			e        int64
			group    int
			hasGroup bool
		}
		ks := make([]kid, len(kids[v]))
		for j, c := range kids[v] {
			cs := min(max(tr.Spans[c].Start, ws), we)
			ce := min(max(tr.Spans[c].End, cs), we)
			d := max(0, ce-cs+res[c]-dur(c))
			if detached[c] {
				d = cost
			}
			g, ok := groupOf[c]
			ks[j] = kid{i: c, cs: cs, ce: ce, d: d, group: g, hasGroup: ok}
		}
		slices.SortFunc(ks, func(a, b kid) int {
			return cmp.Or(cmp.Compare(a.ce, b.ce), cmp.Compare(a.cs, b.cs), cmp.Compare(a.i, b.i))
		})
		// Drop groups with fewer than two members under this parent.
		count := map[int]int{}
		for _, c := range ks {
			if c.hasGroup {
				count[c.group]++
			}
		}
		for j := range ks {
			if ks[j].hasGroup && count[ks[j].group] < 2 {
				ks[j].hasGroup = false
			}
		}
		isPred := func(a, b int) bool { return ks[a].ce <= ks[b].cs && a < b } // a waits-before b
		// waitFor returns the latest re-simulated end among the spans in
		// preds, counting every member of a group any of them belongs to,
		// and the latest original end among them (or the parent's start).
		waitFor := func(preds func(a int) bool) (latest, ob int64) {
			ob = ws
			waits := map[int]bool{}
			for a := range ks {
				if preds(a) {
					latest, ob = max(latest, ks[a].e), max(ob, ks[a].ce)
					if ks[a].hasGroup {
						waits[ks[a].group] = true
					}
				}
			}
			for a := range ks {
				if ks[a].hasGroup && waits[ks[a].group] {
					latest = max(latest, ks[a].e)
				}
			}
			return latest, ob
		}
		started := map[int]bool{}
		for b := range ks {
			if ks[b].hasGroup {
				g := ks[b].group
				if started[g] {
					continue
				}
				started[g] = true
				// b is the group's first member in end order.
				first := true
				var gs int64
				for mbr := range ks {
					if !ks[mbr].hasGroup || ks[mbr].group != g {
						continue
					}
					latest, ob := waitFor(func(a int) bool { return a < b && isPred(a, mbr) })
					s := latest + ks[mbr].cs - ob
					if first || s < gs {
						gs = s
					}
					first = false
				}
				for mbr := range ks {
					if ks[mbr].hasGroup && ks[mbr].group == g {
						ks[mbr].e = gs + ks[mbr].d
					}
				}
				continue
			}
			latest, ob := waitFor(func(a int) bool { return isPred(a, b) })
			ks[b].e = latest + ks[b].cs - ob + ks[b].d
		}
		var maxE, maxCE int64 = 0, ws
		for _, c := range ks {
			maxE, maxCE = max(maxE, c.e), max(maxCE, c.ce)
		}
		res[v] = maxE + we - maxCE
		if detached[v] {
			res[v] = cost // only its parent reads it, as the enqueue cost
		}
	}
	return res[root]
}
