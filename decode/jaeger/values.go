package jaeger

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/syncaudit/syncaudit/decode/jsontext"
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
	Key      tagKey          `json:"key"`
	Value    jsontext.Scalar `json:"value"`
	VType    jsontext.Scalar `json:"vType"`
	VStr     jsontext.Scalar `json:"vStr"`
	VBool    jsontext.Scalar `json:"vBool"`
	VInt64   jsontext.Scalar `json:"vInt64"`
	VFloat64 jsontext.Scalar `json:"vFloat64"`
}

// value returns the tag's value as a string; ok is false for binary values
// and for tags without a scalar value.
func (kv *rawKV) value() (v string, ok bool) {
	if !kv.VType.Valid && !kv.VStr.Valid && !kv.VBool.Valid && !kv.VInt64.Valid && !kv.VFloat64.Valid {
		return kv.Value.Text, kv.Value.Valid
	}
	// api_v2: proto3 JSON omits zero values, so a typed tag without its
	// value field holds the zero value.
	switch strings.ToUpper(kv.VType.Text) {
	case "", "STRING", "0":
		return kv.VStr.Text, true
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
		s, err := jsontext.Unquote(b)
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

func orDefault(s jsontext.Scalar, def string) string {
	if s.Valid {
		return s.Text
	}
	return def
}

// fieldError is a wrong value in a span field that encoding/json cannot
// detect by type alone.
type fieldError struct {
	field string
	msg   string
}

func (e *fieldError) Error() string { return fmt.Sprintf("field %q: %s", e.field, e.msg) }

// startTime is a span start: microseconds since the epoch as a number (UI)
// or a decimal string, or an RFC 3339 timestamp (api_v2). ns is Unix
// nanoseconds.
type startTime struct {
	ns  int64
	set bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *startTime) UnmarshalJSON(b []byte) error {
	ns, set, err := timeValue(b, "startTime", "an RFC 3339 string", parseRFC3339)
	*t = startTime{ns, set}
	return err
}

// parseRFC3339 reads an api_v2 start time as Unix nanoseconds.
func parseRFC3339(s string) (int64, error) {
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, &fieldError{"startTime", fmt.Sprintf("%q is neither microseconds nor an RFC 3339 time", s)}
	}
	if y := tm.Year(); y < 1678 || y > 2261 { // outside int64 nanoseconds
		return 0, &fieldError{"startTime", fmt.Sprintf("%q is out of range", s)}
	}
	return tm.UnixNano(), nil
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
	ns, set, err := timeValue(b, "duration", "a duration string", parseDuration)
	*d = duration{ns, set}
	return err
}

// parseDuration reads an api_v2 duration as nanoseconds.
func parseDuration(s string) (int64, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, &fieldError{"duration", fmt.Sprintf("%q is neither microseconds nor a duration", s)}
	}
	return int64(v), nil
}

// timeValue decodes the JSON value b of a time field: null (unset),
// microseconds as a number or a decimal string, or another string, which
// parse reads (as other, for messages). ns is nanoseconds; errors name the
// field.
func timeValue(b []byte, field, other string, parse func(string) (int64, error)) (ns int64, set bool, err error) {
	var us string
	switch {
	case len(b) == 0 || b[0] == 'n':
		return 0, false, nil
	case b[0] == '"':
		s, err := jsontext.Unquote(b)
		if err != nil {
			return 0, false, err
		}
		if !isDecimal(s) {
			if ns, err = parse(s); err != nil {
				return 0, false, err
			}
			return ns, true, nil
		}
		us = s
	case b[0] == '-' || ('0' <= b[0] && b[0] <= '9'):
		us = string(b)
	default:
		return 0, false, &fieldError{field, "want microseconds or " + other + ", found " + jsontext.ValueKind(b)}
	}
	if ns, err = jsontext.MicrosToNanos(us); err != nil {
		return 0, false, &fieldError{field, err.Error()}
	}
	return ns, true, nil
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
		if s, err = jsontext.Unquote(b); err != nil {
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
