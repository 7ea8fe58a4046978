package zipkin

import "bytes"

// Sniff reports whether prefix, the first few kilobytes of an input
// (decompressed, possibly cut mid-token), looks like Zipkin v2 JSON: a span
// array (or a single span object) with Zipkin's endpoint keys, or with
// "traceId" and "id" keys but none of the keys Jaeger and OTLP use
// ("spanId", "spanID", "operationName", "resourceSpans").
func Sniff(prefix []byte) bool {
	p := bytes.TrimPrefix(prefix, bom)
	i := skipSpace(p, 0)
	if i >= len(p) || (p[i] != '{' && p[i] != '[') {
		return false
	}
	p = p[i:]
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
