package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/bench"
	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
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

// TestSpillSameResult: with a memory limit small enough to spill at once,
// Load gives the same traces, summary and errors as in memory, and
// LoadPartitions hands out disjoint partitions sorted by trace ID. The
// partition files are removed.
func TestSpillSameResult(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i, seed := range []uint64{11, 12} {
		var buf bytes.Buffer
		if _, err := bench.Generate(&buf, bench.Options{Shape: bench.ShapeOrder, Traces: 150, Seed: seed, MinBatch: 10, MaxBatch: 40}); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		if i == 1 {
			// A damaged line and a copy of the first file's data: duplicates across files.
			data = append(append(data, []byte("{\"resourceSpans\":[{\n")...), paths0(t, paths)...)
		}
		p := filepath.Join(dir, fmt.Sprintf("f%d.jsonl", i))
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	spill := t.TempDir()
	opt := ingest.Options{Repair: repair.DefaultOptions(), Workers: 2}
	want, err := ingest.Load(context.Background(), paths, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	opt.MemoryLimit, opt.SpillDir = 30_000, spill
	got, err := ingest.Load(context.Background(), paths, nil, opt)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Summary, want.Summary) || fmt.Sprint(got.Errors) != fmt.Sprint(want.Errors) {
		t.Errorf("summary %+v %v\nwant %+v %v", got.Summary, got.Errors, want.Summary, want.Errors)
	}
	if len(got.Traces) != len(want.Traces) {
		t.Fatalf("%d traces, want %d", len(got.Traces), len(want.Traces))
	}
	for i := range got.Traces {
		g, w := got.Traces[i], want.Traces[i]
		if g.ID != w.ID || !reflect.DeepEqual(g.Parent, w.Parent) || len(g.Spans) != len(w.Spans) {
			t.Fatalf("trace %d: %s differs from %s", i, g.ID, w.ID)
		}
		for k := range g.Spans {
			if !reflect.DeepEqual(normal(g.Spans[k]), normal(w.Spans[k])) {
				t.Fatalf("trace %s span %d:\n got %+v\nwant %+v", g.ID, k, g.Spans[k], w.Spans[k])
			}
		}
	}
	parts, seen := 0, map[trace.TraceID]bool{}
	res, err := ingest.LoadPartitions(context.Background(), paths, nil, opt, func(p *ingest.Partition) error {
		parts++
		if p.Index != parts-1 || p.Count < 16 {
			t.Errorf("partition %d of %d, call %d", p.Index, p.Count, parts)
		}
		for i, tr := range p.Traces {
			if seen[tr.ID] || i > 0 && bytes.Compare(p.Traces[i-1].ID[:], tr.ID[:]) >= 0 {
				t.Errorf("partition %d: trace %s repeated or out of order", p.Index, tr.ID)
			}
			seen[tr.ID] = true
		}
		return nil
	})
	if err != nil || res.Traces != nil || !reflect.DeepEqual(res.Summary, want.Summary) || len(seen) != len(want.Traces) {
		t.Errorf("LoadPartitions: %v, %d traces seen of %d", err, len(seen), len(want.Traces))
	}
	if left, _ := os.ReadDir(spill); len(left) != 0 {
		t.Errorf("spill directory keeps %d entries", len(left))
	}
	// An error from the callback stops loading and is returned.
	stop := errors.New("enough")
	if _, err := ingest.LoadPartitions(context.Background(), paths, nil, opt, func(*ingest.Partition) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("callback error: %v", err)
	}
	if left, _ := os.ReadDir(spill); len(left) != 0 {
		t.Errorf("spill directory keeps %d entries after an error", len(left))
	}
}

// paths0 returns the content of the first path.
func paths0(t *testing.T, paths []string) []byte {
	b, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// normal makes empty slices nil: the spill encoding does not keep the
// difference, which nothing depends on.
func normal(s trace.Span) trace.Span {
	if len(s.Attrs) == 0 {
		s.Attrs = nil
	}
	if len(s.Refs) == 0 {
		s.Refs = nil
	}
	return s
}

// TestLoadCancelAndSpillErrors: cancellation during decoding and an
// unusable spill directory end Load with an error, without hanging.
func TestLoadCancelAndSpillErrors(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for i := range 4 {
		var buf bytes.Buffer
		if _, err := bench.Generate(&buf, bench.Options{Shape: bench.ShapeOrder, Traces: 100, Seed: uint64(20 + i), MinBatch: 10, MaxBatch: 30}); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, fmt.Sprintf("f%d.jsonl", i))
		if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	ctx, cancel := context.WithCancel(context.Background())
	opt := ingest.Options{Repair: repair.DefaultOptions(), Workers: 2, Decode: decode.Options{ChunkBytes: 4 << 10},
		Progress: func(done, total, spans int) { cancel() }}
	if _, err := ingest.Load(ctx, paths, nil, opt); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled after the first input: %v", err)
	}
	opt = ingest.Options{Repair: repair.DefaultOptions(), MemoryLimit: 10_000, SpillDir: filepath.Join(dir, "missing", "dir")}
	if _, err := ingest.Load(context.Background(), paths, nil, opt); err == nil || !strings.Contains(err.Error(), "spilling") {
		t.Errorf("unusable spill directory: %v", err)
	}
}
