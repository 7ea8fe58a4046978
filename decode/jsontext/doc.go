// Package jsontext holds byte-level scans and positioned-error helpers for
// JSON trace decoders (decode/jaeger and decode/zipkin; the scans also serve
// decode and decode/otlp).
//
// Input: the raw bytes of one text input, as a format decoder receives
// them (possibly with a UTF-8 byte order mark, possibly JSON lines,
// possibly malformed or hostile). Output: byte offsets and yes/no answers
// from scans that never fail and never decode (TrimBOM, SkipSpace, StringEnd,
// TooDeep, IsJSONLines, ContainerStart), JSON values kept as text (Scalar,
// Unquote, Decimal, MicrosToNanos), and, for decoding, one Reader per JSON
// document whose every error is a *decoder.Error at file:line:col of the
// whole input:
//
//	in := jsontext.NewInput("traces.json", data, lim, 100)
//	err := in.Documents(func(r *jsontext.Reader) error {
//		if err := r.Delim('['); err != nil {
//			return err // a broken stream ends the document
//		}
//		for r.More() {
//			var v struct{ ID string }
//			if ok, err := r.Decode(&v, "span"); err != nil {
//				return err
//			} else if ok {
//				// use v
//			} // else: recorded as a decoder.ErrType error at its field
//		}
//		if err := r.Delim(']'); err != nil {
//			return err
//		}
//		return r.End()
//	})
//	if err == nil {
//		err = in.Err() // nil, a *decoder.Error or a decoder.ErrorList
//	}
//
// The scans ignore the contents of strings and leave malformed input for
// encoding/json to report; none of them recurses, so any nesting depth is
// safe.
package jsontext
