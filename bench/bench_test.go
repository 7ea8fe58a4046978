package bench

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/report"
)

// cacheDir is where benchmark inputs are kept between runs: out/bench at
// the repository root, shared with scripts/bench.sh.
func cacheDir(tb testing.TB) string {
	tb.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "out", "bench"))
	if err != nil {
		tb.Fatal(err)
	}
	return dir
}

// analyze runs what `syncaudit analyze -o json` runs: load (decode, group,
// repair), audit, and the JSON report, written to w.
func analyze(ctx context.Context, paths []string, w io.Writer) (*ingest.Result, error) {
	opt := ingest.Options{Repair: repair.DefaultOptions()}
	res, err := ingest.Load(ctx, paths, nil, opt)
	if err != nil {
		return nil, err
	}
	rep, err := audit.Run(ctx, res, audit.DefaultOptions())
	if err != nil {
		return nil, err
	}
	return res, report.WriteJSON(w, rep)
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchAnalyze(b *testing.B, opt Options) {
	path, err := Cached(cacheDir(b), opt)
	if err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	var spans int
	runtime.GC()
	cpu0 := cpuTime()
	for b.Loop() {
		res, err := analyze(context.Background(), []string{path}, io.Discard)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Errors) > 0 {
			b.Fatal(res.Errors[0])
		}
		spans = res.Summary.SpansInTraces
	}
	n := float64(spans) * float64(b.N)
	b.ReportMetric(n/b.Elapsed().Seconds(), "spans/s")
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(n/cpu.Seconds(), "spans/cpu-s")
	}
}

// BenchmarkAnalyze1M measures decode → report on one million spans of
// order traces in OTLP/JSON lines (38,462 traces × 26 spans).
func BenchmarkAnalyze1M(b *testing.B) {
	benchAnalyze(b, Options{Shape: ShapeOrder, Spans: 1_000_000, Seed: 42})
}

// BenchmarkWideTrace measures decode → report on one 1,001,001-span trace
// whose root has 38,500 children.
func BenchmarkWideTrace(b *testing.B) {
	benchAnalyze(b, Options{Shape: ShapeWide, Spans: 1_001_001, Seed: 42})
}
