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
	"github.com/syncaudit/syncaudit/repair"
)

// TestWaterfallOfAWideTrace: the p95 waterfall of a trace larger than a
// waterfall draws stops at 400 spans in tree preorder, from the root, and
// still marks the drawn calls that are ranked candidates.
func TestWaterfallOfAWideTrace(t *testing.T) {
	var buf bytes.Buffer
	if _, err := bench.Generate(&buf, bench.Options{Shape: bench.ShapeWide, Spans: 1 + 40*bench.OrderSpans, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "wide.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := ingest.Load(context.Background(), []string{path}, nil, ingest.Options{Repair: repair.DefaultOptions()})
	if err != nil || len(res.Traces) != 1 {
		t.Fatalf("load: %v, %d traces", err, len(res.Traces))
	}
	rep, err := audit.Run(context.Background(), res, audit.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Waterfalls) != 1 || len(rep.Candidates) == 0 {
		t.Fatalf("%d waterfalls, %d candidates", len(rep.Waterfalls), len(rep.Candidates))
	}
	w := rep.Waterfalls[0]
	if len(w.Spans) != 400 {
		t.Errorf("%d spans drawn, want 400 of %d", len(w.Spans), len(res.Traces[0].Spans))
	}
	if w.Spans[0].Depth != 0 || w.Spans[0].StartMs != 0 || w.Spans[1].Depth != 1 {
		t.Errorf("not from the root in preorder: %+v %+v", w.Spans[0], w.Spans[1])
	}
	marked := 0
	for _, s := range w.Spans {
		if s.Candidate > 0 {
			marked++
			if s.Candidate > len(rep.Candidates) {
				t.Errorf("rank %d of %d candidates", s.Candidate, len(rep.Candidates))
			}
		}
	}
	if marked == 0 {
		t.Error("no drawn span is marked as a candidate")
	}
}
