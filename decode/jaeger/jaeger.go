package jaeger

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/jsontext"
	"github.com/syncaudit/syncaudit/trace"
)

// maxErrors bounds the errors kept for one input; the rest are counted.
const maxErrors = 100

// refSlab is the number of references allocated at once for spans.
const refSlab = 512

// flushEvery bounds how many spans outside a trace object (anonymizer span
// arrays) are held before they are emitted.
const flushEvery = 4096

// Decode decodes every span of a Jaeger JSON document (or of JSON lines of
// such documents) in data and emits them to em, one batch per trace object.
// file names the input in errors. It returns nil, a *decoder.Error, or a
// decoder.ErrorList; an input without any span gives an error wrapping
// decoder.ErrNoSpans.
func Decode(file string, data []byte, em decoder.Emitter, lim decoder.Limits) error {
	st := &state{file: file, em: em, in: jsontext.NewInput(file, data, lim, maxErrors), names: decoder.Interner{}}
	return st.run()
}

// state is one Decode call.
type state struct {
	file  string
	em    decoder.Emitter
	in    *jsontext.Input // the input and its errors
	names decoder.Interner
	read  int // spans read: emitted or rejected
	// noFast turns the fast path off (tests compare the two).
	noFast bool
}

func (st *state) run() error {
	if err := st.in.DocumentsFast(st.fast, st.document); err != nil {
		return err
	}
	err := st.in.Err()
	if err == nil && st.read == 0 {
		return &decoder.Error{File: st.file, Err: fmt.Errorf("%w in Jaeger JSON", decoder.ErrNoSpans)}
	}
	return err
}

func (st *state) reject(r trace.Reason) {
	st.read++
	st.em.Reject(r, 1)
}

// document decodes one JSON document (the whole input, or one line of JSON
// lines).
func (st *state) document(jr *jsontext.Reader) error {
	r := &reader{Reader: jr, st: st}
	return r.top()
}

// reader walks one document: the structure token by token, each span with
// one Decode call.
type reader struct {
	*jsontext.Reader
	st      *state
	loose   traceCtx    // spans outside a trace object
	scratch rawSpan     // reused by each span's Decode
	refs    []trace.Ref // the slab spans' references are cut from
	// failed is set when the fast path (Reader nil) met a span the slow
	// path would report.
	failed bool
}

// report records err at offset start of the document, or, on the fast
// path, gives it up.
func (r *reader) report(start int, err error) {
	if r.Reader == nil {
		r.failed = true
		return
	}
	r.Report(start, err)
}

// top decodes the document's single top-level value and checks that
// nothing but space follows it.
func (r *reader) top() error {
	var err error
	switch r.Peek() {
	case '{':
		err = r.element(true)
	case '[':
		err = r.array(true)
	default:
		return r.UnknownFormat("a Jaeger JSON object or array")
	}
	r.flush(&r.loose)
	if err != nil {
		return err
	}
	return r.End()
}

// array decodes an array of traces or spans; at the top level it may also
// hold query responses.
func (r *reader) array(top bool) error {
	if err := r.Delim('['); err != nil {
		return err
	}
	for r.More() {
		if err := r.element(top); err != nil {
			return err
		}
	}
	return r.Delim(']')
}

// element decodes one object that holds a trace, a span, or (when
// wrapper is set) a {"data": …} query response.
func (r *reader) element(wrapper bool) error {
	if r.Peek() != '{' {
		if err := r.SkipMismatch("a trace or span object"); err != nil {
			return err
		}
		r.st.reject(trace.RejectInvalidSpan)
		return nil
	}
	switch shapeOf(r.Doc()[r.Pos():]) {
	case shapeWrapper:
		if wrapper {
			return r.response()
		}
	case shapeTrace:
		return r.traceObject()
	case shapeSpan:
		err := r.span(&r.loose)
		if len(r.loose.spans) >= flushEvery {
			r.flush(&r.loose)
		}
		return err
	}
	return r.Skip() // {} or an object without spans
}

// response decodes a query-service response {"data": …, "errors": …} or
// an api_v2 batch wrapper: {"batch": Batch} (collector PostSpansRequest)
// or {"batches": [Batch, …]}.
func (r *reader) response() error {
	if err := r.Delim('{'); err != nil {
		return err
	}
	for r.More() {
		k, err := r.Key()
		if err != nil {
			return err
		}
		switch {
		case strings.EqualFold(k, "data"):
			err = r.data()
		case strings.EqualFold(k, "errors"):
			err = r.queryErrors()
		case strings.EqualFold(k, "batch"):
			err = r.batch()
		case strings.EqualFold(k, "batches"):
			err = r.batches()
		default:
			err = r.Skip()
		}
		if err != nil {
			return err
		}
	}
	return r.Delim('}')
}

// data decodes the "data" value: an array of traces or a single trace.
func (r *reader) data() error {
	switch r.Peek() {
	case '[':
		return r.array(false)
	case '{':
		return r.element(false)
	case 'n':
		return r.Skip()
	}
	return r.skipWrong(`"data" must be an array or object`)
}

// batch decodes the value of "batch": one api_v2 Batch {"spans", "process"}.
func (r *reader) batch() error {
	switch r.Peek() {
	case '{':
		return r.element(false)
	case 'n':
		return r.Skip()
	}
	return r.skipWrong(`"batch" must be an object`)
}

// batches decodes the value of "batches": an array of api_v2 Batches.
func (r *reader) batches() error {
	switch r.Peek() {
	case '[':
		return r.array(false)
	case 'n':
		return r.Skip()
	}
	return r.skipWrong(`"batches" must be an array`)
}

// queryErrors reports the "errors" of a query-service response.
func (r *reader) queryErrors() error {
	start := r.Pos()
	var list []struct {
		Code    int    `json:"code"`
		Msg     string `json:"msg"`
		TraceID string `json:"traceID"`
	}
	if ok, err := r.Decode(&list, `"errors"`); !ok {
		return err
	}
	for _, e := range list {
		msg := fmt.Sprintf("Jaeger query error %d: %s", e.Code, e.Msg)
		if e.TraceID != "" {
			msg += " (trace " + e.TraceID + ")"
		}
		r.Report(start, errors.New(msg))
	}
	return nil
}

// traceCtx collects the spans of one trace object until its processes are
// known.
type traceCtx struct {
	id     string            // the trace object's traceID, for spans without one
	spans  []trace.Span      // converted spans
	procID []string          // processID of each span, "" if none
	own    []bool            // whether each span carries its own process
	procs  map[string]string // processID → service name
	batch  string            // the service of an api_v2 Batch's "process"
}

// traceObject decodes {"traceID", "spans", "processes"} (UI),
// {"spans", "processMap"} (api_v2 Trace) or {"spans", "process"} (api_v2
// Batch) and emits its spans.
func (r *reader) traceObject() error {
	var t traceCtx
	err := r.traceBody(&t)
	r.flush(&t) // spans read before an error are still good
	return err
}

func (r *reader) traceBody(t *traceCtx) error {
	if err := r.Delim('{'); err != nil {
		return err
	}
	for r.More() {
		k, err := r.Key()
		if err != nil {
			return err
		}
		switch strings.ToLower(k) {
		case "spans":
			err = r.spans(t)
		case "processes":
			err = r.processes(t)
		case "processmap", "process_map":
			err = r.processMap(t)
		case "process":
			err = r.batchProcess(t)
		case "traceid", "trace_id":
			_, err = r.Decode(&t.id, `"traceID"`)
		default:
			err = r.Skip()
		}
		if err != nil {
			return err
		}
	}
	return r.Delim('}')
}

func (r *reader) processes(t *traceCtx) error {
	var m map[string]rawProcess
	_, err := r.Decode(&m, `"processes"`) // a partly decoded map is still used
	if len(m) > 0 && t.procs == nil {
		t.procs = make(map[string]string, len(m))
	}
	for id, p := range m {
		t.procs[id] = r.st.names.Intern(p.name())
	}
	return err
}

func (r *reader) processMap(t *traceCtx) error {
	var list []rawProcessMapping
	_, err := r.Decode(&list, `"processMap"`)
	if len(list) > 0 && t.procs == nil {
		t.procs = make(map[string]string, len(list))
	}
	for _, p := range list {
		id := p.ProcessID
		if id == "" {
			id = p.ProcessIDSnake
		}
		t.procs[id] = r.st.names.Intern(p.Process.name())
	}
	return err
}

// batchProcess decodes an api_v2 Batch's "process", the process of those
// of its spans that carry none of their own.
func (r *reader) batchProcess(t *traceCtx) error {
	var p *rawProcess
	_, err := r.Decode(&p, `"process"`)
	if p != nil {
		t.batch = r.st.names.Intern(p.name())
	}
	return err
}

// spans decodes a trace object's "spans" array.
func (r *reader) spans(t *traceCtx) error {
	switch r.Peek() {
	case '[':
	case 'n':
		return r.Skip()
	default:
		return r.skipWrong(`"spans" must be an array`)
	}
	if err := r.Delim('['); err != nil {
		return err
	}
	for r.More() {
		if err := r.span(t); err != nil {
			return err
		}
	}
	return r.Delim(']')
}

// span decodes one span object into t. A span with wrong field types is
// rejected and reported; only a broken stream returns an error.
func (r *reader) span(t *traceCtx) error {
	start := r.Pos()
	if r.Peek() != '{' {
		if err := r.SkipMismatch("a span object"); err != nil {
			return err
		}
		r.st.reject(trace.RejectInvalidSpan)
		return nil
	}
	rs := r.reuse()
	if ok, err := r.Decode(rs, "span"); !ok {
		if err == nil {
			r.st.reject(trace.RejectInvalidSpan)
		}
		return err
	}
	rs.merge()
	r.convert(rs, t, start)
	return nil
}

// skipWrong skips the next value and reports it as a wrong type: "<what>,
// found <its kind>".
func (r *reader) skipWrong(what string) error {
	start := r.Pos()
	if err := r.Skip(); err != nil {
		return err
	}
	r.Report(start, fmt.Errorf("%w: %s, found %s", decoder.ErrType, what, jsontext.ValueKind(r.Doc()[start:])))
	return nil
}

// reuse returns the reader's scratch span, zeroed, keeping the capacity of
// its tag and reference slices. encoding/json decodes into the existing
// elements of a slice, so they are cleared first: those the last span
// used, within its slices' lengths (encoding/json extends a slice's
// length before it decodes an element; the elements past it are zero).
func (r *reader) reuse() *rawSpan {
	rs := &r.scratch
	tags, refs := rs.Tags, rs.References
	clear(tags)
	clear(refs)
	*rs = rawSpan{Tags: tags[:0], References: refs[:0]}
	return rs
}

// convert turns a decoded span into a trace.Span and adds it to t.
func (r *reader) convert(rs *rawSpan, t *traceCtx, start int) {
	st := r.st
	tid := rs.TraceID
	if tid == "" {
		tid = t.id
	}
	traceID, nonHexT, err := parseTraceID(tid)
	if err != nil {
		st.reject(trace.RejectInvalidTraceID)
		return
	}
	spanID, nonHexS, err := parseSpanID(rs.SpanID)
	if err != nil {
		st.reject(trace.RejectInvalidSpanID)
		return
	}
	s := trace.Span{
		TraceID: traceID,
		SpanID:  spanID,
		Name:    st.names.Intern(rs.OperationName),
		Start:   rs.StartTime.ns,
	}
	if nonHexT || nonHexS {
		s.Warnings |= trace.WarnNonHexID
	}
	if !rs.StartTime.set || !rs.Duration.set {
		s.Warnings |= trace.WarnMissingTimestamp
	}
	d, err := rs.Duration.nanos(rs.StartTime.rfc3339)
	if err != nil {
		st.reject(trace.RejectInvalidSpan)
		r.report(start, fmt.Errorf("%w: span: %v", decoder.ErrType, err))
		return
	}
	if (d > 0 && s.Start > math.MaxInt64-d) || (d < 0 && s.Start < math.MinInt64-d) {
		st.reject(trace.RejectInvalidSpan)
		r.report(start, fmt.Errorf("%w: span: startTime plus duration is out of range", decoder.ErrType))
		return
	}
	s.End = s.Start + d
	if n := len(rs.References); n > 0 {
		// From a slab: one allocation for the references of many spans.
		if cap(r.refs)-len(r.refs) < n {
			r.refs = make([]trace.Ref, 0, max(n, refSlab))
		}
		s.Refs = r.refs[len(r.refs) : len(r.refs) : len(r.refs)+n]
		r.refs = r.refs[:len(r.refs)+n]
		for i := range rs.References {
			ref, nonHex, ok := convertRef(&rs.References[i], traceID)
			if !ok {
				continue
			}
			if nonHex {
				s.Warnings |= trace.WarnNonHexID
			}
			s.Refs = append(s.Refs, ref)
		}
	} else if rs.ParentSpanID != "" {
		// Deprecated parentSpanID: a CHILD_OF reference in the same trace.
		if p, nonHex, err := parseSpanID(rs.ParentSpanID); err == nil {
			if nonHex {
				s.Warnings |= trace.WarnNonHexID
			}
			s.Refs = []trace.Ref{{TraceID: traceID, SpanID: p, Type: trace.RefChildOf}}
		}
	}
	if len(s.Refs) == 0 {
		s.Refs = nil
	}
	if e := rs.effect; e != nil {
		s.Kind, s.Status, s.Attrs = e.kind, e.status, e.attrs
	} else {
		applyTags(&s, rs.Tags)
	}
	if rs.Process != nil {
		s.Service = st.names.Intern(rs.Process.name())
	}
	st.read++
	t.spans = append(t.spans, s)
	t.procID = append(t.procID, rs.ProcessID)
	t.own = append(t.own, rs.Process != nil)
}

// convertRef converts a reference; ok is false when its span ID is unusable.
// A reference without a trace ID is in the span's own trace.
func convertRef(ref *rawRef, own trace.TraceID) (out trace.Ref, nonHex, ok bool) {
	if ref.RefType.t == trace.RefNone {
		ref.RefType = ref.RefTypeSnake
	}
	orStr(&ref.TraceID, ref.TraceIDSnake)
	orStr(&ref.SpanID, ref.SpanIDSnake)
	out.Type = ref.RefType.get()
	out.TraceID = own
	if ref.TraceID != "" {
		id, nh, err := parseTraceID(ref.TraceID)
		if err != nil {
			return out, false, false
		}
		out.TraceID, nonHex = id, nh
	}
	id, nh, err := parseSpanID(ref.SpanID)
	if err != nil {
		return out, false, false
	}
	out.SpanID = id
	return out, nonHex || nh, true
}

// applyTags sets kind, status and the kept attributes from the span tags.
func applyTags(s *trace.Span, tags []rawKV) {
	for i := range tags {
		kv := &tags[i]
		v, ok := kv.value()
		if !ok {
			continue
		}
		switch kv.Key.role {
		case roleKind:
			s.Kind = trace.ParseKind(v)
		case roleError:
			if strings.EqualFold(v, "true") {
				s.Status = trace.StatusError
			}
		case roleStatusCode:
			switch strings.ToUpper(v) {
			case "ERROR":
				s.Status = trace.StatusError
			case "OK":
				s.Status = max(s.Status, trace.StatusOK)
			}
		case roleAttr:
			// The current semantic-convention name wins over legacy aliases.
			s.Attrs.Set(kv.Key.attr, v, kv.Key.current)
		}
	}
}

// flush resolves the services of t's spans and emits them. A span's
// processID, when the trace maps it, names its service; else its own
// embedded process does; else the Batch's process.
func (r *reader) flush(t *traceCtx) {
	if len(t.spans) == 0 {
		return
	}
	for i := range t.spans {
		if svc, ok := t.procs[t.procID[i]]; ok && t.procID[i] != "" {
			t.spans[i].Service = svc
		} else if !t.own[i] && t.batch != "" {
			t.spans[i].Service = t.batch
		}
	}
	r.st.em.Emit(t.spans)
	clear(t.spans)
	t.spans = t.spans[:0]
	t.procID = t.procID[:0]
	t.own = t.own[:0]
}

// parseTraceID parses a hex (padded or not), base64 (api_v2) or non-hex
// trace ID; nonHex reports that the ID was hashed.
func parseTraceID(s string) (id trace.TraceID, nonHex bool, err error) {
	id, nonHex, err = trace.ParseTraceID(s)
	if err == nil && !nonHex {
		return id, false, nil
	}
	if b, ok := decodeBase64(s); ok && (len(b) == 16 || len(b) == 8) {
		id, err := trace.TraceIDFromBytes(b)
		return id, false, err
	}
	return id, nonHex, err
}

// parseSpanID is parseTraceID for span IDs.
func parseSpanID(s string) (id trace.SpanID, nonHex bool, err error) {
	id, nonHex, err = trace.ParseSpanID(s)
	if err == nil && !nonHex {
		return id, false, nil
	}
	if b, ok := decodeBase64(s); ok && len(b) == 8 {
		id, err := trace.SpanIDFromBytes(b)
		return id, false, err
	}
	return id, nonHex, err
}

// decodeBase64 decodes a padded standard base64 ID as written by protobuf
// JSON. Padding makes it unambiguous: a hex string never decodes to exactly
// 8 or 16 bytes, since those lengths need '=' padding.
func decodeBase64(s string) ([]byte, bool) {
	if len(s) != 12 && len(s) != 24 {
		return nil, false
	}
	var buf [18]byte
	n, err := base64.StdEncoding.Decode(buf[:], []byte(s))
	if err != nil {
		return nil, false
	}
	return buf[:n], true
}
