package jsontext

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// Scalar is a JSON string, number or boolean kept as text: strings
// unquoted, numbers in decimal (see Decimal), booleans as "true" or
// "false". null, objects and arrays leave it unset (Valid false) without
// an error, so tag values of types a decoder does not keep are simply
// dropped.
type Scalar struct {
	Text  string
	Valid bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *Scalar) UnmarshalJSON(b []byte) error {
	*v = Scalar{}
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		s, err := Unquote(b)
		if err != nil {
			return err
		}
		*v = Scalar{s, true}
	case 't':
		*v = Scalar{"true", true}
	case 'f':
		*v = Scalar{"false", true}
	case 'n', '{', '[':
	default:
		*v = Scalar{Decimal(b), true}
	}
	return nil
}

// Unquote decodes the JSON string literal b (quotes included), without a
// second allocation when it has no escapes. b is a complete literal, as
// encoding/json hands it to an UnmarshalJSON method: without escapes its
// first and last bytes are dropped unchecked.
func Unquote(b []byte) (string, error) {
	if len(b) >= 2 && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// Decimal formats the JSON number literal b as a plain decimal: integers
// as written, 200.0 as "200", 1e3 as "1000", 72.5 as "72.5". Text that
// does not parse is returned as it is.
func Decimal(b []byte) string {
	if !bytes.ContainsAny(b, ".eE") {
		return string(b)
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return string(b)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// ValueKind names the JSON kind of the value starting at b[0] for
// messages: "an object", "an array", "a string", "a boolean", "null", "a
// number" (for anything else), or "nothing" when b is empty.
func ValueKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// Causes wrapped by MicrosToNanos errors.
var (
	// ErrNotNumber: the text is not a finite decimal number.
	ErrNotNumber = errors.New("not a number")
	// ErrOutOfRange: the nanoseconds do not fit an int64.
	ErrOutOfRange = errors.New("out of range")
)

// MicrosToNanos converts s, a decimal number of microseconds (an integer,
// or a fraction or exponent form, rounded to the nanosecond), to
// nanoseconds. It fails, with an error wrapping ErrNotNumber or
// ErrOutOfRange, when s is not a finite number or the result does not fit
// an int64.
func MicrosToNanos(s string) (int64, error) {
	if us, err := strconv.ParseInt(s, 10, 64); err == nil {
		if us > math.MaxInt64/1000 || us < math.MinInt64/1000 {
			return 0, fmt.Errorf("%s µs is %w", s, ErrOutOfRange)
		}
		return us * 1000, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is %w", s, ErrNotNumber)
	}
	ns := f * 1000
	if ns >= math.MaxInt64 || ns <= math.MinInt64 {
		return 0, fmt.Errorf("%s µs is %w", s, ErrOutOfRange)
	}
	return int64(math.Round(ns)), nil
}

// Discard is a json.Unmarshaler that accepts any JSON value and keeps
// nothing: decoding into it validates and skips a value without building
// it.
type Discard struct{}

// UnmarshalJSON implements json.Unmarshaler.
func (*Discard) UnmarshalJSON([]byte) error { return nil }
