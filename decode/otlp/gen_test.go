package otlp

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// genTraces builds realistic traces: spans of 10-span traces spread over
// services, each span with 6 attributes (4 of which syncaudit keeps),
// grouped into ptrace.Traces batches of perBatch spans (as the Collector's
// batch processor and file exporter write them).
func genTraces(nSpans, perBatch int) []ptrace.Traces {
	services := []string{"frontend", "checkout", "cart", "payment", "shipping"}
	routes := []string{"/api/cart", "/api/checkout", "/api/products/{id}", "/api/users/{id}", "/health"}
	methods := []string{"GET", "POST", "PUT", "DELETE"}
	var out []ptrace.Traces
	const perRS = 20
	for done := 0; done < nSpans; {
		td := ptrace.NewTraces()
		for b := 0; b < perBatch && done < nSpans; {
			rs := td.ResourceSpans().AppendEmpty()
			ra := rs.Resource().Attributes()
			ra.PutStr("service.name", services[(done/perRS)%len(services)])
			ra.PutStr("host.name", "node-7")
			ra.PutStr("telemetry.sdk.language", "go")
			ss := rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName("go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp")
			for i := 0; i < perRS && b < perBatch && done < nSpans; i, b, done = i+1, b+1, done+1 {
				s := ss.Spans().AppendEmpty()
				t := done / 10
				s.SetTraceID(pcommon.TraceID{0x5b, 0x8e, byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
				s.SetSpanID(pcommon.SpanID{0xee, 0xe1, 0, byte(done >> 24), byte(done >> 16), byte(done >> 8), byte(done), 1})
				if done%10 != 0 {
					p := done - 1
					s.SetParentSpanID(pcommon.SpanID{0xee, 0xe1, 0, byte(p >> 24), byte(p >> 16), byte(p >> 8), byte(p), 1})
				}
				route := routes[done%len(routes)]
				method := methods[done%len(methods)]
				s.SetName(method + " " + route)
				s.SetKind(ptrace.SpanKind(2 + done%2))
				start := uint64(1_700_000_000_000_000_000) + uint64(done)*1_000_000
				s.SetStartTimestamp(pcommon.Timestamp(start))
				s.SetEndTimestamp(pcommon.Timestamp(start + 5_000_000 + uint64(done%7)*100_000))
				a := s.Attributes()
				a.PutStr("http.request.method", method)
				a.PutStr("http.route", route)
				a.PutInt("http.response.status_code", int64(200+(done%50/49)*300))
				a.PutStr("url.full", fmt.Sprintf("http://%s:8080%s?id=%d", services[done%len(services)], route, done%1000))
				a.PutStr("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36")
				a.PutInt("network.peer.port", int64(40000+done%20000))
				if done%50 == 49 {
					s.Status().SetCode(ptrace.StatusCodeError)
					s.Status().SetMessage("upstream failed")
				}
			}
		}
		out = append(out, td)
	}
	return out
}

// jsonLines marshals each batch as one OTLP/JSON line.
func jsonLines(tb testing.TB, tds []ptrace.Traces) []byte {
	tb.Helper()
	var buf bytes.Buffer
	var m ptrace.JSONMarshaler
	for _, td := range tds {
		b, err := m.MarshalTraces(td)
		if err != nil {
			tb.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.Bytes()
}

// protoFrames marshals each batch as a length-prefixed protobuf message,
// zstd-compressing the payloads when zstdPayload is set.
func protoFrames(tb testing.TB, tds []ptrace.Traces, zstdPayload bool) []byte {
	tb.Helper()
	var buf bytes.Buffer
	var m ptrace.ProtoMarshaler
	var enc *zstd.Encoder
	if zstdPayload {
		var err error
		if enc, err = zstd.NewWriter(nil); err != nil {
			tb.Fatal(err)
		}
		defer enc.Close()
	}
	for _, td := range tds {
		b, err := m.MarshalTraces(td)
		if err != nil {
			tb.Fatal(err)
		}
		if enc != nil {
			b = enc.EncodeAll(b, nil)
		}
		buf.Write(frame(b))
	}
	return buf.Bytes()
}

// frame prefixes b with its 4-byte big-endian length.
func frame(b []byte) []byte {
	out := binary.BigEndian.AppendUint32(nil, uint32(len(b)))
	return append(out, b...)
}

// protobufStyleJSON rewrites OTLP/JSON (one document or JSON lines) the way
// protobuf tooling (Python MessageToJson, Java JsonFormat) writes it:
// base64 IDs and enum names instead of hex IDs and enum numbers.
func protobufStyleJSON(tb testing.TB, data []byte) []byte {
	tb.Helper()
	var out bytes.Buffer
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	for dec.More() {
		var v any
		if err := dec.Decode(&v); err != nil {
			tb.Fatal(err)
		}
		b, err := json.Marshal(protobufStyle(tb, v))
		if err != nil {
			tb.Fatal(err)
		}
		out.Write(b)
		out.WriteByte('\n')
	}
	return out.Bytes()
}

var (
	kindNames   = []string{"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER", "SPAN_KIND_CONSUMER"}
	statusNames = []string{"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"}
)

func protobufStyle(tb testing.TB, v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			switch k {
			case "traceId", "spanId", "parentSpanId":
				raw, err := hex.DecodeString(x.(string))
				if err != nil {
					tb.Fatal(err)
				}
				v[k] = base64.StdEncoding.EncodeToString(raw)
			case "kind":
				n, _ := x.(json.Number).Int64()
				v[k] = kindNames[n]
			case "code":
				n, _ := x.(json.Number).Int64()
				v[k] = statusNames[n]
			default:
				v[k] = protobufStyle(tb, x)
			}
		}
	case []any:
		for i := range v {
			v[i] = protobufStyle(tb, v[i])
		}
	}
	return v
}
