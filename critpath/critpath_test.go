package critpath

import (
	"maps"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// checkInvariants checks what holds for every trace: Self is never negative
// and zero off the path, every root is on the path, the sections of each
// root tile its window, and, unless skew is set (the clock-skew rule chained
// overlapping siblings), each request's Self adds up to its root's duration
// and each span's sections add up to its Self.
func checkInvariants(t *testing.T, tr *trace.Trace, p *Path, skew bool) {
	t.Helper()
	for i := range tr.Spans {
		if p.Self[i] < 0 {
			t.Errorf("span %d: Self %d < 0", i, p.Self[i])
		}
		if !p.OnPath[i] && p.Self[i] != 0 {
			t.Errorf("span %d: off the path with Self %d", i, p.Self[i])
		}
		if p.OnPath[i] && tr.Parent[i] >= 0 && !p.OnPath[tr.Parent[i]] {
			t.Errorf("span %d on the path, its parent is not", i)
		}
	}
	var order []int32
	for _, r := range tr.Roots {
		if !p.OnPath[r] {
			t.Errorf("root %d not on the path", r)
		}
		rs := &tr.Spans[r]
		dur := max(rs.End-rs.Start, 0)
		order = tr.Preorder(r, order[:0])
		var sum int64
		for _, i := range order {
			sum += p.Self[i]
		}
		if sum < dur || (!skew && sum != dur) {
			t.Errorf("root %d: Self adds up to %d, want duration %d", r, sum, dur)
		}
		secs := p.Sections(tr, r)
		at := rs.Start
		perSpan := map[int32]int64{}
		for k, s := range secs {
			if s.Start != at || s.End <= s.Start {
				t.Errorf("root %d: section %d %+v does not continue at %d", r, k, s, at)
			}
			if !p.OnPath[s.Span] {
				t.Errorf("root %d: section %d on span %d off the path", r, k, s.Span)
			}
			if k > 0 && secs[k-1].Span == s.Span {
				t.Errorf("root %d: sections %d and %d of span %d not merged", r, k-1, k, s.Span)
			}
			at = s.End
			perSpan[s.Span] += s.Duration()
		}
		if dur > 0 && at != rs.End {
			t.Errorf("root %d: sections end at %d, want %d", r, at, rs.End)
		}
		if !skew {
			for _, i := range order {
				if perSpan[i] != p.Self[i] {
					t.Errorf("span %d: sections add up to %d, Self is %d", i, perSpan[i], p.Self[i])
				}
			}
		}
	}
}

func TestComputeHandBuilt(t *testing.T) {
	tests := []struct {
		name  string
		spans []sp
		want  map[string]int64 // Self of every on-path span
		secs  []string         // sections of the first root, if given
		skew  bool             // the skew rule chains overlapping siblings
	}{
		{
			name:  "single root",
			spans: []sp{{"R", "", 0, 100, false}},
			want:  map[string]int64{"R": 100},
			secs:  []string{"R 0-100"},
		},
		{
			name:  "zero-duration root",
			spans: []sp{{"R", "", 5, 5, false}},
			want:  map[string]int64{"R": 0},
			secs:  []string{},
		},
		{
			name:  "negative-duration root",
			spans: []sp{{"R", "", 5, 3, false}, {"A", "R", 4, 5, false}},
			want:  map[string]int64{"R": 0},
			secs:  []string{},
		},
		{
			name: "sequential calls",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 30, false}, {"B", "R", 40, 70, false}, {"C", "R", 80, 90, false},
			},
			want: map[string]int64{"R": 40, "A": 20, "B": 30, "C": 10},
			secs: []string{"R 0-10", "A 10-30", "R 30-40", "B 40-70", "R 70-80", "C 80-90", "R 90-100"},
		},
		{
			name: "parallel calls: the last to finish gates",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 60, false}, {"B", "R", 10, 80, false}, {"C", "R", 20, 50, false},
			},
			want: map[string]int64{"R": 30, "B": 70},
			secs: []string{"R 0-10", "B 10-80", "R 80-100"},
		},
		{
			name: "parallel calls then a sequential one",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 5, 40, false}, {"B", "R", 5, 30, false}, {"C", "R", 50, 90, false},
			},
			want: map[string]int64{"R": 25, "A": 35, "C": 40},
		},
		{
			name: "nested calls",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 90, false},
				{"A1", "A", 20, 40, false}, {"A2", "A", 50, 85, false},
				{"A2a", "A2", 60, 70, false},
			},
			want: map[string]int64{"R": 20, "A": 25, "A1": 20, "A2": 25, "A2a": 10},
			secs: []string{"R 0-10", "A 10-20", "A1 20-40", "A 40-50", "A2 50-60", "A2a 60-70", "A2 70-85", "A 85-90", "R 90-100"},
		},
		{
			name: "async consumer under a producer is not entered",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"P", "R", 10, 20, false},
				{"Q", "P", 15, 200, true},
				{"Q1", "Q", 16, 19, false},
			},
			want: map[string]int64{"R": 90, "P": 10},
		},
		{
			name: "fire-and-forget child marked async is off the path",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"insert", "R", 10, 40, false},
				{"email", "R", 45, 300, true},
			},
			want: map[string]int64{"R": 70, "insert": 30},
		},
		{
			name: "async child inside the parent does not gate",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 40, false},
				{"X", "R", 50, 95, true},
				{"X1", "X", 60, 90, false},
			},
			want: map[string]int64{"R": 70, "A": 30},
		},
		{
			name: "zero-duration child is ignored",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 40, false}, {"Z", "R", 50, 50, false},
			},
			want: map[string]int64{"R": 70, "A": 30},
		},
		{
			name: "zero-duration child at the parent's end is ignored",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 100, false}, {"Z", "R", 100, 100, false},
			},
			want: map[string]int64{"R": 10, "A": 90},
		},
		{
			name: "equal ends: the earlier-starting child wins",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"B", "R", 50, 90, false}, {"A", "R", 10, 90, false},
			},
			want: map[string]int64{"R": 20, "A": 80},
		},
		{
			name: "identical windows: the first span wins",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 90, false}, {"B", "R", 10, 90, false},
			},
			want: map[string]int64{"R": 20, "A": 80},
		},
		{
			name: "a sibling ending exactly when the next starts happens before it",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 50, false}, {"B", "R", 50, 90, false},
			},
			want: map[string]int64{"R": 20, "A": 40, "B": 40},
			secs: []string{"R 0-10", "A 10-50", "B 50-90", "R 90-100"},
		},
		{
			// CRISP chains this only through its skew rule, which a third
			// event at the touching point (C's start) would block.
			name: "touching siblings chain even with another event at the touching point",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 50, false}, {"B", "R", 50, 90, false}, {"C", "R", 50, 70, false},
			},
			want: map[string]int64{"R": 20, "A": 40, "B": 40},
		},
		{
			name: "child ending after its parent is clipped",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"B", "R", 10, 110, false},
				{"C", "B", 40, 50, false},
			},
			want: map[string]int64{"R": 10, "B": 80, "C": 10},
		},
		{
			name: "child starting before its parent is clipped",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 60, false},
				{"B", "A", 5, 40, false},
			},
			want: map[string]int64{"R": 50, "A": 20, "B": 30},
		},
		{
			name: "clipping cascades down the tree",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 50, 150, false},
				{"A1", "A", 90, 140, false},
			},
			want: map[string]int64{"R": 50, "A": 40, "A1": 10},
		},
		{
			name: "child after its parent is dropped with its subtree",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"D", "R", 60, 90, false},
				{"B", "R", 110, 160, false},
				{"C", "B", 120, 150, false},
			},
			want: map[string]int64{"R": 70, "D": 30},
		},
		{
			name: "child touching only the parent's end is dropped",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"B", "R", 20, 40, false},
				{"A", "R", 100, 150, false},
			},
			want: map[string]int64{"R": 80, "B": 20},
		},
		{
			name: "skew: small overlaps chain (CRISP case 10)",
			spans: []sp{
				{"R", "", 0, 1000, false},
				{"B", "R", 10, 210, false}, {"C", "R", 209, 309, false}, {"D", "R", 308, 608, false},
			},
			want: map[string]int64{"R": 400, "B": 200, "C": 100, "D": 300},
			skew: true,
		},
		{
			name: "skew: the parent's time is clamped at zero",
			spans: []sp{
				{"R", "", 0, 1000, false},
				{"A", "R", 0, 505, false}, {"B", "R", 500, 1000, false},
			},
			want: map[string]int64{"R": 0, "A": 505, "B": 500},
			secs: []string{"A 0-505", "B 505-1000"},
			skew: true,
		},
		{
			name: "skew: a third event in the window blocks it",
			spans: []sp{
				{"R", "", 0, 1000, false},
				{"A", "R", 10, 210, false}, {"B", "R", 205, 305, false}, {"Z", "R", 206, 208, false},
			},
			want: map[string]int64{"R": 900, "B": 100},
		},
		{
			name: "skew: a zero-duration sibling in the window blocks it",
			spans: []sp{
				{"R", "", 0, 1000, false},
				{"A", "R", 10, 210, false}, {"B", "R", 205, 305, false}, {"Z", "R", 207, 207, false},
			},
			want: map[string]int64{"R": 900, "B": 100},
		},
		{
			name: "skew: an async sibling in the window does not block it",
			spans: []sp{
				{"R", "", 0, 1000, false},
				{"A", "R", 10, 210, false}, {"B", "R", 205, 305, false}, {"Z", "R", 206, 208, true},
			},
			want: map[string]int64{"R": 700, "A": 200, "B": 100},
			skew: true,
		},
		{
			name: "skew: an overlap of exactly 1% is too large",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"A", "R", 10, 50, false}, {"B", "R", 49, 90, false},
			},
			want: map[string]int64{"R": 59, "B": 41},
		},
		{
			name: "skew: an overlap just under 1% chains",
			spans: []sp{
				{"R", "", 0, 101, false},
				{"A", "R", 10, 50, false}, {"B", "R", 49, 90, false},
			},
			want: map[string]int64{"R": 20, "A": 40, "B": 41},
			skew: true,
		},
		{
			name: "skew: the earlier sibling must start first",
			spans: []sp{
				{"R", "", 0, 1000, false},
				{"A", "R", 200, 205, false}, {"B", "R", 200, 305, false},
			},
			want: map[string]int64{"R": 895, "B": 105},
		},
		{
			name: "skew: overlaps are judged against the parent's clipped window",
			spans: []sp{
				{"R", "", 0, 100, false},
				{"P", "R", 0, 1000, false}, // clipped to 100: 1% is 1
				{"A", "P", 10, 50, false}, {"B", "P", 49, 90, false},
			},
			want: map[string]int64{"R": 0, "P": 59, "B": 41},
		},
		{
			name: "every root is its own request",
			spans: []sp{
				{"R1", "", 0, 100, false}, {"A", "R1", 10, 20, false},
				{"R2", "", 200, 260, false}, {"B", "R2", 210, 250, false},
			},
			want: map[string]int64{"R1": 90, "A": 10, "R2": 20, "B": 40},
		},
		{
			name: "an async root is still a request",
			spans: []sp{
				{"R", "", 0, 100, true}, {"A", "R", 10, 20, false},
			},
			want: map[string]int64{"R": 90, "A": 10},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := build(t, tc.spans)
			p := Compute(b.t)
			if got := b.selfByName(p); !maps.Equal(got, tc.want) {
				t.Errorf("Self = %v, want %v", got, tc.want)
			}
			if tc.secs != nil {
				got := b.sectionsString(p.Sections(b.t, b.t.Roots[0]))
				if !slices.Equal(got, tc.secs) {
					t.Errorf("Sections = %q, want %q", got, tc.secs)
				}
			}
			checkInvariants(t, b.t, p, tc.skew)
		})
	}
}

// TestJaegerUIShapes runs the nine fixtures of the Jaeger UI critical-path
// tests (jaeger-ui c321fb3, CriticalPath/testCases/test1..9 and
// index.test.js; peers.md §2.2), with the UI's expected numbers copied by
// hand: its sections (listed here oldest first; the UI lists them newest
// first), the last-finishing children findLastFinishingChildSpan.test.js
// expects (lfc: each span's path children in the order the walk takes
// them), and the clipped windows sanitizeOverFlowingChildren.test.js
// expects (clipped; a span missing from the trace was dropped). Every mode
// must give the UI's answer on them, on the trace as built and after the
// mode's repair (Truncate is the UI's sanitizer): none has siblings that
// overlap or touch, where the modes part (TestModes). test3 is also loaded
// from the corpus in oracle_test.go.
func TestJaegerUIShapes(t *testing.T) {
	tests := []struct {
		name    string
		spans   []sp
		secs    []string
		want    map[string]int64
		lfc     map[string][]string // span: path children, last-finishing first
		clipped map[string][2]int64 // after the sanitizer; absent spans are dropped
	}{
		{"test1", []sp{{"C", "", 1, 101, false}, {"D", "C", 20, 40, false}, {"E", "C", 50, 60, false}},
			[]string{"C 1-20", "D 20-40", "C 40-50", "E 50-60", "C 60-101"},
			map[string]int64{"C": 70, "D": 20, "E": 10},
			map[string][]string{"C": {"E", "D"}}, nil},
		{"test2", []sp{{"X", "", 1, 101, false}, {"A", "X", 10, 50, false}, {"C", "X", 20, 60, false}},
			[]string{"X 1-20", "C 20-60", "X 60-101"},
			map[string]int64{"X": 60, "C": 40},
			map[string][]string{"X": {"C"}}, nil},
		{"test3", []sp{{"A", "", 100, 140, false}, {"B", "A", 200, 500, false}},
			[]string{"A 100-140"},
			map[string]int64{"A": 40},
			nil, map[string][2]int64{"A": {100, 140}}},
		{"test4", []sp{{"A", "", 1, 31, false}, {"B", "A", 40, 80, false}, {"C", "B", 50, 60, false}},
			[]string{"A 1-31"},
			map[string]int64{"A": 30},
			nil, map[string][2]int64{"A": {1, 31}}},
		{"test5", []sp{{"A", "", 1, 31, false}, {"B", "A", 10, 20, true}, {"C", "B", 12, 14, false}},
			[]string{"A 1-31"},
			map[string]int64{"A": 30},
			nil, nil},
		{"test6", []sp{{"A", "", 1, 30, false}, {"B", "A", 15, 35, false}, {"C", "B", 10, 25, false}},
			[]string{"A 1-15", "C 15-25", "B 25-30"},
			map[string]int64{"A": 14, "B": 5, "C": 10},
			nil, map[string][2]int64{"A": {1, 30}, "B": {15, 30}, "C": {15, 25}}},
		{"test7", []sp{{"A", "", 1, 30, false}, {"B", "A", 15, 35, false}, {"C", "B", 20, 40, false}},
			[]string{"A 1-15", "B 15-20", "C 20-30"},
			map[string]int64{"A": 14, "B": 5, "C": 10},
			nil, map[string][2]int64{"A": {1, 30}, "B": {15, 30}, "C": {20, 30}}},
		{"test8", []sp{{"A", "", 10, 30, false}, {"B", "A", 5, 35, false}},
			[]string{"B 10-30"},
			map[string]int64{"A": 0, "B": 20},
			nil, map[string][2]int64{"A": {10, 30}, "B": {10, 30}}},
		{"test9", []sp{{"A", "", 10, 30, false}, {"B", "A", 1, 5, false}},
			[]string{"A 10-30"},
			map[string]int64{"A": 20},
			nil, map[string][2]int64{"A": {10, 30}}},
	}
	compat := repair.Sequence(repair.MarkAsyncRelations(), repair.Truncate())
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []Mode{Default, CRISP, JaegerUI} {
				for _, truncate := range []bool{false, true} {
					b := build(t, tc.spans)
					if truncate {
						compat.Adjust(b.t)
						b = named(b.t) // Truncate drops and re-sorts spans
						if tc.clipped != nil {
							got := map[string][2]int64{}
							for i, s := range b.t.Spans {
								got[b.names[i]] = [2]int64{s.Start, s.End}
							}
							if !maps.Equal(got, tc.clipped) {
								t.Errorf("sanitized windows = %v, want %v", got, tc.clipped)
							}
						}
					}
					p := ComputeMode(b.t, mode)
					if got := b.sectionsString(p.Sections(b.t, b.t.Roots[0])); !slices.Equal(got, tc.secs) {
						t.Errorf("%v, truncate=%v: Sections = %q, want %q", mode, truncate, got, tc.secs)
					}
					if got := b.selfByName(p); !maps.Equal(got, tc.want) {
						t.Errorf("%v, truncate=%v: Self = %v, want %v", mode, truncate, got, tc.want)
					}
					for span, want := range tc.lfc {
						var got []string
						for _, c := range p.AppendChildren(nil, b.idx[span]) {
							got = append(got, b.names[c])
						}
						slices.Reverse(got)
						if !slices.Equal(got, want) {
							t.Errorf("%v, truncate=%v: last-finishing children of %s = %q, want %q", mode, truncate, span, got, want)
						}
					}
					checkInvariants(t, b.t, p, false)
				}
			}
		})
	}
}

func TestAppendChildren(t *testing.T) {
	b := build(t, []sp{
		{"R", "", 0, 100, false},
		{"A", "R", 10, 30, false}, {"X", "R", 15, 35, false}, {"B", "R", 40, 70, false}, {"C", "R", 80, 90, false},
	})
	p := Compute(b.t)
	got := p.AppendChildren([]int32{-7}, b.idx["R"])
	var names []string
	for _, i := range got[1:] {
		names = append(names, b.names[i])
	}
	if got[0] != -7 || !slices.Equal(names, []string{"X", "B", "C"}) {
		t.Errorf("AppendChildren = %v (%q), want [-7] then X, B, C", got, names)
	}
	if got := p.AppendChildren(nil, b.idx["A"]); len(got) != 0 {
		t.Errorf("AppendChildren(off-path A) = %v, want none", got)
	}
	if got := p.AppendChildren(nil, 99); got != nil {
		t.Errorf("AppendChildren(out of range) = %v, want nil", got)
	}
}

func TestComputeBadInput(t *testing.T) {
	if p := Compute(nil); len(p.Self) != 0 || len(p.OnPath) != 0 {
		t.Errorf("Compute(nil) = %+v", p)
	}
	// Spans but never sorted or linked: Parent is nil.
	tr := &trace.Trace{Spans: []trace.Span{{Start: 0, End: 10}, {Start: 2, End: 4}}}
	p := Compute(tr)
	if len(p.Self) != 2 || p.OnPath[0] || p.OnPath[1] {
		t.Errorf("Compute(unlinked) = %+v, want 2 spans off the path", p)
	}
	if s := p.Sections(tr, 0); s != nil {
		t.Errorf("Sections on an unlinked trace = %v, want nil", s)
	}
	// Sorted but not linked: Roots is empty, nothing is computed.
	tr.SortSpans()
	p = Compute(tr)
	if p.OnPath[0] || p.OnPath[1] {
		t.Errorf("Compute(not linked) put spans on the path: %+v", p)
	}
	b := build(t, []sp{{"R", "", 0, 10, false}, {"A", "R", 2, 4, false}})
	p = Compute(b.t)
	for _, root := range []int32{-1, b.idx["A"], b.idx["A"] + 100} { // not a root
		if s := p.Sections(b.t, root); s != nil {
			t.Errorf("Sections(%d) = %v, want nil", root, s)
		}
	}
	if s := p.Sections(nil, 0); s != nil {
		t.Errorf("Sections(nil trace) = %v, want nil", s)
	}
}

func TestSmallOverlap(t *testing.T) {
	const maxInt = 1<<63 - 1
	tests := []struct {
		overlap, duration int64
		want              bool
	}{
		{0, 100, true}, {0, 1, true}, {0, 0, false},
		{1, 100, false}, {1, 101, true}, {1, 199, true}, {2, 200, false}, {2, 201, true},
		{9, 1000, true}, {10, 1000, false},
		{maxInt / 100, maxInt, true}, {maxInt/100 + 1, maxInt, false},
	}
	for _, tc := range tests {
		if got := smallOverlap(tc.overlap, tc.duration); got != tc.want {
			t.Errorf("smallOverlap(%d, %d) = %v, want %v", tc.overlap, tc.duration, got, tc.want)
		}
	}
}

func TestDeepChain(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))
	const n = 100_000
	spans := make([]sp, n)
	for k := range spans {
		spans[k] = sp{name: "s" + itoa(k), start: int64(k), end: int64(2*n - k)}
		if k > 0 {
			spans[k].parent = spans[k-1].name
		}
	}
	b := build(t, spans)
	p := Compute(b.t)
	for i, s := range p.Self {
		if !p.OnPath[i] || s != 2 {
			t.Fatalf("span %s: OnPath %v Self %d, want on the path with 2", b.names[i], p.OnPath[i], s)
		}
	}
	secs := p.Sections(b.t, b.t.Roots[0])
	if len(secs) != 2*n-1 {
		t.Errorf("%d sections, want %d", len(secs), 2*n-1)
	}
	checkInvariants(t, b.t, p, false)
}

func TestWideFanOut(t *testing.T) {
	const w = 200_000
	t.Run("sequential", func(t *testing.T) {
		spans := []sp{{name: "R", start: 0, end: 2*w + 1}}
		for k := range w {
			spans = append(spans, sp{"c" + itoa(k), "R", int64(2*k + 1), int64(2*k + 2), false})
		}
		b := build(t, spans)
		p := Compute(b.t)
		if got := p.Self[b.idx["R"]]; got != w+1 {
			t.Errorf("root Self = %d, want %d", got, w+1)
		}
		for i := range b.t.Spans {
			if !p.OnPath[i] || (b.names[i] != "R" && p.Self[i] != 1) {
				t.Fatalf("span %s: OnPath %v Self %d", b.names[i], p.OnPath[i], p.Self[i])
			}
		}
		if got := len(p.Sections(b.t, b.t.Roots[0])); got != 2*w+1 {
			t.Errorf("%d sections, want %d", got, 2*w+1)
		}
		checkInvariants(t, b.t, p, false)
	})
	t.Run("parallel", func(t *testing.T) {
		spans := []sp{{name: "R", start: 0, end: w + 1}}
		for k := range w {
			spans = append(spans, sp{"c" + itoa(k), "R", 1, w, false})
		}
		b := build(t, spans)
		p := Compute(b.t)
		want := map[string]int64{"R": 2, "c0": w - 1}
		if got := b.selfByName(p); !maps.Equal(got, want) {
			t.Errorf("Self = %v, want %v", got, want)
		}
		checkInvariants(t, b.t, p, false)
	})
}

func itoa(k int) string {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + k%10)
		k /= 10
		if k == 0 {
			return string(buf[i:])
		}
	}
}

// reference is a direct, recursive, quadratic transcription of CRISP's
// computeCriticalPath and happensBefore with this package's documented
// changes (clipping as the Jaeger UI, async children skipped, "<=" for
// touching siblings, ties to the earlier start then the lower index). It is
// the oracle for the randomized comparison. skewUsed reports whether the
// clock-skew rule chained anything.
func reference(tr *trace.Trace) (self []int64, on []bool, skewUsed bool) {
	n := len(tr.Spans)
	self, on = make([]int64, n), make([]bool, n)
	type kid struct {
		i    int32
		s, e int64
	}
	var visit func(i int32, s, e int64)
	visit = func(i int32, s, e int64) {
		on[i] = true
		var kids, cands []kid
		for _, c := range tr.Children(i) {
			sp := &tr.Spans[c]
			if sp.Async() {
				continue
			}
			cs, ce := max(sp.Start, s), min(sp.End, e)
			if cs < ce {
				kids = append(kids, kid{c, cs, ce})
				cands = append(cands, kid{c, cs, ce})
			} else if sp.Start == sp.End && s <= sp.Start && sp.Start <= e {
				kids = append(kids, kid{c, cs, ce})
			}
		}
		sort.Slice(cands, func(a, b int) bool {
			x, y := cands[a], cands[b]
			if x.e != y.e {
				return x.e > y.e
			}
			if x.s != y.s {
				return x.s < y.s
			}
			return x.i < y.i
		})
		hb := func(cn, l kid) bool {
			if cn.e <= l.s {
				return true
			}
			if cn.e < l.e && cn.s < l.s && float64(cn.e-l.s)/float64(e-s) < 0.01 {
				events := 0
				for _, k := range kids {
					if k.s >= l.s && k.s <= cn.e {
						events++
					}
					if k.e >= l.s && k.e <= cn.e {
						events++
					}
				}
				if events == 2 {
					skewUsed = true
					return true
				}
			}
			return false
		}
		own := e - s
		var lrc *kid
		for k := range cands {
			if lrc == nil || hb(cands[k], *lrc) {
				visit(cands[k].i, cands[k].s, cands[k].e)
				own -= cands[k].e - cands[k].s
				lrc = &cands[k]
			}
		}
		self[i] = max(own, 0)
	}
	for _, r := range tr.Roots {
		s := &tr.Spans[r]
		visit(r, s.Start, max(s.Start, s.End))
	}
	return self, on, skewUsed
}

// randomTrace builds a random forest of up to maxSpans spans whose windows
// are drawn so that ties, touching siblings, overflows and overlaps of under
// 1% of the parent all occur.
func randomTrace(t testing.TB, r *rand.Rand, maxSpans int) built {
	n := 1 + r.IntN(maxSpans)
	spans := make([]sp, 0, n)
	for k := range n {
		s := sp{name: "s" + itoa(k)}
		if k == 0 || r.IntN(8) == 0 {
			s.start = int64(r.IntN(3000))
			s.end = s.start + int64(r.IntN(2000))
			spans = append(spans, s)
			continue
		}
		par := spans[r.IntN(len(spans))]
		s.parent = par.name
		d := max(par.end-par.start, 1)
		switch r.IntN(4) {
		case 0: // anywhere around the parent, on a coarse grid (ties, touches)
			q := max(d/10, 1)
			s.start = par.start - q + q*int64(r.IntN(13))
			s.end = s.start + q*int64(r.IntN(6))
		case 1: // right after a sibling, overlapping it slightly
			sib := spans[r.IntN(len(spans))]
			s.start = sib.end - int64(r.IntN(int(d/50+2)))
			s.end = s.start + 1 + int64(r.IntN(int(d/3+1)))
		default: // inside the parent
			s.start = par.start + int64(r.IntN(int(d)))
			s.end = s.start + int64(r.IntN(int(par.end-s.start+1)))
		}
		s.async = r.IntN(10) == 0
		spans = append(spans, s)
	}
	return build(t, spans)
}

func TestComputeMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	skewCases := 0
	for iter := range 4000 {
		b := randomTrace(t, r, 40)
		p := Compute(b.t)
		self, on, skew := reference(b.t)
		if skew {
			skewCases++
		}
		if !slices.Equal(p.Self, self) || !slices.Equal(p.OnPath, on) {
			t.Fatalf("trace %d differs from the reference:\n%s\nSelf %v\nwant %v\nOnPath %v\nwant   %v",
				iter, describe(b), p.Self, self, p.OnPath, on)
		}
		checkInvariants(t, b.t, p, skew)
	}
	t.Logf("%d of 4000 random traces used the skew rule", skewCases)
	if skewCases < 50 {
		t.Errorf("only %d random traces exercised the skew rule", skewCases)
	}
}

func describe(b built) string {
	var sb strings.Builder
	for i, s := range b.t.Spans {
		parent := ""
		if p := b.t.Parent[i]; p >= 0 {
			parent = b.names[p]
		}
		sb.WriteString(b.names[i] + " parent=" + parent + " [" + itoa64(s.Start) + "," + itoa64(s.End) + "]")
		if s.Async() {
			sb.WriteString(" async")
		}
		sb.WriteString("\n")
	}
	return sb.String()
}

func itoa64(v int64) string {
	if v < 0 {
		return "-" + itoa(int(-v))
	}
	return itoa(int(v))
}

// FuzzCompute checks that Compute never panics, keeps its invariants and
// agrees with the reference on arbitrary small forests, and that JaegerUI
// mode agrees with referenceUI.
func FuzzCompute(f *testing.F) {
	f.Add([]byte{0, 0, 100, 1, 10, 30, 1, 40, 70})
	f.Add([]byte{0, 0, 200, 1, 2, 42, 1, 41, 90, 1, 89, 150, 2, 3, 5})
	f.Add([]byte{0, 50, 40, 1, 0, 255, 255, 255, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var spans []sp
		for k := 0; k+2 < len(data) && len(spans) < 64; k += 3 {
			s := sp{name: "s" + itoa(len(spans)), start: int64(data[k+1]) * 4, end: int64(data[k+2]) * 4}
			if pk := int(data[k]); len(spans) > 0 && pk%16 != 0 {
				s.parent = spans[pk%len(spans)].name
				s.async = pk&0x80 != 0
			}
			spans = append(spans, s)
		}
		if len(spans) == 0 {
			return
		}
		b := build(t, spans)
		p := Compute(b.t)
		self, on, skew := reference(b.t)
		if !slices.Equal(p.Self, self) || !slices.Equal(p.OnPath, on) {
			t.Fatalf("differs from the reference:\n%s\nSelf %v\nwant %v", describe(b), p.Self, self)
		}
		checkInvariants(t, b.t, p, skew || hasNegative(b.t))
		checkUI(t, b)
	})
}

func hasNegative(tr *trace.Trace) bool {
	for i := range tr.Spans {
		if tr.Spans[i].End < tr.Spans[i].Start {
			return true
		}
	}
	return false
}
