package ingest_test

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
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/internal/cputime"
)

// The load benchmarks run ingest.Load (decode on every core, group,
// repair) on the same generated order traces in several forms, from
// files, and report wall and CPU (user+system, every thread)
// nanoseconds per span. The machine is shared: compare sub-benchmarks
// of one run (go test -bench Load -count 5 interleaves them), CPU first.

// loadTraces is the number of 26-span order traces (52,000 spans).
const loadTraces = 2000

var loadData struct {
	once  sync.Once
	dir   string
	spans int
	err   error
}

// loadInputs writes, once per process, the traces as one Jaeger UI file,
// one OTLP/JSON-lines file (plain, gzip and zstd) and one file per trace
// in each of Jaeger and OTLP/JSON (a Jaeger UI download per trace).
func loadInputs(b *testing.B) (dir string, spans int) {
	b.Helper()
	d := &loadData
	d.once.Do(func() {
		d.dir, d.err = os.MkdirTemp("", "syncaudit-bench-")
		if d.err != nil {
			return
		}
		opt := bench.Options{Shape: bench.ShapeOrder, Traces: loadTraces, Seed: 42}
		gen := func(name string, f bench.Format) []byte {
			var buf bytes.Buffer
			o := opt
			o.Format = f
			st, err := bench.Generate(&buf, o)
			if err == nil {
				err = os.WriteFile(filepath.Join(d.dir, name), buf.Bytes(), 0o644)
			}
			if err != nil && d.err == nil {
				d.err = err
			}
			d.spans = st.Spans
			return buf.Bytes()
		}
		gen("one.json", bench.FormatJaeger)
		lines := gen("one.jsonl", bench.FormatJSONLines)
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(lines)
		zw.Close()
		enc, _ := zstd.NewWriter(nil)
		zs := enc.EncodeAll(lines, nil)
		for name, data := range map[string][]byte{"one.jsonl.gz": gz.Bytes(), "one.jsonl.zst": zs} {
			if err := os.WriteFile(filepath.Join(d.dir, name), data, 0o644); err != nil && d.err == nil {
				d.err = err
			}
		}
		for sub, f := range map[string]bench.Format{"jaeger-files": bench.FormatJaeger, "otlp-files": bench.FormatJSONLines} {
			o := opt
			o.Format = f
			if _, err := bench.GenerateFiles(filepath.Join(d.dir, sub), o); err != nil && d.err == nil {
				d.err = err
			}
		}
	})
	if d.err != nil {
		b.Fatal(d.err)
	}
	return d.dir, d.spans
}

// TestMain removes the benchmarks' inputs.
func TestMain(m *testing.M) {
	code := m.Run()
	if loadData.dir != "" {
		os.RemoveAll(loadData.dir)
	}
	os.Exit(code)
}

// BenchmarkLoadFormats: one file of 52,000 spans as Jaeger UI JSON and
// as OTLP/JSON lines, plain, gzip and zstd. Issue 14's targets: jaeger
// within 1.5x of otlp-jsonl per span; the compressed ones within 15%.
func BenchmarkLoadFormats(b *testing.B) {
	dir, spans := loadInputs(b)
	for _, name := range []string{"one.json", "one.jsonl", "one.jsonl.gz", "one.jsonl.zst"} {
		b.Run(name, func(b *testing.B) { benchLoad(b, filepath.Join(dir, name), spans) })
	}
}

// BenchmarkLoadManyFiles: the same traces as 2,000 small files, one
// trace each, in Jaeger UI JSON and in OTLP/JSON (directory walking,
// per-file overhead, parallel decoding across files).
func BenchmarkLoadManyFiles(b *testing.B) {
	dir, spans := loadInputs(b)
	for _, name := range []string{"jaeger-files", "otlp-files"} {
		b.Run(name, func(b *testing.B) { benchLoad(b, filepath.Join(dir, name), spans) })
	}
}

func benchLoad(b *testing.B, path string, spans int) {
	cpu0, cpuOK := cputime.Now()
	for b.Loop() {
		res, err := ingest.Load(context.Background(), []string{path}, nil, ingest.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Summary.SpansRead != spans || len(res.Errors) > 0 {
			b.Fatalf("read %d spans, want %d; errors %v", res.Summary.SpansRead, spans, res.Errors)
		}
	}
	total := float64(spans) * float64(b.N)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/total, "ns/span")
	if cpu1, ok := cputime.Now(); ok && cpuOK && cpu1 > cpu0 {
		b.ReportMetric(float64((cpu1-cpu0).Nanoseconds())/total, "cpu-ns/span")
	}
}
