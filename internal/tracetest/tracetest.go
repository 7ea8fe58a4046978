// Package tracetest builds linked traces for tests from spans that name
// their parents by ID, as the decoders leave them.
//
// Input: a *trace.Trace whose spans carry ParentID. Output: the same trace
// sorted, with Parent resolved and the tree linked.
package tracetest

import (
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

// Link sorts t's spans, sets Parent from each span's ParentID and links the
// tree. A ParentID that names no span of t fails the test.
func Link(tb testing.TB, t *trace.Trace) {
	tb.Helper()
	t.SortSpans()
	pos := make(map[trace.SpanID]int32, len(t.Spans))
	for i := range t.Spans {
		pos[t.Spans[i].SpanID] = int32(i)
	}
	for i := range t.Spans {
		if pid := t.Spans[i].ParentID; !pid.IsZero() {
			p, ok := pos[pid]
			if !ok {
				tb.Fatalf("span %d (%s): parent %s not in trace", i, t.Spans[i].Name, pid)
			}
			t.Parent[i] = p
		}
	}
	t.Link()
}
