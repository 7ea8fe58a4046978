package jaeger

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/syncaudit/syncaudit/decode/jsontext"
	"github.com/syncaudit/syncaudit/trace"
)

// The structs below are the subset of the Jaeger UI and api_v2 span models
// that syncaudit reads. encoding/json matches keys case-insensitively, so
// the UI's "traceID" and api_v2's "traceId" land in the same field; the
// snake_case keys of api_v2 written with the proto field names (gogo jsonpb
// OrigName, or Go's encoding/json on the model, as in {"batch": …}) do not
// fold, so each has a second field, merged by the accessors below. Keys not
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

	// snake_case forms of the keys above.
	TraceIDSnake       string    `json:"trace_id"`
	SpanIDSnake        string    `json:"span_id"`
	ParentSpanIDSnake  string    `json:"parent_span_id"`
	OperationNameSnake string    `json:"operation_name"`
	StartTimeSnake     startTime `json:"start_time"`
	ProcessIDSnake     string    `json:"process_id"`

	// effect, set by the fast path's tag memo instead of Tags, is what
	// the span's tags give it.
	effect *tagEffect `json:"-"`
}

// merge folds the snake_case fields into their camelCase ones; a camelCase
// key wins when a span has both.
func (rs *rawSpan) merge() {
	orStr(&rs.TraceID, rs.TraceIDSnake)
	orStr(&rs.SpanID, rs.SpanIDSnake)
	orStr(&rs.ParentSpanID, rs.ParentSpanIDSnake)
	orStr(&rs.OperationName, rs.OperationNameSnake)
	orStr(&rs.ProcessID, rs.ProcessIDSnake)
	if !rs.StartTime.set && !rs.StartTime.rfc3339 {
		rs.StartTime = rs.StartTimeSnake
	}
}

// orStr sets *dst to alt when *dst is empty.
func orStr(dst *string, alt string) {
	if *dst == "" {
		*dst = alt
	}
}

// orScalar returns a when it was written, else b.
func orScalar(a, b jsontext.Scalar) jsontext.Scalar {
	if a.Valid {
		return a
	}
	return b
}

// rawRef is a span reference. The UI's recursive "span" copy is not a field,
// so the decoder skips it.
type rawRef struct {
	RefType      refType `json:"refType"`
	TraceID      string  `json:"traceID"`
	SpanID       string  `json:"spanID"`
	RefTypeSnake refType `json:"ref_type"`
	TraceIDSnake string  `json:"trace_id"`
	SpanIDSnake  string  `json:"span_id"`
}

// rawProcess is a Jaeger process; only the service name is kept.
type rawProcess struct {
	ServiceName      string `json:"serviceName"`
	ServiceNameSnake string `json:"service_name"`
}

// name returns the service name, from either key.
func (p *rawProcess) name() string {
	if p.ServiceName != "" {
		return p.ServiceName
	}
	return p.ServiceNameSnake
}

// rawProcessMapping is an api_v2 Trace.processMap entry.
type rawProcessMapping struct {
	ProcessID      string     `json:"processID"`
	ProcessIDSnake string     `json:"process_id"`
	Process        rawProcess `json:"process"`
}

// rawKV is a tag in either the UI form {key, type, value} or the api_v2
// form {key, vType, vStr | vBool | vInt64 | vFloat64 | vBinary}, with
// camelCase or snake_case (v_type, v_str, …) keys.
type rawKV struct {
	Key      tagKey          `json:"key"`
	Value    jsontext.Scalar `json:"value"`
	VType    jsontext.Scalar `json:"vType"`
	VStr     jsontext.Scalar `json:"vStr"`
	VBool    jsontext.Scalar `json:"vBool"`
	VInt64   jsontext.Scalar `json:"vInt64"`
	VFloat64 jsontext.Scalar `json:"vFloat64"`

	VTypeSnake    jsontext.Scalar `json:"v_type"`
	VStrSnake     jsontext.Scalar `json:"v_str"`
	VBoolSnake    jsontext.Scalar `json:"v_bool"`
	VInt64Snake   jsontext.Scalar `json:"v_int64"`
	VFloat64Snake jsontext.Scalar `json:"v_float64"`
}

// value returns the tag's value as a string; ok is false for binary values
// and for tags without a scalar value.
func (kv *rawKV) value() (v string, ok bool) {
	vType, vStr := orScalar(kv.VType, kv.VTypeSnake), orScalar(kv.VStr, kv.VStrSnake)
	vBool, vInt64 := orScalar(kv.VBool, kv.VBoolSnake), orScalar(kv.VInt64, kv.VInt64Snake)
	vFloat64 := orScalar(kv.VFloat64, kv.VFloat64Snake)
	if !vType.Valid && !vStr.Valid && !vBool.Valid && !vInt64.Valid && !vFloat64.Valid {
		return kv.Value.Text, kv.Value.Valid
	}
	// api_v2: proto3 JSON omits zero values, so a typed tag without its
	// value field holds the zero value. The type is an enum name or number
	// (STRING 0, BOOL 1, INT64 2, FLOAT64 3, BINARY 4).
	switch strings.ToUpper(vType.Text) {
	case "", "STRING", "0":
		return vStr.Text, true
	case "BOOL", "1":
		return orDefault(vBool, "false"), true
	case "INT64", "2":
		return orDefault(vInt64, "0"), true
	case "FLOAT64", "3":
		return orDefault(vFloat64, "0"), true
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
// nanoseconds; rfc3339 reports the api_v2 form, which decides the unit of
// a unitless duration (see duration).
type startTime struct {
	ns      int64
	set     bool
	rfc3339 bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *startTime) UnmarshalJSON(b []byte) error {
	*t = startTime{}
	v, err := timeValue(b, "startTime", "an RFC 3339 string", parseRFC3339)
	switch {
	case err != nil || !v.set:
		return err
	case v.parsed:
		*t = startTime{ns: v.ns, set: true, rfc3339: true}
		return nil
	}
	ns, err := jsontext.MicrosToNanos(v.num)
	if err != nil {
		return &fieldError{"startTime", err.Error()}
	}
	*t = startTime{ns: ns, set: true}
	return nil
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

// duration is a span duration. Its unit depends on how it and the span's
// start are written:
//
//   - a string with a unit ("22938000ns", "0.019711s", "1.5s": protobuf
//     JSON of google.protobuf.Duration, or Go's duration syntax) is read
//     with that unit;
//   - a unitless value (a JSON number or a decimal string) is
//     microseconds when the start is microseconds too (the UI and query
//     form, {"startTime": 1605223981761425, "duration": 267037}), and
//     NANOSECONDS when the start is an RFC 3339 string (api_v2 and Jaeger's
//     Go model: model.Span.Duration is a time.Duration, which
//     encoding/json writes as an integer number of nanoseconds, as in
//     {"start_time": "2019-12-20T07:41:44.954062Z", "duration": 19711000},
//     19.711 ms). A unitless duration with an RFC 3339 start must then be
//     a whole number of nanoseconds.
//
// The unit is resolved once the whole span is read (nanos), since
// "duration" may come before "startTime".
type duration struct {
	ns       int64  // nanoseconds, for a duration with a unit
	num      string // a unitless duration as written, in decimal
	unitless bool
	set      bool
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *duration) UnmarshalJSON(b []byte) error {
	*d = duration{}
	v, err := timeValue(b, "duration", "a duration string", parseDuration)
	switch {
	case err != nil || !v.set:
		return err
	case v.parsed:
		*d = duration{ns: v.ns, set: true}
	default:
		*d = duration{num: v.num, unitless: true, set: true}
	}
	return nil
}

// nanos returns the duration in nanoseconds; startRFC3339 tells whether
// the span's start was an RFC 3339 string, which makes a unitless duration
// nanoseconds rather than microseconds (see duration).
func (d *duration) nanos(startRFC3339 bool) (int64, error) {
	if !d.unitless {
		return d.ns, nil
	}
	if !startRFC3339 {
		if us, ok := smallUint(d.num); ok {
			return us * 1000, nil
		}
		ns, err := jsontext.MicrosToNanos(d.num)
		if err != nil {
			return 0, &fieldError{"duration", err.Error()}
		}
		return ns, nil
	}
	if ns, err := strconv.ParseInt(d.num, 10, 64); err == nil {
		return ns, nil
	}
	// 1.9711e7 and 19711000.0 are whole numbers too.
	f, err := strconv.ParseFloat(d.num, 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
		return 0, &fieldError{"duration", fmt.Sprintf("%s is not a whole number of nanoseconds (the start is an RFC 3339 time, so a duration without a unit is nanoseconds)", d.num)}
	}
	return int64(f), nil
}

// smallUint parses s when it is 1 to 15 decimal digits (so that
// microseconds times 1000 fit an int64), as strconv.ParseInt would.
func smallUint(s string) (int64, bool) {
	if len(s) == 0 || len(s) > 15 {
		return 0, false
	}
	var v int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// parseDuration reads an api_v2 duration as nanoseconds.
func parseDuration(s string) (int64, error) {
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, &fieldError{"duration", fmt.Sprintf("%q is neither microseconds nor a duration", s)}
	}
	return int64(v), nil
}

// timeVal is a time field as read by timeValue.
type timeVal struct {
	ns     int64  // when parsed
	num    string // a unitless decimal, when set and not parsed
	set    bool   // not null
	parsed bool   // a string in the field's other form, read by parse
}

// timeValue decodes the JSON value b of a time field: null (unset), a
// unitless decimal (a JSON number or a decimal string), left for the
// caller to convert since its unit depends on the field, or another string,
// which parse reads (as otherDesc, for messages) into nanoseconds. Errors
// name the field.
func timeValue(b []byte, field, otherDesc string, parse func(string) (int64, error)) (timeVal, error) {
	switch {
	case len(b) == 0 || b[0] == 'n':
		return timeVal{}, nil
	case b[0] == '"':
		s, err := jsontext.Unquote(b)
		if err != nil {
			return timeVal{}, err
		}
		if isDecimal(s) {
			return timeVal{num: s, set: true}, nil
		}
		ns, err := parse(s)
		if err != nil {
			return timeVal{}, err
		}
		return timeVal{ns: ns, set: true, parsed: true}, nil
	case b[0] == '-' || ('0' <= b[0] && b[0] <= '9'):
		return timeVal{num: string(b), set: true}, nil
	}
	return timeVal{}, &fieldError{field, "want microseconds or " + otherDesc + ", found " + jsontext.ValueKind(b)}
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
