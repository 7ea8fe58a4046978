package fetch

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// classicBackend queries GET /api/traces, the Jaeger UI's search API.
type classicBackend struct{ httpBackend }

func (b *classicBackend) resolution() time.Duration { return time.Microsecond }
func (b *classicBackend) endpoint() string          { return b.base.JoinPath("api/traces").String() }

// classicURL builds the search URL: times in Unix microseconds.
func classicURL(base *url.URL, q *Query, from, to time.Time, depth int) string {
	v := url.Values{}
	v.Set("service", q.Service)
	if q.Operation != "" {
		v.Set("operation", q.Operation)
	}
	v.Set("start", strconv.FormatInt(from.UnixMicro(), 10))
	v.Set("end", strconv.FormatInt(ceil(to, time.Microsecond).UnixMicro(), 10))
	v.Set("limit", strconv.Itoa(depth))
	if len(q.Tags) > 0 {
		b, _ := json.Marshal(tagMap(q.Tags)) // a map[string]string always marshals
		v.Set("tags", string(b))
	}
	u := base.JoinPath("api/traces")
	u.RawQuery = v.Encode()
	return u.String()
}

// uiResponse is the query service's structured response.
type uiResponse struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Code    int    `json:"code"`
		Msg     string `json:"msg"`
		TraceID string `json:"traceID"`
	} `json:"errors"`
}

// uiTrace and friends are the Jaeger UI JSON model (jaeger
// internal/uimodel): IDs in hex, times and durations in microseconds.
type uiTrace struct {
	TraceID   string               `json:"traceID"`
	Spans     []uiSpan             `json:"spans"`
	Processes map[string]uiProcess `json:"processes"`
}

type uiSpan struct {
	TraceID       string      `json:"traceID"`
	SpanID        string      `json:"spanID"`
	ParentSpanID  string      `json:"parentSpanID"`
	Flags         uint32      `json:"flags"`
	OperationName string      `json:"operationName"`
	References    []uiRef     `json:"references"`
	StartTime     json.Number `json:"startTime"`
	Duration      json.Number `json:"duration"`
	Tags          []uiKV      `json:"tags"`
	Logs          []uiLog     `json:"logs"`
	ProcessID     string      `json:"processID"`
	Process       *uiProcess  `json:"process"`
}

type uiRef struct {
	RefType string `json:"refType"`
	TraceID string `json:"traceID"`
	SpanID  string `json:"spanID"`
}

type uiKV struct {
	Key   string          `json:"key"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

type uiLog struct {
	Timestamp json.Number `json:"timestamp"`
	Fields    []uiKV      `json:"fields"`
}

type uiProcess struct {
	ServiceName string `json:"serviceName"`
	Tags        []uiKV `json:"tags"`
}

func (b *classicBackend) find(ctx context.Context, q *Query, from, to time.Time, depth int) (*page, error) {
	ep := b.endpoint()
	ans, err := b.c.get(ctx, b.hc, classicURL(b.base, q, from, to, depth), ep)
	if err != nil {
		return nil, err
	}
	traces, err := parseClassic(ep, ans)
	if err != nil {
		return nil, err
	}
	pg := newPage()
	pg.returned = len(traces)
	for i := range traces {
		td, err := uiToTraces(&traces[i])
		if err != nil {
			return nil, &Error{Kind: KindBadResponse, Endpoint: ep, Status: ans.status, Err: err, permanent: true,
				Message: fmt.Sprintf("trace %s: %v", traces[i].TraceID, err)}
		}
		traces[i] = uiTrace{} // let the decoded JSON go as we convert
		pg.add(td)
	}
	return pg, nil
}

// parseClassic interprets a /api/traces answer.
func parseClassic(ep string, ans *httpAnswer) ([]uiTrace, error) {
	if !looksLikeJSONObject(ans.body) {
		if ans.status >= 500 {
			return nil, &Error{Kind: KindServer, Endpoint: ep, Status: ans.status, Message: orStatus(snippet(ans.body), ans.status)}
		}
		return nil, notJSON(ep, ans.status, ans.body, "")
	}
	var r uiResponse
	dec := json.NewDecoder(bytes.NewReader(ans.body))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		if isTruncatedJSON(err) {
			return nil, &Error{Kind: KindBadResponse, Endpoint: ep, Status: ans.status, Err: err,
				Message: fmt.Sprintf("the answer is cut off: %d bytes of incomplete JSON", len(ans.body))}
		}
		if ans.status >= 300 {
			return nil, &Error{Kind: KindServer, Endpoint: ep, Status: ans.status, Message: snippet(ans.body)}
		}
		return nil, &Error{Kind: KindBadResponse, Endpoint: ep, Status: ans.status, Err: err, permanent: true,
			Message: fmt.Sprintf("malformed JSON: %v", err)}
	}
	if len(r.Errors) > 0 {
		msgs := make([]string, len(r.Errors))
		for i, e := range r.Errors {
			msgs[i] = e.Msg
			if e.TraceID != "" {
				msgs[i] = e.TraceID + ": " + e.Msg
			}
		}
		status := ans.status
		if status < 300 {
			// Jaeger answers 200 with per-trace errors when it could
			// load only some traces: a partial answer.
			return nil, &Error{Kind: KindServer, Endpoint: ep, Status: status,
				Message: "partial answer: " + strings.Join(msgs, "; ")}
		}
		return nil, serverError(ep, status, strings.Join(msgs, "; "))
	}
	if ans.status == http.StatusNotFound {
		return nil, &Error{Kind: KindNotJaeger, Endpoint: ep, Status: ans.status, permanent: true,
			Message: "HTTP 404: " + snippet(ans.body), Hint: "is this a Jaeger query URL?"}
	}
	if ans.status >= 300 {
		return nil, &Error{Kind: KindServer, Endpoint: ep, Status: ans.status, Message: orStatus(snippet(ans.body), ans.status)}
	}
	if r.Data == nil {
		return nil, &Error{Kind: KindNotJaeger, Endpoint: ep, Status: ans.status, permanent: true,
			Message: fmt.Sprintf("JSON without \"data\": %s", snippet(ans.body)), Hint: "is this a Jaeger query URL?"}
	}
	if string(r.Data) == "null" {
		return nil, nil
	}
	var traces []uiTrace
	dec = json.NewDecoder(bytes.NewReader(r.Data))
	dec.UseNumber()
	if err := dec.Decode(&traces); err != nil {
		return nil, &Error{Kind: KindBadResponse, Endpoint: ep, Status: ans.status, Err: err, permanent: true,
			Message: fmt.Sprintf("\"data\" is not a list of Jaeger traces: %v", err)}
	}
	return traces, nil
}

// uiToTraces converts one Jaeger UI trace to OTLP, undoing what Jaeger's
// OTLP-to-Jaeger translation did: the process becomes the resource
// (service.name from serviceName), otel.scope.name/version the scope,
// span.kind the kind, otel.status_code/otel.status_description (or
// error=true) the status, w3c.tracestate the trace state, logs events
// (the "event" field naming them), microseconds nanoseconds. The parent is
// the first CHILD_OF reference in the same trace (else the first
// FOLLOWS_FROM); every other reference becomes a link with an
// opentracing.ref_type attribute, as Jaeger's own Jaeger-to-OTLP
// translator does.
func uiToTraces(t *uiTrace) (ptrace.Traces, error) {
	td := ptrace.NewTraces()
	type scopeKey struct{ process, name, version string }
	rsOf := map[string]ptrace.ResourceSpans{}
	ssOf := map[scopeKey]ptrace.ScopeSpans{}
	// Resources and scopes are created in span order, so the output does
	// not depend on map iteration.
	for i := range t.Spans {
		s := &t.Spans[i]
		pid := s.ProcessID
		proc, ok := t.Processes[pid]
		if s.Process != nil {
			proc, ok = *s.Process, true
			pid = "\x00span:" + s.SpanID
		}
		if !ok {
			return td, fmt.Errorf("span %s: unknown processID %q", s.SpanID, s.ProcessID)
		}
		rs, ok := rsOf[pid]
		if !ok {
			rs = td.ResourceSpans().AppendEmpty()
			attrs := rs.Resource().Attributes()
			attrs.PutStr("service.name", proc.ServiceName)
			for _, kv := range proc.Tags {
				if kv.Key == "service.name" {
					continue
				}
				if err := putKV(attrs, kv); err != nil {
					return td, fmt.Errorf("process %s: %w", pid, err)
				}
			}
			rsOf[pid] = rs
		}
		sk := scopeKey{process: pid, name: tagString(s.Tags, "otel.scope.name"), version: tagString(s.Tags, "otel.scope.version")}
		ss, ok := ssOf[sk]
		if !ok {
			ss = rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName(sk.name)
			ss.Scope().SetVersion(sk.version)
			ssOf[sk] = ss
		}
		if err := uiSpanTo(ss.Spans().AppendEmpty(), s, t.TraceID); err != nil {
			return td, fmt.Errorf("span %s: %w", s.SpanID, err)
		}
	}
	return td, nil
}

func uiSpanTo(sp ptrace.Span, s *uiSpan, traceID string) error {
	tidHex := s.TraceID
	if tidHex == "" {
		tidHex = traceID
	}
	tid, err := parseTraceIDHex(tidHex)
	if err != nil {
		return err
	}
	sid, err := parseSpanIDHex(s.SpanID)
	if err != nil {
		return err
	}
	sp.SetTraceID(tid)
	sp.SetSpanID(sid)
	sp.SetName(s.OperationName)
	sp.SetFlags(s.Flags)
	start, err := micros(s.StartTime)
	if err != nil {
		return fmt.Errorf("startTime: %w", err)
	}
	dur, err := micros(s.Duration)
	if err != nil {
		return fmt.Errorf("duration: %w", err)
	}
	sp.SetStartTimestamp(pcommon.Timestamp(start))
	sp.SetEndTimestamp(pcommon.Timestamp(start + dur))

	refs := s.References
	if len(refs) == 0 && s.ParentSpanID != "" {
		refs = []uiRef{{RefType: "CHILD_OF", TraceID: tidHex, SpanID: s.ParentSpanID}}
	}
	parent := -1
	for i, r := range refs {
		rt, err := parseTraceIDHex(r.TraceID)
		if err != nil || rt != tid {
			continue
		}
		if strings.EqualFold(r.RefType, "CHILD_OF") {
			parent = i
			break
		}
		if parent < 0 && strings.EqualFold(r.RefType, "FOLLOWS_FROM") {
			parent = i
		}
	}
	for i, r := range refs {
		rt, err := parseTraceIDHex(r.TraceID)
		if err != nil {
			return fmt.Errorf("reference: %w", err)
		}
		rs, err := parseSpanIDHex(r.SpanID)
		if err != nil {
			return fmt.Errorf("reference: %w", err)
		}
		followsFrom := strings.EqualFold(r.RefType, "FOLLOWS_FROM")
		if i == parent {
			sp.SetParentSpanID(rs)
			if !followsFrom {
				continue
			}
		}
		l := sp.Links().AppendEmpty()
		l.SetTraceID(rt)
		l.SetSpanID(rs)
		if followsFrom {
			l.Attributes().PutStr("opentracing.ref_type", "follows_from")
		} else {
			l.Attributes().PutStr("opentracing.ref_type", "child_of")
		}
	}

	attrs := sp.Attributes()
	var errTag bool
	var statusCode, statusDesc string
	for _, kv := range s.Tags {
		switch kv.Key {
		case "otel.scope.name", "otel.scope.version":
			continue
		case "span.kind":
			sp.SetKind(kindOf(rawString(kv.Value)))
			continue
		case "otel.status_code":
			statusCode = rawString(kv.Value)
			continue
		case "otel.status_description":
			statusDesc = rawString(kv.Value)
			continue
		case "w3c.tracestate":
			sp.TraceState().FromRaw(rawString(kv.Value))
			continue
		case "error":
			if rawString(kv.Value) == "true" {
				errTag = true
				continue
			}
		}
		if err := putKV(attrs, kv); err != nil {
			return err
		}
	}
	switch {
	case errTag:
		sp.Status().SetCode(ptrace.StatusCodeError)
		sp.Status().SetMessage(statusDesc)
	case strings.EqualFold(statusCode, "ERROR"):
		sp.Status().SetCode(ptrace.StatusCodeError)
		sp.Status().SetMessage(statusDesc)
	case strings.EqualFold(statusCode, "OK"):
		sp.Status().SetCode(ptrace.StatusCodeOk)
	}

	for _, lg := range s.Logs {
		ts, err := micros(lg.Timestamp)
		if err != nil {
			return fmt.Errorf("log timestamp: %w", err)
		}
		ev := sp.Events().AppendEmpty()
		ev.SetTimestamp(pcommon.Timestamp(ts))
		for _, kv := range lg.Fields {
			if kv.Key == "event" && ev.Name() == "" {
				ev.SetName(rawString(kv.Value))
				continue
			}
			if err := putKV(ev.Attributes(), kv); err != nil {
				return err
			}
		}
	}
	return nil
}

func kindOf(s string) ptrace.SpanKind {
	switch strings.ToLower(s) {
	case "client":
		return ptrace.SpanKindClient
	case "server":
		return ptrace.SpanKindServer
	case "producer":
		return ptrace.SpanKindProducer
	case "consumer":
		return ptrace.SpanKindConsumer
	case "internal":
		return ptrace.SpanKindInternal
	}
	return ptrace.SpanKindUnspecified
}

// tagString returns the string form of tag key ("" if absent).
func tagString(tags []uiKV, key string) string {
	for _, kv := range tags {
		if kv.Key == key {
			return rawString(kv.Value)
		}
	}
	return ""
}

// rawString is a JSON value as a string: a JSON string's content, or the
// literal text of a number or boolean.
func rawString(v json.RawMessage) string {
	var s string
	if err := json.Unmarshal(v, &s); err == nil {
		return s
	}
	return string(bytes.TrimSpace(v))
}

// putKV stores a typed Jaeger tag as an OTLP attribute.
func putKV(m pcommon.Map, kv uiKV) error {
	raw := bytes.TrimSpace(kv.Value)
	switch strings.ToLower(kv.Type) {
	case "bool":
		switch rawString(raw) {
		case "true":
			m.PutBool(kv.Key, true)
		case "false":
			m.PutBool(kv.Key, false)
		default:
			return fmt.Errorf("tag %q: bad bool %s", kv.Key, raw)
		}
	case "int64":
		n, err := strconv.ParseInt(rawString(raw), 10, 64)
		if err != nil {
			return fmt.Errorf("tag %q: bad int64 %s", kv.Key, raw)
		}
		m.PutInt(kv.Key, n)
	case "float64":
		f, err := strconv.ParseFloat(rawString(raw), 64)
		if err != nil {
			return fmt.Errorf("tag %q: bad float64 %s", kv.Key, raw)
		}
		m.PutDouble(kv.Key, f)
	case "binary":
		b, err := base64.StdEncoding.DecodeString(rawString(raw))
		if err != nil {
			return fmt.Errorf("tag %q: bad binary value: %v", kv.Key, err)
		}
		m.PutEmptyBytes(kv.Key).FromRaw(b)
	default:
		m.PutStr(kv.Key, rawString(raw))
	}
	return nil
}

// micros converts a JSON number of microseconds to nanoseconds.
func micros(n json.Number) (int64, error) {
	const maxMicros = (1<<63 - 1) / 1000
	if n == "" {
		return 0, nil
	}
	v, err := strconv.ParseInt(string(n), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(string(n), 64)
		if ferr != nil {
			return 0, fmt.Errorf("not a number: %s", n)
		}
		if math.IsNaN(f) || f > maxMicros || f < -maxMicros {
			return 0, fmt.Errorf("out of range: %s", n)
		}
		return int64(f * 1e3), nil
	}
	if v > maxMicros || v < -maxMicros {
		return 0, fmt.Errorf("out of range: %s", n)
	}
	return v * 1000, nil
}

// parseTraceIDHex parses 1 to 32 hex digits (Jaeger prints 64-bit IDs
// with 16), right-aligned.
func parseTraceIDHex(s string) (pcommon.TraceID, error) {
	var id pcommon.TraceID
	if err := hexRight(id[:], s); err != nil {
		return id, fmt.Errorf("trace ID %q: %w", s, err)
	}
	return id, nil
}

func parseSpanIDHex(s string) (pcommon.SpanID, error) {
	var id pcommon.SpanID
	if err := hexRight(id[:], s); err != nil {
		return id, fmt.Errorf("span ID %q: %w", s, err)
	}
	return id, nil
}

func hexRight(dst []byte, s string) error {
	if s == "" || len(s) > 2*len(dst) {
		return fmt.Errorf("want 1 to %d hex digits", 2*len(dst))
	}
	if len(s)%2 == 1 {
		s = "0" + s
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return fmt.Errorf("not hex")
	}
	copy(dst[len(dst)-len(b):], b)
	return nil
}
