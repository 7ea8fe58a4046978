package repair_test

import (
	"encoding/binary"
	"hash/fnv"
	"testing"

	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

const (
	internal = trace.KindInternal
	server   = trace.KindServer
	client   = trace.KindClient
	producer = trace.KindProducer
	consumer = trace.KindConsumer
	unspec   = trace.KindUnspecified
)

// want is the expected state of one span after repair.
type want struct {
	name   string
	parent string // "" = root
	warn   trace.Warning
	async  bool
}

func checkSpans(t *testing.T, tr *trace.Trace, wants []want) {
	t.Helper()
	for _, w := range wants {
		i := find(t, tr, w.name)
		s := &tr.Spans[i]
		if got := parentName(t, tr, w.name); got != w.parent {
			t.Errorf("%s: parent %q, want %q\n%s", w.name, got, w.parent, dump(tr))
		}
		if s.Warnings != w.warn {
			t.Errorf("%s: warnings %q, want %q\n%s", w.name, s.Warnings, w.warn, dump(tr))
		}
		if s.Async() != w.async {
			t.Errorf("%s: async %v, want %v\n%s", w.name, s.Async(), w.async, dump(tr))
		}
	}
}

func TestDropDuplicates(t *testing.T) {
	tests := []struct {
		name     string
		spans    []trace.Span
		wantLen  int
		rejected int
	}{
		{"none", []trace.Span{sp(1, 0, "a", server, 0, 10), sp(2, 1, "a", client, 1, 5)}, 2, 0},
		{"two copies", []trace.Span{sp(1, 0, "a", server, 0, 10), sp(1, 0, "a", server, 0, 10)}, 1, 1},
		{"three copies and a child", []trace.Span{
			sp(1, 0, "a", server, 0, 10), sp(1, 0, "a", server, 0, 10), sp(1, 0, "a", server, 0, 10),
			sp(2, 1, "a", client, 1, 5),
		}, 2, 2},
		{"same ID, other end: not a copy", []trace.Span{sp(1, 0, "a", server, 0, 10), sp(1, 0, "a", server, 0, 11)}, 2, 0},
		{"same ID, other kind: Zipkin halves", []trace.Span{sp(1, 0, "a", client, 0, 10), sp(1, 0, "a", server, 0, 10)}, 2, 0},
		{"same ID, other service", []trace.Span{sp(1, 0, "a", server, 0, 10), sp(1, 0, "b", server, 0, 10)}, 2, 0},
		{"empty", nil, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(tc.spans...)
			repair.DropDuplicates().Adjust(tr)
			if len(tr.Spans) != tc.wantLen || len(tr.Parent) != tc.wantLen {
				t.Fatalf("%d spans, %d parents, want %d", len(tr.Spans), len(tr.Parent), tc.wantLen)
			}
			if got := tr.Rejected[trace.RejectDuplicate]; got != tc.rejected {
				t.Errorf("rejected %d, want %d", got, tc.rejected)
			}
		})
	}
}

func TestDropDuplicatesMerges(t *testing.T) {
	a := sp(7, 0, "a", server, 0, 10)
	b := sp(7, 3, "a", server, 0, 10)
	b.Attrs.Set(trace.AttrHTTPRoute, "/x", false)
	b.Status = trace.StatusError
	tr := build(a, b)
	repair.DropDuplicates().Adjust(tr)
	if len(tr.Spans) != 1 {
		t.Fatalf("%d spans", len(tr.Spans))
	}
	s := tr.Spans[0]
	if s.ParentID != id(3) || s.Attrs.Get(trace.AttrHTTPRoute) != "/x" || s.Status != trace.StatusError {
		t.Errorf("kept span did not take the copy's data: %+v", s)
	}
}

// TestDropDuplicatesAcrossPrecision: the same span read from a Jaeger
// download (microseconds) and an OTLP export (nanoseconds) is one span, and
// the kept copy has the nanosecond times.
func TestDropDuplicatesAcrossPrecision(t *testing.T) {
	otlp := sp(7, 0, "a", server, 0, 0)
	otlp.Start, otlp.End = 1_700_000_000_000_123_456, 1_700_000_000_004_000_789
	jaeger := otlp
	jaeger.Start = otlp.Start / 1000 * 1000
	jaeger.End = jaeger.Start + (otlp.End-otlp.Start)/1000*1000
	other := otlp
	other.End += 2000 // 2µs longer: a different span sharing the ID
	for _, order := range [][]trace.Span{{jaeger, otlp}, {otlp, jaeger}} {
		tr := build(order...)
		repair.DropDuplicates().Adjust(tr)
		if len(tr.Spans) != 1 || tr.Rejected[trace.RejectDuplicate] != 1 {
			t.Fatalf("%d spans, %v rejected", len(tr.Spans), tr.Rejected)
		}
		if tr.Spans[0].Start != otlp.Start || tr.Spans[0].End != otlp.End {
			t.Errorf("kept %d-%d, want the nanosecond times %d-%d", tr.Spans[0].Start, tr.Spans[0].End, otlp.Start, otlp.End)
		}
	}
	tr := build(otlp, other)
	repair.DropDuplicates().Adjust(tr)
	if len(tr.Spans) != 2 {
		t.Errorf("spans 2µs apart were merged")
	}
}

// TestSharedSpanIDs covers Zipkin's shared client/server span: the server
// half gets a new ID under its client half and takes the shared ID's
// children along; other collisions keep their children with the first holder.
func TestSharedSpanIDs(t *testing.T) {
	tests := []struct {
		name  string
		spans []trace.Span
		wants []want
	}{{
		name: "client+server+server's children (Zipkin v2)",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", client, 10, 90, named("call")),
			sp(2, 1, "b", server, 12, 88, named("handle"), shared),
			sp(3, 2, "b", client, 20, 40, named("db")),
			sp(4, 2, "b", internal, 50, 60, named("work")),
		},
		wants: []want{
			{name: "root"},
			{name: "call", parent: "root"},
			{name: "handle", parent: "call", warn: trace.WarnSharedSpanID},
			{name: "db", parent: "handle"},
			{name: "work", parent: "handle"},
		},
	}, {
		name: "Jaeger references to the shared ID",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 0, "a", client, 10, 90, named("call"), ref(trace.RefChildOf, 1)),
			sp(2, 0, "b", server, 12, 88, named("handle"), ref(trace.RefChildOf, 1)),
			sp(3, 0, "b", client, 20, 40, named("db"), ref(trace.RefChildOf, 2)),
		},
		wants: []want{
			{name: "root"},
			{name: "call", parent: "root"},
			{name: "handle", parent: "call", warn: trace.WarnSharedSpanID},
			{name: "db", parent: "handle"},
		},
	}, {
		name: "FlagShared without kinds",
		spans: []trace.Span{
			sp(1, 0, "a", unspec, 0, 100, named("root")),
			sp(2, 1, "a", unspec, 10, 90, named("call")),
			sp(2, 1, "b", unspec, 12, 88, named("handle"), shared),
			sp(3, 2, "b", unspec, 20, 40, named("db")),
		},
		// The kinds the shared ID implies are inferred afterwards.
		wants: []want{
			{name: "call", parent: "root", warn: trace.WarnKindInferred},
			{name: "handle", parent: "call", warn: trace.WarnSharedSpanID | trace.WarnKindInferred},
			{name: "db", parent: "handle"},
		},
	}, {
		name: "server half listed first",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "b", server, 10, 50, named("handle")), // sorts before call: same start, ends first
			sp(2, 1, "a", client, 10, 60, named("call")),
			sp(3, 2, "b", internal, 20, 40, named("work")),
		},
		wants: []want{
			{name: "call", parent: "root"},
			{name: "handle", parent: "call", warn: trace.WarnSharedSpanID},
			{name: "work", parent: "handle"},
		},
	}, {
		name: "different spans with one ID: children stay with the first",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", internal, 10, 20, named("first")),
			sp(2, 1, "a", internal, 30, 40, named("second")),
			sp(2, 1, "a", internal, 50, 60, named("third")),
			sp(3, 2, "a", internal, 12, 18, named("child")),
		},
		wants: []want{
			{name: "first", parent: "root"},
			{name: "second", parent: "root", warn: trace.WarnDuplicateSpanID},
			{name: "third", parent: "root", warn: trace.WarnDuplicateSpanID},
			{name: "child", parent: "first"},
		},
	}, {
		name: "two servers share a client's ID: the second is a duplicate",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", client, 10, 90, named("call")),
			sp(2, 1, "b", server, 12, 80, named("handle")),
			sp(2, 1, "c", server, 14, 70, named("other")),
		},
		wants: []want{
			{name: "call", parent: "root"},
			{name: "handle", parent: "call", warn: trace.WarnSharedSpanID},
			{name: "other", parent: "root", warn: trace.WarnDuplicateSpanID},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(tc.spans...)
			repair.Standard(repair.DefaultOptions()).Adjust(tr)
			checkInvariants(t, tr)
			checkSpans(t, tr, tc.wants)
			if tr.Rejected.Total() != 0 {
				t.Errorf("rejected %v", tr.Rejected)
			}
		})
	}
}

// TestNewSpanIDDeterministic checks that new IDs depend only on the input,
// and that a new ID colliding with an existing one is re-hashed.
func TestNewSpanIDDeterministic(t *testing.T) {
	// The ID the server half would get first: FNV-64a(old ID, service).
	h := fnv.New64a()
	old := id(2)
	h.Write(old[:])
	h.Write([]byte("b"))
	first := binary.BigEndian.Uint64(h.Sum(nil))
	spans := []trace.Span{
		sp(1, 0, "a", server, 0, 100, named("root")),
		sp(2, 1, "a", client, 10, 90, named("call")),
		sp(2, 1, "b", server, 12, 88, named("handle")),
		sp(first, 1, "a", internal, 91, 95, named("taken")), // already holds that ID
	}
	var got []trace.SpanID
	for range 2 {
		tr := build(spans...)
		repair.Standard(repair.DefaultOptions()).Adjust(tr)
		checkInvariants(t, tr)
		got = append(got, tr.Spans[find(t, tr, "handle")].SpanID)
		if tr.Spans[find(t, tr, "taken")].SpanID != id(first) {
			t.Fatalf("an unshared span's ID changed")
		}
	}
	if got[0] != got[1] {
		t.Errorf("new ID differs between runs: %s, %s", got[0], got[1])
	}
	if got[0] == id(first) || got[0] == id(2) || got[0].IsZero() {
		t.Errorf("new ID %s collides", got[0])
	}
}

func TestChooseParents(t *testing.T) {
	tests := []struct {
		name    string
		spans   []trace.Span
		wants   []want
		relType map[string]trace.RefType
	}{{
		name: "first CHILD_OF wins over an earlier FOLLOWS_FROM",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", internal, 10, 20, named("other")),
			sp(3, 0, "a", internal, 30, 40, named("x"), ref(trace.RefFollowsFrom, 2), ref(trace.RefChildOf, 1)),
		},
		wants: []want{
			{name: "x", parent: "root", warn: trace.WarnMultipleParents},
		},
		relType: map[string]trace.RefType{"x": trace.RefChildOf},
	}, {
		name: "only FOLLOWS_FROM: async child",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(3, 0, "a", internal, 30, 40, named("x"), ref(trace.RefFollowsFrom, 1)),
		},
		wants:   []want{{name: "x", parent: "root", async: true}},
		relType: map[string]trace.RefType{"x": trace.RefFollowsFrom},
	}, {
		name: "CHILD_OF and FOLLOWS_FROM to the same span is one parent",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(3, 0, "a", internal, 30, 40, named("x"), ref(trace.RefChildOf, 1), ref(trace.RefFollowsFrom, 1)),
		},
		wants: []want{{name: "x", parent: "root"}},
	}, {
		name: "cross-trace CHILD_OF ignored, same-trace FOLLOWS_FROM chosen (ui_01.json)",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", internal, 10, 20, named("other")),
			sp(3, 0, "a", internal, 30, 40, named("x"),
				crossRef(trace.RefChildOf, 9), ref(trace.RefChildOf, 1), ref(trace.RefFollowsFrom, 2)),
			sp(4, 0, "a", internal, 50, 60, named("y"), crossRef(trace.RefChildOf, 9), ref(trace.RefFollowsFrom, 1)),
		},
		wants: []want{
			{name: "x", parent: "root", warn: trace.WarnCrossTraceRef | trace.WarnMultipleParents},
			{name: "y", parent: "root", warn: trace.WarnCrossTraceRef, async: true},
		},
	}, {
		name: "only a cross-trace reference: a root, not a partial trace",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root"), crossRef(trace.RefChildOf, 9)),
		},
		wants: []want{{name: "root", warn: trace.WarnCrossTraceRef}},
	}, {
		name: "OTLP parent ID without a type is CHILD_OF",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", client, 10, 20, named("x")),
		},
		wants:   []want{{name: "x", parent: "root"}},
		relType: map[string]trace.RefType{"x": trace.RefChildOf},
	}, {
		name: "OTLP parent ID also named by a FOLLOWS_FROM link (Jaeger->OTLP)",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", internal, 10, 20, named("x"), ref(trace.RefFollowsFrom, 1)),
		},
		wants:   []want{{name: "x", parent: "root", async: true}},
		relType: map[string]trace.RefType{"x": trace.RefFollowsFrom},
	}, {
		name: "OTLP parent ID plus a CHILD_OF to another span",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", internal, 10, 20, named("other")),
			sp(3, 1, "a", internal, 30, 40, named("x"), ref(trace.RefChildOf, 2)),
		},
		wants: []want{{name: "x", parent: "root", warn: trace.WarnMultipleParents}},
	}, {
		name: "link to a present span attaches, link elsewhere does not",
		spans: []trace.Span{
			sp(1, 0, "a", producer, 0, 10, named("send")),
			sp(2, 0, "b", consumer, 50, 60, named("recv"), ref(trace.RefLink, 1)),
			sp(3, 0, "b", consumer, 70, 80, named("lost"), ref(trace.RefLink, 42)),
			sp(4, 0, "b", consumer, 90, 95, named("other-trace"), crossRef(trace.RefLink, 1)),
		},
		wants: []want{
			{name: "recv", parent: "send", async: true},
			{name: "lost"},
			{name: "other-trace"},
		},
		relType: map[string]trace.RefType{"recv": trace.RefLink},
	}, {
		name: "parent ID wins over a link",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", internal, 10, 20, named("other")),
			sp(3, 1, "a", internal, 30, 40, named("x"), ref(trace.RefLink, 2)),
		},
		wants: []want{{name: "x", parent: "root"}},
	}, {
		name: "partial trace: missing parents become roots",
		spans: []trace.Span{
			sp(2, 1, "a", server, 0, 100, named("orphan1")),
			sp(3, 2, "a", client, 10, 20, named("kid")),
			sp(4, 9, "b", server, 30, 40, named("orphan2")),
			sp(5, 0, "b", server, 50, 60, named("orphan3"), ref(trace.RefChildOf, 8)),
		},
		wants: []want{
			{name: "orphan1", warn: trace.WarnMissingParent},
			{name: "kid", parent: "orphan1"},
			{name: "orphan2", warn: trace.WarnMissingParent},
			{name: "orphan3", warn: trace.WarnMissingParent},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(tc.spans...)
			repair.Standard(repair.DefaultOptions()).Adjust(tr)
			checkInvariants(t, tr)
			checkSpans(t, tr, tc.wants)
			for name, rt := range tc.relType {
				if got := tr.Spans[find(t, tr, name)].ParentRef; got != rt {
					t.Errorf("%s: ParentRef %s, want %s", name, got, rt)
				}
			}
		})
	}
}

func TestPartialTraceRoots(t *testing.T) {
	tr := build(
		sp(2, 1, "a", server, 0, 100),
		sp(4, 9, "b", server, 30, 40),
		sp(6, 0, "c", server, 50, 60),
	)
	repair.Standard(repair.DefaultOptions()).Adjust(tr)
	checkInvariants(t, tr)
	if len(tr.Roots) != 3 {
		t.Errorf("%d roots, want 3", len(tr.Roots))
	}
}

func TestBreakCycles(t *testing.T) {
	longCycle := func(n int) []trace.Span {
		var spans []trace.Span
		for i := 1; i <= n; i++ {
			p := uint64(i - 1)
			if i == 1 {
				p = uint64(n)
			}
			spans = append(spans, sp(uint64(i), p, "a", internal, int64(i), int64(i)+1))
		}
		return spans
	}
	tests := []struct {
		name  string
		spans []trace.Span
		cuts  []string // spans that must become roots with WarnCycle
	}{
		{"self-parent", []trace.Span{sp(1, 1, "a", server, 0, 10, named("self"))}, []string{"self"}},
		{"2-cycle", []trace.Span{
			sp(1, 2, "a", server, 0, 10, named("a")),
			sp(2, 1, "a", server, 1, 9, named("b")),
		}, []string{"a"}},
		{"2-cycle, the later span listed first", []trace.Span{
			sp(2, 1, "a", server, 1, 9, named("b")),
			sp(1, 2, "a", server, 0, 10, named("a")),
		}, []string{"a"}},
		{"cycle with a tail hanging into it", []trace.Span{
			sp(5, 7, "a", internal, 20, 30, named("tail")),
			sp(6, 5, "a", internal, 21, 29, named("tail2")),
			sp(7, 8, "a", internal, 5, 50, named("c1")),
			sp(8, 9, "a", internal, 3, 60, named("c2")),
			sp(9, 7, "a", internal, 4, 55, named("c3")),
		}, []string{"c2"}},
		{"two cycles", []trace.Span{
			sp(1, 2, "a", internal, 0, 10, named("x1")),
			sp(2, 1, "a", internal, 1, 10, named("x2")),
			sp(3, 4, "a", internal, 2, 10, named("y1")),
			sp(4, 3, "a", internal, 3, 10, named("y2")),
		}, []string{"x1", "y1"}},
		{"long cycle", longCycle(1000), []string{"a.1"}},
		{"cycle through Jaeger references", []trace.Span{
			sp(1, 0, "a", internal, 0, 10, named("r1"), ref(trace.RefChildOf, 3)),
			sp(2, 0, "a", internal, 1, 10, named("r2"), ref(trace.RefChildOf, 1)),
			sp(3, 0, "a", internal, 2, 10, named("r3"), ref(trace.RefFollowsFrom, 2)),
		}, []string{"r1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(tc.spans...)
			repair.Standard(repair.DefaultOptions()).Adjust(tr)
			checkInvariants(t, tr)
			cut := map[string]bool{}
			for _, name := range tc.cuts {
				cut[name] = true
				i := find(t, tr, name)
				if tr.Parent[i] != -1 || !tr.Spans[i].Warnings.Has(trace.WarnCycle) {
					t.Errorf("%s: parent %d, warnings %s; want a root with cycle", name, tr.Parent[i], tr.Spans[i].Warnings)
				}
			}
			for i := range tr.Spans {
				s := &tr.Spans[i]
				if s.Warnings.Has(trace.WarnCycle) && !cut[s.Name] {
					t.Errorf("%s: unexpected cut", s.Name)
				}
			}
			if len(tr.Roots) != len(tc.cuts) {
				t.Errorf("%d roots, want %d", len(tr.Roots), len(tc.cuts))
			}
		})
	}
}

func TestClampDurations(t *testing.T) {
	tr := build(
		sp(1, 0, "a", server, 0, 100, named("root")),
		sp(2, 1, "a", internal, 50, 40, named("neg")),
		sp(3, 1, "a", internal, 60, 60, named("zero")),
	)
	repair.Standard(repair.DefaultOptions()).Adjust(tr)
	checkInvariants(t, tr)
	checkSpans(t, tr, []want{
		{name: "root"},
		{name: "neg", parent: "root", warn: trace.WarnNegativeDuration},
		{name: "zero", parent: "root"},
	})
	s := tr.Spans[find(t, tr, "neg")]
	if s.Start != 50*ms || s.End != 50*ms {
		t.Errorf("neg: [%d,%d], want [50,50]ms", s.Start, s.End)
	}
}

// window is an expected [start, end] in ms.
type window struct {
	name       string
	start, end int64
}

func checkWindows(t *testing.T, tr *trace.Trace, ws []window) {
	t.Helper()
	for _, w := range ws {
		s := &tr.Spans[find(t, tr, w.name)]
		if s.Start != w.start*ms || s.End != w.end*ms {
			t.Errorf("%s: [%g,%g]ms, want [%d,%d]\n%s", w.name,
				float64(s.Start)/float64(ms), float64(s.End)/float64(ms), w.start, w.end, dump(tr))
		}
	}
}

func TestCorrectClockSkew(t *testing.T) {
	const skewed = trace.WarnClockSkew
	tests := []struct {
		name    string
		maxSkew int64 // ms
		spans   []trace.Span
		windows []window
		wants   []want
	}{{
		name: "server before its client: centred, subtree moves along", maxSkew: 1000,
		spans: []trace.Span{
			sp(1, 0, "a", client, 100, 200, named("call")),
			sp(2, 1, "b", server, 20, 100, named("handle")),
			sp(3, 2, "b", internal, 30, 60, named("work")),
		},
		windows: []window{{"call", 100, 200}, {"handle", 110, 190}, {"work", 120, 150}},
		wants: []want{
			{name: "handle", parent: "call", warn: skewed},
			{name: "work", parent: "handle", warn: skewed},
		},
	}, {
		name: "server after its client's end", maxSkew: 1000,
		spans: []trace.Span{
			sp(1, 0, "a", client, 100, 200, named("call")),
			sp(2, 1, "b", server, 300, 360, named("handle")),
		},
		windows: []window{{"handle", 120, 180}},
		wants:   []want{{name: "handle", parent: "call", warn: skewed}},
	}, {
		name: "server partly outside: centred", maxSkew: 1000,
		spans: []trace.Span{
			sp(1, 0, "a", client, 100, 200, named("call")),
			sp(2, 1, "b", server, 150, 230, named("handle")),
		},
		windows: []window{{"handle", 110, 190}},
		wants:   []want{{name: "handle", parent: "call", warn: skewed}},
	}, {
		name: "server inside: untouched", maxSkew: 1000,
		spans: []trace.Span{
			sp(1, 0, "a", client, 100, 200, named("call")),
			sp(2, 1, "b", server, 101, 199, named("handle")),
		},
		windows: []window{{"handle", 101, 199}},
		wants:   []want{{name: "handle", parent: "call"}},
	}, {
		name: "longer server starting before: starts aligned", maxSkew: 1000,
		spans: []trace.Span{
			sp(1, 0, "a", client, 100, 200, named("call")),
			sp(2, 1, "b", server, 50, 200, named("handle")),
		},
		windows: []window{{"handle", 100, 250}},
		wants:   []want{{name: "handle", parent: "call", warn: skewed | trace.WarnOutlivesParent, async: true}},
	}, {
		name: "longer server starting inside: left for MarkAsync", maxSkew: 1000,
		spans: []trace.Span{
			sp(1, 0, "a", client, 100, 200, named("call")),
			sp(2, 1, "b", server, 150, 400, named("handle")),
		},
		windows: []window{{"handle", 150, 400}},
		wants:   []want{{name: "handle", parent: "call", warn: trace.WarnOutlivesParent, async: true}},
	}, {
		name: "same service: one clock, untouched", maxSkew: 1000,
		spans: []trace.Span{
			sp(1, 0, "a", client, 100, 200, named("call")),
			sp(2, 1, "a", server, 90, 150, named("handle")),
		},
		windows: []window{{"handle", 90, 150}},
	}, {
		name: "internal child on another service: untouched", maxSkew: 1000,
		spans: []trace.Span{
			sp(1, 0, "a", client, 100, 200, named("call")),
			sp(2, 1, "b", internal, 20, 80, named("handle")),
		},
		windows: []window{{"handle", 20, 80}},
	}, {
		name: "consumer under producer: async, untouched", maxSkew: 1000,
		spans: []trace.Span{
			sp(1, 0, "a", producer, 100, 110, named("send")),
			sp(2, 1, "b", consumer, 500, 600, named("recv")),
		},
		windows: []window{{"recv", 500, 600}},
		wants:   []want{{name: "recv", parent: "send", async: true}},
	}, {
		name: "FOLLOWS_FROM server: untouched", maxSkew: 1000,
		spans: []trace.Span{
			sp(1, 0, "a", client, 100, 200, named("call")),
			sp(2, 0, "b", server, 20, 80, named("handle"), ref(trace.RefFollowsFrom, 1)),
		},
		windows: []window{{"handle", 20, 80}},
		wants:   []want{{name: "handle", parent: "call", async: true}},
	}, {
		name: "skew beyond the maximum: warned, untouched, not async", maxSkew: 10,
		spans: []trace.Span{
			sp(1, 0, "a", client, 100, 200, named("call")),
			sp(2, 1, "b", server, 300, 360, named("handle")),
			sp(3, 2, "b", internal, 310, 320, named("work")),
		},
		windows: []window{{"handle", 300, 360}, {"work", 310, 320}},
		wants: []want{
			{name: "handle", parent: "call", warn: trace.WarnSkewTooLarge},
			{name: "work", parent: "handle"},
		},
	}, {
		name: "max skew 0 disables correction", maxSkew: 0,
		spans: []trace.Span{
			sp(1, 0, "a", client, 100, 200, named("call")),
			sp(2, 1, "b", server, 20, 100, named("handle")),
		},
		windows: []window{{"handle", 20, 100}},
		wants:   []want{{name: "handle", parent: "call", warn: trace.WarnSkewTooLarge}},
	}, {
		// c's clock agrees with b's: after moving with b's subtree, the
		// server on c already sits inside its client and moves no further.
		name: "shifts accumulate: descendant on a third service moves with its ancestor", maxSkew: 2000,
		spans: []trace.Span{
			sp(1, 0, "a", client, 1000, 1100, named("call-b")),
			sp(2, 1, "b", server, 0, 80, named("b")),
			sp(3, 2, "b", client, 10, 70, named("call-c")),
			sp(4, 3, "c", server, 20, 60, named("c")),
		},
		windows: []window{{"b", 1010, 1090}, {"call-c", 1020, 1080}, {"c", 1030, 1070}},
		wants: []want{
			{name: "b", parent: "call-b", warn: skewed},
			{name: "call-c", parent: "b", warn: skewed},
			{name: "c", parent: "call-c", warn: skewed},
		},
	}, {
		// c's clock is 500ms ahead of b's: it moves with b (+1010) and then
		// by its own delta (-500).
		name: "shifts accumulate: own delta on top of the inherited one", maxSkew: 2000,
		spans: []trace.Span{
			sp(1, 0, "a", client, 1000, 1100, named("call-b")),
			sp(2, 1, "b", server, 0, 80, named("b")),
			sp(3, 2, "b", client, 10, 70, named("call-c")),
			sp(4, 3, "c", server, 520, 560, named("c")),
		},
		windows: []window{{"b", 1010, 1090}, {"call-c", 1020, 1080}, {"c", 1030, 1070}},
		wants: []want{
			{name: "b", parent: "call-b", warn: skewed},
			{name: "c", parent: "call-c", warn: skewed},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(tc.spans...)
			o := repair.DefaultOptions()
			o.MaxSkew = timeMS(tc.maxSkew)
			repair.Standard(o).Adjust(tr)
			checkInvariants(t, tr)
			checkWindows(t, tr, tc.windows)
			checkSpans(t, tr, tc.wants)
		})
	}
}

func TestMarkAsync(t *testing.T) {
	tests := []struct {
		name  string
		tolMS int64
		spans []trace.Span
		wants []want
	}{{
		name: "producer->consumer", tolMS: 1,
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", producer, 10, 20, named("send")),
			sp(3, 2, "b", consumer, 30, 40, named("recv")),
			sp(4, 3, "b", client, 31, 39, named("db")),
		},
		wants: []want{
			{name: "send", parent: "root"},
			{name: "recv", parent: "send", async: true},
			{name: "db", parent: "recv"}, // awaited by its consumer
		},
	}, {
		name: "client->consumer, producer->internal: not async by kind", tolMS: 1,
		spans: []trace.Span{
			sp(1, 0, "a", client, 0, 100, named("call")),
			sp(2, 1, "b", consumer, 10, 90, named("recv")),
			sp(3, 0, "a", producer, 200, 300, named("send")),
			sp(4, 3, "a", internal, 210, 220, named("encode")),
		},
		wants: []want{{name: "recv", parent: "call"}, {name: "encode", parent: "send"}},
	}, {
		name: "outlives parent beyond tolerance", tolMS: 1,
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", client, 45, 300, named("email")),
			sp(3, 1, "a", client, 50, 101, named("edge")), // 1ms late: tolerated
		},
		wants: []want{
			{name: "email", parent: "root", warn: trace.WarnOutlivesParent, async: true},
			{name: "edge", parent: "root"},
		},
	}, {
		name: "1% of a long parent beats a small tolerance", tolMS: 1,
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 10000, named("root")),
			sp(2, 1, "a", client, 9000, 10090, named("late90")),
			sp(3, 1, "a", client, 9000, 10101, named("late101")),
		},
		wants: []want{
			{name: "late90", parent: "root"},
			{name: "late101", parent: "root", warn: trace.WarnOutlivesParent, async: true},
		},
	}, {
		name: "starts at or after the parent's end", tolMS: 1,
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", internal, 150, 160, named("after")),
			sp(3, 1, "a", internal, 100, 100, named("at-end")), // zero length, within tolerance
		},
		wants: []want{
			{name: "after", parent: "root", warn: trace.WarnOutlivesParent, async: true},
			{name: "at-end", parent: "root"},
		},
	}, {
		name: "starts slightly before, same service: left alone", tolMS: 1,
		spans: []trace.Span{
			sp(1, 0, "a", server, 10, 100, named("root")),
			sp(2, 1, "a", internal, 8, 50, named("early")),
		},
		wants: []want{{name: "early", parent: "root"}},
	}, {
		name: "zero tolerance still allows 1%", tolMS: 0,
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 1000, named("root")),
			sp(2, 1, "a", internal, 500, 1005, named("late5")),
			sp(3, 1, "a", internal, 500, 1011, named("late11")),
		},
		wants: []want{
			{name: "late5", parent: "root"},
			{name: "late11", parent: "root", warn: trace.WarnOutlivesParent, async: true},
		},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(tc.spans...)
			o := repair.DefaultOptions()
			o.SkewTolerance = timeMS(tc.tolMS)
			repair.Standard(o).Adjust(tr)
			checkInvariants(t, tr)
			checkSpans(t, tr, tc.wants)
		})
	}
}

// TestTruncate runs the Jaeger UI's sanitizeOverFlowingChildren fixtures
// (CriticalPath/testCases, see peers.md §2.2) and the async exceptions.
func TestTruncate(t *testing.T) {
	tests := []struct {
		name    string
		spans   []trace.Span
		windows []window
		gone    int
		wants   []want
	}{{
		name: "test3: child starts after the parent ended",
		spans: []trace.Span{
			sp(1, 0, "a", producer, 100, 140, named("A")),
			sp(2, 1, "a", internal, 200, 500, named("B")),
		},
		windows: []window{{"A", 100, 140}},
		gone:    1,
	}, {
		name: "test4: child and grandchild after the parent",
		spans: []trace.Span{
			sp(1, 0, "a", server, 1, 31, named("A")),
			sp(2, 1, "a", internal, 40, 80, named("B")),
			sp(3, 2, "a", internal, 50, 60, named("C")),
		},
		windows: []window{{"A", 1, 31}},
		gone:    2,
	}, {
		name: "test6: clipped parent clips its child",
		spans: []trace.Span{
			sp(1, 0, "a", server, 1, 30, named("A")),
			sp(2, 1, "a", internal, 15, 35, named("B")),
			sp(3, 2, "a", internal, 10, 25, named("C")),
		},
		windows: []window{{"B", 15, 30}, {"C", 15, 25}},
		wants: []want{
			{name: "B", parent: "A", warn: trace.WarnTruncated},
			{name: "C", parent: "B", warn: trace.WarnTruncated},
		},
	}, {
		name: "test7: end clipped twice",
		spans: []trace.Span{
			sp(1, 0, "a", server, 1, 30, named("A")),
			sp(2, 1, "a", internal, 15, 35, named("B")),
			sp(3, 2, "a", internal, 20, 40, named("C")),
		},
		windows: []window{{"B", 15, 30}, {"C", 20, 30}},
	}, {
		name: "test8: child covers its parent",
		spans: []trace.Span{
			sp(1, 0, "a", server, 10, 30, named("A")),
			sp(2, 1, "a", internal, 5, 35, named("B")),
		},
		windows: []window{{"B", 10, 30}},
		wants:   []want{{name: "B", parent: "A", warn: trace.WarnTruncated}},
	}, {
		name: "test9: child ends before the parent starts",
		spans: []trace.Span{
			sp(1, 0, "a", server, 10, 30, named("A")),
			sp(2, 1, "a", internal, 1, 5, named("B")),
		},
		gone: 1,
	}, {
		name: "starts before, ends inside: start clipped",
		spans: []trace.Span{
			sp(1, 0, "a", server, 10, 30, named("A")),
			sp(2, 1, "a", internal, 5, 20, named("B")),
		},
		windows: []window{{"B", 10, 20}},
	}, {
		name: "child ending exactly at the parent's start is dropped",
		spans: []trace.Span{
			sp(1, 0, "a", server, 10, 30, named("A")),
			sp(2, 1, "a", internal, 5, 10, named("B")),
		},
		gone: 1,
	}, {
		name: "producer->consumer and FOLLOWS_FROM subtrees are not clipped",
		spans: []trace.Span{
			sp(1, 0, "a", producer, 1, 31, named("A")),
			sp(2, 1, "b", consumer, 10, 50, named("B")),
			sp(3, 2, "b", internal, 12, 60, named("C")),
			sp(4, 0, "a", internal, 20, 90, named("D"), ref(trace.RefFollowsFrom, 1)),
		},
		windows: []window{{"B", 10, 50}, {"C", 12, 60}, {"D", 20, 90}},
		wants: []want{
			{name: "B", parent: "A", async: true},
			{name: "C", parent: "B"},
			{name: "D", parent: "A", async: true},
		},
	}, {
		name: "async subtree under a dropped span goes with it",
		spans: []trace.Span{
			sp(1, 0, "a", server, 1, 31, named("A")),
			sp(2, 1, "a", producer, 40, 45, named("B")),
			sp(3, 2, "b", consumer, 50, 60, named("C")),
		},
		gone: 2,
	}, {
		name: "fire-and-forget CHILD_OF is clipped like Jaeger UI does",
		spans: []trace.Span{
			sp(1, 0, "a", server, 0, 100, named("root")),
			sp(2, 1, "a", client, 45, 300, named("email")),
		},
		windows: []window{{"email", 45, 100}},
		wants:   []want{{name: "email", parent: "root", warn: trace.WarnTruncated}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(tc.spans...)
			before := len(tr.Spans)
			o := repair.DefaultOptions()
			o.JaegerCompat = true
			repair.Standard(o).Adjust(tr)
			checkInvariants(t, tr)
			if got := tr.Rejected[trace.RejectOutsideParent]; got != tc.gone || len(tr.Spans) != before-tc.gone {
				t.Errorf("dropped %d (%d spans left), want %d\n%s", got, len(tr.Spans), tc.gone, dump(tr))
			}
			checkWindows(t, tr, tc.windows)
			checkSpans(t, tr, tc.wants)
			checkNested(t, tr)
		})
	}
}

// checkNested fails unless every span outside an async subtree lies within
// its parent's window (what Truncate guarantees).
func checkNested(t *testing.T, tr *trace.Trace) {
	t.Helper()
	var order []int32
	inAsync := make([]bool, len(tr.Spans))
	for _, r := range tr.Roots {
		order = tr.Preorder(r, order[:0])
		for _, i := range order {
			p := tr.Parent[i]
			if p < 0 {
				continue
			}
			inAsync[i] = inAsync[p] || tr.Spans[i].Async()
			if inAsync[i] {
				continue
			}
			s, ps := &tr.Spans[i], &tr.Spans[p]
			if s.Start < ps.Start || s.End > ps.End || s.Start >= ps.End && ps.End > ps.Start {
				t.Fatalf("%s [%d,%d] not inside %s [%d,%d]", s.Name, s.Start, s.End, ps.Name, ps.Start, ps.End)
			}
		}
	}
}

// TestOverflowModes runs one trace with fire-and-forget work through both
// modes (peers.md §5.3's order trace).
func TestOverflowModes(t *testing.T) {
	spans := []trace.Span{
		sp(1, 0, "shop", server, 0, 100, named("POST /order")),
		sp(2, 1, "shop", client, 10, 40, named("INSERT order")),
		sp(3, 1, "shop", producer, 45, 300, named("send email")),
		sp(4, 0, "shop", internal, 50, 70, named("analytics"), ref(trace.RefFollowsFrom, 1)),
		sp(5, 1, "shop", internal, 150, 160, named("after")),
	}
	t.Run("default", func(t *testing.T) {
		tr := build(spans...)
		repair.Standard(repair.DefaultOptions()).Adjust(tr)
		checkInvariants(t, tr)
		checkSpans(t, tr, []want{
			{name: "INSERT order", parent: "POST /order"},
			{name: "send email", parent: "POST /order", warn: trace.WarnOutlivesParent, async: true},
			{name: "analytics", parent: "POST /order", async: true},
			{name: "after", parent: "POST /order", warn: trace.WarnOutlivesParent, async: true},
		})
		checkWindows(t, tr, []window{{"send email", 45, 300}})
		if tr.Rejected.Total() != 0 {
			t.Errorf("rejected %v", tr.Rejected)
		}
	})
	t.Run("jaeger-compat", func(t *testing.T) {
		tr := build(spans...)
		o := repair.DefaultOptions()
		o.JaegerCompat = true
		repair.Standard(o).Adjust(tr)
		checkInvariants(t, tr)
		checkSpans(t, tr, []want{
			{name: "INSERT order", parent: "POST /order"},
			{name: "send email", parent: "POST /order", warn: trace.WarnTruncated},
			{name: "analytics", parent: "POST /order", async: true},
		})
		checkWindows(t, tr, []window{{"send email", 45, 100}})
		if tr.Rejected[trace.RejectOutsideParent] != 1 || len(tr.Spans) != 4 {
			t.Errorf("rejected %v, %d spans; want 1 outside-parent, 4 spans", tr.Rejected, len(tr.Spans))
		}
	})
}
