package repair_test

import (
	"runtime/debug"
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// maxBigRun bounds one Standard run over a 100,000-deep or 200,000-wide
// trace. Measured on an idle 2-core x86-64 machine: 16-150 ms each (see the
// benchmarks). The bound is loose so a loaded machine does not fail the
// test; a quadratic step would take minutes.
const maxBigRun = 5 * time.Second

// chain returns n spans, each the child of the previous one: a CLIENT then
// the SERVER it calls on the other service, alternating services "a" and "b"
// (a→b, b→a, a→b, ...). Span i truly runs [10i, 10(2n-i)] µs, but b's clock
// runs 15µs behind, which puts every b server 5µs before its client: each is
// moved by CorrectClockSkew, the shift is carried down to its subtree, and
// the a server below it is moved back. If refs is set, parents are Jaeger
// CHILD_OF references instead of parent IDs.
func chain(n int, refs bool) []trace.Span {
	spans := make([]trace.Span, n)
	for i := range n {
		s := trace.Span{
			TraceID: tid,
			SpanID:  id(uint64(i + 1)),
			Service: "a",
			Kind:    trace.KindClient,
			Name:    "call",
			Start:   chainStart(i),
			End:     chainStart(2*n - i),
		}
		if i%2 == 1 {
			s.Kind, s.Name = trace.KindServer, "handle"
		}
		if i%4 == 1 || i%4 == 2 {
			s.Service = "b"
			s.Start -= 15_000
			s.End -= 15_000
		}
		if i > 0 {
			if refs {
				s.Refs = []trace.Ref{{TraceID: tid, SpanID: id(uint64(i)), Type: trace.RefChildOf}}
			} else {
				s.ParentID = id(uint64(i))
			}
		}
		spans[i] = s
	}
	return spans
}

func chainStart(i int) int64 { return int64(i) * 10_000 }

// fanOut returns a root lasting n ms with n children; every third child
// outlives the root by 5 s and every seventh starts 5 s after it ended
// (beyond the 1% tolerance of 2 s).
func fanOut(n int) []trace.Span {
	spans := make([]trace.Span, 0, n+1)
	spans = append(spans, sp(1, 0, "a", server, 0, int64(n)))
	for i := range n {
		s := sp(uint64(i+2), 1, "a", client, int64(i), int64(i)+1)
		switch {
		case i%7 == 3:
			s.Start, s.End = int64(n+5000)*ms, int64(n+5001)*ms
		case i%3 == 0:
			s.End = int64(n+5000) * ms
		}
		spans = append(spans, s)
	}
	return spans
}

// ring returns n spans whose parents form one cycle.
func ring(n int) []trace.Span {
	spans := make([]trace.Span, n)
	for i := range n {
		p := uint64(i)
		if i == 0 {
			p = uint64(n)
		}
		spans[i] = sp(uint64(i+1), p, "a", internal, int64(i), int64(2*n-i))
	}
	return spans
}

func TestBigTraces(t *testing.T) {
	if testing.Short() {
		t.Skip("big traces skipped in -short mode")
	}
	// A 1 MiB stack fails any recursion over a 100,000-deep tree.
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))

	const deep, wide = 100_000, 200_000
	compat := repair.DefaultOptions()
	compat.JaegerCompat = true
	tests := []struct {
		name  string
		spans func() []trace.Span
		opts  repair.Options
		check func(t *testing.T, tr *trace.Trace)
	}{{
		name: "100,000-deep chain with skew", spans: func() []trace.Span { return chain(deep, false) },
		opts: repair.DefaultOptions(),
		check: func(t *testing.T, tr *trace.Trace) {
			if len(tr.Roots) != 1 {
				t.Fatalf("%d roots", len(tr.Roots))
			}
			if d := maxDepth(tr); d != deep-1 {
				t.Errorf("depth %d, want %d", d, deep-1)
			}
			moved := 0
			for i := range tr.Spans {
				s := &tr.Spans[i]
				if s.Warnings.Has(trace.WarnClockSkew) {
					moved++
				}
				if s.Async() || s.Warnings&^trace.WarnClockSkew != 0 {
					t.Fatalf("span %d: async %v, warnings %s", i, s.Async(), s.Warnings)
				}
				// Every span is back on the true clock, in chain order.
				if s.Start != chainStart(i) || s.End != chainStart(2*deep-i) {
					t.Fatalf("span %d: [%d,%d], want [%d,%d]", i, s.Start, s.End, chainStart(i), chainStart(2*deep-i))
				}
			}
			if moved != deep/2 {
				t.Errorf("%d spans moved, want %d (all of b's)", moved, deep/2)
			}
		},
	}, {
		name: "100,000-deep chain of Jaeger references, compat", spans: func() []trace.Span { return chain(deep, true) },
		opts: compat,
		check: func(t *testing.T, tr *trace.Trace) {
			if len(tr.Roots) != 1 || maxDepth(tr) != deep-1 {
				t.Errorf("%d roots, depth %d", len(tr.Roots), maxDepth(tr))
			}
			checkNested(t, tr)
		},
	}, {
		name: "100,000-deep chain, compat, lower half dropped",
		spans: func() []trace.Span {
			spans := chain(deep, false)
			// A client on a (under an a server: no skew check) that starts
			// after its parent ended: it goes with its 49,999 descendants.
			spans[deep/2].Start += 10 * int64(time.Second)
			spans[deep/2].End += 10 * int64(time.Second)
			return spans
		},
		opts: compat,
		check: func(t *testing.T, tr *trace.Trace) {
			if got := tr.Rejected[trace.RejectOutsideParent]; got != deep/2 || len(tr.Spans) != deep/2 {
				t.Errorf("dropped %d, %d left; want %d each", got, len(tr.Spans), deep/2)
			}
			if maxDepth(tr) != deep/2-1 {
				t.Errorf("depth %d", maxDepth(tr))
			}
			checkNested(t, tr)
		},
	}, {
		name: "100,000-long cycle", spans: func() []trace.Span { return ring(deep) },
		opts: repair.DefaultOptions(),
		check: func(t *testing.T, tr *trace.Trace) {
			if len(tr.Roots) != 1 || !tr.Spans[tr.Roots[0]].Warnings.Has(trace.WarnCycle) {
				t.Errorf("roots %v", tr.Roots)
			}
			if maxDepth(tr) != deep-1 {
				t.Errorf("depth %d", maxDepth(tr))
			}
		},
	}, {
		name: "200,000-wide fan-out", spans: func() []trace.Span { return fanOut(wide) },
		opts: repair.DefaultOptions(),
		check: func(t *testing.T, tr *trace.Trace) {
			async := 0
			for i := range tr.Spans {
				if tr.Spans[i].Async() {
					async++
				}
			}
			// i%3==0 or i%7==3, by inclusion-exclusion over 0..wide-1.
			want := 0
			for i := range wide {
				if i%3 == 0 || i%7 == 3 {
					want++
				}
			}
			if async != want || len(tr.Children(tr.Roots[0])) != wide {
				t.Errorf("%d async, want %d; %d children", async, want, len(tr.Children(tr.Roots[0])))
			}
		},
	}, {
		name: "200,000-wide fan-out, compat", spans: func() []trace.Span { return fanOut(wide) },
		opts: compat,
		check: func(t *testing.T, tr *trace.Trace) {
			dropped := 0
			for i := range wide {
				if i%7 == 3 {
					dropped++
				}
			}
			if got := tr.Rejected[trace.RejectOutsideParent]; got != dropped || len(tr.Spans) != wide+1-dropped {
				t.Errorf("dropped %d, want %d", got, dropped)
			}
			checkNested(t, tr)
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(tc.spans()...)
			start := time.Now()
			repair.Standard(tc.opts).Adjust(tr)
			took := time.Since(start)
			t.Logf("%d spans repaired in %v", len(tr.Spans), took)
			if !raceEnabled && took > maxBigRun {
				t.Errorf("took %v, want < %v", took, maxBigRun)
			}
			checkInvariants(t, tr)
			tc.check(t, tr)
		})
	}
}

func maxDepth(tr *trace.Trace) int32 {
	d := int32(0)
	for _, x := range tr.Depth() {
		d = max(d, x)
	}
	return d
}

func BenchmarkStandard(b *testing.B) {
	compat := repair.DefaultOptions()
	compat.JaegerCompat = true
	for _, bc := range []struct {
		name  string
		spans []trace.Span
		opts  repair.Options
	}{
		{"chain100k", chain(100_000, false), repair.DefaultOptions()},
		{"chain100k-refs-compat", chain(100_000, true), compat},
		{"fanout200k", fanOut(200_000), repair.DefaultOptions()},
		{"fanout200k-compat", fanOut(200_000), compat},
		{"order26", orderSpans(), repair.DefaultOptions()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			adj := repair.Standard(bc.opts)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				tr := build(bc.spans...)
				b.StartTimer()
				adj.Adjust(tr)
			}
		})
	}
}
