package audit_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
)

// TestMeasuredEnqueueCostPartitioned: the shop's NATS publishes set the
// enqueue cost, and a spilled input measures the same one as memory
// (the report is the same, in both file orders of a split input).
func TestMeasuredEnqueueCostPartitioned(t *testing.T) {
	path := filepath.Join("..", "fixtures", "async", "otlp.jsonl.gz")
	opt := audit.DefaultOptions()
	opt.MeasureEnqueueCost = true
	opt.EnqueueCostSource = audit.EnqueueCostDefault
	res, err := ingest.Load(context.Background(), []string{path}, nil, ingest.Options{Repair: repair.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Run(context.Background(), res, opt)
	if err != nil {
		t.Fatal(err)
	}
	// 38 events published (fixtures/async/run.txt).
	if src := rep.Summary.EnqueueCostSource; !strings.HasPrefix(src, "measured: nats median of 38 publishes") ||
		rep.Summary.EnqueueCostMs <= 0 || rep.Summary.EnqueueCostMs >= 1 {
		t.Errorf("enqueue cost %vms, source %q", rep.Summary.EnqueueCostMs, src)
	}
	checkPartitioned(t, []string{path}, 20_000, opt)
	checkPartitioned(t, []string{path, filepath.Join("..", "fixtures", "sync", "otlp.jsonl.gz")}, 20_000, opt)
	checkPartitioned(t, []string{filepath.Join("..", "fixtures", "sync", "otlp.jsonl.gz"), path}, 20_000, opt)
}
