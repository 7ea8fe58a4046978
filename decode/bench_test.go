package decode_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/syncaudit/syncaudit/bench"
	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/internal/cputime"
	"github.com/syncaudit/syncaudit/trace"
)

// benchTraces is the number of 26-span order traces the format
// benchmarks decode (52,000 spans).
const benchTraces = 2000

var benchData = struct {
	once                  sync.Once
	jaeger, jsonl, gz, zs []byte
	spans                 int
}{}

// formatsData generates the same traces as one Jaeger UI document and as
// OTLP/JSON lines, and the lines gzip- and zstd-compressed.
func formatsData(b *testing.B) (jaeger, jsonl, gz, zs []byte, spans int) {
	b.Helper()
	d := &benchData
	d.once.Do(func() {
		gen := func(f bench.Format) []byte {
			var buf bytes.Buffer
			st, err := bench.Generate(&buf, bench.Options{Shape: bench.ShapeOrder, Traces: benchTraces, Seed: 42, Format: f})
			if err != nil {
				panic(err)
			}
			d.spans = st.Spans
			return buf.Bytes()
		}
		d.jaeger = gen(bench.FormatJaeger)
		d.jsonl = gen(bench.FormatJSONLines)
		var g bytes.Buffer
		zw := gzip.NewWriter(&g)
		zw.Write(d.jsonl)
		zw.Close()
		d.gz = g.Bytes()
		enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault))
		d.zs = enc.EncodeAll(d.jsonl, nil)
	})
	return d.jaeger, d.jsonl, d.gz, d.zs, d.spans
}

// BenchmarkFormats decodes the same 52,000 spans as one Jaeger UI
// document, as OTLP/JSON lines, and as the lines compressed with gzip and
// zstd, from files through decode.Read (chunks decoded one after another; the Jaeger
// fast path decodes a large document's traces on every core). It reports
// wall and CPU (user+system, all threads) nanoseconds per span: compare
// cpu-ns/span between sub-benchmarks run in the same process.
func BenchmarkFormats(b *testing.B) {
	jaeger, jsonl, gz, zs, spans := formatsData(b)
	for _, c := range []struct {
		name string
		data []byte
	}{{"jaeger", jaeger}, {"otlp-jsonl", jsonl}, {"otlp-jsonl-gzip", gz}, {"otlp-jsonl-zstd", zs}} {
		path := filepath.Join(b.TempDir(), c.name)
		if err := os.WriteFile(path, c.data, 0o644); err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			benchRead(b, decode.FileInput(path), spans)
		})
	}
}

func benchRead(b *testing.B, in decode.Input, spans int) {
	cpu0, cpuOK := cputime.Now()
	for b.Loop() {
		var n countEmitter
		if _, err := decode.Read(context.Background(), in, decode.Options{}, &n); err != nil {
			b.Fatal(err)
		}
		if n.spans != spans {
			b.Fatalf("decoded %d spans, want %d", n.spans, spans)
		}
	}
	total := float64(spans) * float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/span")
	if cpu1, ok := cputime.Now(); ok && cpuOK && cpu1 > cpu0 {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/total, "cpu-ns/span")
	}
}

// countEmitter counts spans without keeping them.
type countEmitter struct{ spans, rejected int }

func (c *countEmitter) Emit(s []trace.Span)          { c.spans += len(s) }
func (c *countEmitter) Reject(_ trace.Reason, n int) { c.rejected += n }
