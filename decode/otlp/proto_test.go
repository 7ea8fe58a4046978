package otlp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/klauspost/compress/zstd"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/trace"
)

// canonTraces is canonJSON as pdata traces.
func canonTraces(tb testing.TB) ptrace.Traces {
	tb.Helper()
	var u ptrace.JSONUnmarshaler
	td, err := u.UnmarshalTraces([]byte(canonJSON))
	if err != nil {
		tb.Fatal(err)
	}
	return td
}

func marshalProto(tb testing.TB, td ptrace.Traces) []byte {
	tb.Helper()
	var m ptrace.ProtoMarshaler
	b, err := m.MarshalTraces(td)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// splitPerSpan returns one Traces per span of td, each with its resource.
func splitPerSpan(td ptrace.Traces) []ptrace.Traces {
	var out []ptrace.Traces
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			for k := 0; k < ss.Spans().Len(); k++ {
				one := ptrace.NewTraces()
				nrs := one.ResourceSpans().AppendEmpty()
				rs.Resource().CopyTo(nrs.Resource())
				nss := nrs.ScopeSpans().AppendEmpty()
				ss.Scope().CopyTo(nss.Scope())
				ss.Spans().At(k).CopyTo(nss.Spans().AppendEmpty())
				out = append(out, one)
			}
		}
	}
	return out
}

func zstdCompress(tb testing.TB, b []byte) []byte {
	tb.Helper()
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer enc.Close()
	return enc.EncodeAll(b, nil)
}

func decodeProtoBytes(t *testing.T, data []byte, lim decoder.Limits) (*decoder.Collect, error) {
	t.Helper()
	c := &decoder.Collect{}
	err := DecodeProto("in.pb", data, c, lim)
	checkEmitted(t, c.Spans)
	return c, err
}

// TestDecodeProtoVariants decodes the canonical trace in every protobuf
// layout DecodeProto reads.
func TestDecodeProtoVariants(t *testing.T) {
	td := canonTraces(t)
	msg := marshalProto(t, td)
	perSpan := splitPerSpan(td)
	var framedPerSpan, zstdPerSpan []byte
	for _, one := range perSpan {
		b := marshalProto(t, one)
		framedPerSpan = append(framedPerSpan, frame(b)...)
		zstdPerSpan = append(zstdPerSpan, frame(zstdCompress(t, b))...)
	}
	jsonMsg := []byte(compact(t, canonJSON))
	legacy := legacyProto(t, msg)
	tests := []struct {
		name string
		in   []byte
	}{
		{"bare message", msg},
		{"legacy field 1000", legacy},
		{"framed legacy field 1000", frame(legacy)},
		{"one frame", frame(msg)},
		{"frame per span", framedPerSpan},
		{"zstd frame", frame(zstdCompress(t, msg))},
		{"zstd frame per span", zstdPerSpan},
		{"mixed frames", append(frame(marshalProto(t, perSpan[0])), frame(zstdCompress(t, marshalProto(t, perSpan[1])))...)},
		{"empty frame and message", append(frame(nil), frame(msg)...)},
		{"json payload", frame(jsonMsg)},
		{"zstd json payload", frame(zstdCompress(t, append(jsonMsg, '\n')))},
		{"protobuf-style json payload", frame(protobufStyleJSON(t, jsonMsg))},
		{"two zstd frames in one payload", frame(append(zstdCompress(t, marshalProto(t, perSpan[0])), zstdCompress(t, marshalProto(t, perSpan[1]))...))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decodeProtoBytes(t, tt.in, decoder.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			diffSpans(t, c.Spans, canonSpans())
		})
	}
}

// TestDecodeProtoErrors checks causes, byte offsets, the spans still read,
// and that hostile lengths and zstd frames do not drive allocations.
func TestDecodeProtoErrors(t *testing.T) {
	msg := marshalProto(t, canonTraces(t))
	good := frame(msg)
	bomb := zstdCompress(t, make([]byte, 8<<20))
	tests := []struct {
		name   string
		in     []byte
		lim    decoder.Limits
		cause  error
		offset int64
		spans  int
		errs   int
	}{
		{name: "empty", in: nil, cause: decoder.ErrEmpty},
		{name: "png header", in: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), cause: decoder.ErrUnknownFormat},
		{name: "json text", in: []byte(`{"resourceSpans":[]}`), cause: decoder.ErrUnknownFormat},
		{name: "only an empty frame", in: frame(nil), cause: decoder.ErrNoSpans},
		{name: "run of zero bytes", in: make([]byte, 1<<20), cause: decoder.ErrNoSpans},
		{name: "huge length prefix", in: []byte{0x7f, 0xff, 0xff, 0xff, 0x0a, 0x01}, cause: decoder.ErrTooLarge},
		{name: "length beyond input", in: []byte{0x00, 0x01, 0x00, 0x00, 0x0a, 0x01}, cause: decoder.ErrTruncated},
		{name: "length beyond message limit", in: good, lim: decoder.Limits{MaxMessageBytes: 100}, cause: decoder.ErrTooLarge},
		{name: "huge length after a good frame", in: append(bytes.Clone(good), 0xff, 0xff, 0xff, 0xff, 0x0a), cause: decoder.ErrTooLarge, offset: int64(len(good)), spans: 2},
		{name: "truncated last frame", in: append(bytes.Clone(good), good[:len(good)-10]...), cause: decoder.ErrTruncated, offset: int64(len(good)), spans: 2},
		{name: "trailing bytes", in: append(bytes.Clone(good), 0, 0), cause: decoder.ErrTruncated, offset: int64(len(good)), spans: 2},
		{name: "input limit", in: good, lim: decoder.Limits{MaxInputBytes: 10}, cause: decoder.ErrTooLarge},
		{name: "bad message between good frames", in: concat(good, frame([]byte{0x0a, 0x05, 0x01}), good), offset: int64(len(good)), spans: 4},
		{name: "bad message in json payload", in: concat(good, frame([]byte(`{"resourceSpans":[{"scopeSpans":5}]}`))), cause: decoder.ErrType, offset: int64(len(good)), spans: 2},
		{name: "zstd bomb", in: concat(good, frame(bomb), good), lim: decoder.Limits{MaxMessageBytes: 1 << 20}, cause: decoder.ErrTooLarge, offset: int64(len(good)), spans: 4},
		{name: "zstd output over input limit", in: concat(good, frame(bomb), good), lim: decoder.Limits{MaxInputBytes: 4 << 20}, cause: decoder.ErrTooLarge, offset: int64(len(good)), spans: 2},
		{name: "corrupt zstd", in: concat(frame(append(zstdCompress(t, msg)[:12], 0xde, 0xad, 0xbe, 0xef)), good), spans: 2},
		{name: "truncated bare message", in: msg[:len(msg)-7]},
		{name: "several bad frames", in: concat(frame([]byte{0x0a, 0x09}), good, frame([]byte{0x0a, 0x09})), spans: 2, errs: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := decodeProtoBytes(t, tt.in, tt.lim)
			if err == nil {
				t.Fatal("no error")
			}
			if tt.cause != nil && !errors.Is(err, tt.cause) {
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
			if !pe.Binary || pe.File != "in.pb" || pe.Offset != tt.offset {
				t.Errorf("error at %s offset %d (binary %v), want offset %d: %v", pe.File, pe.Offset, pe.Binary, tt.offset, err)
			}
			if len(c.Spans) != tt.spans {
				t.Errorf("emitted %d spans, want %d", len(c.Spans), tt.spans)
			}
		})
	}
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// TestDecodeProtoNoAllocationFromLength checks that lying length prefixes
// and zstd headers cost no allocation proportional to what they claim.
func TestDecodeProtoNoAllocationFromLength(t *testing.T) {
	good := frame(marshalProto(t, canonTraces(t)))
	// A zstd frame header claiming 1 GiB of content, followed by garbage.
	lyingZstd := []byte{0x28, 0xb5, 0x2f, 0xfd, 0xa4, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02}
	lyingSmaller := bytes.Clone(lyingZstd)
	lyingSmaller[8] = 0x10 // 256 MiB: within the message limit
	inputs := map[string][]byte{
		"huge first length":   {0x7f, 0xff, 0xff, 0xff, 0x0a, 0x01, 0x02, 0x03},
		"zero bytes":          make([]byte, 16<<20),
		"huge later length":   append(bytes.Clone(good), 0x1f, 0xff, 0xff, 0xff, 0x0a, 0x00),
		"lying zstd header":   frame(lyingZstd),
		"lying zstd in limit": concat(good, frame(lyingSmaller)),
	}
	for name, in := range inputs {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 10 {
			_ = DecodeProto("x", in, &decoder.Collect{}, decoder.Limits{})
		}
		runtime.ReadMemStats(&after)
		if perRun := (after.TotalAlloc - before.TotalAlloc) / 10; perRun > 4<<20 {
			t.Errorf("%s: %d bytes allocated per decode", name, perRun)
		}
	}
}

// TestDecodeProtoZstdLimitTooSmall checks that the limit applies to zstd
// frames written without a content size too (streaming encoder).
func TestDecodeProtoZstdStreamed(t *testing.T) {
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, 4<<20)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := decodeProtoBytes(t, frame(buf.Bytes()), decoder.Limits{MaxMessageBytes: 1 << 20})
	if !errors.Is(err, decoder.ErrTooLarge) || len(c.Spans) != 0 {
		t.Fatalf("err %v, %d spans", err, len(c.Spans))
	}
	if !strings.Contains(err.Error(), "byte offset 0") {
		t.Errorf("error %q", err)
	}
}

// TestConvertTraces checks the exported converter, including interning.
func TestConvertTraces(t *testing.T) {
	in := decoder.Interner{}
	var c decoder.Collect
	ConvertTraces(canonTraces(t), &c, in)
	ConvertTraces(canonTraces(t), &c, in)
	if len(c.Spans) != 4 {
		t.Fatalf("%d spans", len(c.Spans))
	}
	diffSpans(t, c.Spans[:2], canonSpans())
	// Both conversions share one copy of each service name.
	if unsafeStringData(c.Spans[0].Service) != unsafeStringData(c.Spans[2].Service) {
		t.Error("service name not interned")
	}
	if _, ok := in["api"]; !ok {
		t.Error("interner not used")
	}
	var nilInterner decoder.Collect
	ConvertTraces(canonTraces(t), &nilInterner, nil)
	diffSpans(t, nilInterner.Spans, canonSpans())
	ConvertTraces(ptrace.NewTraces(), &nilInterner, nil)
}

// TestSameTraceAllEncodings writes the same traces in every encoding and
// expects identical spans from each.
func TestSameTraceAllEncodings(t *testing.T) {
	tds := append(genTraces(250, 40), canonTraces(t))
	var want decoder.Collect
	for _, td := range tds {
		ConvertTraces(td, &want, nil)
	}
	all := ptrace.NewTraces()
	for _, td := range tds {
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	tds = append(genTraces(250, 40), canonTraces(t))
	lines := jsonLines(t, tds)
	oneDoc := jsonLines(t, []ptrace.Traces{all})
	var framedJSON []byte
	for _, l := range bytes.Split(bytes.TrimSpace(lines), []byte("\n")) {
		framedJSON = append(framedJSON, frame(zstdCompress(t, l))...)
	}
	encodings := []struct {
		name  string
		data  []byte
		proto bool
	}{
		{"otlp json document", oneDoc, false},
		{"otlp json pretty", []byte(indent(t, string(oneDoc))), false},
		{"otlp json uppercase hex", upperHexIDs(t, oneDoc), false},
		{"json lines", lines, false},
		{"protobuf-style json (base64)", protobufStyleJSON(t, oneDoc), false},
		{"protobuf-style json lines", protobufStyleJSON(t, lines), false},
		{"proto message", marshalProto(t, all), true},
		{"framed proto", protoFrames(t, tds, false), true},
		{"zstd-framed proto", protoFrames(t, tds, true), true},
		{"zstd-framed json", framedJSON, true},
	}
	for _, e := range encodings {
		t.Run(e.name, func(t *testing.T) {
			var c *decoder.Collect
			var err error
			if e.proto {
				c, err = decodeProtoBytes(t, e.data, decoder.Limits{})
			} else {
				c, err = decodeString(t, string(e.data))
			}
			if err != nil {
				t.Fatal(err)
			}
			diffSpans(t, c.Spans, want.Spans)
		})
	}
}

// upperHexIDs upper-cases every 16- and 32-digit hex ID string.
func upperHexIDs(tb testing.TB, data []byte) []byte {
	tb.Helper()
	out := bytes.Clone(data)
	for _, key := range []string{`"traceId":"`, `"spanId":"`, `"parentSpanId":"`} {
		for i := 0; ; {
			j := bytes.Index(out[i:], []byte(key))
			if j < 0 {
				break
			}
			start := i + j + len(key)
			end := start + bytes.IndexByte(out[start:], '"')
			copy(out[start:end], bytes.ToUpper(out[start:end]))
			i = end
		}
	}
	if bytes.Equal(out, data) {
		tb.Fatal("no IDs upper-cased")
	}
	return out
}

// spanSet is used by corpus tests.
func traceCount(spans []trace.Span) int {
	ids := map[trace.TraceID]bool{}
	for _, s := range spans {
		ids[s.TraceID] = true
	}
	return len(ids)
}

func unsafeStringData(s string) *byte { return unsafe.StringData(s) }

// legacyProto rewrites a TracesData message the way OTLP 0.15–0.18 senders
// could write it: each ResourceSpans' scope_spans (field 2) moved to the
// deprecated instrumentation_library_spans field 1000.
func legacyProto(tb testing.TB, msg []byte) []byte {
	tb.Helper()
	var out []byte
	for _, f := range protoFields(tb, msg) {
		if f.num != 1 {
			tb.Fatalf("unexpected top-level field %d", f.num)
		}
		var rs []byte
		for _, g := range protoFields(tb, f.val) {
			num := g.num
			if num == 2 {
				num = 1000
			}
			rs = binary.AppendUvarint(rs, uint64(num)<<3|2)
			rs = binary.AppendUvarint(rs, uint64(len(g.val)))
			rs = append(rs, g.val...)
		}
		out = binary.AppendUvarint(out, 1<<3|2)
		out = binary.AppendUvarint(out, uint64(len(rs)))
		out = append(out, rs...)
	}
	return out
}

type protoField struct {
	num int
	val []byte
}

// protoFields splits a message made only of length-delimited fields.
func protoFields(tb testing.TB, b []byte) []protoField {
	tb.Helper()
	var out []protoField
	for len(b) > 0 {
		tag, n := binary.Uvarint(b)
		if n <= 0 || tag&7 != 2 {
			tb.Fatalf("unexpected tag %d", tag)
		}
		b = b[n:]
		l, n := binary.Uvarint(b)
		if n <= 0 || int(l) > len(b)-n {
			tb.Fatal("bad length")
		}
		out = append(out, protoField{int(tag >> 3), b[n : n+int(l)]})
		b = b[n+int(l):]
	}
	return out
}

// TestConvertTraceState: the pdata path (protobuf, the Collector) keeps
// a span's tracestate when it carries OpenTelemetry's sampling member,
// as the JSON reader does.
func TestConvertTraceState(t *testing.T) {
	for _, tc := range []struct{ ts, want string }{
		{"ot=th:8", "ot=th:8"},
		{"congo=t61rcWkgMzE,ot=th:c", "congo=t61rcWkgMzE,ot=th:c"},
		{"congo=t61rcWkgMzE", ""},
		{"", ""},
	} {
		td := canonTraces(t)
		td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).TraceState().FromRaw(tc.ts)
		var c decoder.Collect
		ConvertTraces(td, &c, nil)
		if got := c.Spans[0].Attrs.Get(trace.AttrTraceState); got != tc.want {
			t.Errorf("tracestate %q: kept %q, want %q", tc.ts, got, tc.want)
		}
	}
}
