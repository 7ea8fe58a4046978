package critpath_test

import (
	"fmt"
	"time"

	"github.com/syncaudit/syncaudit/critpath"
	"github.com/syncaudit/syncaudit/trace"
)

// A checkout request calls auth, then payment and inventory in parallel, and
// publishes an email job it does not wait for.
func Example() {
	ms := int64(time.Millisecond)
	spans := []struct {
		id, parent byte
		name       string
		start, end int64
		async      bool
	}{
		{1, 0, "POST /checkout", 0, 100 * ms, false},
		{2, 1, "auth", 5 * ms, 15 * ms, false},
		{3, 1, "payment", 20 * ms, 80 * ms, false},
		{4, 1, "inventory", 20 * ms, 50 * ms, false},
		{5, 1, "send email", 85 * ms, 300 * ms, true}, // marked async by the repair step
	}
	t := &trace.Trace{}
	for _, s := range spans {
		sp := trace.Span{SpanID: trace.SpanID{7: s.id}, ParentID: trace.SpanID{7: s.parent}, Name: s.name, Start: s.start, End: s.end}
		if s.parent == 0 {
			sp.ParentID = trace.SpanID{}
		}
		if s.async {
			sp.Flags |= trace.FlagAsync
		}
		t.Spans = append(t.Spans, sp)
	}
	t.SortSpans()
	for i := range t.Spans { // what the repair step does: choose parents, then link
		for j := range t.Spans {
			if t.Spans[i].ParentID == t.Spans[j].SpanID {
				t.Parent[i] = int32(j)
			}
		}
	}
	t.Link()

	p := critpath.Compute(t)
	for i, s := range t.Spans {
		if p.OnPath[i] {
			fmt.Printf("%-15s self %v\n", s.Name, time.Duration(p.Self[i]))
		}
	}
	fmt.Println("timeline:")
	for _, sec := range p.Sections(t, t.Roots[0]) {
		fmt.Printf("  %3d–%3d ms  %s\n", sec.Start/ms, sec.End/ms, t.Spans[sec.Span].Name)
	}
	// Output:
	// POST /checkout  self 30ms
	// auth            self 10ms
	// payment         self 60ms
	// timeline:
	//     0–  5 ms  POST /checkout
	//     5– 15 ms  auth
	//    15– 20 ms  POST /checkout
	//    20– 80 ms  payment
	//    80–100 ms  POST /checkout
}
