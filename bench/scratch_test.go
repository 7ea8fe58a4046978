package bench

import (
	"context"
	"io"
	"os"
	"testing"

	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
)

func TestScratchRun(t *testing.T) {
	p := os.Getenv("SCRATCH_FILE")
	if p == "" {
		t.Skip()
	}
	if os.Getenv("SCRATCH_PART") != "" {
		if _, err := AnalyzePartitioned(context.Background(), []string{p}, ingest.Options{Repair: repair.DefaultOptions(), MemoryLimit: 1 << 30}, 0); err != nil {
			t.Fatal(err)
		}
		return
	}
	if _, err := analyze(context.Background(), []string{p}, io.Discard); err != nil {
		t.Fatal(err)
	}
}
