// Package decoder holds what every format decoder shares: the Emitter that
// receives decoded spans, positioned errors (file:line:col for text, byte
// offset for binary), input limits, and helpers for JSON lines and string
// interning.
//
// A format decoder has the shape
//
//	func Decode(file string, data []byte, em decoder.Emitter, lim decoder.Limits) error
//
// It emits every span it can decode, counts spans it must reject with
// em.Reject, and returns nil, a *Error, or an ErrorList when parts of the
// input could not be read. It never panics on any input.
package decoder

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/syncaudit/syncaudit/trace"
)

// Emitter receives what a decoder read.
type Emitter interface {
	// Emit receives decoded spans. The callee copies them; the decoder may
	// reuse the slice after Emit returns.
	Emit(spans []trace.Span)
	// Reject counts n spans that were read but cannot be used.
	Reject(r trace.Reason, n int)
}

// Collect is an Emitter that keeps everything in memory (tests, small inputs).
type Collect struct {
	Spans    []trace.Span
	Rejected trace.Tally
}

// Emit appends spans.
func (c *Collect) Emit(spans []trace.Span) { c.Spans = append(c.Spans, spans...) }

// Grow makes room for n more spans: a decoder that knows how many spans
// it is about to emit (see Grower) saves the appends' regrowth.
func (c *Collect) Grow(n int) { c.Spans = slices.Grow(c.Spans, n) }

// Grower is an Emitter that can make room for n more spans in advance.
type Grower interface {
	Grow(n int)
}

// Reject counts rejected spans.
func (c *Collect) Reject(r trace.Reason, n int) {
	if c.Rejected == nil {
		c.Rejected = trace.Tally{}
	}
	c.Rejected.Add(r, n)
}

// Limits bound what untrusted input can make a decoder allocate.
type Limits struct {
	// MaxInputBytes bounds the decompressed size of one input.
	MaxInputBytes int64
	// MaxMessageBytes bounds one length-prefixed protobuf message.
	MaxMessageBytes int64
	// MaxDepth bounds JSON nesting.
	MaxDepth int
}

// DefaultLimits are the limits used unless the caller sets others.
var DefaultLimits = Limits{
	MaxInputBytes:   16 << 30,
	MaxMessageBytes: 512 << 20,
	MaxDepth:        512,
}

// Sentinel causes wrapped by Error.
var (
	ErrSyntax        = errors.New("invalid JSON")
	ErrType          = errors.New("wrong type")
	ErrUnknownFormat = errors.New("unknown trace format")
	ErrEmpty         = errors.New("empty input")
	ErrTruncated     = errors.New("truncated input")
	ErrTooLarge      = errors.New("input exceeds limit")
	ErrNoSpans       = errors.New("no spans found")
)

// Error is a decoding error at a position in a named input.
type Error struct {
	File   string
	Line   int   // 1-based line, 0 for binary input
	Column int   // 1-based column in bytes, 0 for binary input
	Offset int64 // byte offset from the start of the (decompressed) input
	Binary bool
	Err    error
}

// Error returns "file:line:col: cause" for text input, "file: byte offset
// N: cause" for binary input, and "file: cause" without a position.
func (e *Error) Error() string {
	if e.Binary {
		return fmt.Sprintf("%s: byte offset %d: %v", e.File, e.Offset, e.Err)
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// TextError returns an Error at byte offset off of a text input, with line
// and column computed from data. Offsets past the end are clamped.
func TextError(file string, data []byte, off int64, err error) *Error {
	if off < 0 {
		off = 0
	}
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := int(off) - (bytes.LastIndexByte(data[:off], '\n') + 1) + 1
	return &Error{File: file, Line: line, Column: col, Offset: off, Err: err}
}

// BinaryError returns an Error at byte offset off of a binary input.
func BinaryError(file string, off int64, err error) *Error {
	return &Error{File: file, Offset: off, Binary: true, Err: err}
}

// ErrorList is a list of errors from one input; it prints the first and a count.
type ErrorList []error

// Error returns the first error and the count of the others.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%v (and %d more errors)", l[0], len(l)-1)
}

// Unwrap returns the errors, for errors.Is and errors.As.
func (l ErrorList) Unwrap() []error { return l }

// MoreErrors ends an ErrorList that was cut short: N more errors of File
// were found but not listed.
type MoreErrors struct {
	File string
	N    int
}

// Error returns "file: N more errors not listed".
func (e *MoreErrors) Error() string { return fmt.Sprintf("%s: %d more errors not listed", e.File, e.N) }

// Err returns nil for an empty list, the only error for one, else the list.
func (l ErrorList) Err() error {
	switch len(l) {
	case 0:
		return nil
	case 1:
		return l[0]
	}
	return l
}

// Lines calls f for each non-blank line of data with its byte offset. It
// stops at the first error f returns.
func Lines(data []byte, f func(line []byte, off int64) error) error {
	off := 0
	for off < len(data) {
		end := bytes.IndexByte(data[off:], '\n')
		var line []byte
		if end < 0 {
			line = data[off:]
			end = len(data)
		} else {
			line = data[off : off+end]
			end = off + end + 1
		}
		if len(bytes.TrimSpace(line)) > 0 {
			if err := f(line, int64(off)); err != nil {
				return err
			}
		}
		off = end
	}
	return nil
}

// Interner deduplicates strings (service and operation names) so millions
// of spans share a few allocations. Not safe for concurrent use.
type Interner map[string]string

// Intern returns the canonical copy of s.
func (in Interner) Intern(s string) string {
	if v, ok := in[s]; ok {
		return v
	}
	s = strings.Clone(s)
	in[s] = s
	return s
}

// InternBytes returns the canonical string for b without allocating when known.
func (in Interner) InternBytes(b []byte) string {
	if v, ok := in[string(b)]; ok {
		return v
	}
	s := string(b)
	in[s] = s
	return s
}

// NameHash is the FNV-1a hash of s. The decoders' memos choose a slot by
// it, not by a seeded hash, so that which names share a slot (and so how
// much is recalled) is the same on every run.
func NameHash[T string | []byte](s T) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint32(s[i])) * 16777619
	}
	return h
}
