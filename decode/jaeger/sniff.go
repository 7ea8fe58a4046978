package jaeger

import (
	"bytes"

	"github.com/syncaudit/syncaudit/decode/jsontext"
)

// Sniff reports whether prefix, the first few kilobytes of an input
// (decompressed, possibly cut mid-token), looks like Jaeger JSON: an object
// or array that uses one of the keys only Jaeger writes: "traceID" (UI; OTLP
// and Zipkin write "traceId"), "operationName" or "operation_name" (UI and
// api_v2, camelCase or with the proto field names), "processID",
// "process_id" or "processes". An api_v2 {"batch": {"spans": [{"trace_id",
// "span_id", "operation_name", …}]}} has "operation_name" in its first
// span, a few hundred bytes in.
func Sniff(prefix []byte) bool {
	p, ok := jsontext.ContainerStart(prefix)
	if !ok {
		return false
	}
	for _, k := range sniffKeys {
		if bytes.Contains(p, k) {
			return true
		}
	}
	return false
}

var sniffKeys = [][]byte{
	[]byte(`"traceID"`),
	[]byte(`"operationName"`),
	[]byte(`"operation_name"`),
	[]byte(`"processID"`),
	[]byte(`"process_id"`),
	[]byte(`"processes"`),
}
