package critpath

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

// referenceUI is a direct, recursive, quadratic transcription of the Jaeger
// UI's critical path (jaeger-ui packages/jaeger-ui/src/components/TracePage/
// CriticalPath at c321fb3: createCPSpanMap, sanitizeOverFlowingChildren,
// computeCriticalPath, findLastFinishingChildSpan), one root at a time. It
// differs from the UI only where the package documentation says so: async
// children stand for the UI's non-blocking ones, a negative duration counts
// as zero, and a returning time of 0 is a time (the UI takes it for "none").
// It returns Self (the sum of each span's sections), OnPath (the spans the
// walk entered) and the UI's sections per root, newest first as the UI lists
// them.
func referenceUI(tr *trace.Trace) (self []int64, on []bool, secs map[int32][]Section) {
	n := len(tr.Spans)
	self, on, secs = make([]int64, n), make([]bool, n), map[int32][]Section{}
	type cpSpan struct {
		parent     int32 // -1 for the root
		start, end int64
		kids       []int32 // childSpanIDs
	}
	for _, root := range tr.Roots {
		if on[root] {
			continue
		}
		// createCPSpanMap: preorder, non-blocking children pruned with their
		// subtrees; map insertion order is the preorder.
		m := map[int32]*cpSpan{}
		var order []int32
		var traverse func(i, parent int32)
		traverse = func(i, parent int32) {
			s := &tr.Spans[i]
			cp := &cpSpan{parent: parent, start: s.Start, end: max(s.End, s.Start)}
			m[i] = cp
			order = append(order, i)
			for _, c := range tr.Children(i) {
				if !tr.Spans[c].Async() {
					cp.kids = append(cp.kids, c)
					traverse(c, i)
				}
			}
		}
		traverse(root, -1)
		// sanitizeOverFlowingChildren, case by case as in the UI.
		for _, i := range order {
			sp := m[i]
			if sp.parent < 0 {
				continue
			}
			par, ok := m[sp.parent]
			if !ok {
				delete(m, i)
				continue
			}
			drop := func() {
				delete(m, i)
				par.kids = slices.DeleteFunc(par.kids, func(k int32) bool { return k == i })
			}
			if sp.start >= par.start {
				if sp.start >= par.end {
					drop()
					continue
				}
				if sp.end > par.end {
					sp.end = par.end
				}
				continue
			}
			if sp.end <= par.start {
				drop()
			} else if sp.end <= par.end {
				sp.start = par.start
			} else {
				sp.start, sp.end = par.start, par.end
			}
		}
		// findLastFinishingChildSpan: the first child with the greatest end,
		// below returning when there is one.
		lfc := func(cur *cpSpan, returning *int64) int32 {
			best, maxEnd := int32(-1), int64(math.MinInt64) // the UI starts at -1: times are positive there
			for _, c := range cur.kids {
				cs, ok := m[c]
				if !ok {
					continue
				}
				if returning != nil && cs.end >= *returning {
					continue
				}
				if cs.end > maxEnd {
					best, maxEnd = c, cs.end
				}
			}
			return best
		}
		var list []Section
		var compute func(i int32, returning *int64)
		compute = func(i int32, returning *int64) {
			cur, ok := m[i]
			if !ok {
				return
			}
			if returning == nil {
				on[i] = true
			}
			sectionEnd := cur.end
			if returning != nil {
				sectionEnd = *returning
			}
			if c := lfc(cur, returning); c >= 0 {
				if s := m[c].end; s != sectionEnd {
					list = append(list, Section{i, s, sectionEnd})
				}
				compute(c, nil)
				return
			}
			if cur.start != sectionEnd {
				list = append(list, Section{i, cur.start, sectionEnd})
			}
			if cur.parent >= 0 {
				start := cur.start
				compute(cur.parent, &start)
			}
		}
		compute(root, nil)
		for _, s := range list {
			self[s.Span] += s.Duration()
		}
		secs[root] = list
	}
	return self, on, secs
}

// uiSections turns the UI's section list (newest first) into what Sections
// returns: oldest first, adjacent sections of one span merged.
func uiSections(list []Section) []Section {
	out := []Section{}
	for k := len(list) - 1; k >= 0; k-- {
		s := list[k]
		if n := len(out) - 1; n >= 0 && out[n].Span == s.Span && out[n].End == s.Start {
			out[n].End = s.End
			continue
		}
		out = append(out, s)
	}
	return out
}

// checkUI compares ComputeMode(t, JaegerUI) with referenceUI on tr and checks
// the invariants, which hold exactly in this mode.
func checkUI(t *testing.T, b built) {
	t.Helper()
	p := ComputeMode(b.t, JaegerUI)
	self, on, secs := referenceUI(b.t)
	if !slices.Equal(p.Self, self) || !slices.Equal(p.OnPath, on) {
		t.Fatalf("differs from the Jaeger UI reference:\n%s\nSelf   %v\nwant   %v\nOnPath %v\nwant   %v",
			describe(b), p.Self, self, p.OnPath, on)
	}
	for _, r := range b.t.Roots {
		got, want := p.Sections(b.t, r), uiSections(secs[r])
		if !slices.Equal(got, want) {
			t.Fatalf("root %s: Sections differ from the Jaeger UI's:\n%s\ngot  %v\nwant %v", b.names[r], describe(b), got, want)
		}
	}
	checkInvariants(t, b.t, p, false)
}

func TestComputeUIMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	differs := 0
	for range 4000 {
		b := randomTrace(t, r, 40)
		checkUI(t, b)
		if !slices.Equal(Compute(b.t).Self, ComputeMode(b.t, JaegerUI).Self) {
			differs++
		}
	}
	t.Logf("%d of 4000 random traces differ between Default and JaegerUI", differs)
	if differs < 100 {
		t.Errorf("only %d random traces tell the two walks apart", differs)
	}
}

func TestComputeUIHandBuilt(t *testing.T) {
	tests := []struct {
		name  string
		spans []sp
		want  map[string]int64 // Self of every on-path span
		secs  []string
	}{
		{
			name: "zero-duration child: on the path, no time",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 40, false}, {"Z", "R", 60, 60, false},
			},
			want: map[string]int64{"R": 70, "A": 30, "Z": 0},
			secs: []string{"R 0-10", "A 10-40", "R 40-100"},
		},
		{
			name: "zero-duration child at the parent's start is kept, at its end dropped",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"Z0", "R", 0, 0, false}, {"Z1", "R", 100, 100, false},
			},
			want: map[string]int64{"R": 100, "Z0": 0},
			secs: []string{"R 0-100"},
		},
		{
			name: "child straddling a zero-duration parent is kept, zero long",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"P", "R", 50, 50, false},
				{"C", "P", 40, 60, false},
			},
			want: map[string]int64{"R": 100, "P": 0, "C": 0},
		},
		{
			name: "the walk returns to a parent at its child's clipped start",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 30, false},
				{"B", "R", 40, 90, false},
				{"B1", "B", 20, 60, false}, // clipped to 40-60
			},
			want: map[string]int64{"R": 30, "A": 20, "B": 30, "B1": 20},
			secs: []string{"R 0-10", "A 10-30", "R 30-40", "B1 40-60", "B 60-90", "R 90-100"},
		},
		{
			name: "equal ends: the first child in start order wins",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"B", "R", 50, 90, false}, {"A", "R", 10, 90, false},
			},
			want: map[string]int64{"R": 20, "A": 80},
		},
		{
			name: "identical clipped windows: the earlier original start wins",
			spans: []sp{
				{"R", "", 10, 100, false},
				{"B", "R", 5, 90, false}, {"A", "R", 0, 90, false},
			},
			want: map[string]int64{"R": 10, "A": 80},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := build(t, tc.spans)
			p := ComputeMode(b.t, JaegerUI)
			if got := b.selfByName(p); !maps.Equal(got, tc.want) {
				t.Errorf("Self = %v, want %v", got, tc.want)
			}
			if tc.secs != nil {
				if got := b.sectionsString(p.Sections(b.t, b.t.Roots[0])); !slices.Equal(got, tc.secs) {
					t.Errorf("Sections = %q, want %q", got, tc.secs)
				}
			}
			checkUI(t, b)
		})
	}
}

func TestComputeUIDeepAndWide(t *testing.T) {
	t.Run("deep", func(t *testing.T) {
		const n = 100_000
		spans := make([]sp, n)
		for k := range spans {
			spans[k] = sp{name: "s" + itoa(k), start: int64(k), end: int64(2*n - k)}
			if k > 0 {
				spans[k].parent = spans[k-1].name
			}
		}
		b := build(t, spans)
		p := ComputeMode(b.t, JaegerUI)
		for i, s := range p.Self {
			if !p.OnPath[i] || s != 2 {
				t.Fatalf("span %s: OnPath %v Self %d, want on the path with 2", b.names[i], p.OnPath[i], s)
			}
		}
		checkInvariants(t, b.t, p, false)
	})
	t.Run("wide", func(t *testing.T) {
		// 200,000 siblings, each overlapping the next by 1: the UI rescans
		// all of them at every return; here each is looked at once.
		const w = 200_000
		spans := []sp{{name: "R", start: 0, end: 4*w + 10}}
		for k := range w {
			spans = append(spans, sp{"c" + itoa(k), "R", int64(4*k + 1), int64(4*k + 6), false})
		}
		b := build(t, spans)
		p := ComputeMode(b.t, JaegerUI)
		// From the end: the last child, then every other one (its
		// predecessor overlaps it), each 5 long.
		on := 0
		for i := range b.t.Spans {
			if p.OnPath[i] && b.names[i] != "R" {
				on++
			}
		}
		if on != w/2 {
			t.Errorf("%d children on the path, want %d", on, w/2)
		}
		checkInvariants(t, b.t, p, false)
	})
}
