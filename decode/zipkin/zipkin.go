package zipkin

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/jsontext"
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
	batch []trace.Span
	kept  []tag // scratch for applyTags
	doc   index // the spans of the current document, for naming services
}

func (st *state) run() error {
	if err := st.in.Documents(st.document); err != nil {
		return err
	}
	st.flush()
	err := st.in.Err()
	if err == nil && st.read == 0 {
		return &decoder.Error{File: st.file, Err: fmt.Errorf("%w in Zipkin JSON", decoder.ErrNoSpans)}
	}
	return err
}

func (st *state) reject(r trace.Reason) {
	st.read++
	st.em.Reject(r, 1)
}

// emit batches one span.
func (st *state) emit(s trace.Span) {
	st.batch = append(st.batch, s)
	if len(st.batch) >= batchSize {
		st.flush()
	}
}

func (st *state) flush() {
	if len(st.batch) > 0 {
		st.em.Emit(st.batch)
		clear(st.batch)
		st.batch = st.batch[:0]
	}
}

// document decodes one JSON document (the whole input, or one line of JSON
// lines): arrays token by token, each span with one Decode call. Spans
// without a service are named and emitted at its end, even when it breaks
// off.
func (st *state) document(jr *jsontext.Reader) error {
	defer st.endDocument()
	r := &reader{Reader: jr, st: st}
	var err error
	switch r.Peek() {
	case '[':
		err = r.array(true)
	case '{':
		err = r.span(true)
	default:
		return r.UnknownFormat("a Zipkin span array")
	}
	if err != nil {
		return err
	}
	return r.End()
}

// endDocument names the services of the document's held spans, emits
// them, and forgets the document.
func (st *state) endDocument() {
	ix := &st.doc
	if len(ix.held) > 0 {
		ix.build()
		for _, h := range ix.held {
			h.span.Service = st.names.Intern(ix.service(h.entry))
			st.emit(h.span)
		}
	}
	ix.reset()
}

// reader walks one document.
type reader struct {
	*jsontext.Reader
	st *state
}

// array decodes an array of spans; at the top level its elements may also
// be arrays of spans (GET /api/v2/traces).
func (r *reader) array(top bool) error {
	if err := r.Delim('['); err != nil {
		return err
	}
	for r.More() {
		var err error
		switch c := r.Peek(); {
		case c == '{':
			err = r.span(false)
		case top && c == '[':
			err = r.array(false)
		default:
			if err = r.SkipMismatch("a span object"); err == nil {
				r.st.reject(trace.RejectInvalidSpan)
			}
		}
		if err != nil {
			return err
		}
	}
	return r.Delim(']')
}

// span decodes one span object. A span with wrong field types is rejected
// and reported; only a broken stream returns an error. A top-level object
// without an "id" is not taken for a span (it is some other JSON).
func (r *reader) span(top bool) error {
	start := r.Pos()
	var rs rawSpan
	if ok, err := r.Decode(&rs, "span"); !ok {
		if err == nil {
			r.st.reject(trace.RejectInvalidSpan)
		}
		return err
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
		Name:    st.names.Intern(rs.Name),
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
		r.Report(start, fmt.Errorf("%w: span: timestamp plus duration is out of range", decoder.ErrType))
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
		s.Service = st.names.Intern(rs.LocalEndpoint.ServiceName)
	}
	if rs.RemoteEndpoint != nil && rs.RemoteEndpoint.ServiceName != "" {
		s.Attrs.Set(trace.AttrPeerService, st.names.Intern(rs.RemoteEndpoint.ServiceName), false)
	}
	st.applyTags(&s, rs.Tags)
	st.read++
	kind := roleOf(rs.Kind)
	entry := st.doc.add(&s, kind, namesFor(rs, kind, s.Service == ""))
	if s.Service == "" {
		st.doc.held = append(st.doc.held, heldSpan{s, entry})
		return
	}
	st.emit(s)
}

// tag is a kept tag, for sorting.
type tag struct {
	name, value string
	key         trace.AttrKey
}

// applyTags sets status and the kept attributes from the span tags. Map
// order is random, so kept tags are applied in name order and the current
// semantic-convention name wins over legacy aliases.
func (st *state) applyTags(s *trace.Span, tags map[string]jsontext.Scalar) {
	kept := st.kept[:0]
	for name, v := range tags {
		if !v.Valid {
			continue
		}
		switch name {
		case "error":
			// Zipkin marks a failed span with an "error" tag whose value is
			// the message; only an explicit "false" does not count.
			if v.Text != "false" {
				s.Status = trace.StatusError
				if v.Text != "" && v.Text != "true" {
					kept = append(kept, tag{name, v.Text, trace.AttrStatusMessage})
				}
			}
		case "otel.status_code":
			switch strings.ToUpper(v.Text) {
			case "ERROR":
				s.Status = trace.StatusError
			case "OK":
				s.Status = max(s.Status, trace.StatusOK)
			}
		default:
			if k, ok := trace.KeyOf(name); ok {
				kept = append(kept, tag{name, v.Text, k})
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
