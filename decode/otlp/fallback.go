package otlp

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/trace"
)

// maxWrapDepth bounds nested wrappers ({"result":{"trace":…}}).
const maxWrapDepth = 4

// Structural depths of OTLP/JSON values, used to bound skipped values.
const (
	depthResourceSpans = 3
	depthScopeSpans    = 5
	depthSpan          = 7
	depthAttr          = 9
	depthAnyValue      = 10
)

// fallback is syncaudit's own OTLP/JSON reader. In strict mode it reads
// every document first (see readStrict); otherwise it runs when pdata
// cannot read a document and reads what pdata does not: base64 IDs and enum names
// (protobuf-style JSON from Python/Java tooling), 64-bit and unpadded hex
// IDs, the legacy instrumentationLibrarySpans/instrumentationLibrary keys,
// the Tempo {"batches":…} wrapper. Its errors carry exact byte offsets.
//
// Spans are added to the converter one resourceSpans at a time, so a
// document that fails part-way keeps the resourceSpans read before the error.
type fallback struct {
	s      *scanner
	c      *converter
	sawRS  bool
	legacy []trace.Span
	links  []rawLink
	// strict makes the reader give up (set undecided and stop) on any
	// construct that pdata might read differently: wrappers, repeated
	// members, snake_case keys, enum names, unusual numbers, surrogate
	// escapes, empty member names. What a strict read accepts, pdata
	// reads identically or rejects.
	strict    bool
	undecided bool
}

// errUndecided stops a strict read; it is never reported.
var errUndecided = errors.New("otlp: left to pdata")

// giveUp ends a strict read as undecided. It reports whether the read
// goes on (not strict).
func (f *fallback) giveUp() bool {
	if !f.strict {
		return true
	}
	if f.s.err == nil {
		f.undecided = true
		f.s.err = errUndecided
		f.s.pos = len(f.s.data)
	}
	return false
}

// readStrict reads doc into c like decodeFallback, but only when the
// result is certain to equal pdata's (or pdata would reject doc). It
// returns false, with c unchanged, when the document is malformed or
// undecided; the caller then takes the pdata-first path.
func readStrict(doc []byte, c *converter, maxDepth int) bool {
	m := c.holdOn()
	s := newScanner(doc, maxDepth)
	f := &fallback{s: s, c: c, strict: true}
	f.doc(1)
	if s.err == nil {
		if s.ws(); s.pos < len(doc) {
			s.failChar("end of document")
		}
	}
	if s.err != nil || !f.sawRS || s.surrogate || s.emptyKey {
		c.rollback(m)
		return false
	}
	c.release()
	return true
}

type rawLink struct {
	tid, sid []byte
	typ      trace.RefType
}

// anyValue is a scalar AnyValue as read: kind is 's' (string), 'i' (int,
// from a string or number), 'b' (bool), 'd' (double), or 0 (absent, array,
// kvlist, bytes).
type anyValue struct {
	kind byte
	raw  []byte
}

// rejects counts rejected spans of one resourceSpans until it is complete.
type rejects struct{ trace, span int }

// decodeFallback reads one OTLP/JSON document (with wrappers) into c. It
// returns the error and its offset in doc.
func decodeFallback(doc []byte, c *converter, maxDepth int) (int, error) {
	s := newScanner(doc, maxDepth)
	f := &fallback{s: s, c: c}
	f.doc(1)
	if s.err == nil {
		if s.ws(); s.pos < len(doc) {
			s.failChar("end of document")
		}
	}
	if s.err != nil {
		return s.errPos, s.err
	}
	if !f.sawRS {
		s.pos = 0
		s.ws()
		return s.pos, fmt.Errorf("%w: no resourceSpans in OTLP/JSON document", decoder.ErrNoSpans)
	}
	return 0, nil
}

// doc reads a TracesData object or a wrapper around one.
func (f *fallback) doc(level int) {
	s := f.s
	s.object("OTLP/JSON document", func(key []byte) {
		switch string(key) {
		case "resourceSpans", "resource_spans", "batches":
			if f.strict && (f.sawRS || key[0] != 'r' || key[8] != 'S') {
				f.giveUp()
				return
			}
			f.sawRS = true
			s.array(string(key), f.resourceSpans)
		case "result", "trace":
			if !f.giveUp() {
				return
			}
			if level < maxWrapDepth && s.peek() == '{' {
				f.doc(level + 1)
			} else {
				s.skip(level)
			}
		default:
			s.skip(level)
		}
	})
}

// resourceSpans reads one ResourceSpans. Spans of the legacy
// instrumentationLibrarySpans key are used only when scopeSpans is absent,
// as the OTLP 0.15–0.18 rule says.
func (f *fallback) resourceSpans() {
	s, c := f.s, f.c
	mark := len(c.spans)
	f.legacy = f.legacy[:0]
	var rej, legacyRej rejects
	sawScope, sawRes := false, false
	svc := ""
	s.object("resourceSpans[]", func(key []byte) {
		switch string(key) {
		case "resource":
			if sawRes && !f.giveUp() {
				return
			}
			sawRes = true
			if name, ok := c.resMemo.recall(s); ok {
				svc = name
				return
			}
			start, flags := s.pos, s.flags()
			svc = f.resource()
			if f.strict && s.err == nil && s.flags() == flags {
				c.resMemo.remember(s.data[start:s.pos], svc)
			}
		case "scopeSpans", "scope_spans":
			if (sawScope || key[5] == '_') && !f.giveUp() {
				return
			}
			sawScope = true
			s.array("scopeSpans", func() { f.scopeSpans(&c.spans, &rej) })
		case "instrumentationLibrarySpans", "instrumentation_library_spans":
			s.array("instrumentationLibrarySpans", func() { f.scopeSpans(&f.legacy, &legacyRej) })
		default:
			s.skip(depthResourceSpans)
		}
	})
	if s.err != nil {
		clear(c.spans[mark:])
		c.spans = c.spans[:mark]
		return
	}
	if !sawScope {
		c.spans = append(c.spans, f.legacy...)
		rej = legacyRej
	}
	clear(f.legacy)
	for i := mark; i < len(c.spans); i++ {
		c.spans[i].Service = svc
	}
	c.rejTrace += rej.trace
	c.rejSpan += rej.span
	c.resourceSpans++
	c.flushIfFull()
}

// resource reads a Resource and returns its service.name.
func (f *fallback) resource() string {
	svc := ""
	sawAttrs, sawSvc := false, false
	f.s.object("resource", func(key []byte) {
		if string(key) != "attributes" {
			f.s.skip(depthResourceSpans + 1)
			return
		}
		if sawAttrs && !f.giveUp() {
			return
		}
		sawAttrs = true
		f.attributes("resource.attributes", func(k []byte, v anyValue) {
			if string(k) == "service.name" {
				if sawSvc && !f.giveUp() {
					return
				}
				sawSvc = true
				svc = f.value(v, true)
			}
		})
	})
	return svc
}

// scopeSpans reads one ScopeSpans (or legacy InstrumentationLibrarySpans).
func (f *fallback) scopeSpans(dst *[]trace.Span, rej *rejects) {
	s := f.s
	sawSpans := false
	s.object("scopeSpans[]", func(key []byte) {
		if string(key) != "spans" {
			s.skip(depthScopeSpans)
			return
		}
		if sawSpans && !f.giveUp() {
			return
		}
		sawSpans = true
		s.array("spans", func() { f.span(dst, rej) })
	})
}

// span reads one Span. Members may come in any order, so IDs, links and
// the status message are applied once the object is complete.
func (f *fallback) span(dst *[]trace.Span, rej *rejects) {
	s, c := f.s, f.c
	st := c.begin()
	sp := &st.sp
	var tid, sid, pid, msg, ts []byte
	var seen uint16
	f.links = f.links[:0]
	s.object("span", func(key []byte) {
		switch string(key) {
		case "traceId", "trace_id":
			if !f.mark(&seen, 1<<0, len(key) != 7) {
				return
			}
			tid = f.str("traceId")
		case "spanId", "span_id":
			if !f.mark(&seen, 1<<1, len(key) != 6) {
				return
			}
			sid = f.str("spanId")
		case "parentSpanId", "parent_span_id":
			if !f.mark(&seen, 1<<2, len(key) != 12) {
				return
			}
			pid = f.str("parentSpanId")
		case "traceState", "trace_state":
			if !f.mark(&seen, 1<<10, len(key) != 10) {
				return
			}
			ts = f.str("traceState")
		case "name":
			if !f.mark(&seen, 1<<3, false) {
				return
			}
			sp.Name = c.in.InternBytes(f.str("name"))
		case "kind":
			if !f.mark(&seen, 1<<4, false) {
				return
			}
			sp.Kind = f.kind()
		case "startTimeUnixNano", "start_time_unix_nano":
			if !f.mark(&seen, 1<<5, len(key) != 17) {
				return
			}
			sp.Start = f.time("startTimeUnixNano")
		case "endTimeUnixNano", "end_time_unix_nano":
			if !f.mark(&seen, 1<<6, len(key) != 15) {
				return
			}
			sp.End = f.time("endTimeUnixNano")
		case "attributes":
			if !f.mark(&seen, 1<<7, false) {
				return
			}
			clean := len(c.scratch) == 0 && !st.errTag && st.tagStatus == trace.StatusUnset && st.tagKind == trace.KindUnspecified
			if clean && c.memo.recall(s, c, st) {
				return
			}
			start, flags := s.pos, s.flags()
			f.attributes("attributes", func(k []byte, v anyValue) {
				key, cl, current := c.classes.classifyBytes(k)
				if cl != classIgnore {
					c.setAttr(st, key, cl, current, f.value(v, cl != classKept || lowCardinality(key)))
				}
			})
			// Only strict reads are remembered: what a strict read
			// accepts, a lenient one reads the same way, not the reverse.
			if clean && f.strict && s.err == nil && s.flags() == flags {
				c.memo.remember(s.data[start:s.pos], sp.Name, c, st)
			}
		case "links":
			if !f.mark(&seen, 1<<8, false) {
				return
			}
			s.array("links", f.link)
		case "status":
			if !f.mark(&seen, 1<<9, false) {
				return
			}
			msg = f.status(st)
		default:
			s.skip(depthSpan)
		}
	})
	if s.err != nil {
		return
	}
	var ok idState
	if sp.TraceID, ok = parseTraceID(tid); ok != idOK {
		rej.trace++
		return
	}
	if sp.SpanID, ok = parseSpanID(sid); ok != idOK {
		rej.span++
		return
	}
	switch p, ok := parseSpanID(pid); ok {
	case idOK:
		sp.ParentID, sp.ParentRef = p, trace.RefChildOf
	case idBad:
		rej.span++
		return
	}
	if len(msg) > 0 {
		c.scratch.Set(trace.AttrStatusMessage, string(msg), true)
	}
	if samplingState(ts) {
		c.scratch.Set(trace.AttrTraceState, c.in.InternBytes(ts), true)
	}
	if len(f.links) > 0 {
		refs := c.allocRefs(len(f.links))
		for _, l := range f.links {
			ltid, ok1 := parseTraceID(l.tid)
			lsid, ok2 := parseSpanID(l.sid)
			if ok1 == idOK && ok2 == idOK {
				refs = addRef(st, refs, ltid, lsid, l.typ)
			}
		}
		if len(refs) > 0 {
			sp.Refs = refs
		}
	}
	*dst = append(*dst, c.finish(st))
}

// link reads one Span.Link.
func (f *fallback) link() {
	var l rawLink
	l.typ = trace.RefLink
	var seen uint16
	f.s.object("link", func(key []byte) {
		switch string(key) {
		case "traceId", "trace_id":
			if !f.mark(&seen, 1<<0, len(key) != 7) {
				return
			}
			l.tid = f.str("link traceId")
		case "spanId", "span_id":
			if !f.mark(&seen, 1<<1, len(key) != 6) {
				return
			}
			l.sid = f.str("link spanId")
		case "attributes":
			if !f.mark(&seen, 1<<2, false) {
				return
			}
			sawRef := false
			f.attributes("link attributes", func(k []byte, v anyValue) {
				if string(k) == "opentracing.ref_type" {
					if sawRef && !f.giveUp() {
						return
					}
					sawRef = true
					if v.kind == 's' {
						l.typ = linkType(string(v.raw))
					}
				}
			})
		default:
			f.s.skip(depthSpan + 2)
		}
	})
	f.links = append(f.links, l)
}

// status reads a Status, sets the span's status and returns the message.
func (f *fallback) status(st *spanState) []byte {
	var msg []byte
	var seen uint16
	f.s.object("status", func(key []byte) {
		switch string(key) {
		case "code":
			if !f.mark(&seen, 1<<0, false) {
				return
			}
			st.sp.Status = f.statusCode()
		case "message":
			if !f.mark(&seen, 1<<1, false) {
				return
			}
			msg = f.str("status message")
		default:
			f.s.skip(depthSpan + 1)
		}
	})
	return msg
}

// attributes reads a KeyValue array and calls fn for each entry. Entries
// may list "value" before "key".
func (f *fallback) attributes(what string, fn func(key []byte, v anyValue)) {
	item := attrItem(what)
	s := f.s
	s.array(what, func() {
		var key []byte
		var v anyValue
		var seen uint16
		s.object(item, func(k []byte) {
			switch string(k) {
			case "key":
				if !f.mark(&seen, 1<<0, false) {
					return
				}
				key = f.str("attribute key")
			case "value":
				if !f.mark(&seen, 1<<1, false) {
					return
				}
				v = f.anyValue()
			default:
				s.skip(depthAttr)
			}
		})
		if s.err == nil {
			fn(key, v)
		}
	})
}

// anyValue reads an AnyValue, keeping scalars only.
func (f *fallback) anyValue() anyValue {
	s := f.s
	var v anyValue
	members := 0
	s.object("attribute value", func(key []byte) {
		if members++; members > 1 && !f.giveUp() {
			return
		}
		if f.strict && len(key) > 6 && key[len(key)-6] == '_' && !f.giveUp() {
			return // string_value, int_value, …: snake_case
		}
		switch string(key) {
		case "stringValue", "string_value":
			v = anyValue{'s', f.str("stringValue")}
		case "intValue", "int_value":
			v = anyValue{'i', f.numberOrString("intValue")}
		case "doubleValue", "double_value":
			v = anyValue{'d', f.numberOrString("doubleValue")}
		case "boolValue", "bool_value":
			switch s.peek() {
			case 't', 'f':
				v = anyValue{'b', s.literal()}
			default:
				s.typeError("boolValue", "boolean")
			}
		default: // arrayValue, kvlistValue, bytesValue, unknown
			v = anyValue{}
			s.skip(depthAnyValue)
		}
	})
	return v
}

// value renders a scalar as the pdata path would, or "".
func (f *fallback) value(v anyValue, intern bool) string {
	var buf [32]byte
	switch v.kind {
	case 's':
		return f.c.bytesValue(v.raw, intern)
	case 'b':
		if string(v.raw) == "true" {
			return "true"
		}
		return "false"
	case 'i':
		n, ok := parseInt(v.raw)
		if (!ok || leadingZero(v.raw)) && !f.giveUp() {
			return ""
		}
		if !ok {
			return ""
		}
		return f.c.bytesValue(strconv.AppendInt(buf[:0], n, 10), intern)
	case 'd':
		if !plainDouble(v.raw) && !f.giveUp() {
			return ""
		}
		x, err := strconv.ParseFloat(string(v.raw), 64)
		if err != nil {
			return ""
		}
		return f.c.bytesValue(strconv.AppendFloat(buf[:0], x, 'g', -1, 64), intern)
	}
	return ""
}

// str reads a string member, reporting a type error for other values.
func (f *fallback) str(what string) []byte {
	if f.s.peek() != '"' {
		f.s.typeError(what, "string")
		return nil
	}
	return f.s.str()
}

// numberOrString reads a number, or a string holding one (int64 and
// special doubles are strings in OTLP/JSON), and returns its text.
func (f *fallback) numberOrString(what string) []byte {
	switch c := f.s.peek(); {
	case c == '"':
		return f.s.str()
	case c == '-' || c >= '0' && c <= '9':
		return f.s.number()
	}
	f.s.typeError(what, "number or string")
	return nil
}

// time reads a fixed64 nanosecond timestamp (decimal string or number).
func (f *fallback) time(what string) int64 {
	s := f.s
	s.ws()
	at := s.pos
	raw := f.numberOrString(what)
	if s.err != nil {
		return 0
	}
	u, ok := parseUint(raw)
	if !ok {
		s.failf(at, decoder.ErrType, "%s: want an unsigned integer, got %q", what, clip(raw))
		return 0
	}
	if leadingZero(raw) && !f.giveUp() {
		return 0
	}
	return nanos(u)
}

// kind reads a SpanKind as a number or an enum name.
func (f *fallback) kind() trace.Kind {
	s := f.s
	s.ws()
	at := s.pos
	switch c := s.peek(); {
	case c == '"':
		if !f.giveUp() {
			return 0
		}
		return trace.ParseKind(string(s.str()))
	case c == '-' || c >= '0' && c <= '9':
		raw := s.number()
		n, ok := parseInt(raw)
		if !ok {
			s.failf(at, decoder.ErrType, "kind: want an integer, got %s", clip(raw))
			return 0
		}
		if (n < 0 || n > int64(trace.KindConsumer) || len(raw) > 1) && !f.giveUp() {
			return 0
		}
		return kindOf(n)
	}
	s.typeError("kind", "number or enum name")
	return 0
}

// statusCode reads a StatusCode as a number or an enum name.
func (f *fallback) statusCode() trace.Status {
	s := f.s
	s.ws()
	at := s.pos
	switch c := s.peek(); {
	case c == '"':
		if !f.giveUp() {
			return 0
		}
		switch string(s.str()) {
		case "STATUS_CODE_ERROR", "ERROR", "Error":
			return trace.StatusError
		case "STATUS_CODE_OK", "OK", "Ok":
			return trace.StatusOK
		}
		return trace.StatusUnset
	case c == '-' || c >= '0' && c <= '9':
		raw := s.number()
		n, ok := parseInt(raw)
		if !ok {
			s.failf(at, decoder.ErrType, "status code: want an integer, got %s", clip(raw))
			return 0
		}
		if (n < 0 || n > 2 || len(raw) > 1) && !f.giveUp() {
			return 0
		}
		return statusOf(n)
	}
	s.typeError("status code", "number or enum name")
	return 0
}

// parseUint parses decimal digits without allocating.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (math.MaxUint64-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// parseInt parses an optionally signed decimal integer without allocating.
func parseInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	u, ok := parseUint(b)
	switch {
	case !ok:
		return 0, false
	case neg && u == 1<<63:
		return math.MinInt64, true
	case neg && u < 1<<63:
		return -int64(u), true
	case !neg && u <= math.MaxInt64:
		return int64(u), true
	}
	return 0, false
}

// clip shortens b for error messages.
func clip(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// mark records member bit in seen and reports whether the read goes on:
// a strict read gives up on a repeated member or a snake_case name.
// snake says that the member was named in snake_case.
func (f *fallback) mark(seen *uint16, bit uint16, snake bool) bool {
	if !f.strict {
		return true
	}
	if *seen&bit != 0 || snake {
		return f.giveUp()
	}
	*seen |= bit
	return true
}

// leadingZero reports whether a decimal integer has a redundant leading
// zero (or sign), which readers treat differently.
func leadingZero(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	return len(b) > 1 && b[0] == '0'
}

// plainDouble reports whether b is a short decimal integer, which every
// float reader converts exactly and alike.
func plainDouble(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 15 || leadingZero(b) {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// attrItem names an element of the attribute list what, without
// allocating for the lists the reader knows.
func attrItem(what string) string {
	switch what {
	case "attributes":
		return "attributes[]"
	case "resource.attributes":
		return "resource.attributes[]"
	case "link attributes":
		return "link attributes[]"
	}
	return what + "[]"
}
