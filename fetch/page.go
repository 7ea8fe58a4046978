package fetch

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// page is what one request returned, grouped by trace ID: OTLP answers
// (api_v3, gRPC) as pdata split per trace, Jaeger UI answers (classic) as
// each trace's raw JSON.
type page struct {
	traces map[pcommon.TraceID]ptrace.Traces
	raw    map[pcommon.TraceID]rawTrace
	order  []pcommon.TraceID
	// returned counts the distinct traces the server sent, before any
	// client-side filtering; a page is full when it reaches the depth
	// asked for.
	returned int
	// filtered counts traces dropped by the client-side tag filter.
	filtered int
}

// rawTrace is one trace of a Jaeger UI answer, as the server sent it.
type rawTrace struct {
	json  []byte
	spans int
	start time.Time
}

func newPage() *page {
	return &page{traces: map[pcommon.TraceID]ptrace.Traces{}, raw: map[pcommon.TraceID]rawTrace{}}
}

// addRaw adds one raw trace; a trace ID seen before in the page is ignored.
func (p *page) addRaw(id pcommon.TraceID, t rawTrace) {
	if _, ok := p.raw[id]; ok {
		return
	}
	p.raw[id] = t
	p.order = append(p.order, id)
}

// dest returns the Traces collecting trace id, creating it on first use.
func (p *page) dest(id pcommon.TraceID) ptrace.Traces {
	td, ok := p.traces[id]
	if !ok {
		td = ptrace.NewTraces()
		p.traces[id] = td
		p.order = append(p.order, id)
	}
	return td
}

// add moves the spans of td into per-trace Traces. A ResourceSpans whose
// spans all belong to one trace is moved whole (the usual case: Jaeger
// builds its answers trace by trace); a mixed one is split, copying its
// resource and scopes. Spans without a trace ID are dropped. td is
// emptied.
func (p *page) add(td ptrace.Traces) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		id, single := soleTraceID(rs)
		if single {
			if !id.IsEmpty() {
				rs.MoveTo(p.dest(id).ResourceSpans().AppendEmpty())
			}
			continue
		}
		p.split(rs)
	}
	rss.RemoveIf(func(ptrace.ResourceSpans) bool { return true })
}

// soleTraceID returns the trace ID shared by every span of rs; single is
// false when rs holds spans of several traces. An rs without spans
// reports the empty ID and single=true (it is dropped).
func soleTraceID(rs ptrace.ResourceSpans) (id pcommon.TraceID, single bool) {
	first := true
	sss := rs.ScopeSpans()
	for j := 0; j < sss.Len(); j++ {
		spans := sss.At(j).Spans()
		for k := 0; k < spans.Len(); k++ {
			t := spans.At(k).TraceID()
			if first {
				id, first = t, false
			} else if t != id {
				return id, false
			}
		}
	}
	return id, true
}

// split distributes the spans of a mixed ResourceSpans over their traces.
func (p *page) split(rs ptrace.ResourceSpans) {
	type key struct {
		id    pcommon.TraceID
		scope int
	}
	rsOf := map[pcommon.TraceID]ptrace.ResourceSpans{}
	ssOf := map[key]ptrace.ScopeSpans{}
	sss := rs.ScopeSpans()
	for j := 0; j < sss.Len(); j++ {
		ss := sss.At(j)
		spans := ss.Spans()
		for k := 0; k < spans.Len(); k++ {
			sp := spans.At(k)
			id := sp.TraceID()
			if id.IsEmpty() {
				continue
			}
			dst, ok := ssOf[key{id, j}]
			if !ok {
				drs, ok := rsOf[id]
				if !ok {
					drs = p.dest(id).ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(drs.Resource())
					drs.SetSchemaUrl(rs.SchemaUrl())
					rsOf[id] = drs
				}
				dst = drs.ScopeSpans().AppendEmpty()
				ss.Scope().CopyTo(dst.Scope())
				dst.SetSchemaUrl(ss.SchemaUrl())
				ssOf[key{id, j}] = dst
			}
			sp.CopyTo(dst.Spans().AppendEmpty())
		}
	}
}

// traceStart returns the earliest span start of td (0 when it has none).
func traceStart(td ptrace.Traces) pcommon.Timestamp {
	var start pcommon.Timestamp
	first := true
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				if s := spans.At(k).StartTimestamp(); first || s < start {
					start, first = s, false
				}
			}
		}
	}
	return start
}
