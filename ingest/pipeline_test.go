package ingest_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/syncaudit/syncaudit/bench"
	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
)

// TestChunkedDecodeIndependentOfWorkers: a JSON-lines file cut into many
// chunks, with damaged lines, loads to the same traces, summary and errors
// with 1 or 4 workers and with any chunk size.
func TestChunkedDecodeIndependentOfWorkers(t *testing.T) {
	var buf bytes.Buffer
	if _, err := bench.Generate(&buf, bench.Options{Shape: bench.ShapeOrder, Traces: 200, Seed: 7, MinBatch: 20, MaxBatch: 60}); err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(buf.Bytes(), []byte("\n"))
	// Damage every 7th line: cut it in half.
	for i := 3; i < len(lines); i += 7 {
		lines[i] = append(lines[i][:len(lines[i])/2:len(lines[i])/2], '\n')
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "orders.jsonl")
	if err := os.WriteFile(path, bytes.Join(lines, nil), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func(workers, chunk int) *ingest.Result {
		t.Helper()
		res, err := ingest.Load(context.Background(), []string{path, path + "-missing"}, nil, ingest.Options{
			Repair: repair.DefaultOptions(), Workers: workers, Decode: decode.Options{ChunkBytes: chunk}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	want := load(1, 1<<30)
	if len(want.Errors) != 2 || want.Summary.SpansRead == 0 || want.Summary.FilesFailed != 1 {
		t.Fatalf("reference: %d errors %v, summary %+v", len(want.Errors), want.Errors, want.Summary)
	}
	for _, tc := range []struct{ workers, chunk int }{{1, 1}, {4, 1}, {2, 10 << 10}, {4, 100 << 10}} {
		got := load(tc.workers, tc.chunk)
		where := fmt.Sprintf("workers %d chunk %d", tc.workers, tc.chunk)
		if !reflect.DeepEqual(got.Summary, want.Summary) {
			t.Errorf("%s: summary %+v, want %+v", where, got.Summary, want.Summary)
		}
		if fmt.Sprint(got.Errors) != fmt.Sprint(want.Errors) {
			t.Errorf("%s: errors %v, want %v", where, got.Errors, want.Errors)
		}
		if len(got.Traces) != len(want.Traces) {
			t.Fatalf("%s: %d traces, want %d", where, len(got.Traces), len(want.Traces))
		}
		for i := range got.Traces {
			if !reflect.DeepEqual(got.Traces[i].Spans, want.Traces[i].Spans) || !reflect.DeepEqual(got.Traces[i].Parent, want.Traces[i].Parent) {
				t.Fatalf("%s: trace %s differs", where, got.Traces[i].ID)
			}
		}
	}
}
