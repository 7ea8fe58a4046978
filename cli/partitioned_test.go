package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/syncaudit/syncaudit/bench"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
)

// generatedOrders writes 4,000 generated order traces (about 100k spans,
// more than the smallest --memory-limit holds) and returns the path.
func generatedOrders(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := bench.Generate(&buf, bench.Options{Shape: bench.ShapeOrder, Traces: 4000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "orders.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAnalyzeMemoryLimitSpills: with a --memory-limit the input does not
// fit in, analyze works partition by partition and writes the same report
// as without a limit.
func TestAnalyzeMemoryLimitSpills(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 100k-span input")
	}
	path := generatedOrders(t)
	const limit = "64MiB" // the smallest --memory-limit
	parts := 0
	opt := ingest.Options{Repair: repair.DefaultOptions(), MemoryLimit: 64 << 20, SpillDir: t.TempDir()}
	if _, err := ingest.LoadPartitions(context.Background(), []string{path}, nil, opt, func(p *ingest.Partition) error {
		parts = p.Count
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if parts < 2 {
		t.Fatalf("--memory-limit %s gives %d partition(s): the input is too small to spill", limit, parts)
	}
	code, want, errWant := run(t, "", "analyze", "-o", "json", "--memory-limit", "off", path)
	if code != ExitOK {
		t.Fatalf("in memory: exit %d: %s", code, errWant)
	}
	code, got, errGot := run(t, "", "analyze", "-o", "json", "--memory-limit", limit, path)
	if code != ExitOK {
		t.Fatalf("--memory-limit %s: exit %d: %s", limit, code, errGot)
	}
	if got != want {
		t.Errorf("--memory-limit %s (%d partitions): the report differs from the one in memory", limit, parts)
	}
	if errGot != errWant {
		t.Errorf("stderr %q, want %q", errGot, errWant)
	}
	if code, _, errOut := run(t, "", "analyze", "--memory-limit", "lots", path); code != ExitUsage {
		t.Errorf("--memory-limit lots: exit %d: %s", code, errOut)
	}
}
