package repair_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/trace"
)

var tid = trace.TraceID{15: 1}

// id returns span ID n (0 is the zero ID).
func id(n uint64) trace.SpanID {
	var s trace.SpanID
	binary.BigEndian.PutUint64(s[:], n)
	return s
}

const ms = int64(1_000_000)

func timeMS(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// sp builds a span with ID n, parent ID parent (0 = none), service svc,
// kind k and window [start, end] in milliseconds. Its name is "<svc>.<n>"
// unless an option renames it.
func sp(n, parent uint64, svc string, k trace.Kind, start, end int64, opts ...func(*trace.Span)) trace.Span {
	s := trace.Span{
		TraceID:  tid,
		SpanID:   id(n),
		ParentID: id(parent),
		Service:  svc,
		Name:     fmt.Sprintf("%s.%d", svc, n),
		Kind:     k,
		Start:    start * ms,
		End:      end * ms,
	}
	for _, o := range opts {
		o(&s)
	}
	return s
}

func named(name string) func(*trace.Span) { return func(s *trace.Span) { s.Name = name } }

func ref(typ trace.RefType, n uint64) func(*trace.Span) {
	return func(s *trace.Span) { s.Refs = append(s.Refs, trace.Ref{TraceID: tid, SpanID: id(n), Type: typ}) }
}

func crossRef(typ trace.RefType, n uint64) func(*trace.Span) {
	return func(s *trace.Span) {
		s.Refs = append(s.Refs, trace.Ref{TraceID: trace.TraceID{15: 0xff}, SpanID: id(n), Type: typ})
	}
}

func shared(s *trace.Span) { s.Flags |= trace.FlagShared }

// build groups spans as the decoders' output would be: one trace, sorted, unlinked.
func build(spans ...trace.Span) *trace.Trace {
	g := trace.NewGrouper()
	g.Add(spans...)
	ts := g.Traces()
	if len(ts) != 1 {
		return &trace.Trace{ID: tid}
	}
	return ts[0]
}

// find returns the index of the span with the given name, failing the test if absent.
func find(t testing.TB, tr *trace.Trace, name string) int32 {
	t.Helper()
	for i := range tr.Spans {
		if tr.Spans[i].Name == name {
			return int32(i)
		}
	}
	t.Fatalf("no span %q in trace:\n%s", name, dump(tr))
	return -1
}

// parentName is the name of name's parent, or "" for a root.
func parentName(t testing.TB, tr *trace.Trace, name string) string {
	t.Helper()
	p := tr.Parent[find(t, tr, name)]
	if p < 0 {
		return ""
	}
	return tr.Spans[p].Name
}

// dump renders the forest, one span per line in preorder:
// indent, name, [start,end] relative to the trace's first start in µs,
// relation, flags and warnings.
func dump(tr *trace.Trace) string {
	var b strings.Builder
	if len(tr.Spans) == 0 {
		return "(empty)\n"
	}
	base := tr.Spans[0].Start
	for i := range tr.Spans {
		base = min(base, tr.Spans[i].Start)
	}
	depth := tr.Depth()
	var order []int32
	for _, r := range tr.Roots {
		order = tr.Preorder(r, order[:0])
		for _, i := range order {
			s := &tr.Spans[i]
			fmt.Fprintf(&b, "%s%s [%d,%d]", strings.Repeat("  ", int(depth[i])), s.Name,
				(s.Start-base)/1000, (s.End-base)/1000)
			if s.Kind != trace.KindUnspecified {
				fmt.Fprintf(&b, " %s", s.Kind)
			}
			if tr.Parent[i] >= 0 && s.ParentRef != trace.RefChildOf {
				fmt.Fprintf(&b, " ref=%s", s.ParentRef)
			}
			if s.Async() {
				b.WriteString(" ASYNC")
			}
			if s.Warnings != 0 {
				fmt.Fprintf(&b, " !%s", s.Warnings)
			}
			b.WriteByte('\n')
		}
	}
	if len(tr.Rejected) > 0 {
		for _, r := range tr.Rejected.Reasons() {
			fmt.Fprintf(&b, "rejected %s: %d\n", r, tr.Rejected[r])
		}
	}
	return b.String()
}

// checkInvariants fails unless tr is a valid repaired trace: Parent one
// valid entry per span and acyclic, Roots and Children consistent with it,
// span IDs unique, spans in canonical order, End >= Start.
func checkInvariants(t testing.TB, tr *trace.Trace) {
	t.Helper()
	n := len(tr.Spans)
	if len(tr.Parent) != n {
		t.Fatalf("len(Parent)=%d, len(Spans)=%d", len(tr.Parent), n)
	}
	ids := make(map[trace.SpanID]bool, n)
	nroots := 0
	for i := range tr.Spans {
		s := &tr.Spans[i]
		if ids[s.SpanID] {
			t.Fatalf("span ID %s used twice", s.SpanID)
		}
		ids[s.SpanID] = true
		if s.End < s.Start {
			t.Fatalf("span %d ends before it starts", i)
		}
		if i > 0 && trace.CompareSpans(&tr.Spans[i-1], s) > 0 {
			t.Fatalf("spans %d and %d out of order", i-1, i)
		}
		p := tr.Parent[i]
		if p < -1 || int(p) >= n {
			t.Fatalf("Parent[%d]=%d out of range", i, p)
		}
		if p < 0 {
			nroots++
		}
	}
	if len(tr.Roots) != nroots {
		t.Fatalf("%d roots linked, %d in Parent", len(tr.Roots), nroots)
	}
	// Every span reachable from a root exactly once means no cycles.
	seen := make([]bool, n)
	count := 0
	var order []int32
	for _, r := range tr.Roots {
		if tr.Parent[r] != -1 {
			t.Fatalf("root %d has parent %d", r, tr.Parent[r])
		}
		order = tr.Preorder(r, order[:0])
		for _, i := range order {
			if seen[i] {
				t.Fatalf("span %d reached twice", i)
			}
			seen[i] = true
			count++
			for _, c := range tr.Children(i) {
				if tr.Parent[c] != i {
					t.Fatalf("child %d of %d has Parent %d", c, i, tr.Parent[c])
				}
			}
		}
	}
	if count != n {
		t.Fatalf("%d of %d spans reachable from roots (cycle?)", count, n)
	}
}
