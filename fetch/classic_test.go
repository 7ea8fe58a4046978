package fetch

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
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

func TestUIToTraces(t *testing.T) {
	var ut uiTrace
	dec := json.NewDecoder(strings.NewReader(uiSample))
	dec.UseNumber()
	if err := dec.Decode(&ut); err != nil {
		t.Fatal(err)
	}
	td, err := uiToTraces(&ut)
	if err != nil {
		t.Fatal(err)
	}
	if td.ResourceSpans().Len() != 2 || td.SpanCount() != 3 {
		t.Fatalf("%d resources, %d spans", td.ResourceSpans().Len(), td.SpanCount())
	}
	order := td.ResourceSpans().At(0)
	if v, _ := order.Resource().Attributes().Get("service.name"); v.Str() != "order" {
		t.Errorf("service %q", v.Str())
	}
	if v, _ := order.Resource().Attributes().Get("host.name"); v.Str() != "h1" {
		t.Errorf("process tag lost")
	}
	// otel.scope.* split order's spans into two scopes: otelhttp and none.
	if order.ScopeSpans().Len() != 2 {
		t.Fatalf("%d scopes", order.ScopeSpans().Len())
	}
	ss := order.ScopeSpans().At(0)
	if ss.Scope().Name() != "otelhttp" || ss.Scope().Version() != "0.72.0" {
		t.Errorf("scope %q %q", ss.Scope().Name(), ss.Scope().Version())
	}
	root := ss.Spans().At(0)
	wantTID := pcommon.TraceID{15: 0xaa}
	if root.TraceID() != wantTID || root.SpanID() != (pcommon.SpanID{7: 1}) || !root.ParentSpanID().IsEmpty() {
		t.Errorf("ids %s %s parent %s", root.TraceID(), root.SpanID(), root.ParentSpanID())
	}
	if root.Kind() != ptrace.SpanKindServer || root.Status().Code() != ptrace.StatusCodeError || root.Status().Message() != "bad gateway" {
		t.Errorf("kind %v status %v %q", root.Kind(), root.Status().Code(), root.Status().Message())
	}
	if root.StartTimestamp() != 1795773458700585000 || root.EndTimestamp() != 1795773458700585000+519000000 {
		t.Errorf("times %d %d", root.StartTimestamp(), root.EndTimestamp())
	}
	if root.TraceState().AsRaw() != "vendor=x" || root.Flags() != 1 {
		t.Errorf("tracestate %q flags %d", root.TraceState().AsRaw(), root.Flags())
	}
	attrs := root.Attributes()
	want := map[string]any{"http.response.status_code": int64(502), "ratio": 0.25, "cached": false, "blob": []byte{1, 2, 3}}
	if attrs.Len() != len(want) {
		t.Errorf("attributes %v, want exactly %v", attrs.AsRaw(), want)
	}
	for k, w := range want {
		v, ok := attrs.Get(k)
		if !ok {
			t.Errorf("attribute %s missing", k)
			continue
		}
		got := v.AsRaw()
		if b, isB := got.([]byte); isB {
			if string(b) != string(w.([]byte)) {
				t.Errorf("%s = %v", k, b)
			}
		} else if got != w {
			t.Errorf("%s = %v (%T), want %v", k, got, got, w)
		}
	}
	if root.Events().Len() != 1 || root.Events().At(0).Name() != "retry" || root.Events().At(0).Timestamp() != 1795773458700600000 {
		t.Errorf("events %v", root.Events().At(0).Name())
	} else if v, _ := root.Events().At(0).Attributes().Get("attempt"); v.Int() != 2 {
		t.Errorf("event attribute %v", v.AsRaw())
	}

	legacy := order.ScopeSpans().At(1).Spans().At(0)
	if legacy.ParentSpanID() != (pcommon.SpanID{7: 1}) || legacy.Links().Len() != 0 {
		t.Errorf("parentSpanID not used: parent %s, %d links", legacy.ParentSpanID(), legacy.Links().Len())
	}

	pub := td.ResourceSpans().At(1).ScopeSpans().At(0).Spans().At(0)
	if pub.Kind() != ptrace.SpanKindProducer || pub.Status().Code() != ptrace.StatusCodeOk {
		t.Errorf("producer kind %v status %v", pub.Kind(), pub.Status().Code())
	}
	// FOLLOWS_FROM parent: parentSpanId plus a follows_from link (as
	// Jaeger's translator writes it); the other-trace CHILD_OF is a link.
	if pub.ParentSpanID() != (pcommon.SpanID{7: 1}) || pub.Links().Len() != 2 {
		t.Fatalf("parent %s, %d links", pub.ParentSpanID(), pub.Links().Len())
	}
	for i, w := range []string{"follows_from", "child_of"} {
		if v, _ := pub.Links().At(i).Attributes().Get("opentracing.ref_type"); v.Str() != w {
			t.Errorf("link %d: ref type %q, want %q", i, v.Str(), w)
		}
	}
	if pub.Links().At(1).TraceID() != (pcommon.TraceID{15: 0xbb}) {
		t.Errorf("cross-trace link %s", pub.Links().At(1).TraceID())
	}
}

func TestUIToTracesErrors(t *testing.T) {
	tests := []struct{ json, want string }{
		{`{"traceID":"zz","spans":[{"spanID":"01","processID":"p1"}],"processes":{"p1":{"serviceName":"a"}}}`, "trace ID"},
		{`{"traceID":"01","spans":[{"spanID":"","processID":"p1"}],"processes":{"p1":{"serviceName":"a"}}}`, "span ID"},
		{`{"traceID":"01","spans":[{"spanID":"01","processID":"p9"}],"processes":{}}`, "unknown processID"},
		{`{"traceID":"01","spans":[{"spanID":"01","processID":"p1","tags":[{"key":"n","type":"int64","value":"x"}]}],"processes":{"p1":{"serviceName":"a"}}}`, "bad int64"},
		{`{"traceID":"01","spans":[{"spanID":"01","processID":"p1","startTime":1e300}],"processes":{"p1":{"serviceName":"a"}}}`, "startTime: out of range"},
		{`{"traceID":"01","spans":[{"spanID":"01","processID":"p1","duration":99999999999999999}],"processes":{"p1":{"serviceName":"a"}}}`, "duration: out of range"},
		{`{"traceID":"01","spans":[{"spanID":"01","processID":"p1","logs":[{"timestamp":1.5}]}],"processes":{"p1":{"serviceName":"a"}}}`, ""},
	}
	for _, tt := range tests {
		var ut uiTrace
		dec := json.NewDecoder(strings.NewReader(tt.json))
		dec.UseNumber()
		err := dec.Decode(&ut)
		if err == nil {
			_, err = uiToTraces(&ut)
		}
		if tt.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tt.json, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
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
