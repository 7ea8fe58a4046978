package critpath

import "github.com/syncaudit/syncaudit/trace"

// Section is a stretch of a request's critical path during which the
// request waited on one span: the deepest path span running then.
type Section struct {
	Span       int32 // index in the trace's Spans
	Start, End int64 // Unix nanoseconds, Start < End
}

// Duration returns End-Start in nanoseconds.
func (s Section) Duration() int64 { return s.End - s.Start }

// Sections returns the critical path of the request rooted at root as time
// sections, earliest first, for timeline rendering. They tile the root's
// window without gaps or overlap, and two adjacent sections never belong to
// the same span.
// t must be the trace p was computed from. It returns nil when root is not
// one of t's roots.
//
// A span's sections add up to its Self time, except where the clock-skew
// rule chained two overlapping siblings: Self charges the overlap to the
// parent (as CRISP does), while Sections, which cannot overlap, leave it to
// the earlier sibling.
//
// In JaegerUI mode these are the Jaeger UI's critical-path sections, oldest
// first (the UI lists them newest first), except that the UI's two sections
// of a span on either side of a zero-duration path child are one here.
func (p *Path) Sections(t *trace.Trace, root int32) []Section {
	if t == nil || root < 0 || int(root) >= len(p.OnPath) || int(root) >= len(t.Parent) ||
		t.Parent[root] >= 0 || !p.OnPath[root] {
		return nil
	}
	type sframe struct {
		span       int32
		start, end int64 // clipped window
		lo, hi     int   // path children in kids[lo:hi], in time order
		next       int
	}
	var (
		out    []Section
		kids   []int32
		stack  []sframe
		cursor int64 // everything before cursor has been emitted
	)
	emit := func(span int32, b int64) { // [cursor, b]
		if cursor >= b {
			return
		}
		if k := len(out) - 1; k >= 0 && out[k].Span == span {
			// Only a zero-duration path child (JaegerUI mode) lies between.
			out[k].End = b
		} else {
			out = append(out, Section{span, cursor, b})
		}
		cursor = b
	}
	push := func(span int32, start, end int64) {
		lo := len(kids)
		kids = p.AppendChildren(kids, span)
		stack = append(stack, sframe{span: span, start: start, end: end, lo: lo, hi: len(kids), next: lo})
	}
	r := &t.Spans[root]
	cursor = r.Start
	push(root, r.Start, max(r.Start, r.End))
	for len(stack) > 0 {
		f := &stack[len(stack)-1]
		if f.next == f.hi {
			emit(f.span, f.end)
			kids = kids[:f.lo]
			stack = stack[:len(stack)-1]
			continue
		}
		c := kids[f.next]
		f.next++
		s := &t.Spans[c]
		cs, ce := max(s.Start, f.start), min(s.End, f.end)
		emit(f.span, cs)
		push(c, cs, ce) // invalidates f
	}
	return out
}
