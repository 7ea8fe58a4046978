package otlp

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/trace"
)

// canonJSON is a compliant OTLP/JSON document: a server root span and a
// client child with a link, in one resourceSpans.
const canonJSON = `{"resourceSpans":[{
 "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}},{"key":"host.name","value":{"stringValue":"n1"}}]},
 "scopeSpans":[{"scope":{"name":"otelhttp","version":"1.0"},"spans":[
  {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /users","kind":2,
   "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
   "attributes":[{"key":"http.method","value":{"stringValue":"legacy"}},{"key":"http.request.method","value":{"stringValue":"GET"}},
     {"key":"http.response.status_code","value":{"intValue":"500"}},{"key":"http.target","value":{"stringValue":"/users?id=1"}},
     {"key":"user_agent.original","value":{"stringValue":"curl"}},{"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"}]}}}],
   "events":[{"timeUnixNano":"1544712660500000000","name":"retry","attributes":[]}],
   "status":{"code":2,"message":"boom"}},
  {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"SELECT","kind":3,
   "startTimeUnixNano":"1544712660100000000","endTimeUnixNano":"1544712660200000000","traceState":"k=v","flags":256,
   "attributes":[{"key":"db.system","value":{"stringValue":"postgresql"}},{"key":"db.statement","value":{"stringValue":"SELECT 1"}},
     {"key":"net.peer.port","value":{"intValue":"5432"}},{"key":"peer.service","value":{"stringValue":"db"}}],
   "links":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"1112131415161718","attributes":[]}],
   "status":{}}]}]}]}`

var (
	canonTID = trace.TraceID{0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c}
	canonA   = trace.SpanID{0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74}
	canonB   = trace.SpanID{0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x75}
)

// canonSpans is what canonJSON decodes to.
func canonSpans() []trace.Span {
	return []trace.Span{
		{
			TraceID: canonTID, SpanID: canonA, Service: "api", Name: "GET /users", Kind: trace.KindServer,
			Start: 1544712660000000000, End: 1544712661000000000, Status: trace.StatusError,
			Attrs: trace.Attrs{
				{Key: trace.AttrHTTPMethod, Value: "GET"},
				{Key: trace.AttrHTTPStatus, Value: "500"},
				{Key: trace.AttrURLPath, Value: "/users?id=1"},
				{Key: trace.AttrStatusMessage, Value: "boom"},
			},
		},
		{
			TraceID: canonTID, SpanID: canonB, ParentID: canonA, ParentRef: trace.RefChildOf,
			Service: "api", Name: "SELECT", Kind: trace.KindClient,
			Start: 1544712660100000000, End: 1544712660200000000,
			Attrs: trace.Attrs{
				{Key: trace.AttrDBSystem, Value: "postgresql"},
				{Key: trace.AttrDBStatement, Value: "SELECT 1"},
				{Key: trace.AttrPeerService, Value: "db"},
			},
			Refs: []trace.Ref{{
				TraceID: trace.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16},
				SpanID:  trace.SpanID{0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18},
				Type:    trace.RefLink,
			}},
		},
	}
}

// compact removes insignificant whitespace.
func compact(tb testing.TB, s string) string {
	tb.Helper()
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

func indent(tb testing.TB, s string) string {
	tb.Helper()
	var b bytes.Buffer
	if err := json.Indent(&b, []byte(s), "", "  "); err != nil {
		tb.Fatal(err)
	}
	return b.String()
}

// replacer applies old/new pairs to the compact canonical document.
func replacer(tb testing.TB, pairs ...string) string {
	return strings.NewReplacer(pairs...).Replace(compact(tb, canonJSON))
}

// sortSpans orders spans by trace and span ID for comparison.
func sortSpans(spans []trace.Span) []trace.Span {
	out := slices.Clone(spans)
	slices.SortFunc(out, func(a, b trace.Span) int {
		if c := bytes.Compare(a.TraceID[:], b.TraceID[:]); c != 0 {
			return c
		}
		if c := bytes.Compare(a.SpanID[:], b.SpanID[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.Start, b.Start)
	})
	return out
}

func diffSpans(t *testing.T, got, want []trace.Span) {
	t.Helper()
	got, want = sortSpans(got), sortSpans(want)
	if len(got) != len(want) {
		t.Fatalf("got %d spans, want %d:\n%s", len(got), len(want), dumpSpans(got))
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("span %d:\n got  %s\n want %s", i, dumpSpan(got[i]), dumpSpan(want[i]))
		}
	}
}

func dumpSpans(spans []trace.Span) string {
	var b strings.Builder
	for _, s := range spans {
		b.WriteString(dumpSpan(s) + "\n")
	}
	return b.String()
}

func dumpSpan(s trace.Span) string {
	return fmt.Sprintf("%s/%s parent=%s(%s) svc=%q name=%q kind=%s status=%d start=%d end=%d attrs=%v refs=%v warn=%s",
		s.TraceID, s.SpanID, s.ParentID, s.ParentRef, s.Service, s.Name, s.Kind, s.Status, s.Start, s.End, s.Attrs, s.Refs, s.Warnings)
}

func decodeString(t *testing.T, in string) (*decoder.Collect, error) {
	t.Helper()
	c := &decoder.Collect{}
	err := DecodeJSON("in.json", []byte(in), c, decoder.Limits{})
	checkEmitted(t, c.Spans)
	return c, err
}

// checkEmitted checks invariants every emitted span must satisfy.
func checkEmitted(t testing.TB, spans []trace.Span) {
	t.Helper()
	for _, s := range spans {
		if s.TraceID.IsZero() || s.SpanID.IsZero() {
			t.Fatalf("emitted span without IDs: %s", dumpSpan(s))
		}
		if (s.ParentID.IsZero()) != (s.ParentRef == trace.RefNone) {
			t.Fatalf("ParentID and ParentRef disagree: %s", dumpSpan(s))
		}
	}
}

// TestDecodeJSONVariants decodes the canonical trace written in every
// OTLP/JSON dialect syncaudit reads and expects the same spans.
func TestDecodeJSONVariants(t *testing.T) {
	line1 := replacer(t, `},{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175"`, `}]}]}]}`+"\n"+`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175"`)
	tests := []struct {
		name string
		in   string
	}{
		{"compact", compact(t, canonJSON)},
		{"pretty", canonJSON},
		{"indented", indent(t, canonJSON)},
		{"uppercase hex", replacer(t, "5b8efff798038103d269b633813fc60c", "5B8EFFF798038103D269B633813FC60C", "eee19b7ec3c1b17", "EEE19B7EC3C1B17")},
		{"int64 as numbers", replacer(t, `"1544712660000000000"`, `1544712660000000000`, `"1544712661000000000"`, `1544712661000000000`,
			`"1544712660100000000"`, `1544712660100000000`, `"1544712660200000000"`, `1544712660200000000`, `{"intValue":"500"}`, `{"intValue":500}`)},
		{"snake_case keys", replacer(t, `"resourceSpans"`, `"resource_spans"`, `"scopeSpans"`, `"scope_spans"`, `"traceId"`, `"trace_id"`,
			`"spanId"`, `"span_id"`, `"parentSpanId"`, `"parent_span_id"`, `"startTimeUnixNano"`, `"start_time_unix_nano"`,
			`"endTimeUnixNano"`, `"end_time_unix_nano"`, `"stringValue"`, `"string_value"`, `"intValue"`, `"int_value"`)},
		{"enum names", replacer(t, `"kind":2`, `"kind":"SPAN_KIND_SERVER"`, `"kind":3`, `"kind":"SPAN_KIND_CLIENT"`, `"code":2`, `"code":"STATUS_CODE_ERROR"`)},
		{"protobuf-style base64 ids", string(protobufStyleJSON(t, []byte(canonJSON)))},
		{"protobuf-style pretty", indent(t, string(protobufStyleJSON(t, []byte(canonJSON))))},
		{"jaeger api_v3 result wrapper", `{"result":` + canonJSON + `}`},
		{"tempo trace wrapper", "{\n \"trace\": " + canonJSON + "\n}\n"},
		{"wrapper after other keys", `{"status":"ok","result":` + canonJSON + `}`},
		{"resourceSpans not first", `{"unknown":[1,{"a":"}"}],` + compact(t, canonJSON)[1:]},
		{"tempo batches wrapper", replacer(t, `{"resourceSpans":`, `{"batches":`)},
		{"legacy instrumentationLibrarySpans", replacer(t, `"scopeSpans"`, `"instrumentationLibrarySpans"`, `"scope"`, `"instrumentationLibrary"`)},
		{"legacy snake_case", replacer(t, `"scopeSpans"`, `"instrumentation_library_spans"`, `"scope"`, `"instrumentation_library"`)},
		{"grafana tempo v1 download", string(protobufStyleJSON(t, []byte(replacer(t, `{"resourceSpans":`, `{"batches":`, `"scopeSpans"`, `"instrumentationLibrarySpans"`))))},
		{"legacy ignored when scopeSpans present", replacer(t, `"scopeSpans"`, `"instrumentationLibrarySpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"00000000000000aa"}]}],"scopeSpans"`)},
		{"json lines", line1},
		{"json lines crlf and blank lines", "\n" + strings.ReplaceAll(line1, "\n", "\r\n\r\n") + "\r\n"},
		{"concatenated documents", indent(t, strings.SplitN(line1, "\n", 2)[0]) + indent(t, strings.SplitN(line1, "\n", 2)[1])},
		{"byte order mark", "\xef\xbb\xbf" + canonJSON},
		{"unknown fields", replacer(t, `"name":"SELECT"`, `"name":"SELECT","future":{"x":[1,2,{"y":null}]},"droppedLinksCount":0`)},
		{"escaped strings", replacer(t, `"GET /users"`, `"GET \/users"`, `"stringValue":"postgresql"`, `"stringValue":"postgre\u0073ql"`)},
		{"null members", replacer(t, `"events":[`, `"droppedEventsCount":null,"events":[`, `"status":{}`, `"status":null`)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decodeString(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if c.Rejected.Total() != 0 {
				t.Errorf("rejected %v", c.Rejected)
			}
			diffSpans(t, c.Spans, canonSpans())
		})
	}
}

// TestFallbackMatchesPdata checks that the package's own reader and the
// pdata path produce identical spans for documents both can read.
func TestFallbackMatchesPdata(t *testing.T) {
	docs := []string{
		canonJSON,
		compact(t, canonJSON),
		string(jsonLines(t, genTraces(300, 300))),
		jaegerTranslatedJSON,
	}
	for i, doc := range docs {
		viaPdata, err := decodeString(t, doc)
		if err != nil {
			t.Fatalf("doc %d: %v", i, err)
		}
		fb := &decoder.Collect{}
		conv := newConverter(fb, nil)
		if _, err := decodeFallback([]byte(doc), conv, 512); err != nil {
			t.Fatalf("doc %d: fallback: %v", i, err)
		}
		conv.flush()
		if len(viaPdata.Spans) == 0 {
			t.Fatalf("doc %d: no spans", i)
		}
		diffSpans(t, fb.Spans, viaPdata.Spans)
	}
}

// jaegerTranslatedJSON is what the Collector's Jaeger-to-OTLP translation
// leaves behind: a FOLLOWS_FROM parent as parentSpanId plus a link, extra
// references as links with opentracing.ref_type, and tags it did not map.
const jaegerTranslatedJSON = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"worker"}}]},"scopeSpans":[{"spans":[
 {"traceId":"00000000000000000000000000000001","spanId":"0000000000000002","parentSpanId":"0000000000000001","name":"consume","kind":0,
  "startTimeUnixNano":"10","endTimeUnixNano":"20",
  "attributes":[{"key":"error","value":{"boolValue":true}},{"key":"span.kind","value":{"stringValue":"consumer"}},
    {"key":"otel.status_description","value":{"stringValue":"timeout"}},{"key":"http.status_code","value":{"doubleValue":503}}],
  "links":[{"traceId":"00000000000000000000000000000001","spanId":"0000000000000001","attributes":[{"key":"opentracing.ref_type","value":{"stringValue":"follows_from"}}]},
           {"traceId":"00000000000000000000000000000009","spanId":"0000000000000009","attributes":[{"key":"opentracing.ref_type","value":{"stringValue":"child_of"}}]},
           {"traceId":"","spanId":"0000000000000009"}]},
 {"traceId":"00000000000000000000000000000001","spanId":"0000000000000003","name":"ok","startTimeUnixNano":"10",
  "attributes":[{"key":"otel.status_code","value":{"stringValue":"OK"}},{"key":"error","value":{"stringValue":"false"}}]},
 {"traceId":"00000000000000000000000000000001","spanId":"0000000000000004","name":"err","startTimeUnixNano":"10","endTimeUnixNano":"11",
  "attributes":[{"key":"otel.status_code","value":{"stringValue":"ERROR"}},{"key":"span.kind","value":{"stringValue":"client"}}],"kind":2}
]}]}]}`

// TestDecodeJSONSemantics covers the mapping rules beyond the canonical trace.
func TestDecodeJSONSemantics(t *testing.T) {
	tid1 := trace.TraceID{15: 1}
	span := func(n byte) trace.SpanID { return trace.SpanID{7: n} }
	doc := func(spans string) string {
		return `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeSpans":[{"spans":[` + spans + `]}]}]}`
	}
	tests := []struct {
		name     string
		in       string
		want     []trace.Span
		rejected trace.Tally
	}{
		{
			name: "jaeger translation leftovers",
			in:   jaegerTranslatedJSON,
			want: []trace.Span{
				{TraceID: tid1, SpanID: span(2), ParentID: span(1), ParentRef: trace.RefFollowsFrom, Service: "worker", Name: "consume",
					Kind: trace.KindConsumer, Start: 10, End: 20, Status: trace.StatusError,
					Attrs: trace.Attrs{{Key: trace.AttrStatusMessage, Value: "timeout"}, {Key: trace.AttrHTTPStatus, Value: "503"}},
					Refs:  []trace.Ref{{TraceID: trace.TraceID{15: 9}, SpanID: span(9), Type: trace.RefChildOf}}},
				{TraceID: tid1, SpanID: span(3), Service: "worker", Name: "ok", Start: 10, Status: trace.StatusOK,
					Warnings: trace.WarnMissingTimestamp},
				{TraceID: tid1, SpanID: span(4), Service: "worker", Name: "err", Kind: trace.KindServer, Start: 10, End: 11,
					Status: trace.StatusError},
			},
		},
		{
			name: "64-bit hex trace id is left-padded",
			in:   doc(`{"traceId":"0000000000abcdef","spanId":"0000000000000002","parentSpanId":"1","startTimeUnixNano":"1","endTimeUnixNano":"2"}`),
			want: []trace.Span{{TraceID: trace.TraceID{13: 0xab, 14: 0xcd, 15: 0xef}, SpanID: span(2), ParentID: span(1),
				ParentRef: trace.RefChildOf, Service: "s", Start: 1, End: 2}},
		},
		{
			name: "64-bit base64 trace id",
			in:   doc(`{"traceId":"AAAAAAAAAAE=","spanId":"AAAAAAAAAAI=","startTimeUnixNano":"1","endTimeUnixNano":"2"}`),
			want: []trace.Span{{TraceID: tid1, SpanID: span(2), Service: "s", Start: 1, End: 2}},
		},
		{
			name: "url-safe base64 ids",
			in:   doc(`{"traceId":"-_-_-_-_-_-_-_-_-_-_-w","spanId":"AAAAAAAAAAI","startTimeUnixNano":"1","endTimeUnixNano":"2"}`),
			want: []trace.Span{{TraceID: trace.TraceID{0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0xfb, 0xff, 0xbf, 0xfb},
				SpanID: span(2), Service: "s", Start: 1, End: 2}},
		},
		{
			name: "all-zero parent is a root",
			in:   doc(`{"traceId":"01","spanId":"02","parentSpanId":"0000000000000000","startTimeUnixNano":"1","endTimeUnixNano":"2"}`),
			want: []trace.Span{{TraceID: tid1, SpanID: span(2), Service: "s", Start: 1, End: 2}},
		},
		{
			name: "empty and invalid ids are rejected and counted",
			in: doc(`{"traceId":"","spanId":"0000000000000002"},
				{"traceId":"00000000000000000000000000000000","spanId":"0000000000000002"},
				{"traceId":"zz","spanId":"0000000000000002"},
				{"traceId":"0123456789abcdef0123456789abcdef01","spanId":"0000000000000002"},
				{"traceId":"00000000000000000000000000000001","spanId":""},
				{"traceId":"00000000000000000000000000000001","spanId":"AAA="},
				{"traceId":"00000000000000000000000000000001","spanId":"0000000000000003","parentSpanId":"not an id!"},
				{"traceId":"00000000000000000000000000000001","spanId":"0000000000000004","startTimeUnixNano":"1","endTimeUnixNano":"2"}`),
			want:     []trace.Span{{TraceID: tid1, SpanID: span(4), Service: "s", Start: 1, End: 2}},
			rejected: trace.Tally{trace.RejectInvalidTraceID: 4, trace.RejectInvalidSpanID: 3},
		},
		{
			name:     "empty ids via pdata are rejected",
			in:       doc(`{"traceId":"","spanId":""},{"traceId":"00000000000000000000000000000001","spanId":""}`),
			rejected: trace.Tally{trace.RejectInvalidTraceID: 1, trace.RejectInvalidSpanID: 1},
		},
		{
			name: "kind and status out of range",
			in:   doc(`{"traceId":"01","spanId":"02","kind":9,"status":{"code":7},"startTimeUnixNano":"1","endTimeUnixNano":"2"}`),
			want: []trace.Span{{TraceID: tid1, SpanID: span(2), Service: "s", Start: 1, End: 2}},
		},
		{
			name: "resource without service.name",
			in:   `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01","spanId":"02","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`,
			want: []trace.Span{{TraceID: tid1, SpanID: span(2), Start: 1, End: 2}},
		},
		{
			name: "attribute value types",
			in: doc(`{"traceId":"01","spanId":"02","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[
				{"value":{"intValue":"-7"},"key":"rpc.method"},
				{"key":"rpc.service","value":{"boolValue":false}},
				{"key":"http.status_code","value":{"doubleValue":"200"}},
				{"key":"db.name","value":{"bytesValue":"aGk="}},
				{"key":"db.system","value":{"kvlistValue":{"values":[{"key":"a","value":{"stringValue":"b"}}]}}},
				{"key":"url.full","value":{}}]}`),
			want: []trace.Span{{TraceID: tid1, SpanID: span(2), Service: "s", Start: 1, End: 2, Attrs: trace.Attrs{
				{Key: trace.AttrRPCMethod, Value: "-7"}, {Key: trace.AttrRPCService, Value: "false"}, {Key: trace.AttrHTTPStatus, Value: "200"}}}},
		},
		{
			name: "a sampling tracestate is kept, others are not",
			in: doc(`{"traceId":"01","spanId":"02","traceState":"vendor=x, ot=th:c;rv:ab","startTimeUnixNano":"1","endTimeUnixNano":"2"},
				{"traceId":"01","spanId":"03","traceState":"vendor=ot=x","startTimeUnixNano":"1","endTimeUnixNano":"2"},
				{"traceId":"01","spanId":"04","startTimeUnixNano":"1","endTimeUnixNano":"2","traceState":"ot=p:3","attributes":[{"key":"sampler.type","value":{"stringValue":"probabilistic"}}]}`),
			want: []trace.Span{
				{TraceID: tid1, SpanID: span(2), Service: "s", Start: 1, End: 2, Attrs: trace.Attrs{{Key: trace.AttrTraceState, Value: "vendor=x, ot=th:c;rv:ab"}}},
				{TraceID: tid1, SpanID: span(3), Service: "s", Start: 1, End: 2},
				{TraceID: tid1, SpanID: span(4), Service: "s", Start: 1, End: 2,
					Attrs: trace.Attrs{{Key: trace.AttrSamplerType, Value: "probabilistic"}, {Key: trace.AttrTraceState, Value: "ot=p:3"}}},
			},
		},
		{
			name: "empty resourceSpans is not an error",
			in:   `{"resourceSpans":[]}`,
		},
		{
			name: "resourceSpans without spans",
			in:   `{"resourceSpans":[{"resource":{},"scopeSpans":[]}]}` + "\n" + `{"resourceSpans":[{"scopeSpans":[{"spans":[]}]}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decodeString(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			diffSpans(t, c.Spans, tt.want)
			if tt.rejected == nil {
				tt.rejected = trace.Tally{}
			}
			if c.Rejected == nil {
				c.Rejected = trace.Tally{}
			}
			if !reflect.DeepEqual(c.Rejected, tt.rejected) {
				t.Errorf("rejected %v, want %v", c.Rejected, tt.rejected)
			}
		})
	}
}

// TestDecodeJSONErrors checks that errors wrap the right cause at the right
// position, and that what can be read is still emitted.
func TestDecodeJSONErrors(t *testing.T) {
	good := compact(t, canonJSON)
	tests := []struct {
		name      string
		in        string
		cause     error
		line, col int
		spans     int
		errs      int // number of errors in an ErrorList (0: a single error)
	}{
		{name: "empty input", in: "", cause: decoder.ErrEmpty, line: 1, col: 1},
		{name: "only whitespace", in: " \n\t\n", cause: decoder.ErrEmpty, line: 1, col: 1},
		{name: "empty object", in: "{}", cause: decoder.ErrNoSpans, line: 1, col: 1},
		{name: "empty object indented", in: "\n  {\n  }\n", cause: decoder.ErrNoSpans, line: 2, col: 3},
		{name: "null document", in: "null", cause: decoder.ErrNoSpans, line: 1, col: 1},
		{name: "jaeger ui json", in: `{"data":[{"traceID":"1","spans":[]}]}`, cause: decoder.ErrNoSpans, line: 1, col: 1},
		{name: "top-level array", in: "[" + good + "]", cause: decoder.ErrType, line: 1, col: 1},
		{name: "png header", in: "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", cause: decoder.ErrSyntax, line: 1, col: 1},
		{name: "truncated", in: good[:100], cause: decoder.ErrTruncated, line: 1, col: 101},
		{name: "truncated pretty", in: canonJSON[:400], cause: decoder.ErrTruncated, line: 5, col: 73},
		{name: "truncated after complete resourceSpans keeps them", in: `{"resourceSpans":[` + good[len(`{"resourceSpans":[`):len(good)-2] + `,{"scopeSpans":[{"spans":[{"trace`,
			cause: decoder.ErrTruncated, line: 1, col: len(good) + 32, spans: 2},
		{name: "trailing garbage", in: good + " x", cause: decoder.ErrSyntax, line: 1, col: len(good) + 2, spans: 2},
		{name: "traceId is a number", in: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":5}]}]}]}`, cause: decoder.ErrType, line: 1, col: 55},
		{name: "spans is an object", in: "{\"resourceSpans\":[{\"scopeSpans\":[{\n\"spans\":{}}]}]}", cause: decoder.ErrType, line: 2, col: 9},
		{name: "name is a number", in: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"01","spanId":"02","name":5}]}]}]}`, cause: decoder.ErrType, line: 1, col: 81},
		{name: "bad timestamp", in: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":"soon"}]}]}]}`, cause: decoder.ErrType, line: 1, col: 65},
		{name: "negative timestamp", in: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"endTimeUnixNano":-1}]}]}]}`, cause: decoder.ErrType, line: 1, col: 63},
		{name: "bool value not bool", in: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":{"boolValue":"yes"}}]}]}]}]}`, cause: decoder.ErrType, line: 1, col: 91},
		{name: "bad escape", in: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a\qb"}]}]}]}`, cause: decoder.ErrSyntax, line: 1, col: 54},
		{name: "missing colon", in: `{"resourceSpans" []}`, cause: decoder.ErrSyntax, line: 1, col: 18},
		{name: "too deep", in: `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":{"arrayValue":{"values":[` + strings.Repeat("[", 600),
			cause: decoder.ErrTooLarge, line: 1, col: 603},
		{name: "bad line among good lines", in: good + "\n" + `{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":{}}]}]}]}` + "\n" + good + "\n",
			cause: decoder.ErrType, line: 2, col: 52, spans: 4},
		{name: "damaged first line of json lines", in: good[:50] + "\n" + good + "\n" + good + "\n",
			cause: decoder.ErrTruncated, line: 1, col: 51, spans: 4},
		{name: "several bad lines", in: good + "\n{}\n" + good[:50] + "\n" + good + "\n\n[1]\n",
			cause: decoder.ErrNoSpans, line: 2, col: 1, spans: 4, errs: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decodeString(t, tt.in)
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.Is(err, tt.cause) {
				t.Errorf("error %q does not wrap %q", err, tt.cause)
			}
			var list decoder.ErrorList
			if errors.As(err, &list) != (tt.errs > 0) || (tt.errs > 0 && len(list) != tt.errs) {
				t.Errorf("error list %d, want %d: %v", len(list), tt.errs, err)
			}
			var pe *decoder.Error
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *decoder.Error", err)
			}
			if pe.File != "in.json" || pe.Line != tt.line || pe.Column != tt.col || pe.Binary {
				t.Errorf("error at %s:%d:%d, want in.json:%d:%d (%v)", pe.File, pe.Line, pe.Column, tt.line, tt.col, err)
			}
			if want := fmt.Sprintf("in.json:%d:%d: ", tt.line, tt.col); !strings.HasPrefix(err.Error(), want) {
				t.Errorf("message %q does not start with %q", err, want)
			}
			if len(c.Spans) != tt.spans {
				t.Errorf("emitted %d spans, want %d", len(c.Spans), tt.spans)
			}
		})
	}
}

// TestDecodeJSONManyBadLines checks that errors are capped and counted and
// that positions stay right far into the input.
func TestDecodeJSONManyBadLines(t *testing.T) {
	var b strings.Builder
	for range 500 {
		b.WriteString("{}\n")
	}
	b.WriteString(compact(t, canonJSON) + "\n")
	c, err := decodeString(t, b.String())
	var list decoder.ErrorList
	if !errors.As(err, &list) || len(list) != maxErrors+1 {
		t.Fatalf("want %d listed errors and a summary, got %v", maxErrors, err)
	}
	if !strings.Contains(list[maxErrors].Error(), "400 more errors") {
		t.Errorf("summary %q", list[maxErrors])
	}
	var pe *decoder.Error
	if !errors.As(list[maxErrors-1], &pe) || pe.Line != maxErrors || pe.Column != 1 {
		t.Errorf("error %d at %v", maxErrors, list[maxErrors-1])
	}
	if len(c.Spans) != 2 {
		t.Errorf("%d spans, want 2", len(c.Spans))
	}
}

// TestDecodeJSONLimits checks the input size and depth limits.
func TestDecodeJSONLimits(t *testing.T) {
	c := &decoder.Collect{}
	err := DecodeJSON("big.json", []byte(canonJSON), c, decoder.Limits{MaxInputBytes: 100})
	if !errors.Is(err, decoder.ErrTooLarge) {
		t.Errorf("size limit: %v", err)
	}
	// The structural depth of a span attribute value is about 12.
	err = DecodeJSON("deep.json", []byte(canonJSON), c, decoder.Limits{MaxDepth: 8})
	if !errors.Is(err, decoder.ErrTooLarge) {
		t.Errorf("depth limit: %v", err)
	}
	// pdata reads short JSON lines whatever their nesting; long ones are
	// checked first, since pdata's recursion would grow with the input.
	deep := func(pad int) string {
		return `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"00000000000000000000000000000001","spanId":"0000000000000002","name":"` + strings.Repeat("x", pad) +
			`","attributes":[{"key":"a","value":` + strings.Repeat(`{"arrayValue":{"values":[`, 40) + `{}` + strings.Repeat(`]}}`, 40) + `}]}]}]}]}`
	}
	lim := decoder.Limits{MaxDepth: 64}
	small := &decoder.Collect{}
	if err := DecodeJSON("small.json", []byte(compact(t, canonJSON)+"\n"+deep(10)), small, lim); err != nil || len(small.Spans) != 3 {
		t.Errorf("small deep document: %v, %d spans", err, len(small.Spans))
	}
	large := &decoder.Collect{}
	err = DecodeJSON("large.json", []byte(compact(t, canonJSON)+"\n"+deep(pdataDepthGuard)), large, lim)
	if !errors.Is(err, decoder.ErrTooLarge) || len(large.Spans) != 2 {
		t.Errorf("large deep document: %v, %d spans", err, len(large.Spans))
	}
}

// TestDecodeJSONBatches checks that spans are emitted in batches.
func TestDecodeJSONBatches(t *testing.T) {
	data := jsonLines(t, genTraces(5000, 50))
	var e countingEmitter
	if err := DecodeJSON("x", data, &e, decoder.Limits{}); err != nil {
		t.Fatal(err)
	}
	if e.spans != 5000 {
		t.Fatalf("%d spans", e.spans)
	}
	if e.calls > 5000/batchSize+1 {
		t.Errorf("%d Emit calls for 5000 spans", e.calls)
	}
}

type countingEmitter struct{ spans, calls int }

func (e *countingEmitter) Emit(s []trace.Span)      { e.spans += len(s); e.calls++ }
func (e *countingEmitter) Reject(trace.Reason, int) {}
