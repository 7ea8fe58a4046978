package otlp

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/trace"
)

const (
	// batchSize is the number of spans collected before Emit is called.
	// Batches are only cut between resourceSpans.
	batchSize = 1024
	// slabSize is the largest number of Attrs (and Refs) allocated at
	// once; spans take capacity-limited sub-slices of a slab, so later
	// appends never overlap.
	slabSize = 1024
)

// ConvertTraces converts pdata traces to spans and emits them in batches.
// Spans without a trace or span ID are counted with em.Reject. Strings
// (service and operation names, low-cardinality attribute values) are
// interned with in; a nil in uses a private Interner.
func ConvertTraces(td ptrace.Traces, em decoder.Emitter, in decoder.Interner) {
	c := newConverter(em, in)
	c.traces(td)
	c.flush()
	c.done()
}

// converter turns decoded OTLP spans (from pdata or from the fallback JSON
// reader) into trace.Spans, batching them for the Emitter.
type converter struct {
	em decoder.Emitter
	in decoder.Interner
	// spans is the pending batch.
	spans []trace.Span
	// attrSlab and refSlab are the unused parts of the current slabs;
	// attrChunk and refChunk the sizes of the last slabs allocated.
	attrSlab            []trace.Attr
	refSlab             []trace.Ref
	attrChunk, refChunk int
	// scratch collects the kept attributes of the span being built.
	scratch trace.Attrs
	// memo remembers recent span attribute arrays (see attrMemo);
	// recalled is the shared list of the array recalled for the span
	// being built.
	recalled trace.Attrs
	// memos remembers recent span attribute arrays and resources; it
	// comes from memoPool and goes back with done.
	*memos
	// sets shares identical attribute lists between spans.
	sets    decoder.AttrSets
	st      spanState
	classes classCache
	// rejTrace and rejSpan count rejected spans not yet reported.
	rejTrace, rejSpan int
	// resourceSpans counts the ResourceSpans read, to tell an input
	// without any from one whose resourceSpans hold no spans.
	resourceSpans int
	// hold defers emission while a document is read tentatively; cuts
	// then records where flushIfFull would have cut batches.
	hold bool
	cuts []int
}

// convMark is a converter state that rollback returns to.
type convMark struct{ spans, rejTrace, rejSpan, resourceSpans int }

// holdOn starts tentative reading: nothing is emitted until release, and
// rollback can discard what was added since.
func (c *converter) holdOn() convMark {
	c.hold = true
	c.cuts = c.cuts[:0]
	return convMark{len(c.spans), c.rejTrace, c.rejSpan, c.resourceSpans}
}

// rollback discards the spans and counts added since m and ends holding.
func (c *converter) rollback(m convMark) {
	clear(c.spans[m.spans:])
	c.spans = c.spans[:m.spans]
	c.rejTrace, c.rejSpan, c.resourceSpans = m.rejTrace, m.rejSpan, m.resourceSpans
	c.hold = false
	c.cuts = c.cuts[:0]
}

// release ends holding and emits the batches cut while holding.
func (c *converter) release() {
	c.hold = false
	if len(c.cuts) == 0 {
		return
	}
	all := c.spans
	from := 0
	for _, to := range c.cuts[:len(c.cuts)-1] {
		c.em.Emit(all[from:to])
		from = to
	}
	last := c.cuts[len(c.cuts)-1]
	c.spans = all[from:last]
	c.flush() // the last cut batch and the rejections so far
	n := copy(all, all[last:])
	clear(all[n:])
	c.spans = all[:n]
	c.cuts = c.cuts[:0]
}

// spanState is one span being built, with the hints gathered from
// attributes that only apply once the whole span is read.
type spanState struct {
	sp        trace.Span
	errTag    bool         // error=true (OpenTracing/Jaeger tag)
	tagStatus trace.Status // otel.status_code attribute
	tagKind   trace.Kind   // span.kind attribute
}

func newConverter(em decoder.Emitter, in decoder.Interner) *converter {
	if in == nil {
		in = decoder.Interner{}
	}
	return &converter{em: em, in: in, memos: memoPool.Get().(*memos)}
}

// done gives the converter's memos back for the next decode. The
// converter must not be used afterwards.
func (c *converter) done() {
	if c.memos != nil {
		memoPool.Put(c.memos)
		c.memos = nil
	}
}

// flush emits pending spans and rejection counts.
func (c *converter) flush() {
	if len(c.spans) > 0 {
		c.em.Emit(c.spans)
		clear(c.spans)
		c.spans = c.spans[:0]
	}
	if c.rejTrace > 0 {
		c.em.Reject(trace.RejectInvalidTraceID, c.rejTrace)
		c.rejTrace = 0
	}
	if c.rejSpan > 0 {
		c.em.Reject(trace.RejectInvalidSpanID, c.rejSpan)
		c.rejSpan = 0
	}
}

// flushIfFull emits the batch once it is large enough. Call it only between
// resourceSpans.
func (c *converter) flushIfFull() {
	if c.hold {
		last := 0
		if n := len(c.cuts); n > 0 {
			last = c.cuts[n-1]
		}
		if len(c.spans)-last >= batchSize {
			c.cuts = append(c.cuts, len(c.spans))
		}
		return
	}
	if len(c.spans) >= batchSize {
		c.flush()
	}
}

// begin resets st for a new span.
func (c *converter) begin() *spanState {
	c.st = spanState{}
	c.scratch = c.scratch[:0]
	c.recalled = nil
	return &c.st
}

// finish applies attribute hints, copies the kept attributes into a slab
// and returns the span.
func (c *converter) finish(st *spanState) trace.Span {
	sp := &st.sp
	if sp.Status == trace.StatusUnset {
		switch {
		case st.errTag:
			sp.Status = trace.StatusError
		case st.tagStatus != trace.StatusUnset:
			sp.Status = st.tagStatus
		}
	}
	if sp.Kind == trace.KindUnspecified {
		sp.Kind = st.tagKind
	}
	if sp.Start == 0 || sp.End == 0 {
		sp.Warnings |= trace.WarnMissingTimestamp
	}
	if c.recalled != nil && slices.Equal(c.scratch, c.recalled) {
		sp.Attrs = c.recalled // recalled from the memo, already shared
	} else {
		sp.Attrs = c.sets.Share(c.scratch, c.copyAttrs)
	}
	return *sp
}

// copyAttrs copies a into the attribute slab.
func (c *converter) copyAttrs(a trace.Attrs) trace.Attrs {
	n := len(a)
	if len(c.attrSlab) < n {
		c.attrChunk = nextChunk(c.attrChunk)
		c.attrSlab = make([]trace.Attr, max(c.attrChunk, n))
	}
	out := c.attrSlab[:n:n]
	c.attrSlab = c.attrSlab[n:]
	copy(out, a)
	return out
}

// nextChunk grows slab sizes geometrically from 16 to slabSize, so small
// conversions do not pin a large slab and large ones allocate rarely.
func nextChunk(prev int) int {
	return min(max(2*prev, 16), slabSize)
}

// allocRefs returns an empty slice with room for n refs.
func (c *converter) allocRefs(n int) []trace.Ref {
	if len(c.refSlab) < n {
		c.refChunk = nextChunk(c.refChunk)
		c.refSlab = make([]trace.Ref, max(c.refChunk, n))
	}
	r := c.refSlab[:0:n]
	c.refSlab = c.refSlab[n:]
	return r
}

// addRef records a link. A Jaeger FOLLOWS_FROM reference that the
// Jaeger-to-OTLP translator turned into both parentSpanId and a link is
// folded into ParentRef instead.
func addRef(st *spanState, refs []trace.Ref, tid trace.TraceID, sid trace.SpanID, typ trace.RefType) []trace.Ref {
	sp := &st.sp
	if typ == trace.RefFollowsFrom && sp.ParentRef == trace.RefChildOf && sid == sp.ParentID && tid == sp.TraceID {
		sp.ParentRef = trace.RefFollowsFrom
		return refs
	}
	return append(refs, trace.Ref{TraceID: tid, SpanID: sid, Type: typ})
}

// linkType maps the opentracing.ref_type link attribute written by the
// Jaeger-to-OTLP translator; other links are plain OTLP links.
func linkType(v string) trace.RefType {
	switch v {
	case "follows_from":
		return trace.RefFollowsFrom
	case "child_of":
		return trace.RefChildOf
	}
	return trace.RefLink
}

// attrClass says what an attribute contributes to a span.
type attrClass uint8

const (
	classIgnore     attrClass = iota
	classKept                 // a trace.AttrKey
	classError                // error=true: Jaeger/OpenTracing error tag
	classOtelStatus           // otel.status_code: left by Jaeger/Zipkin translation
	classSpanKind             // span.kind: left by Jaeger/Zipkin translation
)

// classify maps an attribute name to its class and, for kept attributes,
// the key and whether the name is the current semantic-convention name
// (which then wins over a legacy alias). A cheap length and first-byte test
// rejects most ignored attributes before the map lookup.
func classify(name string) (k trace.AttrKey, cl attrClass, current bool) {
	if len(name) < 5 || len(name) > 26 {
		return 0, classIgnore, false
	}
	switch name[0] {
	case 'd', 'e', 'h', 'm', 'n', 'o', 'p', 'r', 's', 'u':
	case 'c':
		// Only code.* and cassandra.* are kept: client.* and the like,
		// common on every span, stay one comparison away from ignored.
		if !strings.HasPrefix(name, "code.") && !strings.HasPrefix(name, "cassandra.") {
			return 0, classIgnore, false
		}
	default:
		return 0, classIgnore, false
	}
	switch name {
	case "error":
		return 0, classError, false
	case "otel.status_code":
		return 0, classOtelStatus, false
	case "span.kind":
		return 0, classSpanKind, false
	}
	if k, ok := trace.KeyOf(name); ok {
		return k, classKept, name == k.String()
	}
	return 0, classIgnore, false
}

// classCache remembers the class of recently seen attribute names. Spans
// from one instrumentation repeat the same names, so a direct-mapped
// table indexed by a cheap hash avoids most map lookups in classify.
type classCache [64]struct {
	name    string
	key     trace.AttrKey
	class   attrClass
	current bool
}

func cacheSlot(n int, first, last byte) int {
	return (n*7 + int(first) + 3*int(last)) & 63
}

// classify is classify through the cache.
func (cc *classCache) classify(name string) (trace.AttrKey, attrClass, bool) {
	if name == "" {
		return 0, classIgnore, false
	}
	e := &cc[cacheSlot(len(name), name[0], name[len(name)-1])]
	if e.name != name {
		e.name = name
		e.key, e.class, e.current = classify(name)
	}
	return e.key, e.class, e.current
}

// classifyBytes is classify through the cache for a name read as bytes;
// it allocates only on a cache miss.
func (cc *classCache) classifyBytes(name []byte) (trace.AttrKey, attrClass, bool) {
	if len(name) == 0 {
		return 0, classIgnore, false
	}
	e := &cc[cacheSlot(len(name), name[0], name[len(name)-1])]
	if e.name != string(name) {
		e.name = string(name)
		e.key, e.class, e.current = classify(e.name)
	}
	return e.key, e.class, e.current
}

// lowCardinality reports whether values of k repeat across spans and are
// worth interning. URLs, statements and messages are mostly unique.
func lowCardinality(k trace.AttrKey) bool {
	switch k {
	case trace.AttrURLFull, trace.AttrURLPath, trace.AttrDBStatement, trace.AttrStatusMessage, trace.AttrCodeLine:
		return false
	}
	return true
}

// setAttr applies one classified attribute value to st.
func (c *converter) setAttr(st *spanState, k trace.AttrKey, cl attrClass, current bool, v string) {
	switch cl {
	case classKept:
		c.scratch.Set(k, v, current)
	case classError:
		if v == "true" {
			st.errTag = true
		}
	case classOtelStatus:
		switch v {
		case "ERROR", "error", "STATUS_CODE_ERROR":
			st.tagStatus = trace.StatusError
		case "OK", "ok", "STATUS_CODE_OK":
			st.tagStatus = trace.StatusOK
		}
	case classSpanKind:
		st.tagKind = trace.ParseKind(v)
	}
}

// bytesValue returns b as a string, interned when intern is set.
func (c *converter) bytesValue(b []byte, intern bool) string {
	if intern {
		return c.in.InternBytes(b)
	}
	return string(b)
}

// samplingState reports whether a span's W3C tracestate carries
// OpenTelemetry's sampling member ("ot="), the only part syncaudit reads
// (package sampling): other tracestates are not kept.
func samplingState[T string | []byte](ts T) bool {
	for i := 0; i+3 <= len(ts); i++ {
		if ts[i] == 'o' && ts[i+1] == 't' && ts[i+2] == '=' && (i == 0 || ts[i-1] == ',' || ts[i-1] == ' ' || ts[i-1] == '\t') {
			return true
		}
	}
	return false
}

// statusOf maps an OTLP status code.
func statusOf(code int64) trace.Status {
	switch code {
	case 1:
		return trace.StatusOK
	case 2:
		return trace.StatusError
	}
	return trace.StatusUnset
}

// kindOf maps an OTLP span kind number; unknown values are unspecified.
func kindOf(k int64) trace.Kind {
	if k < 0 || k > int64(trace.KindConsumer) {
		return trace.KindUnspecified
	}
	return trace.Kind(k)
}

// nanos converts an OTLP fixed64 timestamp.
func nanos(u uint64) int64 {
	if u > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(u)
}

// traces converts pdata traces.
func (c *converter) traces(td ptrace.Traces) {
	rss := td.ResourceSpans()
	c.resourceSpans += rss.Len()
	n := 0
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			n += sss.At(j).Spans().Len()
		}
	}
	c.spans = slices.Grow(c.spans, min(n, batchSize))
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		svc := ""
		if v, ok := rs.Resource().Attributes().Get("service.name"); ok {
			svc = c.pvalue(v, true)
		}
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				c.pspan(spans.At(k), svc)
			}
		}
		c.flushIfFull()
	}
}

// pspan converts one pdata span.
func (c *converter) pspan(s ptrace.Span, svc string) {
	tid := s.TraceID()
	if tid.IsEmpty() {
		c.rejTrace++
		return
	}
	sid := s.SpanID()
	if sid.IsEmpty() {
		c.rejSpan++
		return
	}
	st := c.begin()
	sp := &st.sp
	sp.TraceID = trace.TraceID(tid)
	sp.SpanID = trace.SpanID(sid)
	if p := s.ParentSpanID(); !p.IsEmpty() {
		sp.ParentID = trace.SpanID(p)
		sp.ParentRef = trace.RefChildOf
	}
	sp.Service = svc
	sp.Name = c.in.Intern(s.Name())
	sp.Kind = kindOf(int64(s.Kind()))
	sp.Start = nanos(uint64(s.StartTimestamp()))
	sp.End = nanos(uint64(s.EndTimestamp()))
	for name, v := range s.Attributes().All() {
		k, cl, current := c.classes.classify(name)
		if cl == classIgnore {
			continue
		}
		c.setAttr(st, k, cl, current, c.pvalue(v, cl != classKept || lowCardinality(k)))
	}
	if ts := s.TraceState().AsRaw(); samplingState(ts) {
		c.scratch.Set(trace.AttrTraceState, c.in.Intern(ts), true)
	}
	status := s.Status()
	sp.Status = statusOf(int64(status.Code()))
	if msg := status.Message(); msg != "" {
		c.scratch.Set(trace.AttrStatusMessage, msg, true)
	}
	if links := s.Links(); links.Len() > 0 {
		refs := c.allocRefs(links.Len())
		for i := 0; i < links.Len(); i++ {
			l := links.At(i)
			ltid, lsid := l.TraceID(), l.SpanID()
			if ltid.IsEmpty() || lsid.IsEmpty() {
				continue
			}
			typ := trace.RefLink
			if v, ok := l.Attributes().Get("opentracing.ref_type"); ok && v.Type() == pcommon.ValueTypeStr {
				typ = linkType(v.Str())
			}
			refs = addRef(st, refs, trace.TraceID(ltid), trace.SpanID(lsid), typ)
		}
		if len(refs) > 0 {
			sp.Refs = refs
		}
	}
	c.spans = append(c.spans, c.finish(st))
}

// pvalue renders a scalar pdata value as a string ("" for arrays, maps
// and bytes), interning it when intern is set.
func (c *converter) pvalue(v pcommon.Value, intern bool) string {
	var buf [32]byte
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if intern {
			return c.in.Intern(v.Str())
		}
		return v.Str()
	case pcommon.ValueTypeInt:
		return c.bytesValue(strconv.AppendInt(buf[:0], v.Int(), 10), intern)
	case pcommon.ValueTypeDouble:
		return c.bytesValue(strconv.AppendFloat(buf[:0], v.Double(), 'g', -1, 64), intern)
	case pcommon.ValueTypeBool:
		if v.Bool() {
			return "true"
		}
		return "false"
	}
	return ""
}
