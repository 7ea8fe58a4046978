package jaeger

import (
	"testing"

	"github.com/syncaudit/syncaudit/decode/internal/dectest"
	"github.com/syncaudit/syncaudit/trace"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`[{"traceID":"1","spans":[` + spanA + `]},{"traceID":"2","spanID":"3","process":{"serviceName":"x"}}]`))
	f.Add([]byte("{\"traceID\":\"1\",\"spans\":[" + spanA + "]}\n[" + spanB + "]\n"))
	// api_v2 forms (the decodeCases add more): {"batch"}, {"batches"} and a
	// bare Batch, snake_case or camelCase, unitless or string durations.
	f.Add([]byte(`{"batch":{"spans":[{"trace_id":"AAAAAAAAAAB74v2Y0Jc74w==","span_id":"bgnovO/WuCg=","operation_name":"f","references":[{"trace_id":"AAAAAAAAAAB74v2Y0Jc74w==","span_id":"e+L9mNCXO+M="}],"duration":19711000,"start_time":"2019-12-20T07:41:44.954062Z","tags":[{"key":"error","v_type":1,"v_bool":true}]}],"process":{"service_name":"redis"}}}`))
	f.Add([]byte(`{"batches":[{"process":{"service_name":"a"},"spans":[{"trace_id":"1","span_id":"2","start_time":"2020-01-01T00:00:00Z","duration":"1.5s","process":{"service_name":"b"}}]},{"spans":[{"traceId":"1","spanId":"3","startTime":1,"duration":2}]}]}`))
	f.Add([]byte(`{"process":{"serviceName":"s"},"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAQ==","spanId":"AAAAAAAAAAI=","startTime":"2020-01-01T00:00:00Z","duration":"0.019711s"}]}`))
	dectest.Fuzz(f, decodeCases, Decode, func(t *testing.T, s trace.Span) {
		if !s.ParentID.IsZero() {
			t.Fatalf("emitted a span with ParentID set: %+v", s)
		}
	})
}
