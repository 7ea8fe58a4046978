package jaeger

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/trace"
)

// maxErrors bounds the errors kept for one input; the rest are counted.
const maxErrors = 100

// flushEvery bounds how many spans outside a trace object (anonymizer span
// arrays) are held before they are emitted.
const flushEvery = 4096

// Decode decodes every span of a Jaeger JSON document (or of JSON lines of
// such documents) in data and emits them to em, one batch per trace object.
// file names the input in errors. It returns nil, a *decoder.Error, or a
// decoder.ErrorList; an input without any span gives an error wrapping
// decoder.ErrNoSpans.
func Decode(file string, data []byte, em decoder.Emitter, lim decoder.Limits) error {
	st := &state{file: file, data: data, em: em, lim: lim, in: decoder.Interner{}}
	return st.run()
}

// state is one Decode call.
type state struct {
	file    string
	data    []byte
	em      decoder.Emitter
	lim     decoder.Limits
	in      decoder.Interner
	errs    decoder.ErrorList
	dropped int // errors beyond maxErrors
	read    int // spans read: emitted or rejected
}

func (st *state) run() error {
	if st.lim.MaxInputBytes > 0 && int64(len(st.data)) > st.lim.MaxInputBytes {
		return &decoder.Error{File: st.file, Err: fmt.Errorf("%w: %d bytes, limit %d", decoder.ErrTooLarge, len(st.data), st.lim.MaxInputBytes)}
	}
	start := 0
	if bytes.HasPrefix(st.data, bom) {
		start = len(bom)
	}
	body := st.data[start:]
	if len(bytes.TrimSpace(body)) == 0 {
		return &decoder.Error{File: st.file, Err: decoder.ErrEmpty}
	}
	if isJSONLines(body) {
		_ = decoder.Lines(body, func(line []byte, off int64) error {
			st.document(line, int64(start)+off)
			return nil
		})
	} else {
		st.document(body, int64(start))
	}
	if st.dropped > 0 {
		st.errs = append(st.errs, &decoder.Error{File: st.file, Err: fmt.Errorf("%d more errors not listed", st.dropped)})
	}
	if len(st.errs) == 0 && st.read == 0 {
		return &decoder.Error{File: st.file, Err: fmt.Errorf("%w in Jaeger JSON", decoder.ErrNoSpans)}
	}
	return st.errs.Err()
}

// errorAt records err at byte offset off of the input.
func (st *state) errorAt(off int64, err error) {
	if len(st.errs) >= maxErrors { // skip the line count too
		st.dropped++
		return
	}
	st.addError(decoder.TextError(st.file, st.data, off, err))
}

// addError records an already positioned error.
func (st *state) addError(err error) {
	if len(st.errs) >= maxErrors {
		st.dropped++
		return
	}
	st.errs = append(st.errs, err)
}

func (st *state) reject(r trace.Reason) {
	st.read++
	st.em.Reject(r, 1)
}

func (st *state) maxDepth() int {
	if st.lim.MaxDepth > 0 {
		return st.lim.MaxDepth
	}
	return decoder.DefaultLimits.MaxDepth
}

// document decodes one JSON document (the whole input, or one line of JSON
// lines) found at offset base of the input.
func (st *state) document(doc []byte, base int64) {
	if i := tooDeep(doc, st.maxDepth()); i >= 0 {
		st.errorAt(base+int64(i), fmt.Errorf("%w: JSON nested deeper than %d levels", decoder.ErrTooLarge, st.maxDepth()))
		return
	}
	r := &reader{st: st, doc: doc, base: base, dec: json.NewDecoder(bytes.NewReader(doc))}
	if err := r.top(); err != nil {
		st.addError(err)
	}
}

// reader walks one document with a streaming json.Decoder: the structure
// token by token, each span with one Decode call.
type reader struct {
	st      *state
	doc     []byte
	base    int64
	dec     *json.Decoder
	loose   traceCtx // spans outside a trace object
	scratch rawSpan  // reused by each span's Decode
}

// pos returns the offset in doc of the next value, after any separator.
func (r *reader) pos() int {
	i := skipSpace(r.doc, int(r.dec.InputOffset()))
	if i < len(r.doc) && (r.doc[i] == ',' || r.doc[i] == ':') {
		i = skipSpace(r.doc, i+1)
	}
	return i
}

// peek returns the first byte of the next value, or 0 at the end.
func (r *reader) peek() byte {
	if i := r.pos(); i < len(r.doc) {
		return r.doc[i]
	}
	return 0
}

// decodeBase is where the buffer of the next Decode call starts in doc;
// json.UnmarshalTypeError offsets are relative to it.
func (r *reader) decodeBase() int {
	i := int(r.dec.InputOffset())
	j := skipSpace(r.doc, i)
	if j < len(r.doc) && (r.doc[j] == ',' || r.doc[j] == ':') {
		return j + 1
	}
	return i
}

// streamError turns an error that ends the document (syntax, truncation)
// into a positioned error.
func (r *reader) streamError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// Decoder offsets vary with the call that failed (Token, More,
		// Decode); a one-shot validation of the document names the
		// offending byte exactly.
		var exact *json.SyntaxError
		if errors.As(json.Unmarshal(r.doc, &skipValue{}), &exact) {
			se = exact
		}
		return decoder.TextError(r.st.file, r.st.data, r.base+max(se.Offset-1, 0), fmt.Errorf("%w: %v", decoder.ErrSyntax, se))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return decoder.TextError(r.st.file, r.st.data, r.base+int64(len(r.doc)), fmt.Errorf("%w: unexpected end of JSON", decoder.ErrTruncated))
	}
	return decoder.TextError(r.st.file, r.st.data, r.base+r.dec.InputOffset(), err)
}

// isStreamError reports whether err from Decode broke the stream, as opposed
// to a value that did not fit its Go type.
func isStreamError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// typeError positions an error from decoding one value whose Decode buffer
// began at base and whose value began at start.
func (r *reader) typeError(err error, base, start int, what string) {
	var te *json.UnmarshalTypeError
	var fe *fieldError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			what += fmt.Sprintf(": field %q", te.Field)
		}
		r.st.errorAt(r.base+int64(base)+te.Offset, fmt.Errorf("%w: %s: want %s, found JSON %s", decoder.ErrType, what, jsonKind(te.Type), te.Value))
	case errors.As(err, &fe):
		r.st.errorAt(r.base+int64(start), fmt.Errorf("%w: %s: %v", decoder.ErrType, what, fe))
	default:
		r.st.errorAt(r.base+int64(start), fmt.Errorf("%w: %s: %v", decoder.ErrType, what, err))
	}
}

// jsonKind names the JSON kind that a Go type decodes from, for messages.
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	}
	return "a number"
}

func (r *reader) delim(want json.Delim) error {
	tok, err := r.dec.Token()
	if err != nil {
		return r.streamError(err)
	}
	if tok != want {
		return r.streamError(fmt.Errorf("%w: want %v, found %v", decoder.ErrSyntax, want, tok))
	}
	return nil
}

func (r *reader) key() (string, error) {
	tok, err := r.dec.Token()
	if err != nil {
		return "", r.streamError(err)
	}
	k, ok := tok.(string)
	if !ok {
		return "", r.streamError(fmt.Errorf("%w: want an object key, found %v", decoder.ErrSyntax, tok))
	}
	return k, nil
}

func (r *reader) skip() error {
	if err := r.dec.Decode(&skipValue{}); err != nil {
		return r.streamError(err)
	}
	return nil
}

// top decodes the document's single top-level value and checks that
// nothing but space follows it.
func (r *reader) top() error {
	var err error
	switch r.peek() {
	case '{':
		err = r.element(true)
	case '[':
		err = r.array(true)
	default:
		start := r.pos()
		if _, err := r.dec.Token(); err != nil {
			return r.streamError(err)
		}
		return decoder.TextError(r.st.file, r.st.data, r.base+int64(start), fmt.Errorf("%w: want a Jaeger JSON object or array, found %s", decoder.ErrUnknownFormat, kindOf(r.doc[start:])))
	}
	r.flush(&r.loose)
	if err != nil {
		return err
	}
	if i := skipSpace(r.doc, int(r.dec.InputOffset())); i < len(r.doc) {
		return decoder.TextError(r.st.file, r.st.data, r.base+int64(i), fmt.Errorf("%w: invalid character %q after top-level value", decoder.ErrSyntax, r.doc[i]))
	}
	return nil
}

// array decodes an array of traces or spans; at the top level it may also
// hold query responses.
func (r *reader) array(top bool) error {
	if err := r.delim('['); err != nil {
		return err
	}
	for r.dec.More() {
		if err := r.element(top); err != nil {
			return err
		}
	}
	return r.delim(']')
}

// element decodes one object that holds a trace, a span, or (when
// wrapper is set) a {"data": …} query response.
func (r *reader) element(wrapper bool) error {
	start := r.pos()
	if start >= len(r.doc) || r.doc[start] != '{' {
		if err := r.skip(); err != nil {
			return err
		}
		r.st.reject(trace.RejectInvalidSpan)
		r.st.errorAt(r.base+int64(start), fmt.Errorf("%w: want a trace or span object, found %s", decoder.ErrType, kindOf(r.doc[start:])))
		return nil
	}
	switch shapeOf(r.doc[start:]) {
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
	return r.skip() // {} or an object without spans
}

// response decodes a query-service response {"data": …, "errors": …}.
func (r *reader) response() error {
	if err := r.delim('{'); err != nil {
		return err
	}
	for r.dec.More() {
		k, err := r.key()
		if err != nil {
			return err
		}
		switch {
		case strings.EqualFold(k, "data"):
			err = r.data()
		case strings.EqualFold(k, "errors"):
			err = r.queryErrors()
		default:
			err = r.skip()
		}
		if err != nil {
			return err
		}
	}
	return r.delim('}')
}

// data decodes the "data" value: an array of traces or a single trace.
func (r *reader) data() error {
	switch start := r.pos(); r.peek() {
	case '[':
		return r.array(false)
	case '{':
		return r.element(false)
	case 'n':
		return r.skip()
	default:
		if err := r.skip(); err != nil {
			return err
		}
		r.st.errorAt(r.base+int64(start), fmt.Errorf("%w: \"data\" must be an array or object, found %s", decoder.ErrType, kindOf(r.doc[start:])))
		return nil
	}
}

// queryErrors reports the "errors" of a query-service response.
func (r *reader) queryErrors() error {
	start, base := r.pos(), r.decodeBase()
	var list []struct {
		Code    int    `json:"code"`
		Msg     string `json:"msg"`
		TraceID string `json:"traceID"`
	}
	if err := r.dec.Decode(&list); err != nil {
		if isStreamError(err) {
			return r.streamError(err)
		}
		r.typeError(err, base, start, `"errors"`)
		return nil
	}
	for _, e := range list {
		msg := fmt.Sprintf("Jaeger query error %d: %s", e.Code, e.Msg)
		if e.TraceID != "" {
			msg += " (trace " + e.TraceID + ")"
		}
		r.st.errorAt(r.base+int64(start), errors.New(msg))
	}
	return nil
}

// traceCtx collects the spans of one trace object until its processes are
// known.
type traceCtx struct {
	id     string            // the trace object's traceID, for spans without one
	spans  []trace.Span      // converted spans
	procID []string          // processID of each span, "" if none
	procs  map[string]string // processID → service name
}

// traceObject decodes {"traceID", "spans", "processes"} (UI) or
// {"spans", "processMap"} (api_v2) and emits its spans.
func (r *reader) traceObject() error {
	var t traceCtx
	err := r.traceBody(&t)
	r.flush(&t) // spans read before an error are still good
	return err
}

func (r *reader) traceBody(t *traceCtx) error {
	if err := r.delim('{'); err != nil {
		return err
	}
	for r.dec.More() {
		k, err := r.key()
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
		case "traceid", "trace_id":
			err = r.traceID(t)
		default:
			err = r.skip()
		}
		if err != nil {
			return err
		}
	}
	return r.delim('}')
}

// decodeField decodes the next value into v; a value of the wrong type is
// reported and ok is false. err is set only when the stream broke.
func (r *reader) decodeField(v any, what string) (ok bool, err error) {
	start, base := r.pos(), r.decodeBase()
	if err := r.dec.Decode(v); err != nil {
		if isStreamError(err) {
			return false, r.streamError(err)
		}
		r.typeError(err, base, start, what)
		return false, nil
	}
	return true, nil
}

func (r *reader) traceID(t *traceCtx) error {
	_, err := r.decodeField(&t.id, `"traceID"`)
	return err
}

func (r *reader) processes(t *traceCtx) error {
	var m map[string]rawProcess
	_, err := r.decodeField(&m, `"processes"`) // a partly decoded map is still used
	if len(m) > 0 && t.procs == nil {
		t.procs = make(map[string]string, len(m))
	}
	for id, p := range m {
		t.procs[id] = r.st.in.Intern(p.ServiceName)
	}
	return err
}

func (r *reader) processMap(t *traceCtx) error {
	var list []rawProcessMapping
	_, err := r.decodeField(&list, `"processMap"`)
	if len(list) > 0 && t.procs == nil {
		t.procs = make(map[string]string, len(list))
	}
	for _, p := range list {
		t.procs[p.ProcessID] = r.st.in.Intern(p.Process.ServiceName)
	}
	return err
}

// spans decodes a trace object's "spans" array.
func (r *reader) spans(t *traceCtx) error {
	switch start := r.pos(); r.peek() {
	case '[':
	case 'n':
		return r.skip()
	default:
		if err := r.skip(); err != nil {
			return err
		}
		r.st.errorAt(r.base+int64(start), fmt.Errorf("%w: \"spans\" must be an array, found %s", decoder.ErrType, kindOf(r.doc[start:])))
		return nil
	}
	if err := r.delim('['); err != nil {
		return err
	}
	for r.dec.More() {
		if err := r.span(t); err != nil {
			return err
		}
	}
	return r.delim(']')
}

// span decodes one span object into t. A span with wrong field types is
// rejected and reported; only a broken stream returns an error.
func (r *reader) span(t *traceCtx) error {
	start, base := r.pos(), r.decodeBase()
	if start >= len(r.doc) || r.doc[start] != '{' {
		if err := r.skip(); err != nil {
			return err
		}
		r.st.reject(trace.RejectInvalidSpan)
		r.st.errorAt(r.base+int64(start), fmt.Errorf("%w: want a span object, found %s", decoder.ErrType, kindOf(r.doc[start:])))
		return nil
	}
	rs := r.reuse()
	if err := r.dec.Decode(rs); err != nil {
		if isStreamError(err) {
			return r.streamError(err)
		}
		r.st.reject(trace.RejectInvalidSpan)
		r.typeError(err, base, start, "span")
		return nil
	}
	r.convert(rs, t, start)
	return nil
}

// reuse returns the reader's scratch span, zeroed, keeping the capacity of
// its tag and reference slices. encoding/json decodes into the existing
// elements of a slice, so they are cleared first.
func (r *reader) reuse() *rawSpan {
	rs := &r.scratch
	tags, refs := rs.Tags[:cap(rs.Tags)], rs.References[:cap(rs.References)]
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
		Name:    st.in.Intern(rs.OperationName),
		Start:   rs.StartTime.ns,
	}
	if nonHexT || nonHexS {
		s.Warnings |= trace.WarnNonHexID
	}
	if !rs.StartTime.set || !rs.Duration.set {
		s.Warnings |= trace.WarnMissingTimestamp
	}
	d := rs.Duration.ns
	if (d > 0 && s.Start > math.MaxInt64-d) || (d < 0 && s.Start < math.MinInt64-d) {
		st.reject(trace.RejectInvalidSpan)
		st.errorAt(r.base+int64(start), fmt.Errorf("%w: span: startTime plus duration is out of range", decoder.ErrType))
		return
	}
	s.End = s.Start + d
	if len(rs.References) > 0 {
		s.Refs = make([]trace.Ref, 0, len(rs.References))
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
	applyTags(&s, rs.Tags)
	if rs.Process != nil {
		s.Service = st.in.Intern(rs.Process.ServiceName)
	}
	st.read++
	t.spans = append(t.spans, s)
	t.procID = append(t.procID, rs.ProcessID)
}

// convertRef converts a reference; ok is false when its span ID is unusable.
// A reference without a trace ID is in the span's own trace.
func convertRef(ref *rawRef, own trace.TraceID) (out trace.Ref, nonHex, ok bool) {
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

// flush resolves the services of t's spans and emits them.
func (r *reader) flush(t *traceCtx) {
	if len(t.spans) == 0 {
		return
	}
	for i := range t.spans {
		if svc, ok := t.procs[t.procID[i]]; ok && t.procID[i] != "" {
			t.spans[i].Service = svc
		}
	}
	r.st.em.Emit(t.spans)
	clear(t.spans)
	t.spans = t.spans[:0]
	t.procID = t.procID[:0]
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
