package jsontext

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

// Reader walks one JSON document of an Input with a streaming
// json.Decoder: the structure token by token, values with one Decode call
// each. Every error it returns or records is a *decoder.Error at
// file:line:col of the whole input. Offsets taken and given by its methods
// (Pos, ErrorAt, Report) are relative to the document (Doc).
//
// Errors come in two kinds. A broken stream (a syntax error, the end of
// the document) is returned and ends the document. A value that is well
// formed but does not fit what the decoder wants is recorded in the Input
// and reading goes on.
type Reader struct {
	in   *Input
	doc  []byte
	base int64 // doc's offset in the input
	dec  *json.Decoder
}

// Doc returns the document being read.
func (r *Reader) Doc() []byte { return r.doc }

// More reports whether the current array or object has another element.
func (r *Reader) More() bool { return r.dec.More() }

// Pos returns the offset in the document of the next value, after any
// white space and separator (',' or ':'); len(Doc()) at the end.
func (r *Reader) Pos() int {
	i := SkipSpace(r.doc, int(r.dec.InputOffset()))
	if i < len(r.doc) && (r.doc[i] == ',' || r.doc[i] == ':') {
		i = SkipSpace(r.doc, i+1)
	}
	return i
}

// Peek returns the first byte of the next value, or 0 at the end.
func (r *Reader) Peek() byte {
	if i := r.Pos(); i < len(r.doc) {
		return r.doc[i]
	}
	return 0
}

// decodeBase is where the buffer of the next Decode call starts in doc;
// json.UnmarshalTypeError offsets are relative to it.
func (r *Reader) decodeBase() int {
	i := int(r.dec.InputOffset())
	j := SkipSpace(r.doc, i)
	if j < len(r.doc) && (r.doc[j] == ',' || r.doc[j] == ':') {
		return j + 1
	}
	return i
}

// ErrorAt returns err positioned at offset i of the document.
func (r *Reader) ErrorAt(i int, err error) error {
	return decoder.TextError(r.in.file, r.in.data, r.base+int64(i), err)
}

// Report records err at offset i of the document in the Input.
func (r *Reader) Report(i int, err error) {
	r.in.errorAt(r.base+int64(i), err)
}

// StreamError turns an error that ends the document into a positioned
// error: a syntax error (decoder.ErrSyntax) at the offending byte, the end
// of input (decoder.ErrTruncated) at the end of the document, anything
// else at the decoder's offset.
func (r *Reader) StreamError(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// Decoder offsets vary with the call that failed (Token, More,
		// Decode); a one-shot validation of the document names the
		// offending byte exactly.
		var exact *json.SyntaxError
		if errors.As(json.Unmarshal(r.doc, &Discard{}), &exact) {
			se = exact
		}
		return decoder.TextError(r.in.file, r.in.data, r.base+max(se.Offset-1, 0), fmt.Errorf("%w: %v", decoder.ErrSyntax, se))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return decoder.TextError(r.in.file, r.in.data, r.base+int64(len(r.doc)), fmt.Errorf("%w: unexpected end of JSON", decoder.ErrTruncated))
	}
	return decoder.TextError(r.in.file, r.in.data, r.base+r.dec.InputOffset(), err)
}

// isStreamError reports whether err from Decode broke the stream, as opposed
// to a value that did not fit its Go type.
func isStreamError(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}

// typeKind names the JSON kind that a Go type decodes from, for messages.
func typeKind(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
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
	}
	return "a number"
}

// Delim reads the next token, which must be want.
func (r *Reader) Delim(want json.Delim) error {
	tok, err := r.dec.Token()
	if err != nil {
		return r.StreamError(err)
	}
	if tok != want {
		return r.StreamError(fmt.Errorf("%w: want %v, found %v", decoder.ErrSyntax, want, tok))
	}
	return nil
}

// Key reads an object key.
func (r *Reader) Key() (string, error) {
	tok, err := r.dec.Token()
	if err != nil {
		return "", r.StreamError(err)
	}
	k, ok := tok.(string)
	if !ok {
		return "", r.StreamError(fmt.Errorf("%w: want an object key, found %v", decoder.ErrSyntax, tok))
	}
	return k, nil
}

// Skip reads the next value without building it.
func (r *Reader) Skip() error {
	if err := r.dec.Decode(&Discard{}); err != nil {
		return r.StreamError(err)
	}
	return nil
}

// Decode decodes the next value into v. A value that does not fit v is
// recorded as a decoder.ErrType error, described as what ("span",
// `"processes"`) and, when encoding/json names it, the offending field; ok
// is then false. A type mismatch is positioned where encoding/json detects
// it (just past the offending scalar, or past an object's or array's
// opening bracket); an error from an UnmarshalJSON method, at the start of
// the value decoded. An error is returned only when the stream broke.
func (r *Reader) Decode(v any, what string) (ok bool, err error) {
	start, base := r.Pos(), r.decodeBase()
	if err := r.dec.Decode(v); err != nil {
		if isStreamError(err) {
			return false, r.StreamError(err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			if te.Field != "" {
				what += fmt.Sprintf(": field %q", te.Field)
			}
			r.in.errorAt(r.base+int64(base)+te.Offset, fmt.Errorf("%w: %s: want %s, found JSON %s", decoder.ErrType, what, typeKind(te.Type), te.Value))
		} else {
			r.Report(start, fmt.Errorf("%w: %s: %v", decoder.ErrType, what, err))
		}
		return false, nil
	}
	return true, nil
}

// SkipMismatch skips the next value, which is not what the caller wants,
// and records a decoder.ErrType error "want <want>, found <its kind>" at
// its first byte. An error is returned only when the stream broke.
func (r *Reader) SkipMismatch(want string) error {
	start := r.Pos()
	if err := r.Skip(); err != nil {
		return err
	}
	r.Report(start, fmt.Errorf("%w: want %s, found %s", decoder.ErrType, want, ValueKind(r.doc[start:])))
	return nil
}

// UnknownFormat reads the next token and returns the error for a
// document whose top-level value is not what the format has: a
// decoder.ErrUnknownFormat error "want <want>, found <its kind>", or the
// stream error when that token is not valid JSON.
func (r *Reader) UnknownFormat(want string) error {
	start := r.Pos()
	if _, err := r.dec.Token(); err != nil {
		return r.StreamError(err)
	}
	return r.ErrorAt(start, fmt.Errorf("%w: want %s, found %s", decoder.ErrUnknownFormat, want, ValueKind(r.doc[start:])))
}

// End returns a decoder.ErrSyntax error when anything but white space
// follows the top-level value just read.
func (r *Reader) End() error {
	if i := SkipSpace(r.doc, int(r.dec.InputOffset())); i < len(r.doc) {
		return r.ErrorAt(i, fmt.Errorf("%w: invalid character %q after top-level value", decoder.ErrSyntax, r.doc[i]))
	}
	return nil
}
