package trace

import (
	"bytes"
	"slices"
)

// Grouper collects spans from any number of files and batches and groups
// them by trace ID. The zero value is not usable; call NewGrouper.
type Grouper struct {
	traces map[TraceID]*Trace
	spans  int
}

// NewGrouper returns an empty Grouper.
func NewGrouper() *Grouper { return &Grouper{traces: make(map[TraceID]*Trace)} }

// Add appends spans to their traces. The spans are copied.
func (g *Grouper) Add(spans ...Span) {
	for i := range spans {
		s := &spans[i]
		t := g.traces[s.TraceID]
		if t == nil {
			t = &Trace{ID: s.TraceID}
			g.traces[s.TraceID] = t
		}
		t.Spans = append(t.Spans, *s)
	}
	g.spans += len(spans)
}

// Spans is the number of spans added.
func (g *Grouper) Spans() int { return g.spans }

// Traces returns the traces sorted by ID, each with its spans in canonical
// order (SortSpans) and not yet linked. The Grouper is emptied.
func (g *Grouper) Traces() []*Trace {
	out := make([]*Trace, 0, len(g.traces))
	for _, t := range g.traces {
		t.SortSpans()
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b *Trace) int { return bytes.Compare(a.ID[:], b.ID[:]) })
	g.traces = make(map[TraceID]*Trace)
	g.spans = 0
	return out
}
