package zipkin

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/trace"
)

// maxErrors bounds the errors kept for one input; the rest are counted.
const maxErrors = 100

// batchSize is how many spans are emitted at once.
const batchSize = 4096

// Decode decodes every span of a Zipkin v2 JSON span array (or an array of
// such arrays, or JSON lines of either) in data and emits them to em. file
// names the input in errors. It returns nil, a *decoder.Error, or a
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
	batch   []trace.Span
	kept    []tag // scratch for applyTags
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
	st.flush()
	if st.dropped > 0 {
		st.errs = append(st.errs, &decoder.Error{File: st.file, Err: fmt.Errorf("%d more errors not listed", st.dropped)})
	}
	if len(st.errs) == 0 && st.read == 0 {
		return &decoder.Error{File: st.file, Err: fmt.Errorf("%w in Zipkin JSON", decoder.ErrNoSpans)}
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

func (st *state) flush() {
	if len(st.batch) > 0 {
		st.em.Emit(st.batch)
		clear(st.batch)
		st.batch = st.batch[:0]
	}
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

// reader walks one document with a streaming json.Decoder: arrays token by
// token, each span with one Decode call.
type reader struct {
	st   *state
	doc  []byte
	base int64
	dec  *json.Decoder
}

// pos returns the offset in doc of the next value, after any separator.
func (r *reader) pos() int {
	i := skipSpace(r.doc, int(r.dec.InputOffset()))
	if i < len(r.doc) && (r.doc[i] == ',' || r.doc[i] == ':') {
		i = skipSpace(r.doc, i+1)
	}
	return i
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

func (r *reader) skip() error {
	if err := r.dec.Decode(&skipValue{}); err != nil {
		return r.streamError(err)
	}
	return nil
}

// top decodes the document's single top-level value and checks that
// nothing but space follows it.
func (r *reader) top() error {
	start := r.pos()
	var err error
	switch {
	case start < len(r.doc) && r.doc[start] == '[':
		err = r.array(true)
	case start < len(r.doc) && r.doc[start] == '{':
		err = r.span(true)
	default:
		if _, err := r.dec.Token(); err != nil {
			return r.streamError(err)
		}
		return decoder.TextError(r.st.file, r.st.data, r.base+int64(start), fmt.Errorf("%w: want a Zipkin span array, found %s", decoder.ErrUnknownFormat, kindOf(r.doc[start:])))
	}
	if err != nil {
		return err
	}
	if i := skipSpace(r.doc, int(r.dec.InputOffset())); i < len(r.doc) {
		return decoder.TextError(r.st.file, r.st.data, r.base+int64(i), fmt.Errorf("%w: invalid character %q after top-level value", decoder.ErrSyntax, r.doc[i]))
	}
	return nil
}

// array decodes an array of spans; at the top level its elements may also
// be arrays of spans (GET /api/v2/traces).
func (r *reader) array(top bool) error {
	if err := r.delim('['); err != nil {
		return err
	}
	for r.dec.More() {
		start := r.pos()
		var err error
		switch {
		case start < len(r.doc) && r.doc[start] == '{':
			err = r.span(false)
		case top && start < len(r.doc) && r.doc[start] == '[':
			err = r.array(false)
		default:
			if err = r.skip(); err == nil {
				r.st.reject(trace.RejectInvalidSpan)
				r.st.errorAt(r.base+int64(start), fmt.Errorf("%w: want a span object, found %s", decoder.ErrType, kindOf(r.doc[start:])))
			}
		}
		if err != nil {
			return err
		}
	}
	return r.delim(']')
}

// span decodes one span object. A span with wrong field types is rejected
// and reported; only a broken stream returns an error. A top-level object
// without an "id" is not taken for a span (it is some other JSON).
func (r *reader) span(top bool) error {
	start, base := r.pos(), r.decodeBase()
	var rs rawSpan
	if err := r.dec.Decode(&rs); err != nil {
		if isStreamError(err) {
			return r.streamError(err)
		}
		r.st.reject(trace.RejectInvalidSpan)
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			r.st.errorAt(r.base+int64(base)+te.Offset, fmt.Errorf("%w: span: field %q: want %s, found JSON %s", decoder.ErrType, te.Field, jsonKind(te.Type), te.Value))
		} else {
			r.st.errorAt(r.base+int64(start), fmt.Errorf("%w: span: %v", decoder.ErrType, err))
		}
		return nil
	}
	if top && rs.ID == "" {
		return nil
	}
	r.convert(&rs, start)
	return nil
}

// convert turns a decoded span into a trace.Span and batches it.
func (r *reader) convert(rs *rawSpan, start int) {
	st := r.st
	traceID, nonHexT, err := trace.ParseTraceID(rs.TraceID)
	if err != nil {
		st.reject(trace.RejectInvalidTraceID)
		return
	}
	spanID, nonHexS, err := trace.ParseSpanID(rs.ID)
	if err != nil {
		st.reject(trace.RejectInvalidSpanID)
		return
	}
	s := trace.Span{
		TraceID: traceID,
		SpanID:  spanID,
		Name:    st.in.Intern(rs.Name),
		Start:   rs.Timestamp.ns,
		Kind:    trace.KindInternal,
	}
	if nonHexT || nonHexS {
		s.Warnings |= trace.WarnNonHexID
	}
	if rs.ParentID != "" {
		// An unusable parent ID (all zeros) leaves the span a root.
		if p, nonHex, err := trace.ParseSpanID(rs.ParentID); err == nil {
			s.ParentID, s.ParentRef = p, trace.RefChildOf
			if nonHex {
				s.Warnings |= trace.WarnNonHexID
			}
		}
	}
	// Zipkin writes no timestamp for an incomplete span and reads 0 as absent.
	if !rs.Timestamp.set || rs.Timestamp.ns == 0 || !rs.Duration.set {
		s.Warnings |= trace.WarnMissingTimestamp
	}
	d := rs.Duration.ns
	if (d > 0 && s.Start > math.MaxInt64-d) || (d < 0 && s.Start < math.MinInt64-d) {
		st.reject(trace.RejectInvalidSpan)
		st.errorAt(r.base+int64(start), fmt.Errorf("%w: span: timestamp plus duration is out of range", decoder.ErrType))
		return
	}
	s.End = s.Start + d
	if rs.Kind != "" {
		s.Kind = trace.ParseKind(rs.Kind)
	}
	if rs.Shared {
		s.Flags |= trace.FlagShared
	}
	if rs.LocalEndpoint != nil {
		s.Service = st.in.Intern(rs.LocalEndpoint.ServiceName)
	}
	if rs.RemoteEndpoint != nil && rs.RemoteEndpoint.ServiceName != "" {
		s.Attrs.Set(trace.AttrPeerService, st.in.Intern(rs.RemoteEndpoint.ServiceName), false)
	}
	st.applyTags(&s, rs.Tags)
	st.read++
	st.batch = append(st.batch, s)
	if len(st.batch) >= batchSize {
		st.flush()
	}
}

// tag is a kept tag, for sorting.
type tag struct {
	name, value string
	key         trace.AttrKey
}

// applyTags sets status and the kept attributes from the span tags. Map
// order is random, so kept tags are applied in name order and the current
// semantic-convention name wins over legacy aliases.
func (st *state) applyTags(s *trace.Span, tags map[string]scalar) {
	kept := st.kept[:0]
	for name, v := range tags {
		if !v.set {
			continue
		}
		switch name {
		case "error":
			// Zipkin marks a failed span with an "error" tag whose value is
			// the message; only an explicit "false" does not count.
			if v.s != "false" {
				s.Status = trace.StatusError
				if v.s != "" && v.s != "true" {
					kept = append(kept, tag{name, v.s, trace.AttrStatusMessage})
				}
			}
		case "otel.status_code":
			switch strings.ToUpper(v.s) {
			case "ERROR":
				s.Status = trace.StatusError
			case "OK":
				s.Status = max(s.Status, trace.StatusOK)
			}
		default:
			if k, ok := trace.KeyOf(name); ok {
				kept = append(kept, tag{name, v.s, k})
			}
		}
	}
	slices.SortFunc(kept, func(a, b tag) int { return cmp.Compare(a.name, b.name) })
	for _, t := range kept {
		s.Attrs.Set(t.key, t.value, t.name == t.key.String())
	}
	clear(kept)
	st.kept = kept[:0]
}
