package jaeger

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/syncaudit/syncaudit/trace"
)

// The structs below are the subset of the Jaeger UI and api_v2 span models
// that syncaudit reads. encoding/json matches keys case-insensitively, so
// the UI's "traceID" and api_v2's "traceId" land in the same field. Keys not
// listed (logs, warnings, flags, references[].span, depth, childSpanIds, …)
// are skipped by the decoder without being built.

// rawSpan is one span as written.
type rawSpan struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	ParentSpanID  string      `json:"parentSpanID"`
	OperationName string      `json:"operationName"`
	References    []rawRef    `json:"references"`
	StartTime     startTime   `json:"startTime"`
	Duration      duration    `json:"duration"`
	Tags          []rawKV     `json:"tags"`
	ProcessID     string      `json:"processID"`
	Process       *rawProcess `json:"process"`
}

// rawRef is a span reference. The UI's recursive "span" copy is not a field,
// so the decoder skips it.
type rawRef struct {
	RefType refType `json:"refType"`
	TraceID string  `json:"traceID"`
	SpanID  string  `json:"spanID"`
}

// rawProcess is a Jaeger process; only the service name is kept.
type rawProcess struct {
	ServiceName string `json:"serviceName"`
}

// rawProcessMapping is an api_v2 Trace.processMap entry.
type rawProcessMapping struct {
	ProcessID string     `json:"processID"`
	Process   rawProcess `json:"process"`
}

// rawKV is a tag in either the UI form {key, type, value} or the api_v2
// form {key, vType, vStr | vBool | vInt64 | vFloat64 | vBinary}.
type rawKV struct {
	Key      tagKey `json:"key"`
	Value    scalar `json:"value"`
	VType    scalar `json:"vType"`
	VStr     scalar `json:"vStr"`
	VBool    scalar `json:"vBool"`
	VInt64   scalar `json:"vInt64"`
	VFloat64 scalar `json:"vFloat64"`
}

// value returns the tag's value as a string; ok is false for binary values
// and for tags without a scalar value.
func (kv *rawKV) value() (v string, ok bool) {
	if !kv.VType.set && !kv.VStr.set && !kv.VBool.set && !kv.VInt64.set && !kv.VFloat64.set {
		return kv.Value.s, kv.Value.set
	}
	// api_v2: proto3 JSON omits zero values, so a typed tag without its
	// value field holds the zero value.
	switch strings.ToUpper(kv.VType.s) {
	case "", "STRING", "0":
		return kv.VStr.s, true
	case "BOOL", "1":
		return orDefault(kv.VBool, "false"), true
	case "INT64", "2":
		return orDefault(kv.VInt64, "0"), true
	case "FLOAT64", "3":
		return orDefault(kv.VFloat64, "0"), true
	}
	return "", false
}

// tagKey is a tag key, classified while it is decoded so that keys
// syncaudit does not keep cost no allocation.
type tagKey struct {
	role    keyRole
	attr    trace.AttrKey // for roleAttr
	current bool          // the key is attr's current semantic-convention name
}

// keyRole is what a tag key means to syncaudit.
type keyRole uint8

const (
	roleNone       keyRole = iota // dropped
	roleKind                      // span.kind
	roleError                     // error
	roleStatusCode                // otel.status_code
	roleAttr                      // an attribute trace.KeyOf knows
)

// UnmarshalJSON implements json.Unmarshaler.
func (k *tagKey) UnmarshalJSON(b []byte) error {
	*k = tagKey{}
	if len(b) < 2 || b[0] != '"' {
		return nil // not a string: the tag is dropped
	}
	name := b[1 : len(b)-1]
	if bytes.IndexByte(name, '\\') >= 0 {
		s, err := unquote(b)
		if err != nil {
			return err
		}
		name = []byte(s)
	}
	// string(name) in a switch or a map index does not allocate.
	switch string(name) {
	case "span.kind":
		k.role = roleKind
	case "error":
		k.role = roleError
	case "otel.status_code":
		k.role = roleStatusCode
	default:
		if a, ok := trace.KeyOf(string(name)); ok {
			*k = tagKey{role: roleAttr, attr: a, current: string(name) == a.String()}
		}
	}
	return nil
}

func orDefault(s scalar, def string) string {
	if s.set {
		return s.s
	}
	return def
}

// scalar is a JSON string, number or boolean kept as text: strings
// unquoted, numbers in decimal, booleans as "true"/"false". null, objects
// and arrays leave it unset; they are not an error because tag values of
// other types are simply not kept.
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

// fieldError is a wrong value in a span field that encoding/json cannot
// detect by type alone.
type fieldError struct {
	field string
	msg   string
}

func (e *fieldError) Error() string { return fmt.Sprintf("field %q: %s", e.field, e.msg) }

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

// startTime is a span start: microseconds since the epoch as a number (UI)
// or a decimal string, or an RFC 3339 timestamp (api_v2). ns is Unix
// nanoseconds.
type startTime struct {
	ns  int64
	set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *startTime) UnmarshalJSON(b []byte) error {
	*t = startTime{}
	switch {
	case len(b) == 0 || b[0] == 'n':
		return nil
	case b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		if isDecimal(s) {
			ns, err := microsToNanos(s)
			if err != nil {
				return &fieldError{"startTime", err.Error()}
			}
			*t = startTime{ns, true}
			return nil
		}
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return &fieldError{"startTime", fmt.Sprintf("%q is neither microseconds nor an RFC 3339 time", s)}
		}
		if y := tm.Year(); y < 1678 || y > 2261 { // outside int64 nanoseconds
			return &fieldError{"startTime", fmt.Sprintf("%q is out of range", s)}
		}
		*t = startTime{tm.UnixNano(), true}
		return nil
	case b[0] == '-' || ('0' <= b[0] && b[0] <= '9'):
		ns, err := microsToNanos(string(b))
		if err != nil {
			return &fieldError{"startTime", err.Error()}
		}
		*t = startTime{ns, true}
		return nil
	}
	return &fieldError{"startTime", "want microseconds or an RFC 3339 string, found " + kindOf(b)}
}

// duration is a span duration: microseconds as a number (UI) or decimal
// string, or a protobuf-JSON duration string such as "22938000ns" or
// "0.022938s" (api_v2). ns is nanoseconds.
type duration struct {
	ns  int64
	set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *duration) UnmarshalJSON(b []byte) error {
	*d = duration{}
	switch {
	case len(b) == 0 || b[0] == 'n':
		return nil
	case b[0] == '"':
		s, err := unquote(b)
		if err != nil {
			return err
		}
		if isDecimal(s) {
			ns, err := microsToNanos(s)
			if err != nil {
				return &fieldError{"duration", err.Error()}
			}
			*d = duration{ns, true}
			return nil
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return &fieldError{"duration", fmt.Sprintf("%q is neither microseconds nor a duration", s)}
		}
		*d = duration{int64(v), true}
		return nil
	case b[0] == '-' || ('0' <= b[0] && b[0] <= '9'):
		ns, err := microsToNanos(string(b))
		if err != nil {
			return &fieldError{"duration", err.Error()}
		}
		*d = duration{ns, true}
		return nil
	}
	return &fieldError{"duration", "want microseconds or a duration string, found " + kindOf(b)}
}

// isDecimal reports whether s is a JSON-style number (optionally signed,
// with fraction or exponent) rather than a timestamp or duration string.
func isDecimal(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			return false
		}
	}
	return true
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
		return 0, fmt.Errorf("%q is not a number", s)
	}
	ns := f * 1000
	if ns >= math.MaxInt64 || ns <= math.MinInt64 {
		return 0, fmt.Errorf("%s µs is out of range", s)
	}
	return int64(math.Round(ns)), nil
}

// refType is a reference type: "CHILD_OF"/"FOLLOWS_FROM" (any case) or the
// api_v2 enum numbers 0/1. Absent means CHILD_OF, the proto3 default.
type refType struct {
	t trace.RefType
}

// get returns the reference type, RefChildOf when absent.
func (r refType) get() trace.RefType {
	if r.t == trace.RefNone {
		return trace.RefChildOf
	}
	return r.t
}

// UnmarshalJSON implements json.Unmarshaler.
func (r *refType) UnmarshalJSON(b []byte) error {
	r.t = trace.RefNone
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		var err error
		if s, err = unquote(b); err != nil {
			return err
		}
	}
	switch strings.ToUpper(s) {
	case "null", "NULL", "", "CHILD_OF", "CHILDOF", "0":
		r.t = trace.RefChildOf
	case "FOLLOWS_FROM", "FOLLOWSFROM", "1":
		r.t = trace.RefFollowsFrom
	default:
		return &fieldError{"refType", fmt.Sprintf("unknown reference type %s", b)}
	}
	return nil
}

// skipValue consumes any JSON value without building it.
type skipValue struct{}

// UnmarshalJSON implements json.Unmarshaler.
func (*skipValue) UnmarshalJSON([]byte) error { return nil }
