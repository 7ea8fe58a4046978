package whatif_test

import (
	"math/rand/v2"
	"runtime/debug"
	"testing"

	"github.com/syncaudit/syncaudit/whatif"
)

// calling: a checkout calls payment, then email, then analytics; each
// CLIENT span holds the callee's SERVER span, 5ms inside it at both ends.
var calling = []sp{
	{name: "root", start: 0, end: 700},
	{name: "payClient", parent: "root", start: 0, end: 100},
	{name: "payServer", parent: "payClient", start: 5, end: 95},
	{name: "emailClient", parent: "root", start: 100, end: 600},
	{name: "emailServer", parent: "emailClient", start: 105, end: 595},
	{name: "analytics", parent: "root", start: 600, end: 650},
	{name: "audit", parent: "root", start: 10, end: 900, async: true},
}

// stretch names a stretched span of a hand-written trace.
type stretch struct {
	span  string
	extra int64 // ms
}

// TestSimulateStretched: hand-computed re-simulations with stretched
// spans, alone and composed with detached and parallel calls.
func TestSimulateStretched(t *testing.T) {
	tests := []struct {
		name    string
		spans   []sp
		root    string
		ch      change
		st      []stretch
		cost    int64 // ns
		wantDur int64 // ms
	}{
		{"no stretch", calling, "root", change{}, nil, 0, 700},
		{"zero stretch", calling, "root", change{}, []stretch{{"payServer", 0}}, 0, 700},
		// payServer 90→590ms: payClient 600ms, email 600-1100, analytics to 1150, +50 tail.
		{"server +500", calling, "root", change{}, []stretch{{"payServer", 500}}, 0, 1200},
		{"client +500", calling, "root", change{}, []stretch{{"payClient", 500}}, 0, 1200},
		{"listed twice adds up", calling, "root", change{}, []stretch{{"payServer", 200}, {"payServer", 300}}, 0, 1200},
		{"two services", calling, "root", change{}, []stretch{{"payServer", 100}, {"emailServer", 50}}, 0, 850},
		{"last call +500", calling, "root", change{}, []stretch{{"analytics", 500}}, 0, 1200},
		// The plan detaches payment: it costs 1ms, however slow payment is.
		{"detached client", calling, "root", change{detach: []string{"payClient"}}, []stretch{{"payServer", 500}}, 1 * ms, 601},
		{"detached server itself", calling, "root", change{detach: []string{"payServer"}}, []stretch{{"payServer", 500}}, 1 * ms, 611},
		{"detach one, slow the other", calling, "root", change{detach: []string{"payClient"}}, []stretch{{"emailServer", 500}}, 1 * ms, 1101},
		{"async span", calling, "root", change{}, []stretch{{"audit", 500}}, 0, 700},
		{"root itself", calling, "root", change{}, []stretch{{"root", 30}}, 0, 730},
		{"outside the subtree", calling, "emailClient", change{}, []stretch{{"payServer", 500}}, 0, 500},
		{"subtree root", calling, "emailClient", change{}, []stretch{{"emailServer", 500}}, 0, 1000},
		// Shorter, never below zero: payServer 0ms, payClient 10ms.
		{"negative clamps", calling, "root", change{}, []stretch{{"payServer", -1000}}, 0, 610},
		// payment (0-100) overlaps email (0-500): 300ms more stays hidden,
		// 500ms more ends at 600 and analytics follows.
		{"hidden by a slower sibling", overlapping, "root", change{}, []stretch{{"payment", 300}}, 0, 550},
		{"past the slower sibling", overlapping, "root", change{}, []stretch{{"payment", 500}}, 0, 650},
		// readA and readB start together (group ends at 150, then the
		// 10ms tail): readA +50 ends with readB, +200 at 300.
		{"parallel group member", reads, "root", change{parallel: [][]string{{"readA", "readB"}}}, []stretch{{"readA", 50}}, 0, 160},
		{"parallel group member past", reads, "root", change{parallel: [][]string{{"readA", "readB"}}}, []stretch{{"readA", 200}}, 0, 310},
		// Nested stretches add up: smtp +10 makes email +10, email's own +5.
		{"nested", nested, "root", change{}, []stretch{{"smtp", 10}, {"email", 5}}, 0, 715},
		{"inside detached", nested, "root", change{detach: []string{"email"}}, []stretch{{"dns", 100}}, 0, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, idx := build(t, tt.spans)
			m := whatif.NewModel(tr)
			var st []whatif.Stretch
			for _, s := range tt.st {
				st = append(st, whatif.Stretch{Span: idx[s.span], Extra: s.extra * ms})
			}
			got := m.SimulateStretched(idx[tt.root], tt.ch.resolve(idx), st, tt.cost)
			if want := tt.wantDur * ms; got != want {
				t.Errorf("SimulateStretched = %v ms, want %v ms", float64(got)/float64(ms), tt.wantDur)
			}
		})
	}
}

// TestStretches: which entry spans a slowdown stretches, and by how much.
func TestStretches(t *testing.T) {
	// A dependency that calls itself through another service:
	// payServer → fraudClient → fraudServer → payClient2 → payServer2.
	specs := []sp{
		{name: "root", start: 0, end: 300},
		{name: "payClient", parent: "root", start: 0, end: 200},
		{name: "payServer", parent: "payClient", start: 0, end: 200},
		{name: "fraudServer", parent: "payServer", start: 10, end: 110},
		{name: "payServer2", parent: "fraudServer", start: 20, end: 60},
		{name: "shipServer", parent: "root", start: 200, end: 240},
	}
	tests := []struct {
		name    string
		entries []string
		s       whatif.Slowdown
		want    []stretch
	}{
		{"delta", []string{"payServer", "shipServer"}, whatif.Slowdown{Delta: 500 * ms}, []stretch{{"payServer", 500}, {"shipServer", 500}}},
		{"factor of each duration", []string{"payServer", "shipServer"}, whatif.Slowdown{Factor: 3}, []stretch{{"payServer", 400}, {"shipServer", 80}}},
		{"factor and delta", []string{"shipServer"}, whatif.Slowdown{Factor: 1.5, Delta: 1 * ms}, []stretch{{"shipServer", 21}}},
		{"nested entry dropped", []string{"payServer2", "payServer"}, whatif.Slowdown{Delta: 7 * ms}, []stretch{{"payServer", 7}}},
		{"duplicates dropped", []string{"shipServer", "shipServer"}, whatif.Slowdown{Delta: 7 * ms}, []stretch{{"shipServer", 7}}},
		{"factor one", []string{"shipServer"}, whatif.Slowdown{Factor: 1}, nil},
		{"out of range ignored", []string{}, whatif.Slowdown{Delta: 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, idx := build(t, specs)
			m := whatif.NewModel(tr)
			entries := ids(idx, tt.entries...)
			if tt.name == "out of range ignored" {
				entries = []int32{-1, 99}
			}
			got := m.Stretches(idx["root"], entries, tt.s)
			if len(got) != len(tt.want) {
				t.Fatalf("Stretches = %+v, want %+v", got, tt.want)
			}
			for i, w := range tt.want {
				if got[i].Span != idx[w.span] || got[i].Extra != w.extra*ms {
					t.Errorf("stretch %d = %+v, want %s by %d ms", i, got[i], w.span, w.extra)
				}
			}
		})
	}
}

// TestSimulateStretchedProperties checks, on random trees, changes and
// stretches: no stretch (or zero ones) is Simulate; a positive stretch
// never shortens the request and lengthens it by at most the sum of the
// extras; stretching the root adds exactly its extra.
func TestSimulateStretchedProperties(t *testing.T) {
	for seed := range uint64(800) {
		r := rand.New(rand.NewPCG(seed, 7))
		tr := randomTree(r, 2+r.IntN(100))
		m := whatif.NewModel(tr)
		for range 6 {
			ch := randomChange(r, tr)
			cost := int64(r.IntN(3))
			sim := m.Simulate(0, ch, cost)
			if got := m.SimulateStretched(0, ch, nil, cost); got != sim {
				t.Fatalf("seed %d: no stretch = %d, Simulate = %d", seed, got, sim)
			}
			var st, zero []whatif.Stretch
			var sum int64
			for range 1 + r.IntN(4) {
				x := int32(r.IntN(tr.Len()))
				e := int64(r.IntN(50))
				st = append(st, whatif.Stretch{Span: x, Extra: e})
				zero = append(zero, whatif.Stretch{Span: x})
				sum += e
			}
			if got := m.SimulateStretched(0, ch, zero, cost); got != sim {
				t.Fatalf("seed %d: zero stretches = %d, Simulate = %d", seed, got, sim)
			}
			got := m.SimulateStretched(0, ch, st, cost)
			if got < sim || got > sim+sum {
				t.Fatalf("seed %d change %+v stretches %+v: %d, want within [%d, %d]", seed, ch, st, got, sim, sim+sum)
			}
			if got := m.SimulateStretched(0, ch, append(st, whatif.Stretch{Span: 0, Extra: 1000}), cost); got != m.SimulateStretched(0, ch, st, cost)+1000 {
				t.Fatalf("seed %d: stretching the root by 1000 gives %d", seed, got)
			}
		}
	}
}

// TestStretchDeep: a stretch at the bottom of a 100,000-deep chain reaches
// the root, iteratively, and so does Stretches' walk.
func TestStretchDeep(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))
	const depth = 100_000
	m := whatif.NewModel(chain(depth))
	if got, want := m.SimulateStretched(0, whatif.Change{}, []whatif.Stretch{{Span: depth - 1, Extra: 7}}, 0), m.Duration(0)+7; got != want {
		t.Errorf("chain: stretch deepest = %d, want %d", got, want)
	}
	entries := []int32{depth - 1, depth / 2, 1}
	st := m.Stretches(0, entries, whatif.Slowdown{Delta: 5})
	if len(st) != 1 || st[0].Span != 1 {
		t.Errorf("chain: Stretches = %+v, want span 1 only", st)
	}
}
