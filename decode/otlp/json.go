package otlp

import (
	"bytes"
	"fmt"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/jsontext"
)

// pdataDepthGuard is the document size above which nesting depth is checked
// (against lim.MaxDepth) before pdata reads a document. pdata's JSON reader
// recurses once per nested arrayValue/kvlistValue without a depth limit;
// each level takes at least 27 input bytes and measured about 256 bytes of
// stack, so a smaller document costs at most about 80 MB of stack. The
// check scans at about 900 MB/s, a fifth of pdata's own time, so small
// documents (JSON lines of ordinary batches) skip it.
const pdataDepthGuard = 8 << 20

// DecodeJSON decodes OTLP/JSON: one document or JSON lines.
//
// The input is one OTLP/JSON document, several concatenated documents, or
// JSON lines (one document per line, as the Collector file exporter and the
// otlpjsonfile receiver use; a trace may be spread over lines). A document
// is a TracesData/ExportTraceServiceRequest object, or one wrapped as
// {"result":…} (Jaeger api_v3), {"trace":…} (Tempo) or {"batches":[…]}
// (Tempo v1, batches being resourceSpans). IDs may be hex in either case,
// 64-bit, or base64 (protobuf-style JSON); enums may be numbers or names;
// the legacy instrumentationLibrarySpans key is read.
//
// Documents are read with syncaudit's own reader, whose errors are
// positioned. Where pdata's ptrace.JSONUnmarshaler could read a document
// differently (wrappers, repeated members, snake_case names, enum names,
// unusual numbers, surrogate escapes) or the own reader rejects it, pdata
// reads it first and the own reader only what pdata cannot read, so the
// result is always what pdata would give when pdata can read the input.
// A bad line of JSON lines is reported and the other lines still decode;
// the result is then a decoder.ErrorList of *decoder.Error at file:line:col.
// A document without any resourceSpans (such as {}) is an error wrapping
// decoder.ErrNoSpans. Spans without a valid trace or span ID are counted
// with em.Reject.
//
// lim.MaxInputBytes bounds the input and lim.MaxDepth the JSON nesting,
// except in JSON lines under 8 MiB that pdata reads: those are not scanned
// first, and pdata handles any nesting such a line can hold.
func DecodeJSON(file string, data []byte, em decoder.Emitter, lim decoder.Limits) error {
	return decodeJSON(file, data, em, lim, false)
}

// DecodeJSONLines is DecodeJSON for data known to be JSON lines, as
// DecodeJSON would decide: its first non-blank line is exactly one
// complete JSON object (decode.Split cuts chunks so). It skips reading
// that line once more to decide.
func DecodeJSONLines(file string, data []byte, em decoder.Emitter, lim decoder.Limits) error {
	return decodeJSONWith(file, data, em, lim, false, true)
}

// decodeJSON is DecodeJSON; pdataFirst gives every document to pdata
// first (the reference behaviour that tests compare with).
func decodeJSON(file string, data []byte, em decoder.Emitter, lim decoder.Limits, pdataFirst bool) error {
	return decodeJSONWith(file, data, em, lim, pdataFirst, false)
}

func decodeJSONWith(file string, data []byte, em decoder.Emitter, lim decoder.Limits, pdataFirst, knownLines bool) error {
	lim = normLimits(lim)
	d := &jsonDecoder{
		docDecoder: docDecoder{conv: newConverter(em, nil), lim: lim, pdataFirst: pdataFirst},
		data:       data,
		sink:       errorSink{file: file, idx: lineIndex{data: data}},
		knownLines: knownLines,
	}
	d.run()
	d.conv.flush()
	d.conv.done()
	return d.sink.result()
}

// normLimits fills zero limits with the defaults.
func normLimits(l decoder.Limits) decoder.Limits {
	def := decoder.DefaultLimits
	if l.MaxInputBytes <= 0 {
		l.MaxInputBytes = def.MaxInputBytes
	}
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = def.MaxMessageBytes
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = def.MaxDepth
	}
	return l
}

// docDecoder decodes single OTLP/JSON documents into a converter.
type docDecoder struct {
	conv *converter
	lim  decoder.Limits
	unm  ptrace.JSONUnmarshaler
	// pdataFirst skips the strict own read.
	pdataFirst bool
}

// decode reads one document and returns an error with its offset in doc.
// A strict read by the own reader decides most documents; the rest go to
// pdata and, if pdata cannot read them, to the own reader again.
func (d *docDecoder) decode(doc []byte) (int, error) {
	if !d.pdataFirst && readStrict(doc, d.conv, d.lim.MaxDepth) {
		return 0, nil
	}
	if target := d.pdataTarget(doc); target != nil {
		if td, err := unmarshalJSON(&d.unm, target); err == nil {
			d.conv.traces(td)
			return 0, nil
		}
	}
	return decodeFallback(doc, d.conv, d.lim.MaxDepth)
}

// unmarshalJSON runs pdata's JSON reader. A panic in it (a pdata bug on
// hostile input) becomes an error, so the fallback reader takes over.
func unmarshalJSON(u *ptrace.JSONUnmarshaler, b []byte) (td ptrace.Traces, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pdata JSON reader failed: %v", r)
		}
	}()
	return u.UnmarshalTraces(b)
}

// pdataTarget returns the part of doc that pdata should read: doc itself
// when it has a top-level resourceSpans key, or the object inside a
// {"result":…} or {"trace":…} wrapper. It returns nil when pdata cannot
// read the document correctly (no resourceSpans, the batches wrapper,
// legacy keys) or when the document is too deep for pdata. pdata reads one
// value and ignores what follows, so a wrapped object needs no end offset.
// Only the keys before resourceSpans are scanned; usually it is the first.
func (d *docDecoder) pdataTarget(doc []byte) []byte {
	s := newScanner(doc, d.lim.MaxDepth)
	for level := 1; level <= maxWrapDepth; level++ {
		if s.peek() != '{' {
			return nil
		}
		start := s.pos
		s.pos++
		if s.peek() != '"' {
			return nil
		}
		for descend := false; !descend; {
			key := s.str()
			if !s.expect(':', "':'") {
				return nil
			}
			switch string(key) {
			case "resourceSpans", "resource_spans":
				return d.pdataReadable(doc[start:])
			case "batches":
				return nil
			case "result", "trace":
				descend = s.peek() == '{'
			}
			if descend {
				break
			}
			s.skip(level)
			if s.peek() != ',' || s.err != nil {
				return nil
			}
			s.pos++
		}
	}
	return nil
}

// pdataReadable returns t, or nil if pdata would misread it: legacy keys
// that pdata silently drops, or nesting beyond the limit in a document
// large enough to matter.
func (d *docDecoder) pdataReadable(t []byte) []byte {
	if hasLegacyKeys(t) {
		return nil
	}
	if len(t) > pdataDepthGuard {
		s := newScanner(t, d.lim.MaxDepth)
		s.skip(0)
		if s.err != nil {
			return nil
		}
	}
	return t
}

// hasLegacyKeys reports whether b has an "instrumentationLibrary…" or
// "instrumentation_library…" key (OTLP before 0.15).
func hasLegacyKeys(b []byte) bool {
	pat := []byte("nstrumentation")
	for i := 0; ; {
		j := bytes.Index(b[i:], pat)
		if j < 0 {
			return false
		}
		at := i + j
		rest := b[at+len(pat):]
		if at >= 2 && b[at-2] == '"' && b[at-1] == 'i' &&
			(bytes.HasPrefix(rest, []byte("Library")) || bytes.HasPrefix(rest, []byte("_library"))) {
			return true
		}
		i = at + len(pat)
	}
}

// jsonDecoder reads a whole OTLP/JSON input.
type jsonDecoder struct {
	docDecoder
	data []byte
	sink errorSink
	// knownLines: the caller knows the data is JSON lines (see
	// DecodeJSONLines).
	knownLines bool
}

func (d *jsonDecoder) run() {
	data := d.data
	pos := jsontext.SkipSpace(data, len(data)-len(jsontext.TrimBOM(data)))
	switch {
	case pos == len(data):
		d.sink.add(0, fmt.Errorf("%w: no JSON document", decoder.ErrEmpty))
	case int64(len(data)) > d.lim.MaxInputBytes:
		d.sink.add(0, fmt.Errorf("%w: %d bytes, limit %d", decoder.ErrTooLarge, len(data), d.lim.MaxInputBytes))
	case d.knownLines:
		d.lines(pos)
	default:
		if next, ok := d.strictFirstLine(pos); ok {
			d.lines(next)
		} else if d.isLines(pos) {
			d.lines(pos)
		} else {
			d.stream(pos)
		}
	}
}

// strictFirstLine decodes the first line, from pos (its first non-blank
// byte), when the strict read takes it whole, and returns where the next
// line starts. A line the strict read takes is exactly one complete JSON
// object, so the input is JSON lines (isLines would say so after reading
// the line once more) and the line is decoded as lines decodes it: a
// small file of one line is read once, not twice.
func (d *jsonDecoder) strictFirstLine(pos int) (int, bool) {
	data := d.data
	if d.pdataFirst || data[pos] != '{' {
		return 0, false
	}
	end, next := len(data), len(data)
	if nl := bytes.IndexByte(data[pos:], '\n'); nl >= 0 {
		end, next = pos+nl, pos+nl+1
	}
	if !readStrict(data[pos:end], d.conv, d.lim.MaxDepth) {
		return 0, false
	}
	return next, true
}

// isLines reports whether the input is JSON lines: one of its first
// three non-blank lines is exactly one complete JSON object (the first may
// be indented, later ones must start at column 0, as pretty-printed
// documents never do with a complete object). Looking past the first line
// keeps a file whose first line is damaged readable line by line.
func (d *jsonDecoder) isLines(pos int) bool {
	data := d.data
	for n := 0; n < 3 && pos < len(data); {
		end, next := len(data), len(data)
		if nl := bytes.IndexByte(data[pos:], '\n'); nl >= 0 {
			end, next = pos+nl, pos+nl+1
		}
		line := data[pos:end]
		if i := jsontext.SkipSpace(line, 0); i < len(line) {
			if (n == 0 || i == 0) && line[i] == '{' && d.completeValue(line[i:]) {
				return true
			}
			n++
		}
		pos = next
	}
	return false
}

// completeValue reports whether b holds exactly one JSON value.
func (d *jsonDecoder) completeValue(b []byte) bool {
	s := newScanner(b, d.lim.MaxDepth)
	s.skip(0)
	if s.err != nil {
		return false
	}
	s.ws()
	return s.pos == len(b)
}

// lines decodes each non-blank line as a document.
func (d *jsonDecoder) lines(pos int) {
	data := d.data
	for pos < len(data) {
		end, next := len(data), len(data)
		if nl := bytes.IndexByte(data[pos:], '\n'); nl >= 0 {
			end, next = pos+nl, pos+nl+1
		}
		line := data[pos:end]
		if jsontext.SkipSpace(line, 0) < len(line) {
			if r, err := d.decode(line); err != nil {
				d.sink.add(pos+r, err)
			}
		}
		pos = next
	}
}

// stream decodes a sequence of documents separated by whitespace (usually
// one pretty-printed document).
func (d *jsonDecoder) stream(pos int) {
	data := d.data
	for {
		if pos = jsontext.SkipSpace(data, pos); pos >= len(data) {
			return
		}
		s := newScanner(data[pos:], d.lim.MaxDepth)
		s.skip(0)
		if s.err != nil {
			// The document is malformed and its end unknown: keep the
			// resourceSpans read before the error and report it.
			r, err := decodeFallback(data[pos:], d.conv, d.lim.MaxDepth)
			if err == nil {
				r, err = s.errPos, s.err
			}
			d.sink.add(pos+r, err)
			return
		}
		end := pos + s.pos
		if r, err := d.decode(data[pos:end]); err != nil {
			d.sink.add(pos+r, err)
		}
		pos = end
	}
}

// maxErrors bounds the errors listed for one input; the rest are counted.
const maxErrors = 100

// errorSink collects positioned errors for one text input.
type errorSink struct {
	file string
	idx  lineIndex
	errs decoder.ErrorList
	more int
}

// add records err at byte offset off of the input.
func (e *errorSink) add(off int, err error) {
	if len(e.errs) >= maxErrors {
		e.more++
		return
	}
	e.errs = append(e.errs, e.idx.textError(e.file, off, err))
}

// result returns nil, the only error, or the list.
func (e *errorSink) result() error {
	errs := e.errs
	if e.more > 0 {
		errs = append(errs, &decoder.MoreErrors{File: e.file, N: e.more})
	}
	return errs.Err()
}

// lineIndex converts byte offsets to line:column. It remembers the last
// offset, so increasing offsets cost linear time in total.
type lineIndex struct {
	data      []byte
	off       int
	line      int // line at off, 0 before first use
	lineStart int // offset of that line's first byte
}

func (l *lineIndex) textError(file string, off int, err error) *decoder.Error {
	off = min(max(off, 0), len(l.data))
	if l.line == 0 || off < l.off {
		l.off, l.line, l.lineStart = 0, 1, 0
	}
	seg := l.data[l.off:off]
	if n := bytes.Count(seg, []byte{'\n'}); n > 0 {
		l.line += n
		l.lineStart = l.off + bytes.LastIndexByte(seg, '\n') + 1
	}
	l.off = off
	return &decoder.Error{File: file, Line: l.line, Column: off - l.lineStart + 1, Offset: int64(off), Err: err}
}
