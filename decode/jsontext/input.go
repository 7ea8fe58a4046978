package jsontext

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

// Input is one text input being decoded as JSON: its name and bytes, which
// positioned errors refer to, its limits, and the errors found so far (the
// first few kept, the rest counted). It serves one decoder call and is not
// safe for concurrent use.
type Input struct {
	file      string
	data      []byte
	lim       decoder.Limits
	maxErrors int
	errs      decoder.ErrorList
	dropped   int // errors beyond maxErrors
}

// NewInput returns the Input for data, named file in errors. It keeps the
// first maxErrors errors (at least one) and counts the rest.
func NewInput(file string, data []byte, lim decoder.Limits, maxErrors int) *Input {
	return &Input{file: file, data: data, lim: lim, maxErrors: max(maxErrors, 1)}
}

// maxDepth is the nesting limit: lim.MaxDepth, or the default when unset.
func (in *Input) maxDepth() int {
	if in.lim.MaxDepth > 0 {
		return in.lim.MaxDepth
	}
	return decoder.DefaultLimits.MaxDepth
}

// Documents calls f with a Reader for each JSON document of the input: the
// whole input after any UTF-8 byte order mark or, when the input is JSON
// lines (see IsJSONLines), each non-blank line. A document nested deeper
// than lim.MaxDepth (the default when unset) is reported with
// decoder.ErrTooLarge at its first bracket too deep and not passed to f.
// An error f returns (a Reader's positioned error for a broken stream) is
// recorded and the next document is read.
//
// Without calling f, Documents returns a *decoder.Error wrapping
// decoder.ErrTooLarge when the input is larger than lim.MaxInputBytes (if
// set), or decoder.ErrEmpty when it holds nothing but white space.
// Otherwise it returns nil; the errors recorded are in Err.
func (in *Input) Documents(f func(r *Reader) error) error {
	return in.DocumentsFast(nil, f)
}

// MaxDepth is the nesting limit Documents checks: Limits.MaxDepth, or
// the default when unset.
func (in *Input) MaxDepth() int { return in.maxDepth() }

// DocumentsFast is Documents with a fast path: each document is first
// handed to fast (when not nil), and only when fast returns false is it
// checked for depth and passed to f. fast must return false, having had
// no visible effect, for a document nested deeper than MaxDepth: it
// replaces the depth check.
func (in *Input) DocumentsFast(fast func(doc []byte) bool, f func(r *Reader) error) error {
	if in.lim.MaxInputBytes > 0 && int64(len(in.data)) > in.lim.MaxInputBytes {
		return &decoder.Error{File: in.file, Err: fmt.Errorf("%w: %d bytes, limit %d", decoder.ErrTooLarge, len(in.data), in.lim.MaxInputBytes)}
	}
	body := TrimBOM(in.data)
	start := len(in.data) - len(body)
	if len(bytes.TrimSpace(body)) == 0 {
		return &decoder.Error{File: in.file, Err: decoder.ErrEmpty}
	}
	if IsJSONLines(body) {
		_ = decoder.Lines(body, func(line []byte, off int64) error {
			if fast == nil || !fast(line) {
				in.document(line, int64(start)+off, f)
			}
			return nil
		})
	} else if fast == nil || !fast(body) {
		in.document(body, int64(start), f)
	}
	return nil
}

// document passes doc, found at offset base of the input, to f.
func (in *Input) document(doc []byte, base int64, f func(r *Reader) error) {
	if i := TooDeep(doc, in.maxDepth()); i >= 0 {
		in.errorAt(base+int64(i), fmt.Errorf("%w: JSON nested deeper than %d levels", decoder.ErrTooLarge, in.maxDepth()))
		return
	}
	r := &Reader{in: in, doc: doc, base: base, dec: json.NewDecoder(bytes.NewReader(doc))}
	if err := f(r); err != nil {
		in.add(err)
	}
}

// errorAt records err at byte offset off of the input.
func (in *Input) errorAt(off int64, err error) {
	if len(in.errs) >= in.maxErrors { // skip the line count too
		in.dropped++
		return
	}
	in.add(decoder.TextError(in.file, in.data, off, err))
}

// add records an already positioned error.
func (in *Input) add(err error) {
	if len(in.errs) >= in.maxErrors {
		in.dropped++
		return
	}
	in.errs = append(in.errs, err)
}

// Err returns the errors recorded so far: nil, the only one, or a
// decoder.ErrorList whose last entry, a *decoder.MoreErrors, counts the
// errors not kept.
func (in *Input) Err() error {
	errs := in.errs
	if in.dropped > 0 {
		errs = append(errs[:len(errs):len(errs)], &decoder.MoreErrors{File: in.file, N: in.dropped})
	}
	return errs.Err()
}
