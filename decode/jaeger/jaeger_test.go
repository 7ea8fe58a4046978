package jaeger

import (
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/internal/dectest"
	"github.com/syncaudit/syncaudit/trace"
)

// describe renders the fields of a span that tests compare.
func describe(s trace.Span) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s %s:%s %d+%d", dectest.ShortID(s.TraceID[:]), dectest.ShortID(s.SpanID[:]), s.Service, s.Name, s.Start, s.End-s.Start)
	if s.Kind != trace.KindUnspecified {
		fmt.Fprintf(&b, " kind=%s", s.Kind)
	}
	if s.Status != trace.StatusUnset {
		fmt.Fprintf(&b, " status=%d", s.Status)
	}
	for _, r := range s.Refs {
		fmt.Fprintf(&b, " %s:%s/%s", r.Type, dectest.ShortID(r.TraceID[:]), dectest.ShortID(r.SpanID[:]))
	}
	for _, a := range s.Attrs {
		fmt.Fprintf(&b, " %s=%s", a.Key, a.Value)
	}
	if !s.ParentID.IsZero() {
		fmt.Fprintf(&b, " parent=%s", dectest.ShortID(s.ParentID[:]))
	}
	if s.Flags != 0 {
		fmt.Fprintf(&b, " flags=%d", s.Flags)
	}
	if s.Warnings != 0 {
		fmt.Fprintf(&b, " warn=%s", s.Warnings)
	}
	return b.String()
}

// Span snippets for the cases below.
const (
	procs   = `"processes":{"p1":{"serviceName":"svc","tags":[]},"p2":{"serviceName":"db"}}`
	spanA   = `{"traceID":"1","spanID":"a","operationName":"root","references":[],"startTime":10,"duration":5,"tags":[{"key":"span.kind","type":"string","value":"server"}],"processID":"p1"}`
	spanB   = `{"traceID":"1","spanID":"b","operationName":"query","references":[{"refType":"CHILD_OF","traceID":"1","spanID":"a"}],"startTime":11,"duration":2,"processID":"p2"}`
	wantA   = "1/a svc:root 10000+5000 kind=server"
	wantB   = "1/b db:query 11000+2000 child_of:1/a"
	pngHead = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
)

var decodeCases = []dectest.Case{
	{
		Name: "query response",
		In:   `{"data":[{"traceID":"1","spans":[` + spanA + `,` + spanB + `],` + procs + `,"warnings":null}],"total":0,"limit":0,"offset":0,"errors":null}`,
		Want: []string{wantA, wantB},
	},
	{
		Name: "data as one object, processes first",
		In:   `{"data":{` + procs + `,"traceID":"1","spans":[` + spanA + `]}}`,
		Want: []string{wantA},
	},
	{
		Name: "bare trace",
		In:   `{"traceID":"1","spans":[` + spanA + `,` + spanB + `],` + procs + `}`,
		Want: []string{wantA, wantB},
	},
	{
		Name: "array of traces, process ids scoped per trace",
		In: `[{"traceID":"1","spans":[` + spanA + `],` + procs + `},
		      {"traceID":"2","spans":[{"traceID":"2","spanID":"c","operationName":"x","startTime":1,"duration":1,"processID":"p1"}],"processes":{"p1":{"serviceName":"other"}}}]`,
		Want: []string{wantA, "2/c other:x 1000+1000"},
	},
	{
		Name: "JSON lines of traces",
		In:   `{"traceID":"1","spans":[` + spanA + `],` + procs + "}\n\n" + `{"traceID":"1","spans":[` + spanB + `],` + procs + "}\n",
		Want: []string{wantA, wantB},
	},
	{
		Name: "JSON lines with a bad line",
		In: `{"traceID":"1","spans":[` + spanA + `],` + procs + "}\n" +
			`{"traceID":"1","spans":[{"traceID":` + "\n" +
			`{"traceID":"1","spans":[` + spanB + `],` + procs + "}\n",
		Want:   []string{wantA, wantB},
		ErrIs:  []error{decoder.ErrTruncated},
		ErrHas: []string{"f.json:2:"},
	},
	{
		Name: "UI download: nested reference copies and extra keys are skipped",
		In: `{"data":[{"traceID":"1","spans":[` + spanA + `,
			{"traceID":"1","spanID":"b","operationName":"query","references":[{"refType":"CHILD_OF","traceID":"1","spanID":"a",
			  "span":{"traceID":"1","spanID":"a","operationName":"NESTED","references":[{"refType":"CHILD_OF","traceID":"1","spanID":"99","span":{"traceID":"1","spanID":"99","tags":7}}],
			          "startTime":"not a number","processID":"p1","process":{"serviceName":"nested"},"depth":0,"hasChildren":true,"childSpanIds":["b"]}}],
			 "startTime":11,"duration":2,"processID":"p2","process":{"serviceName":"db","tags":[]},"relativeStartTime":1,"depth":1,"hasChildren":false,"childSpanIds":[]}],` + procs + `}]}`,
		Want: []string{wantA, wantB},
	},
	{
		Name: "anonymizer span array with embedded process",
		In: `[{"traceID":"2be38093ead7a083","spanID":"7606ddfe69932d34","flags":1,"operationName":"a07","references":[{"refType":"CHILD_OF","traceID":"2be38093ead7a083","spanID":"492770a15935810f"}],"startTime":1605223981761425,"duration":267037,"tags":[{"key":"span.kind","type":"string","value":"server"}],"logs":[],"process":{"serviceName":"16af","tags":[]},"warnings":null},
  {"traceID":"2be38093ead7a083","spanID":"7bd66f09ba90ea3d","flags":1,"operationName":"471","references":[{"refType":"CHILD_OF","traceID":"2be38093ead7a083","spanID":"7606ddfe69932d34"}],"startTime":1605223981965074,"duration":32782,"tags":[{"key":"span.kind","type":"string","value":"client"},{"key":"error","type":"bool","value":"true"}],"logs":[],"process":{"serviceName":"3c22","tags":[]},"warnings":null}
]`,
		Want: []string{
			"2be38093ead7a083/7606ddfe69932d34 16af:a07 1605223981761425000+267037000 kind=server child_of:2be38093ead7a083/492770a15935810f",
			"2be38093ead7a083/7bd66f09ba90ea3d 3c22:471 1605223981965074000+32782000 kind=client status=2 child_of:2be38093ead7a083/7606ddfe69932d34",
		},
	},
	{
		Name: "api_v2 protobuf-JSON: base64 ids, RFC 3339 time, duration string, typed tags",
		In: `{"spans":[{"traceId":"AAAAAAAAAABSlpqJVVcaPw==","spanId":"AAAAAABkfZg=","operationName":"get",
			"references":[{"traceId":"AAAAAAAAAABSlpqJVVcaPw==","spanId":"AAAAAABoxOM="},{"refType":"FOLLOWS_FROM","traceId":"AAAAAAAAAABSlpqJVVcaPw==","spanId":"AAAAAAAAAAE="}],
			"startTime":"2017-01-26T16:46:31.639875-05:00","duration":"22938000ns",
			"tags":[{"key":"span.kind","vStr":"server"},{"key":"http.status_code","vType":"INT64","vInt64":"200"},{"key":"error","vType":"BOOL","vBool":true},
			        {"key":"peer.port","vType":"INT64","vInt64":53931},{"key":"blob","vType":"BINARY","vBinary":"AAAwOQ=="},{"key":"http.url","vType":"STRING","vStr":"http://x/y"}],
			"process":{"serviceName":"api","tags":[{"key":"hostname","vType":"STRING","vStr":"h"}]},
			"logs":[{"timestamp":"2017-01-26T16:46:31.639875-05:00","fields":[]}]}]}`,
		Want: []string{"52969a8955571a3f/647d98 api:get 1485467191639875000+22938000 kind=server status=2 child_of:52969a8955571a3f/68c4e3 follows_from:52969a8955571a3f/1 http.response.status_code=200 url.full=http://x/y"},
	},
	{
		Name: "api_v2 trace with processMap, zero-valued typed tags",
		In: `{"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAQ==","spanId":"AAAAAAAAAAI=","operationName":"op","startTime":"2020-01-01T00:00:00Z","duration":"0.5s","processId":"p1",
			"tags":[{"key":"http.status_code","vType":"INT64"},{"key":"error","vType":"BOOL"}]}],
			"processMap":[{"processId":"p1","process":{"serviceName":"mapped"}}]}`,
		Want: []string{"1/2 mapped:op 1577836800000000000+500000000 http.response.status_code=0"},
	},
	{
		Name: "api_v2 with hex ids (older jsonpb)",
		In:   `{"spans":[{"traceId":"52969a8955571a3f","spanId":"647d98","operationName":"get","startTime":"2017-01-26T21:46:31.639875Z","duration":"0.022938s","process":{"serviceName":"api"}}]}`,
		Want: []string{"52969a8955571a3f/647d98 api:get 1485467191639875000+22938000"},
	},
	{
		Name: "api_v2 {\"batch\"}: snake_case keys, base64 ids, RFC 3339 start, integer duration in ns, batch process",
		In: `{"batch":{"spans":[
			{"trace_id":"AAAAAAAAAAB74v2Y0Jc74w==","span_id":"bgnovO/WuCg=","operation_name":"FindDriverIDs","references":[{"trace_id":"AAAAAAAAAAB74v2Y0Jc74w==","span_id":"e+L9mNCXO+M="}],
			 "flags":1,"start_time":"2019-12-20T07:41:44.954062Z","duration":19711000,"tags":[{"key":"span.kind","v_str":"client"},{"key":"error","v_type":1,"v_bool":true}],"logs":null},
			{"trace_id":"AAAAAAAAAAB74v2Y0Jc74w==","span_id":"e+L9mNCXO+M=","operation_name":"root","references":null,"start_time":"2019-12-20T07:41:44.953864Z","duration":243417000}],
			"process":{"service_name":"redis","tags":[{"key":"hostname","v_str":"host01"}]}}}`,
		Want: []string{
			"7be2fd98d0973be3/6e09e8bcefd6b828 redis:FindDriverIDs 1576827704954062000+19711000 kind=client status=2 child_of:7be2fd98d0973be3/7be2fd98d0973be3",
			"7be2fd98d0973be3/7be2fd98d0973be3 redis:root 1576827704953864000+243417000",
		},
	},
	{
		Name: "api_v2 {\"batches\"}: each batch's process for its spans, a span's own process wins",
		In: `{"batches":[
			{"process":{"service_name":"a"},"spans":[{"trace_id":"AAAAAAAAAAAAAAAAAAAAAQ==","span_id":"AAAAAAAAAAI=","operation_name":"x","start_time":"2020-01-01T00:00:00Z","duration":"1.5s"},
			                                         {"trace_id":"AAAAAAAAAAAAAAAAAAAAAQ==","span_id":"AAAAAAAAAAM=","operation_name":"y","start_time":"2020-01-01T00:00:00Z","duration":"0.019711s","process":{"service_name":"own"}}]},
			{"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAQ==","spanId":"AAAAAAAAAAQ=","operationName":"z","startTime":"2020-01-01T00:00:00Z","duration":"5ms"}],"process":{"serviceName":"b"}}]}`,
		Want: []string{
			"1/2 a:x 1577836800000000000+1500000000",
			"1/3 own:y 1577836800000000000+19711000",
			"1/4 b:z 1577836800000000000+5000000",
		},
	},
	{
		Name: "api_v2 Batch {\"spans\", \"process\"}, process first, camelCase",
		In: `{"process":{"serviceName":"svc","tags":[]},"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAQ==","spanId":"AAAAAAAAAAI=","operationName":"op",
			"startTime":"2020-01-01T00:00:00.000001Z","duration":"0.5s","tags":[{"key":"span.kind","vType":"STRING","vStr":"server"}]}]}`,
		Want: []string{"1/2 svc:op 1577836800000001000+500000000 kind=server"},
	},
	{
		Name: "snake_case Trace: process_map, process_id, ref_type, parent_span_id, v_type names and numbers",
		In: `{"spans":[
			{"trace_id":"AAAAAAAAAAAAAAAAAAAAAQ==","span_id":"AAAAAAAAAAI=","operation_name":"a","start_time":"2020-01-01T00:00:00Z","duration":"1s","process_id":"p1",
			 "references":[{"ref_type":"FOLLOWS_FROM","trace_id":"AAAAAAAAAAAAAAAAAAAAAQ==","span_id":"AAAAAAAAAAE="},{"ref_type":0,"span_id":"AAAAAAAAAAM="}],
			 "tags":[{"key":"http.status_code","v_type":"INT64","v_int64":"503"},{"key":"otel.status_code","v_type":0,"v_str":"ERROR"},{"key":"sampler.param","v_type":3,"v_float64":1},
			         {"key":"peer.service","v_type":"BINARY","v_binary":"AAAwOQ=="},{"key":"span.kind","v_type":"STRING","v_str":"producer"}]},
			{"trace_id":"AAAAAAAAAAAAAAAAAAAAAQ==","span_id":"AAAAAAAAAAQ=","parent_span_id":"AAAAAAAAAAI=","operation_name":"b","start_time":"2020-01-01T00:00:01Z","duration":"1s","process_id":"p1",
			 "tags":[{"key":"error","v_type":"BOOL","v_bool":true},{"key":"http.status_code","v_type":2}]}],
			"process_map":[{"process_id":"p1","process":{"service_name":"mapped"}}]}`,
		Want: []string{
			"1/2 mapped:a 1577836800000000000+1000000000 kind=producer status=2 follows_from:1/1 child_of:1/3 http.response.status_code=503 sampler.param=1",
			"1/4 mapped:b 1577836801000000000+1000000000 status=2 child_of:1/2 http.response.status_code=0",
		},
	},
	{
		Name: "unitless durations: nanoseconds with an RFC 3339 start, microseconds with a microsecond start",
		In: `{"spans":[
			{"trace_id":"1","span_id":"1","duration":19711000,"start_time":"2019-12-20T07:41:44.954062Z"},
			{"trace_id":"1","span_id":"2","start_time":"2019-12-20T07:41:44.954062Z","duration":"19711000"},
			{"trace_id":"1","span_id":"3","start_time":"2019-12-20T07:41:44.954062Z","duration":1.9711e7},
			{"trace_id":"1","span_id":"4","startTime":1576827704954062,"duration":19711},
			{"trace_id":"1","span_id":"5","startTime":"1576827704954062","duration":"19711"},
			{"trace_id":"1","span_id":"6","startTime":1576827704954062,"duration":"19.711ms"},
			{"trace_id":"1","span_id":"7","duration":19711},
			{"trace_id":"1","span_id":"8","start_time":"2019-12-20T07:41:44.954062Z","duration":9223372036854775807}],"process":{"service_name":"s"}}`,
		Want: []string{
			"1/1 s: 1576827704954062000+19711000",
			"1/2 s: 1576827704954062000+19711000",
			"1/3 s: 1576827704954062000+19711000",
			"1/4 s: 1576827704954062000+19711000",
			"1/5 s: 1576827704954062000+19711000",
			"1/6 s: 1576827704954062000+19711000",
			"1/7 s: 0+19711000 warn=missing-timestamp",
		},
		Rejected: map[trace.Reason]int{trace.RejectInvalidSpan: 1},
		ErrIs:    []error{decoder.ErrType},
		ErrHas:   []string{"f.json:9:", "out of range"},
	},
	{
		Name: "bad api_v2 batches: wrong types and bad spans are reported with positions and counted",
		In: `{"batches":[
{"spans":[{"trace_id":"1","span_id":"1","start_time":"2020-01-01T00:00:00Z","duration":1.5},
{"trace_id":"1","span_id":"2","start_time":"2020-01-01T00:00:00Z","duration":"1-2"},
{"trace_id":"1","span_id":"3","startTime":1,"duration":1e400},
{"trace_id":"1","span_id":"4","start_time":"yesterday","duration":1},
{"trace_id":"1","span_id":"5","start_time":"2020-01-01T00:00:00Z","duration":1},
{"trace_id":"","span_id":"6"}],"process":7},
7,
{"spans":[{"trace_id":"1","span_id":"8","start_time":"2020-01-01T00:00:00Z","duration":2}],"process":{"service_name":"ok"}}]}`,
		Want: []string{
			"1/5 : 1577836800000000000+1",
			"1/8 ok: 1577836800000000000+2",
		},
		Rejected: map[trace.Reason]int{trace.RejectInvalidSpan: 5, trace.RejectInvalidTraceID: 1},
		ErrIs:    []error{decoder.ErrType},
		ErrHas: []string{
			`f.json:2:11: wrong type: span: field "duration": 1.5 is not a whole number of nanoseconds`,
			`f.json:3:1: wrong type: span: field "duration": 1-2 is not a whole number`,
			`f.json:4:1: wrong type: span: field "duration": "1e400" is not a number`,
			`f.json:5:1: wrong type: span: field "startTime": "yesterday" is neither microseconds nor an RFC 3339 time`,
			`f.json:7:`, `"process"`,
			`f.json:8:1: wrong type: want a trace or span object, found a number`,
		},
	},
	{Name: "batch of the wrong type", In: `{"batch":[]}`, ErrIs: []error{decoder.ErrType}, ErrHas: []string{`f.json:1:10: wrong type: "batch" must be an object, found an array`}},
	{Name: "batches of the wrong type", In: `{"batches":{}}`, ErrIs: []error{decoder.ErrType}, ErrHas: []string{`f.json:1:12: wrong type: "batches" must be an array`}},
	{Name: "null batch", In: `{"batch":null}`, ErrIs: []error{decoder.ErrNoSpans}},
	{Name: "OTLP batches are not Jaeger", In: `{"batches":[{"resource":{},"instrumentationLibrarySpans":[{"spans":[{"traceId":"AAAAAAAAAABguiq7RPE+rg=="}]}]}]}`, ErrIs: []error{decoder.ErrNoSpans}},
	{
		Name:   "truncated batch: spans before the cut are kept",
		In:     `{"batch":{"process":{"service_name":"s"},"spans":[{"trace_id":"1","span_id":"1","start_time":"2020-01-01T00:00:00Z","duration":1},{"trace_id":"1","span_`,
		Want:   []string{"1/1 s: 1577836800000000000+1"},
		ErrIs:  []error{decoder.ErrTruncated},
		ErrHas: []string{"f.json:1:"},
	},
	{
		Name: "unpadded hex and non-hex ids",
		In: `{"traceID":"2db17286b3e6b148","spans":[
			{"traceID":"2db17286b3e6b148","spanID":"ec2b4e0bcea566d","operationName":"GetOperations","references":[{"refType":"CHILD_OF","traceID":"2db17286b3e6b148","spanID":"2db17286b3e6b148"}],"startTime":1,"duration":1,"processID":"p1"},
			{"traceID":"2db17286b3e6b148","spanID":"G","operationName":"hashed","references":[],"startTime":1,"duration":1,"processID":"p1"}],` + procs + `}`,
		Want: []string{
			"2db17286b3e6b148/ec2b4e0bcea566d svc:GetOperations 1000+1000 child_of:2db17286b3e6b148/2db17286b3e6b148",
			"2db17286b3e6b148/" + func() string { id, _, _ := trace.ParseSpanID("G"); return dectest.ShortID(id[:]) }() + " svc:hashed 1000+1000 warn=non-hex-id",
		},
	},
	{
		Name: "every reference kept: cross-trace, FOLLOWS_FROM, no refType, no traceID",
		In: `{"traceID":"1","spans":[{"traceID":"1","spanID":"4","operationName":"r","startTime":1,"duration":1,"processID":"p1","references":[
			{"refType":"CHILD_OF","traceID":"ff","spanID":"ff"},{"refType":"CHILD_OF","traceID":"1","spanID":"2"},{"refType":"FOLLOWS_FROM","traceID":"1","spanID":"2"},
			{"spanID":"3"},{"refType":"follows_from","traceID":"1","spanID":"0"}]}],` + procs + `}`,
		Want: []string{"1/4 svc:r 1000+1000 child_of:ff/ff child_of:1/2 follows_from:1/2 child_of:1/3"},
	},
	{
		Name: "deprecated parentSpanID only without references",
		In: `{"traceID":"1","spans":[
			{"traceID":"1","spanID":"2","parentSpanID":"a","operationName":"old","startTime":1,"duration":1,"processID":"p1"},
			{"traceID":"1","spanID":"3","parentSpanID":"a","operationName":"both","references":[{"refType":"FOLLOWS_FROM","traceID":"1","spanID":"2"}],"startTime":1,"duration":1,"processID":"p1"},
			{"traceID":"1","spanID":"4","parentSpanID":"0000000000000000","operationName":"root","startTime":1,"duration":1,"processID":"p1"}],` + procs + `}`,
		Want: []string{
			"1/2 svc:old 1000+1000 child_of:1/a",
			"1/3 svc:both 1000+1000 follows_from:1/2",
			"1/4 svc:root 1000+1000",
		},
	},
	{
		Name: "status and kind from tags",
		In: `{"traceID":"1","spans":[
			{"traceID":"1","spanID":"1","operationName":"a","startTime":1,"duration":1,"processID":"p1","tags":[{"key":"otel.status_code","type":"string","value":"ERROR"},{"key":"otel.status_description","type":"string","value":"boom"}]},
			{"traceID":"1","spanID":"2","operationName":"b","startTime":1,"duration":1,"processID":"p1","tags":[{"key":"error","type":"string","value":"true"},{"key":"otel.status_code","type":"string","value":"OK"}]},
			{"traceID":"1","spanID":"3","operationName":"c","startTime":1,"duration":1,"processID":"p1","tags":[{"key":"error","type":"bool","value":false},{"key":"otel.status_code","type":"string","value":"OK"},{"key":"span.kind","type":"string","value":"producer"}]},
			{"traceID":"1","spanID":"4","operationName":"d","startTime":1,"duration":1,"processID":"p1","tags":[{"key":"span.kind","type":"string","value":"CONSUMER"},{"key":"error","type":"bool","value":true}]}],` + procs + `}`,
		Want: []string{
			"1/1 svc:a 1000+1000 status=2 status.message=boom",
			"1/2 svc:b 1000+1000 status=2",
			"1/3 svc:c 1000+1000 kind=producer status=1",
			"1/4 svc:d 1000+1000 kind=consumer status=2",
		},
	},
	{
		Name: "attribute values: numbers as decimals, current names win, others dropped",
		In: `{"traceID":"1","spans":[{"traceID":"1","spanID":"1","operationName":"a","startTime":1,"duration":1,"processID":"p1","tags":[
			{"key":"http.status_code","type":"float64","value":200.0},{"key":"http.method","type":"string","value":"get"},{"key":"http.request.method","type":"string","value":"GET"},
			{"key":"db.system","type":"string","value":"redis"},{"key":"peer.service","type":"string","value":{"not":"scalar"}},{"key":"sampler.param","type":"float64","value":0.2},
			{"key":"javascript_limit","type":"int64","value":"9223372036854775222"},{"key":"rpc.method","type":"string","value":"caf\u00e9"}]}],` + procs + `}`,
		Want: []string{"1/1 svc:a 1000+1000 http.response.status_code=200 http.request.method=GET db.system.name=redis sampler.param=0.2 rpc.method=café"},
	},
	{
		Name: "missing timestamps",
		In: `{"traceID":"1","spans":[{"traceID":"1","spanID":"1","operationName":"a","duration":5,"processID":"p1"},
			{"traceID":"1","spanID":"2","operationName":"b","startTime":7,"duration":null,"processID":"p1"},
			{"traceID":"1","spanID":"3","operationName":"c","startTime":0,"duration":0,"processID":"p1"}],` + procs + `}`,
		Want: []string{
			"1/1 svc:a 0+5000 warn=missing-timestamp",
			"1/2 svc:b 7000+0 warn=missing-timestamp",
			"1/3 svc:c 0+0",
		},
	},
	{
		Name: "span without traceID takes the trace's",
		In:   `{"traceID":"5","spans":[{"spanID":"1","operationName":"a","startTime":1,"duration":1,"processID":"p1"}],` + procs + `}`,
		Want: []string{"5/1 svc:a 1000+1000"},
	},
	{
		Name: "invalid ids are rejected and counted",
		In: `{"spans":[` + spanA + `,
			{"traceID":"1","spanID":"","operationName":"x","startTime":1,"duration":1},
			{"traceID":"1","spanID":"0000000000000000","operationName":"x","startTime":1,"duration":1},
			{"traceID":"1","operationName":"x","startTime":1,"duration":1},
			{"traceID":"","spanID":"1","operationName":"x","startTime":1,"duration":1},
			{"traceID":"000000000000000000000000000000001","spanID":"1","operationName":"x","startTime":1,"duration":1},
			{"traceID":"AAAAAAAAAAAAAAAAAAAAAA==","spanID":"1","operationName":"x","startTime":1,"duration":1}],` + procs + `}`,
		Want:     []string{wantA},
		Rejected: map[trace.Reason]int{trace.RejectInvalidSpanID: 3, trace.RejectInvalidTraceID: 3},
	},
	{
		Name: "wrong field types reject that span only, with positions",
		In: `{"traceID":"1","spans":[
{"traceID":"1","spanID":"1","operationName":5,"startTime":1,"duration":1},
{"traceID":"1","spanID":"2","operationName":"a","startTime":{},"duration":1},
` + spanA + `,
{"traceID":"1","spanID":"3","references":[{"refType":"PARENT_OF","traceID":"1","spanID":"2"}]},
{"traceID":"1","spanID":"4","tags":{"span.kind":"server"}},
7,
{"traceID":"1","spanID":"5","duration":"soon"}],` + procs + `}`,
		Want:     []string{wantA},
		Rejected: map[trace.Reason]int{trace.RejectInvalidSpan: 6},
		ErrIs:    []error{decoder.ErrType},
		ErrHas:   []string{`f.json:2:`, `"operationName"`, `f.json:3:`, `"startTime"`, `f.json:5:`, `refType`, `f.json:6:`, `"tags"`, `f.json:7:1: wrong type: want a span object, found a number`, `f.json:8:1:`, `"duration"`},
	},
	{
		Name:     "out-of-range times",
		In:       `{"traceID":"1","spans":[{"traceID":"1","spanID":"1","startTime":18446744073709551615,"duration":1},{"traceID":"1","spanID":"2","startTime":9223372036854775,"duration":9223372036854775},` + spanA + `],` + procs + `}`,
		Want:     []string{wantA},
		Rejected: map[trace.Reason]int{trace.RejectInvalidSpan: 2},
		ErrIs:    []error{decoder.ErrType},
		ErrHas:   []string{"out of range"},
	},
	{
		Name:   "processes of the wrong type",
		In:     `{"traceID":"1","spans":[` + spanA + `],"processes":[{"serviceName":"svc"}]}`,
		Want:   []string{"1/a :root 10000+5000 kind=server"},
		ErrIs:  []error{decoder.ErrType},
		ErrHas: []string{`"processes"`},
	},
	{
		Name:   "truncated: spans before the cut are kept",
		In:     `{"data":[{"traceID":"1",` + procs + `,"spans":[` + spanA + `,{"traceID":"1","spanID":`,
		Want:   []string{wantA},
		ErrIs:  []error{decoder.ErrTruncated},
		ErrHas: []string{"f.json:1:"},
	},
	{
		Name:   "syntax error",
		In:     "{\"traceID\":\"1\",\n\"spans\":[" + spanA + ",}]}",
		Want:   []string{"1/a :root 10000+5000 kind=server"},
		ErrIs:  []error{decoder.ErrSyntax},
		ErrHas: []string{"f.json:2:"},
	},
	{
		Name:   "trailing data after the document",
		In:     `{"traceID":"1","spans":[` + spanA + `],` + procs + `} {`,
		Want:   []string{wantA},
		ErrIs:  []error{decoder.ErrSyntax},
		ErrHas: []string{"after top-level value"},
	},
	{
		Name:   "nesting deeper than the limit",
		In:     `{"data":[` + strings.Repeat("[", 600) + strings.Repeat("]", 600) + `]}`,
		ErrIs:  []error{decoder.ErrTooLarge},
		ErrHas: []string{"f.json:1:", "deeper than 512"},
	},
	{
		Name:   "nesting limit from Limits",
		In:     `{"traceID":"1","spans":[` + spanA + `],` + procs + `}`,
		Lim:    decoder.Limits{MaxDepth: 3},
		ErrIs:  []error{decoder.ErrTooLarge},
		ErrHas: []string{"deeper than 3"},
	},
	{
		Name: "brackets inside strings do not count as nesting",
		In:   `{"traceID":"1","spans":[{"traceID":"1","spanID":"a","operationName":"` + strings.Repeat("[{", 600) + `","startTime":1,"duration":1}]}`,
		Want: []string{"1/a :" + strings.Repeat("[{", 600) + " 1000+1000"},
	},
	{
		Name:  "input over MaxInputBytes",
		In:    `{"traceID":"1","spans":[` + spanA + `],` + procs + `}`,
		Lim:   decoder.Limits{MaxInputBytes: 10},
		ErrIs: []error{decoder.ErrTooLarge},
	},
	{Name: "empty", In: "", ErrIs: []error{decoder.ErrEmpty}},
	{Name: "blank", In: " \n\t\n", ErrIs: []error{decoder.ErrEmpty}},
	{Name: "empty object", In: "{}", ErrIs: []error{decoder.ErrNoSpans}},
	{Name: "empty array", In: "[]", ErrIs: []error{decoder.ErrNoSpans}},
	{Name: "no traces", In: `{"data":[],"total":0,"limit":0,"offset":0,"errors":null}`, ErrIs: []error{decoder.ErrNoSpans}},
	{Name: "null data", In: `{"data":null}`, ErrIs: []error{decoder.ErrNoSpans}},
	{Name: "trace without spans", In: `{"traceID":"1","spans":[],` + procs + `}`, ErrIs: []error{decoder.ErrNoSpans}},
	{Name: "OTLP is not Jaeger", In: `{"resourceSpans":[{"scopeSpans":[{"spans":[]}]}]}`, ErrIs: []error{decoder.ErrNoSpans}},
	{Name: "PNG bytes", In: pngHead, ErrIs: []error{decoder.ErrSyntax}, ErrHas: []string{"f.json:1:1:"}},
	{Name: "top-level scalar", In: `42`, ErrIs: []error{decoder.ErrUnknownFormat}},
	{Name: "data of the wrong type", In: `{"data":5}`, ErrIs: []error{decoder.ErrType}, ErrHas: []string{`"data"`}},
	{Name: "spans of the wrong type", In: `{"traceID":"1","spans":{}}`, ErrIs: []error{decoder.ErrType}, ErrHas: []string{`"spans"`}},
	{
		Name:   "query errors are reported",
		In:     `{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}`,
		ErrHas: []string{"Jaeger query error 404: trace not found"},
		ErrIs:  []error{},
	},
	{
		Name: "byte order mark",
		In:   "\xef\xbb\xbf" + `{"traceID":"1","spans":[` + spanA + `],` + procs + `}`,
		Want: []string{wantA},
	},
	{
		Name: "array of query responses",
		In:   `[{"data":[{"traceID":"1","spans":[` + spanA + `],` + procs + `}]},{"data":{"traceID":"1","spans":[` + spanB + `],` + procs + `}}]`,
		Want: []string{wantA, wantB},
	},
	{
		Name: "single span object",
		In:   `{"traceID":"1","spanID":"a","operationName":"root","startTime":10,"duration":5,"process":{"serviceName":"svc"}}`,
		Want: []string{"1/a svc:root 10000+5000"},
	},
}

func TestDecode(t *testing.T) { dectest.RunDecode(t, decodeCases, Decode, describe) }

func TestErrorsAreCapped(t *testing.T) {
	var doc, lines strings.Builder
	doc.WriteString(`{"traceID":"1","spans":[`)
	for i := range 250 {
		if i > 0 {
			doc.WriteString(",")
		}
		doc.WriteString(`{"traceID":"1","spanID":"1","startTime":"x"}`)
		lines.WriteString(`{"traceID":"1","spans":[` + spanA + `],` + procs + "}\n" + `{"traceID":"1","spans":[}` + "\n")
	}
	doc.WriteString(`]}`)
	for _, tc := range []struct {
		name, in string
		spans    int
		rejected trace.Tally
	}{
		{"bad spans", doc.String(), 0, trace.Tally{trace.RejectInvalidSpan: 250}},
		{"bad JSON lines", lines.String(), 250, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c decoder.Collect
			err := Decode("f.json", []byte(tc.in), &c, decoder.DefaultLimits)
			var l decoder.ErrorList
			if !errors.As(err, &l) {
				t.Fatalf("error = %v, want an ErrorList", err)
			}
			if len(l) != maxErrors+1 || !strings.Contains(l[maxErrors].Error(), "150 more errors not listed") {
				t.Errorf("got %d errors, last %v; want %d and a count of 150 more", len(l), l[len(l)-1], maxErrors+1)
			}
			if len(c.Spans) != tc.spans || fmt.Sprint(c.Rejected) != fmt.Sprint(tc.rejected) {
				t.Errorf("got %d spans, rejected %v; want %d, %v", len(c.Spans), c.Rejected, tc.spans, tc.rejected)
			}
		})
	}
}

// nestedRefs is a UI-download span whose reference carries a copy of its
// parent, which carries a copy of its parent, depth times.
func nestedRefs(depth int) []byte {
	var b strings.Builder
	b.WriteString(`{"traceID":"1","spans":[{"traceID":"1","spanID":"1","startTime":1,"duration":1,"processID":"p1","references":`)
	for range depth {
		b.WriteString(`[{"refType":"CHILD_OF","traceID":"1","spanID":"2","span":{"operationName":"copy","references":`)
	}
	b.WriteString(`[]`)
	for range depth {
		b.WriteString(`}}]`)
	}
	b.WriteString(`}],` + procs + `}`)
	return []byte(b.String())
}

func TestDeepNesting(t *testing.T) {
	t.Run("refused before decoding", func(t *testing.T) {
		var c decoder.Collect
		err := Decode("deep.json", nestedRefs(100000), &c, decoder.DefaultLimits)
		if !errors.Is(err, decoder.ErrTooLarge) || len(c.Spans) != 0 {
			t.Fatalf("got %d spans, error %v; want none and ErrTooLarge", len(c.Spans), err)
		}
	})
	t.Run("skipped without recursion", func(t *testing.T) {
		// 3,000 copies nest 9,000 deep (encoding/json's own limit is 10,000);
		// under a 512 KiB stack, a recursive walk would run out of stack.
		defer debug.SetMaxStack(debug.SetMaxStack(512 << 10))
		var c decoder.Collect
		err := Decode("deep.json", nestedRefs(3000), &c, decoder.Limits{MaxDepth: 1 << 20})
		if err != nil || len(c.Spans) != 1 {
			t.Fatalf("got %d spans, error %v; want 1 span", len(c.Spans), err)
		}
		if got := describe(c.Spans[0]); got != "1/1 svc: 1000+1000 child_of:1/2" {
			t.Errorf("span = %s", got)
		}
	})
}

func TestSniff(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{`{"data":[{"traceID":"1","spans":[`, true},
		{"  \n[{\"traceID\":\"2be38093ead7a083\",\"spanID\":\"76", true},
		{`{"spans":[{"traceId":"AAAAAAAAAABSlpqJVVcaPw==","spanId":"AAAAAABkfZg=","operationName":"get"`, true},
		{`{"processes":{"S":{"serviceName":"S1"`, true},
		{"{\n \"batch\": {\n  \"spans\": [\n   {\n    \"trace_id\": \"AAAAAAAAAAB74v2Y0Jc74w==\",\n    \"span_id\": \"bgnovO/WuCg=\",\n    \"operation_name\": \"Find", true},
		{`{"batches":[{"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAQ==","spanId":"AAAAAAAAAAI=","operationName":"op"`, true},
		{`{"spans":[{"trace_id":"AAAAAAAAAAAAAAAAAAAAAQ==","span_id":"AAAAAAAAAAI=","process_id":"p1"`, true},
		{`{"resource_spans":[{"scope_spans":[{"spans":[{"trace_id":"5b8e","span_id":"eee1","name":"x"`, false},
		{"\xef\xbb\xbf{\"traceID\":\"1\"", true},
		{`{"data":[{"trace`, false}, // cut before any telling key
		{`{"resourceSpans":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"5b8e","spanId":"eee1"`, false},
		{`[{"traceId":"1e223ff1f80f1c69","id":"43210ae0c10d1234","name":"async","localEndpoint":{"serviceName":"b"}}]`, false},
		{`"traceID"`, false},
		{``, false},
		{pngHead, false},
	}
	for _, tc := range cases {
		if got := Sniff([]byte(tc.in)); got != tc.want {
			t.Errorf("Sniff(%.40q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
