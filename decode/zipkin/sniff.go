package zipkin

import (
	"bytes"

	"github.com/syncaudit/syncaudit/decode/jsontext"
)

// Sniff reports whether prefix, the first few kilobytes of an input
// (decompressed, possibly cut mid-token), looks like Zipkin v2 JSON: a span
// array (or a single span object) with Zipkin's endpoint keys, or with
// "traceId" and "id" keys but none of the keys Jaeger and OTLP use
// ("spanId", "spanID", "operationName", "resourceSpans").
func Sniff(prefix []byte) bool {
	p, ok := jsontext.ContainerStart(prefix)
	if !ok {
		return false
	}
	for _, k := range foreignKeys {
		if bytes.Contains(p, k) {
			return false
		}
	}
	if bytes.Contains(p, []byte(`"localEndpoint"`)) || bytes.Contains(p, []byte(`"remoteEndpoint"`)) {
		return true
	}
	return bytes.Contains(p, []byte(`"traceId"`)) && bytes.Contains(p, []byte(`"id"`))
}

var foreignKeys = [][]byte{
	[]byte(`"spanId"`),
	[]byte(`"spanID"`),
	[]byte(`"operationName"`),
	[]byte(`"resourceSpans"`),
	[]byte(`"resource_spans"`),
}
