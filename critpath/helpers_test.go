package critpath

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/syncaudit/syncaudit/internal/tracetest"
	"github.com/syncaudit/syncaudit/trace"
)

// sp describes one span of a hand-built trace: name, parent name ("" for a
// root), window [start, end] in nanoseconds and whether it is async.
type sp struct {
	name, parent string
	start, end   int64
	async        bool
}

// built is a linked trace plus the name of each span and the index of each name.
type built struct {
	t     *trace.Trace
	names []string
	idx   map[string]int32
}

// build makes a linked trace from spans. Span IDs follow list order, so the
// canonical sort (Start, SpanID) puts spans with equal starts in list order.
func build(tb testing.TB, spans []sp) built {
	tb.Helper()
	tid := trace.TraceID{15: 1}
	byName := make(map[string]trace.SpanID, len(spans))
	for k, s := range spans {
		var id trace.SpanID
		binary.BigEndian.PutUint64(id[:], uint64(k+1))
		if _, dup := byName[s.name]; dup {
			tb.Fatalf("duplicate span name %q", s.name)
		}
		byName[s.name] = id
	}
	t := &trace.Trace{ID: tid}
	for _, s := range spans {
		span := trace.Span{TraceID: tid, SpanID: byName[s.name], Name: s.name, Start: s.start, End: s.end}
		if s.parent != "" {
			pid, ok := byName[s.parent]
			if !ok {
				tb.Fatalf("span %q: unknown parent %q", s.name, s.parent)
			}
			span.ParentID = pid
		}
		if s.async {
			span.Flags |= trace.FlagAsync
		}
		t.Spans = append(t.Spans, span)
	}
	return linkByParentID(tb, t)
}

// linkByParentID links t from its spans' ParentIDs and names its spans.
func linkByParentID(tb testing.TB, t *trace.Trace) built {
	tb.Helper()
	tracetest.Link(tb, t)
	return named(t)
}

// named returns t, which must be linked, with the name of each span and the
// index of each name.
func named(t *trace.Trace) built {
	b := built{t: t, names: make([]string, len(t.Spans)), idx: make(map[string]int32, len(t.Spans))}
	for i := range t.Spans {
		b.names[i] = t.Spans[i].Name
		b.idx[t.Spans[i].Name] = int32(i)
	}
	return b
}

// selfByName returns Self of every on-path span by name.
func (b built) selfByName(p *Path) map[string]int64 {
	out := map[string]int64{}
	for i, on := range p.OnPath {
		if on {
			out[b.names[i]] = p.Self[i]
		}
	}
	return out
}

// sectionsString renders sections as "name start-end" lines.
func (b built) sectionsString(secs []Section) []string {
	out := make([]string, len(secs))
	for i, s := range secs {
		out[i] = fmt.Sprintf("%s %d-%d", b.names[s.Span], s.Start, s.End)
	}
	return out
}
