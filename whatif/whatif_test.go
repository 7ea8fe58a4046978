package whatif_test

import (
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
	"github.com/syncaudit/syncaudit/whatif"
)

// change names spans of a hand-written trace.
type change struct {
	detach   []string
	parallel [][]string
}

func (c change) resolve(idx map[string]int32) whatif.Change {
	ch := whatif.Change{Detach: ids(idx, c.detach...)}
	for _, g := range c.parallel {
		ch.Parallel = append(ch.Parallel, ids(idx, g...))
	}
	return ch
}

// checkout: payment, email and analytics called one after the other.
var sequential = []sp{
	{name: "root", start: 0, end: 650},
	{name: "payment", parent: "root", start: 0, end: 100},
	{name: "email", parent: "root", start: 100, end: 600},
	{name: "analytics", parent: "root", start: 600, end: 650},
}

// email called in parallel with payment; analytics after both.
var overlapping = []sp{
	{name: "root", start: 0, end: 550},
	{name: "email", parent: "root", start: 0, end: 500},
	{name: "payment", parent: "root", start: 0, end: 100},
	{name: "analytics", parent: "root", start: 500, end: 550},
}

// the same callee called three times in a loop, with the caller's own work
// between calls.
var loop = []sp{
	{name: "root", start: 0, end: 400},
	{name: "load", parent: "root", start: 0, end: 50},
	{name: "notify1", parent: "root", start: 60, end: 140},
	{name: "notify2", parent: "root", start: 150, end: 230},
	{name: "notify3", parent: "root", start: 240, end: 320},
	{name: "save", parent: "root", start: 330, end: 390},
}

// nested: email's subtree holds a template render and an SMTP call.
var nested = []sp{
	{name: "root", start: 0, end: 700},
	{name: "payment", parent: "root", start: 0, end: 100},
	{name: "email", parent: "root", start: 100, end: 600},
	{name: "render", parent: "email", start: 110, end: 200},
	{name: "smtp", parent: "email", start: 200, end: 590},
	{name: "dns", parent: "smtp", start: 200, end: 300},
	{name: "analytics", parent: "root", start: 600, end: 650},
}

// two independent reads in sequence, then 10ms of the caller's own work.
var reads = []sp{
	{name: "root", start: 0, end: 260},
	{name: "readA", parent: "root", start: 0, end: 100},
	{name: "readB", parent: "root", start: 100, end: 250},
}

// three reads in sequence under one parent, a fourth elsewhere, and a
// consumer of the first read.
var reads3 = []sp{
	{name: "root", start: 0, end: 500},
	{name: "api", parent: "root", start: 0, end: 400},
	{name: "r1", parent: "api", start: 0, end: 100},
	{name: "r2", parent: "api", start: 100, end: 200},
	{name: "r3", parent: "api", start: 200, end: 350},
	{name: "use", parent: "api", start: 350, end: 400},
	{name: "other", parent: "root", start: 400, end: 450},
	{name: "queued", parent: "api", start: 100, end: 900, async: true},
}

// async children never gate their parent.
var withAsync = []sp{
	{name: "root", start: 0, end: 300},
	{name: "db", parent: "root", start: 0, end: 300},
	{name: "publish", parent: "root", start: 100, end: 110},
	{name: "consume", parent: "publish", start: 120, end: 900, async: true},
	{name: "work", parent: "consume", start: 130, end: 800},
	{name: "fire", parent: "root", start: 50, end: 1000, async: true},
}

// zero-length spans, some at the same instant.
var zeros = []sp{
	{name: "root", start: 0, end: 100},
	{name: "z1", parent: "root", start: 0, end: 0},
	{name: "z2", parent: "root", start: 0, end: 0},
	{name: "a", parent: "root", start: 0, end: 40},
	{name: "z3", parent: "root", start: 40, end: 40},
	{name: "b", parent: "root", start: 40, end: 90},
	{name: "z4", parent: "a", start: 40, end: 40},
	{name: "z5", parent: "z1", start: 0, end: 0},
}

// skewed: children outside the parent's window.
var skewed = []sp{
	{name: "root", start: 0, end: 300},
	{name: "early", parent: "root", start: -20, end: 100},
	{name: "late", parent: "root", start: 100, end: 310},
	{name: "inner", parent: "late", start: 120, end: 300},
}

func TestSimulate(t *testing.T) {
	tests := []struct {
		name   string
		spans  []sp
		root   string
		ch     change
		cost   int64 // ns
		saving int64 // ns
	}{
		{"sequential detach email", sequential, "root", change{detach: []string{"email"}}, 0, 500 * ms},
		{"sequential detach email cost 1ms", sequential, "root", change{detach: []string{"email"}}, 1 * ms, 499 * ms},
		{"sequential detach last", sequential, "root", change{detach: []string{"analytics"}}, 0, 50 * ms},
		{"sequential detach all", sequential, "root", change{detach: []string{"payment", "email", "analytics"}}, 0, 650 * ms},
		{"overlapping detach email", overlapping, "root", change{detach: []string{"email"}}, 0, 400 * ms},
		{"overlapping detach payment", overlapping, "root", change{detach: []string{"payment"}}, 0, 0},
		{"loop detach one", loop, "root", change{detach: []string{"notify2"}}, 0, 80 * ms},
		{"loop detach all three", loop, "root", change{detach: []string{"notify1", "notify2", "notify3"}}, 0, 240 * ms},
		{"loop detach all three cost 2ms", loop, "root", change{detach: []string{"notify1", "notify2", "notify3"}}, 2 * ms, 234 * ms},
		{"nested detach inner", nested, "root", change{detach: []string{"smtp"}}, 0, 390 * ms},
		{"nested detach deepest", nested, "root", change{detach: []string{"dns"}}, 0, 100 * ms},
		{"nested detach outer", nested, "root", change{detach: []string{"email"}}, 0, 500 * ms},
		{"nested detach outer and inner", nested, "root", change{detach: []string{"dns", "email", "smtp"}}, 0, 500 * ms},
		{"nested detach outer and inner cost", nested, "root", change{detach: []string{"smtp", "email"}}, 3 * ms, 497 * ms},
		{"nested simulate subtree", nested, "email", change{detach: []string{"smtp"}}, 0, 390 * ms},
		{"detach outside subtree", nested, "email", change{detach: []string{"payment"}}, 0, 0},
		{"detach root ignored", sequential, "root", change{detach: []string{"root"}}, 0, 0},
		{"parallel reads", reads, "root", change{parallel: [][]string{{"readA", "readB"}}}, 0, 100 * ms},
		{"parallel reads listed twice", reads, "root", change{parallel: [][]string{{"readB", "readA", "readB"}}}, 0, 100 * ms},
		{"parallel group of one", reads, "root", change{parallel: [][]string{{"readB"}}}, 0, 0},
		{"parallel empty group", reads, "root", change{parallel: [][]string{{}}}, 0, 0},
		{"parallel and detach", reads, "root", change{detach: []string{"readB"}, parallel: [][]string{{"readA", "readB"}}}, 0, 150 * ms},
		// r1..r3 start together: api ends at max(100,100,150)+50 = 200.
		{"parallel three", reads3, "root", change{parallel: [][]string{{"r1", "r2", "r3"}}}, 0, 200 * ms},
		// Groups sharing a member are merged.
		{"parallel merged", reads3, "root", change{parallel: [][]string{{"r1", "r2"}, {"r3", "r2"}}}, 0, 200 * ms},
		// "use" waited on r3 only, so on the whole group: r2 and r3 together.
		{"parallel later pair", reads3, "root", change{parallel: [][]string{{"r2", "r3"}}}, 0, 100 * ms},
		// r1 and "other" have different parents: two groups of one.
		{"parallel split by parent", reads3, "root", change{parallel: [][]string{{"r1", "other"}}}, 0, 0},
		{"parallel async member ignored", reads3, "root", change{parallel: [][]string{{"r1", "queued"}}}, 0, 0},
		{"async child detach", withAsync, "root", change{detach: []string{"fire"}}, 0, 0},
		{"inside async detach", withAsync, "root", change{detach: []string{"work"}}, 0, 0},
		{"sync child of async root", withAsync, "consume", change{detach: []string{"work"}}, 0, 670 * ms},
		{"zero-length detach", zeros, "root", change{detach: []string{"z1", "z2", "z3", "z4", "z5"}}, 0, 0},
		{"zero-length detach a", zeros, "root", change{detach: []string{"a"}}, 0, 40 * ms},
		{"zero-length parallel", zeros, "root", change{parallel: [][]string{{"a", "b"}}}, 0, 40 * ms},
		// early is clipped to 0-100: detaching it saves 100ms, not 120.
		{"skewed early", skewed, "root", change{detach: []string{"early"}}, 0, 100 * ms},
		// late is clipped to 100-300; its subtree saves 180 of its 210ms.
		{"skewed inner", skewed, "root", change{detach: []string{"inner"}}, 0, 180 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, idx := build(t, tt.spans)
			m := whatif.NewModel(tr)
			root := idx[tt.root]
			ch := tt.ch.resolve(idx)
			got := m.Simulate(root, ch, tt.cost)
			if want := m.Duration(root) - tt.saving; got != want {
				t.Errorf("Simulate = %v ms, want %v ms (saving %v ms)",
					float64(got)/float64(ms), float64(want)/float64(ms), float64(tt.saving)/float64(ms))
			}
			if s := m.Saving(root, ch, tt.cost); s != tt.saving {
				t.Errorf("Saving = %d, want %d", s, tt.saving)
			}
			if s := m.Saving(root, ch, tt.cost); tt.cost == 0 && s < 0 {
				t.Errorf("Saving = %d < 0 with no enqueue cost", s)
			}
			if ref := refSimulate(tr, root, ch, tt.cost); len(tt.ch.parallel) == 0 && ref != got {
				t.Errorf("reference = %d, Simulate = %d", ref, got)
			}
			if b := m.Baseline(root); b != m.Duration(root) {
				t.Errorf("Baseline = %d, want %d", b, m.Duration(root))
			}
		})
	}
}

func TestSimulateNoChange(t *testing.T) {
	for _, specs := range [][]sp{sequential, overlapping, loop, nested, reads, reads3, withAsync, zeros, skewed} {
		tr, _ := build(t, specs)
		m := whatif.NewModel(tr)
		for i := range int32(tr.Len()) {
			if got, want := m.Simulate(i, whatif.Change{}, 5*ms), m.Duration(i); got != want {
				t.Errorf("%s: Simulate(no change) = %d, want %d", specs[i].name, got, want)
			}
			if got, want := m.Baseline(i), m.Duration(i); got != want {
				t.Errorf("%s: Baseline = %d, want %d", specs[i].name, got, want)
			}
		}
	}
}

func TestInvalidInput(t *testing.T) {
	tr, idx := build(t, sequential)
	m := whatif.NewModel(tr)
	root := idx["root"]
	for _, ch := range []whatif.Change{
		{Detach: []int32{-1, 4, 1 << 30}},
		{Parallel: [][]int32{{-5, 99}, nil, {idx["email"], 77}}},
	} {
		if got := m.Simulate(root, ch, 0); got != 650*ms {
			t.Errorf("Simulate(%v) = %d, want unchanged %d", ch, got, 650*ms)
		}
	}
	for _, r := range []int32{-1, 4} {
		if m.Simulate(r, whatif.Change{}, 0) != 0 || m.Baseline(r) != 0 || m.Saving(r, whatif.Change{}, 0) != 0 || m.Duration(r) != 0 {
			t.Errorf("root %d out of range: want zeros", r)
		}
	}
	// A negative enqueue cost counts as zero.
	if got := m.Saving(root, whatif.Change{Detach: []int32{idx["email"]}}, -ms); got != 500*ms {
		t.Errorf("negative cost: saving %d, want %d", got, 500*ms)
	}
}

func TestMalformedTrace(t *testing.T) {
	// Unlinked, with a cycle (1 -> 2 -> 1), an out-of-range parent, a
	// self-parent and a negative duration.
	tr := &trace.Trace{
		Spans: []trace.Span{
			{Start: 0, End: 100},
			{Start: 10, End: 50},
			{Start: 20, End: 30},
			{Start: 40, End: 20},
			{Start: 0, End: 10},
		},
		Parent: []int32{-1, 2, 1, 99, 4},
	}
	m := whatif.NewModel(tr)
	for i := range int32(5) {
		if got, want := m.Baseline(i), m.Duration(i); got != want {
			t.Errorf("Baseline(%d) = %d, want %d", i, got, want)
		}
		for j := range int32(5) {
			_ = m.Simulate(i, whatif.Change{Detach: []int32{j}, Parallel: [][]int32{{0, 1, 2, 3, 4}}}, 1)
		}
	}
	if m.Duration(3) != 0 {
		t.Errorf("negative duration: Duration = %d, want 0", m.Duration(3))
	}
	// Parent shorter than Spans.
	short := &trace.Trace{Spans: []trace.Span{{Start: 0, End: 10}, {Start: 1, End: 5}}, Parent: []int32{-1}}
	if got := whatif.NewModel(short).Simulate(1, whatif.Change{Detach: []int32{0}}, 0); got != 4 {
		t.Errorf("short Parent: Simulate = %d, want 4", got)
	}
}

// TestBaselineRandom: with no change the model reproduces every span's
// duration exactly, whatever the shape of the tree.
func TestBaselineRandom(t *testing.T) {
	for seed := range uint64(300) {
		r := rand.New(rand.NewPCG(seed, 1))
		tr := randomTree(r, 2+r.IntN(300))
		m := whatif.NewModel(tr)
		for i := range int32(tr.Len()) {
			if got, want := m.Baseline(i), m.Duration(i); got != want {
				t.Fatalf("seed %d span %d: Baseline = %d, want %d", seed, i, got, want)
			}
		}
	}
}

// randomChange picks random detached spans and disjoint sibling groups.
func randomChange(r *rand.Rand, tr *trace.Trace) whatif.Change {
	var ch whatif.Change
	n := tr.Len()
	for range r.IntN(6) {
		ch.Detach = append(ch.Detach, int32(r.IntN(n)))
	}
	var parents []int32
	for i := range int32(n) {
		if len(tr.Children(i)) >= 2 {
			parents = append(parents, i)
		}
	}
	used := map[int32]bool{}
	for range r.IntN(4) {
		if len(parents) == 0 {
			break
		}
		kids := tr.Children(parents[r.IntN(len(parents))])
		var g []int32
		for _, c := range kids {
			if !used[c] && r.IntN(2) == 0 {
				used[c] = true
				g = append(g, c)
			}
		}
		ch.Parallel = append(ch.Parallel, g)
	}
	return ch
}

// TestSimulateMatchesReference compares Simulate with a brute-force
// re-simulation of the whole tree on random trees and random changes.
func TestSimulateMatchesReference(t *testing.T) {
	for seed := range uint64(1500) {
		r := rand.New(rand.NewPCG(seed, 2))
		tr := randomTree(r, 2+r.IntN(120))
		m := whatif.NewModel(tr)
		for range 8 {
			ch := randomChange(r, tr)
			root := int32(0)
			if r.IntN(4) == 0 {
				root = int32(r.IntN(tr.Len()))
			}
			cost := int64(r.IntN(3))
			got := m.Simulate(root, ch, cost)
			if want := refSimulate(tr, root, ch, cost); got != want {
				t.Fatalf("seed %d root %d cost %d change %+v: Simulate = %d, reference = %d", seed, root, cost, ch, got, want)
			}
		}
	}
}

// TestDetachNeverIncreases: with no enqueue cost, detaching spans never makes
// a request slower, and detaching more never saves less.
func TestDetachNeverIncreases(t *testing.T) {
	for seed := range uint64(500) {
		r := rand.New(rand.NewPCG(seed, 3))
		tr := randomTree(r, 2+r.IntN(200))
		m := whatif.NewModel(tr)
		var detach []int32
		prev := m.Duration(0)
		for range 10 {
			detach = append(detach, int32(r.IntN(tr.Len())))
			got := m.Simulate(0, whatif.Change{Detach: detach}, 0)
			if got > prev {
				t.Fatalf("seed %d: detaching %v gives %d, more than %d with one fewer", seed, detach, got, prev)
			}
			if got < 0 {
				t.Fatalf("seed %d: negative duration %d", seed, got)
			}
			prev = got
		}
	}
}

// chain builds a depth-deep chain; span i spans [10i, 10(2n-i)] ns.
func chain(n int) *trace.Trace {
	tr := &trace.Trace{Spans: make([]trace.Span, n), Parent: make([]int32, n)}
	for i := range n {
		tr.Spans[i] = trace.Span{Start: int64(10 * i), End: int64(10 * (2*n - i))}
		tr.Spans[i].SpanID[4], tr.Spans[i].SpanID[5], tr.Spans[i].SpanID[6], tr.Spans[i].SpanID[7] = 1, byte(i>>16), byte(i>>8), byte(i)
		tr.Parent[i] = int32(i - 1)
	}
	tr.Link()
	return tr
}

// fanout builds a root with n sequential 10ns children.
func fanout(n int) *trace.Trace {
	tr := &trace.Trace{Spans: make([]trace.Span, n+1), Parent: make([]int32, n+1)}
	tr.Spans[0] = trace.Span{Start: 0, End: int64(10 * n)}
	tr.Parent[0] = -1
	for i := 1; i <= n; i++ {
		tr.Spans[i] = trace.Span{Start: int64(10 * (i - 1)), End: int64(10 * i)}
		tr.Parent[i] = 0
	}
	tr.Link()
	return tr
}

func TestDeepAndWide(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))

	const depth = 100_000
	m := whatif.NewModel(chain(depth))
	if got, want := m.Baseline(0), m.Duration(0); got != want {
		t.Errorf("chain: Baseline = %d, want %d", got, want)
	}
	// The deepest span lasts 20ns; every ancestor saves exactly that.
	if got := m.Saving(0, whatif.Change{Detach: []int32{depth - 1}}, 0); got != 20 {
		t.Errorf("chain: detach deepest saves %d, want 20", got)
	}
	if got := m.Saving(0, whatif.Change{Detach: []int32{depth - 1, depth / 2, 1}}, 0); got != m.Duration(1) {
		t.Errorf("chain: nested detach saves %d, want %d", got, m.Duration(1))
	}

	const width = 200_000
	m = whatif.NewModel(fanout(width))
	if got, want := m.Baseline(0), m.Duration(0); got != want {
		t.Errorf("fan-out: Baseline = %d, want %d", got, want)
	}
	if got := m.Saving(0, whatif.Change{Detach: []int32{width / 2}}, 0); got != 10 {
		t.Errorf("fan-out: detach one saves %d, want 10", got)
	}
	all := make([]int32, width)
	for i := range all {
		all[i] = int32(i + 1)
	}
	if got := m.Simulate(0, whatif.Change{Detach: all}, 0); got != 0 {
		t.Errorf("fan-out: detach all gives %d, want 0", got)
	}
	if got := m.Simulate(0, whatif.Change{Detach: all}, 1); got != width {
		t.Errorf("fan-out: detach all at 1ns gives %d, want %d", got, width)
	}
	if got := m.Simulate(0, whatif.Change{Parallel: [][]int32{all}}, 0); got != 10 {
		t.Errorf("fan-out: all in parallel gives %d, want 10", got)
	}
}

// wide builds the benchmark shape: a root with `subtrees` sequential
// subtrees of 26 spans (a handler calling 5 services in turn, each making 4
// calls in turn), 100ns of own work before every call. It returns the trace
// and, per subtree, the index of its third service call.
func wide(subtrees int) (*trace.Trace, []int32) {
	const leaf, gap = 1000, 100
	const call = gap + 4*(leaf+gap)    // 4500
	const handler = gap + 5*(call+gap) // 23100
	n := 1 + 26*subtrees
	tr := &trace.Trace{Spans: make([]trace.Span, 0, n), Parent: make([]int32, 0, n)}
	add := func(parent int32, start, dur int64) int32 {
		i := int32(len(tr.Spans))
		s := trace.Span{Start: base + start, End: base + start + dur}
		s.SpanID[4], s.SpanID[5], s.SpanID[6], s.SpanID[7] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
		tr.Spans = append(tr.Spans, s)
		tr.Parent = append(tr.Parent, parent)
		return i
	}
	add(-1, 0, int64(gap+subtrees*(handler+gap)))
	third := make([]int32, 0, subtrees)
	at := int64(gap)
	for range subtrees {
		h := add(0, at, handler)
		ct := at + gap
		for k := range 5 {
			c := add(h, ct, call)
			if k == 2 {
				third = append(third, c)
			}
			lt := ct + gap
			for range 4 {
				add(c, lt, leaf)
				lt += leaf + gap
			}
			ct += call + gap
		}
		at += handler + gap
	}
	tr.Link()
	return tr, third
}

func TestWide(t *testing.T) {
	subtrees := 38_500
	if testing.Short() {
		subtrees = 1_000
	}
	tr, third := wide(subtrees)
	if tr.Len() != 1+26*subtrees {
		t.Fatalf("built %d spans", tr.Len())
	}
	m := whatif.NewModel(tr)
	if got, want := m.Baseline(0), m.Duration(0); got != want {
		t.Fatalf("Baseline = %d, want %d", got, want)
	}
	if got, want := m.Saving(0, whatif.Change{Detach: third}, 0), int64(4500*subtrees); got != want {
		t.Errorf("detach one call per subtree saves %d, want %d", got, want)
	}
	if got, want := m.Saving(0, whatif.Change{Detach: third}, 500), int64(4000*subtrees); got != want {
		t.Errorf("at 500ns per enqueue saves %d, want %d", got, want)
	}
}

func BenchmarkSimulateWide(b *testing.B) {
	tr, third := wide(38_500)
	m := whatif.NewModel(tr)
	ch := whatif.Change{Detach: third}
	want := m.Duration(0) - 4500*38_500
	b.ResetTimer()
	for b.Loop() {
		if m.Simulate(0, ch, 0) != want {
			b.Fatal("wrong result")
		}
	}
}

func BenchmarkSimulateWideOne(b *testing.B) {
	tr, third := wide(38_500)
	m := whatif.NewModel(tr)
	ch := whatif.Change{Detach: third[len(third)/2:][:1]}
	for b.Loop() {
		m.Simulate(0, ch, 0)
	}
}

func BenchmarkNewModelWide(b *testing.B) {
	tr, _ := wide(38_500)
	for b.Loop() {
		whatif.NewModel(tr)
	}
}

// TestConcurrent: a Model is shared by goroutines (run with -race).
func TestConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	tr := randomTree(r, 400)
	m := whatif.NewModel(tr)
	changes := make([]whatif.Change, 64)
	want := make([]int64, len(changes))
	for i := range changes {
		changes[i] = randomChange(r, tr)
		want[i] = m.Simulate(0, changes[i], 1)
	}
	errs := make(chan string, 4*len(changes))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for k := range changes {
				i := (k + 16*w) % len(changes)
				if got := m.Simulate(0, changes[i], 1); got != want[i] {
					errs <- fmt.Sprintf("change %d: %d, want %d", i, got, want[i])
				}
				if m.Baseline(0) != m.Duration(0) {
					errs <- "baseline differs"
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
