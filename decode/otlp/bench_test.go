package otlp

import (
	"runtime"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/internal/cputime"
	"github.com/syncaudit/syncaudit/trace"
)

const benchSpans = 20000

// BenchmarkDecodeJSONLines decodes Collector-file-exporter-style JSON lines
// (100 spans per line) and reports spans/s and the heap retained per
// decoded span when all emitted spans are kept.
func BenchmarkDecodeJSONLines(b *testing.B) {
	data := jsonLines(b, genTraces(benchSpans, 100))
	benchDecode(b, data, DecodeJSON)
}

// BenchmarkDecodeProto decodes length-prefixed protobuf messages (100 spans
// per message) as the Collector file exporter writes them.
func BenchmarkDecodeProto(b *testing.B) {
	data := protoFrames(b, genTraces(benchSpans, 100), false)
	benchDecode(b, data, DecodeProto)
}

// BenchmarkDecodeProtoZstd is BenchmarkDecodeProto with zstd payloads.
func BenchmarkDecodeProtoZstd(b *testing.B) {
	data := protoFrames(b, genTraces(benchSpans, 100), true)
	benchDecode(b, data, DecodeProto)
}

// BenchmarkDecodeJSONFallback measures the package's own reader on the
// same data with base64 IDs, which pdata rejects.
func BenchmarkDecodeJSONFallback(b *testing.B) {
	data := jsonLines(b, genTraces(benchSpans, 100))
	data = protobufStyleJSON(b, data)
	benchDecode(b, data, DecodeJSON)
}

type decodeFunc func(string, []byte, decoder.Emitter, decoder.Limits) error

func benchDecode(b *testing.B, data []byte, decode decodeFunc) {
	b.Helper()
	retained := retainedPerSpan(b, data, decode)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	cpu0, cpuOK := cputime.Now()
	for b.Loop() {
		var c countEmitter
		if err := decode("bench", data, &c, decoder.Limits{}); err != nil {
			b.Fatal(err)
		}
		if c.spans != benchSpans {
			b.Fatalf("decoded %d spans, want %d", c.spans, benchSpans)
		}
	}
	spans := float64(benchSpans) * float64(b.N)
	b.ReportMetric(spans/b.Elapsed().Seconds(), "spans/s")
	if cpu1, ok := cputime.Now(); ok && cpuOK && cpu1 > cpu0 {
		// Per core: all CPU the process used, GC included.
		b.ReportMetric(spans/(cpu1-cpu0).Seconds(), "spans/cpu-s")
	}
	b.ReportMetric(retained, "retained-B/span")
}

// retainedPerSpan decodes data once into a Collect and measures the live
// heap that the kept spans hold after a GC.
func retainedPerSpan(b *testing.B, data []byte, decode decodeFunc) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	c := &decoder.Collect{}
	if err := decode("bench", data, c, decoder.Limits{}); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	n := len(c.Spans)
	runtime.KeepAlive(c)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(n)
}

// countEmitter counts spans without keeping them.
type countEmitter struct{ spans, rejected int }

func (c *countEmitter) Emit(s []trace.Span)          { c.spans += len(s) }
func (c *countEmitter) Reject(_ trace.Reason, n int) { c.rejected += n }

// BenchmarkConvertTraces measures the pdata-to-span conversion alone.
func BenchmarkConvertTraces(b *testing.B) {
	tds := genTraces(benchSpans, 100)
	b.ReportAllocs()
	for b.Loop() {
		var c countEmitter
		in := decoder.Interner{}
		for _, td := range tds {
			ConvertTraces(td, &c, in)
		}
	}
	b.ReportMetric(float64(benchSpans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}
