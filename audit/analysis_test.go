package audit_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/bench"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/internal/corpus"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/report"
)

// reportJSON renders rep as the CLI's -o json does.
func reportJSON(t *testing.T, rep *report.Report) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := report.WriteJSON(&buf, rep); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// checkPartitioned compares the report of Audit with a memory
// limit of limit bytes (forcing the loader to spill; 0: no limit) with
// Run's over ingest.Load, byte for byte.
func checkPartitioned(t *testing.T, paths []string, limit int64, aopt audit.Options) {
	t.Helper()
	ctx := context.Background()
	lopt := ingest.Options{Repair: repair.DefaultOptions()}
	lopt.Repair.JaegerCompat = aopt.JaegerCompat
	res, err := ingest.Load(ctx, paths, nil, lopt)
	if err != nil {
		t.Fatal(err)
	}
	want, err := audit.Run(ctx, res, aopt)
	if err != nil {
		t.Fatal(err)
	}
	parts := 0
	counted := lopt
	counted.MemoryLimit, counted.SpillDir = limit, t.TempDir()
	if _, err := ingest.LoadPartitions(ctx, paths, nil, counted, func(p *ingest.Partition) error {
		parts = p.Count
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	switch {
	case limit > 0 && len(res.Traces) == 1 && parts != 1:
		// One trace is never partitioned: a partition would hold it whole.
		t.Fatalf("memory limit %d gave %d partitions of one trace", limit, parts)
	case limit > 0 && len(res.Traces) > 1 && parts < 2:
		t.Fatalf("memory limit %d gave %d partition(s): the test must spill", limit, parts)
	}
	lopt.MemoryLimit, lopt.SpillDir = limit, t.TempDir()
	src, err := ingest.Open(ctx, paths, nil, lopt)
	if err != nil {
		t.Fatal(err)
	}
	got, err := audit.Audit(ctx, src, aopt)
	if err != nil {
		t.Fatal(err)
	}
	gres := src.Result()
	src.Close()
	if len(gres.Errors) != len(res.Errors) || gres.Traces != nil {
		t.Errorf("result: %d errors (want %d), %d traces (want none)", len(gres.Errors), len(res.Errors), len(gres.Traces))
	}
	g, w := reportJSON(t, got), reportJSON(t, want)
	if !bytes.Equal(g, w) {
		os.WriteFile(filepath.Join(t.TempDir(), "got.json"), g, 0o644)
		i := 0
		for i < len(g) && i < len(w) && g[i] == w[i] {
			i++
		}
		lo := max(0, i-300)
		t.Errorf("%d partitions: reports differ at byte %d:\ngot  …%s…\nwant …%s…", parts, i,
			g[lo:min(len(g), i+300)], w[lo:min(len(w), i+300)])
	}
	if entries, _ := os.ReadDir(lopt.SpillDir); len(entries) != 0 {
		t.Errorf("spill directory not cleaned up: %d entries", len(entries))
	}
}

func TestAuditPartitionedFixtures(t *testing.T) {
	low := audit.DefaultOptions()
	low.Detect.MinConfidence = 0 // every finding recommended: a larger plan
	top := audit.DefaultOptions()
	top.Detect.Top = 2
	for _, tc := range []struct {
		name  string
		fix   string
		limit int64
		opt   audit.Options
	}{
		{"sync", "sync", 20_000, audit.DefaultOptions()},
		{"async", "async", 20_000, audit.DefaultOptions()},
		{"sync/all-recommended", "sync", 20_000, low},
		{"async/top2", "async", 20_000, top},
		{"sync/in-memory", "sync", 0, audit.DefaultOptions()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPartitioned(t, []string{filepath.Join("..", "fixtures", tc.fix, "otlp.jsonl.gz")}, tc.limit, tc.opt)
		})
	}
}

func TestAuditPartitionedGenerated(t *testing.T) {
	var buf bytes.Buffer
	if _, err := bench.Generate(&buf, bench.Options{Shape: bench.ShapeOrder, Traces: 600, Seed: 11}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "orders.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	checkPartitioned(t, []string{path}, 200_000, audit.DefaultOptions())
}

func TestAuditPartitionedCorpus(t *testing.T) {
	dir := corpus.Dir(t)
	if testing.Short() {
		t.Skip("corpus comparison skipped in -short mode")
	}
	for _, f := range corpus.Files {
		t.Run(f.Path, func(t *testing.T) {
			path := filepath.Join(dir, f.Path)
			checkPartitioned(t, []string{path}, spillingLimit(t, path), audit.DefaultOptions())
		})
	}
}

// spillingLimit returns a memory limit that makes the loader spill path
// into a few partitions: the largest of the file's size (times 3), then a
// quarter of that, and so on, with which it spills.
func spillingLimit(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	for limit := 3 * fi.Size(); limit > 0; limit /= 4 {
		parts := 0
		opt := ingest.Options{Repair: repair.DefaultOptions(), MemoryLimit: limit, SpillDir: t.TempDir()}
		if _, err := ingest.LoadPartitions(context.Background(), []string{path}, nil, opt, func(p *ingest.Partition) error {
			parts = p.Count
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if parts > 1 {
			return limit
		}
	}
	return 1
}
