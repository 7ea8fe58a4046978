package fetch

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/jaeger"
	"github.com/syncaudit/syncaudit/trace"
)

// A Jaeger UI trace as Jaeger v2 renders OTLP spans: 16-hex-digit trace
// ID, span.kind/otel.scope.*/otel.status_* tags, a FOLLOWS_FROM reference,
// a link to another trace, typed tags and a log.
const uiSample = `{"traceID":"00000000000000aa","spans":[
 {"traceID":"00000000000000aa","spanID":"0000000000000001","operationName":"POST /checkout","references":[],
  "startTime":1795773458700585,"duration":519000,"processID":"p1","flags":1,
  "tags":[{"key":"otel.scope.name","type":"string","value":"otelhttp"},{"key":"otel.scope.version","type":"string","value":"0.72.0"},
          {"key":"span.kind","type":"string","value":"server"},{"key":"http.response.status_code","type":"int64","value":502},
          {"key":"otel.status_code","type":"string","value":"ERROR"},{"key":"otel.status_description","type":"string","value":"bad gateway"},
          {"key":"error","type":"bool","value":true},{"key":"ratio","type":"float64","value":0.25},{"key":"cached","type":"bool","value":false},
          {"key":"blob","type":"binary","value":"AQID"},{"key":"w3c.tracestate","type":"string","value":"vendor=x"}],
  "logs":[{"timestamp":1795773458700600,"fields":[{"key":"event","type":"string","value":"retry"},{"key":"attempt","type":"int64","value":"2"}]}]},
 {"traceID":"00000000000000aa","spanID":"0000000000000002","operationName":"publish","processID":"p2",
  "references":[{"refType":"FOLLOWS_FROM","traceID":"00000000000000aa","spanID":"0000000000000001"},
                {"refType":"CHILD_OF","traceID":"00000000000000bb","spanID":"0000000000000009"}],
  "startTime":1795773458800000,"duration":1000,
  "tags":[{"key":"span.kind","type":"string","value":"producer"},{"key":"otel.status_code","type":"string","value":"OK"}]},
 {"traceID":"00000000000000aa","spanID":"0000000000000003","parentSpanID":"0000000000000001","operationName":"legacy","processID":"p1",
  "startTime":1795773458800000,"duration":5,"tags":[]}
],"processes":{"p1":{"serviceName":"order","tags":[{"key":"host.name","type":"string","value":"h1"}]},"p2":{"serviceName":"bus","tags":[]}}}`

// TestIndexTrace: fetch reads only the ID, span count and start of a raw
// UI trace, and hands the trace as Jaeger sent it (on one line) to
// decode/jaeger, which reads everything else.
func TestIndexTrace(t *testing.T) {
	id, rt, err := indexTrace(json.RawMessage(uiSample))
	if err != nil {
		t.Fatal(err)
	}
	if id != (pcommon.TraceID{15: 0xaa}) || rt.spans != 3 || !rt.start.Equal(time.UnixMicro(1795773458700585)) {
		t.Errorf("id %s, %d spans, start %v", id, rt.spans, rt.start)
	}
	if bytes.ContainsAny(rt.json, "\n") {
		t.Error("raw trace not on one line")
	}
	var c decoder.Collect
	if err := jaeger.Decode("answer", rt.json, &c, decoder.Limits{}); err != nil {
		t.Fatal(err)
	}
	if len(c.Spans) != 3 {
		t.Fatalf("decoded %d spans", len(c.Spans))
	}
	byName := map[string]trace.Span{}
	for _, s := range c.Spans {
		byName[s.Name] = s
	}
	if s := byName["POST /checkout"]; s.Service != "order" || s.Kind != trace.KindServer || !s.IsError() {
		t.Errorf("root: service %q kind %v error %v", s.Service, s.Kind, s.IsError())
	}
	if s := byName["publish"]; s.Service != "bus" || s.Kind != trace.KindProducer {
		t.Errorf("publish: service %q kind %v", s.Service, s.Kind)
	}
	if s := byName["legacy"]; len(s.Refs) != 1 || s.Refs[0].SpanID != (trace.SpanID{7: 1}) || s.Refs[0].Type != trace.RefChildOf {
		t.Errorf("legacy parentSpanID: refs %+v", s.Refs)
	}
}

func TestIndexTraceErrors(t *testing.T) {
	for _, tt := range []struct{ json, want string }{
		{`[]`, "not a Jaeger trace"},
		{`{"traceID":"zz","spans":[]}`, "traceID"},
		{`{"traceID":"01","spans":[{"startTime":1e300}]}`, "startTime"},
		{`{"traceID":"01","spans":[{"startTime":"x"}]}`, "not a Jaeger trace"},
	} {
		if _, _, err := indexTrace(json.RawMessage(tt.json)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.json, err, tt.want)
		}
	}
}

func TestParseClassic(t *testing.T) {
	tests := []struct {
		status int
		body   string
		kind   Kind
		want   string
	}{
		{200, `{"data":[],"total":0,"limit":0,"offset":0,"errors":null}`, 0, ""},
		{200, `{"data":null,"errors":null}`, 0, ""},
		{200, `{"data":[{"traceID":"01","spans":[]}],"errors":[{"code":500,"msg":"trace not loaded","traceID":"02"}]}`, KindServer, "partial answer: 02: trace not loaded"},
		{400, `{"data":null,"errors":[{"code":400,"msg":"parameter 'service' is required"}]}`, KindServer, "service' is required"},
		{500, `{"data":null,"errors":[{"code":500,"msg":"search depth must be greater than 0 and less than max traces"}]}`, KindServer, "lower --page-size"},
		{200, `{"data":{"traceID":"01"}}`, KindBadResponse, "not a list"},
		{200, `[1,2]`, KindNotJaeger, "instead of JSON"},
		{502, `Bad Gateway`, KindServer, "Bad Gateway"},
	}
	for _, tt := range tests {
		_, err := parseClassic("ep", &httpAnswer{status: tt.status, body: []byte(tt.body)})
		if tt.kind == 0 {
			if err != nil {
				t.Errorf("%s: %v", tt.body, err)
			}
			continue
		}
		var fe *Error
		if !errors.As(err, &fe) || fe.Kind != tt.kind || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%d %s: error %v, want %s mentioning %q", tt.status, tt.body, err, tt.kind, tt.want)
		}
	}
}

func TestParseV3(t *testing.T) {
	tests := []struct {
		status int
		body   string
		kind   Kind // 0: success
		empty  bool
		want   string
	}{
		{200, `{"result":{"resourceSpans":[]}}`, 0, false, ""},
		{404, `{"error":{"httpCode":404,"message":"No traces found"}}`, 0, true, ""},
		{400, `{"error":{"httpCode":400,"message":"query.start_time_min and query.start_time_max are required"}}`, KindServer, false, "are required"},
		{500, `{"error":{"httpCode":500,"message":"search depth must be greater than 0 and less than max traces"}}`, KindServer, false, "lower --page-size"},
		{404, `404 page not found`, KindNotJaeger, false, "try --api classic"},
		{404, `{"message":"route not found"}`, KindNotJaeger, false, "is this a Jaeger query URL?"},
		{200, `{"result":{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"xyz"}]}]}]}}`, KindBadResponse, false, "not OTLP/JSON"},
		{200, `{"result":null}`, KindNotJaeger, false, "without a \"result\""},
		{200, `{"result":`, KindBadResponse, false, "cut off"},
		{200, `{"result":}`, KindBadResponse, false, "malformed JSON"},
		{504, ``, KindServer, false, "504 Gateway Timeout"},
		{200, ``, KindNotJaeger, false, "empty body"},
	}
	for _, tt := range tests {
		_, empty, err := parseV3("ep", &httpAnswer{status: tt.status, body: []byte(tt.body)})
		if tt.kind == 0 {
			if err != nil || empty != tt.empty {
				t.Errorf("%s: empty=%v err=%v", tt.body, empty, err)
			}
			continue
		}
		var fe *Error
		if !errors.As(err, &fe) || fe.Kind != tt.kind || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%d %s: error %v, want %s mentioning %q", tt.status, tt.body, err, tt.kind, tt.want)
		}
	}
}
