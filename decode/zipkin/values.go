package zipkin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// rawSpan is the subset of a Zipkin v2 span that syncaudit reads; other
// keys (annotations, debug, ipv4, …) are skipped by the decoder.
type rawSpan struct {
	TraceID        string            `json:"traceId"`
	ID             string            `json:"id"`
	ParentID       string            `json:"parentId"`
	Name           string            `json:"name"`
	Kind           string            `json:"kind"`
	Timestamp      timestamp         `json:"timestamp"`
	Duration       duration          `json:"duration"`
	LocalEndpoint  *endpoint         `json:"localEndpoint"`
	RemoteEndpoint *endpoint         `json:"remoteEndpoint"`
	Tags           map[string]scalar `json:"tags"`
	Shared         bool              `json:"shared"`
}

// endpoint is a Zipkin endpoint; only the service name is kept.
type endpoint struct {
	ServiceName string `json:"serviceName"`
}

// scalar is a tag value kept as text. Zipkin tags are strings; numbers and
// booleans some exporters write are kept in decimal or as "true"/"false".
// null, objects and arrays leave it unset.
type scalar struct {
	s   string
	set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (v *scalar) UnmarshalJSON(b []byte) error {
	*v = scalar{}
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		*v = scalar{s, true}
	case 't':
		*v = scalar{"true", true}
	case 'f':
		*v = scalar{"false", true}
	case 'n', '{', '[':
	default:
		*v = scalar{decimal(b), true}
	}
	return nil
}

// unquote decodes a JSON string literal, without a second allocation when
// it has no escapes.
func unquote(b []byte) (string, error) {
	if len(b) >= 2 && bytes.IndexByte(b, '\\') < 0 && utf8.Valid(b) {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// decimal formats a JSON number literal as a plain decimal: integers as
// written, 200.0 as "200", 1e3 as "1000", 72.5 as "72.5".
func decimal(b []byte) string {
	if bytes.IndexAny(b, ".eE") < 0 {
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

// micros is an epoch-microsecond timestamp or a microsecond duration: a
// JSON number or a decimal string. ns is nanoseconds.
type micros struct {
	ns  int64
	set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *micros) UnmarshalJSON(b []byte) error {
	*m = micros{}
	if len(b) == 0 || b[0] == 'n' {
		return nil
	}
	s := string(b)
	if b[0] == '"' {
		var err error
		if s, err = unquote(b); err != nil {
			return err
		}
	} else if b[0] != '-' && (b[0] < '0' || b[0] > '9') {
		return fmt.Errorf("want microseconds, found %s", kindOf(b))
	}
	ns, err := microsToNanos(s)
	if err != nil {
		return err
	}
	*m = micros{ns, true}
	return nil
}

// timestamp is a span's epoch-microsecond start.
type timestamp struct{ micros }

// UnmarshalJSON implements json.Unmarshaler.
func (t *timestamp) UnmarshalJSON(b []byte) error {
	if err := t.micros.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("field \"timestamp\": %w", err)
	}
	return nil
}

// duration is a span's duration in microseconds.
type duration struct{ micros }

// UnmarshalJSON implements json.Unmarshaler.
func (d *duration) UnmarshalJSON(b []byte) error {
	if err := d.micros.UnmarshalJSON(b); err != nil {
		return fmt.Errorf("field \"duration\": %w", err)
	}
	return nil
}

// microsToNanos converts a decimal number of microseconds to nanoseconds,
// failing when it does not fit an int64.
func microsToNanos(s string) (int64, error) {
	if us, err := strconv.ParseInt(s, 10, 64); err == nil {
		if us > math.MaxInt64/1000 || us < math.MinInt64/1000 {
			return 0, fmt.Errorf("%s µs is out of range", s)
		}
		return us * 1000, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%q is not a number of microseconds", s)
	}
	ns := f * 1000
	if ns >= math.MaxInt64 || ns <= math.MinInt64 {
		return 0, fmt.Errorf("%s µs is out of range", s)
	}
	return int64(math.Round(ns)), nil
}

// kindOf names the JSON kind of the value starting at b[0], for messages.
func kindOf(b []byte) string {
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

// skipValue consumes any JSON value without building it.
type skipValue struct{}

// UnmarshalJSON implements json.Unmarshaler.
func (*skipValue) UnmarshalJSON([]byte) error { return nil }
