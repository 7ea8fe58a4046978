package ingest_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/syncaudit/syncaudit/bench"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// ordersFile writes 120 generated "order" traces as OTLP/JSON lines and
// returns the file's path.
func ordersFile(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	if _, err := bench.Generate(&buf, bench.Options{Shape: bench.ShapeOrder, Traces: 120, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "orders.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestLoadPasses: every pass sees the same partitions with equal traces,
// the summary counts them once, and the spill files are removed after the
// last pass (or an error); without spilling every pass gets the one
// partition.
func TestSourcePasses(t *testing.T) {
	path := ordersFile(t)
	ctx := context.Background()
	for _, limit := range []int64{0, 20_000} {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			spill := t.TempDir()
			opt := ingest.Options{Repair: repair.DefaultOptions(), MemoryLimit: limit, SpillDir: spill}
			want, err := ingest.Load(ctx, []string{path}, nil, opt)
			if err != nil {
				t.Fatal(err)
			}
			byID := map[trace.TraceID]*trace.Trace{}
			for _, tr := range want.Traces {
				byID[tr.ID] = tr
			}
			seen := make([]map[trace.TraceID]bool, 3)
			calls := make([]int, 3)
			count := 0
			res, err := loadPasses(ctx, []string{path}, nil, opt, 3, func(pass int, p *ingest.Partition) error {
				if seen[pass] == nil {
					seen[pass] = map[trace.TraceID]bool{}
				}
				if p.Index != calls[pass] {
					t.Errorf("pass %d: partition %d, want %d", pass, p.Index, calls[pass])
				}
				calls[pass]++
				count = p.Count
				for _, tr := range p.Traces {
					w := byID[tr.ID]
					if w == nil || seen[pass][tr.ID] || !reflect.DeepEqual(tr.Parent, w.Parent) || len(tr.Spans) != len(w.Spans) {
						t.Fatalf("pass %d: trace %s unknown, repeated or different", pass, tr.ID)
					}
					for k := range tr.Spans {
						if !reflect.DeepEqual(normal(tr.Spans[k]), normal(w.Spans[k])) {
							t.Fatalf("pass %d: trace %s span %d differs", pass, tr.ID, k)
						}
					}
					seen[pass][tr.ID] = true
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if limit > 0 && count < 2 || limit == 0 && count != 1 {
				t.Errorf("limit %d: %d partitions", limit, count)
			}
			for pass := range 3 {
				if calls[pass] != count || len(seen[pass]) != len(want.Traces) {
					t.Errorf("pass %d: %d calls of %d partitions, %d traces of %d", pass, calls[pass], count, len(seen[pass]), len(want.Traces))
				}
			}
			if !reflect.DeepEqual(res.Summary, want.Summary) || res.Traces != nil {
				t.Errorf("summary %+v\nwant %+v", res.Summary, want.Summary)
			}
			if left, _ := os.ReadDir(spill); len(left) != 0 {
				t.Errorf("spill directory keeps %d entries", len(left))
			}
			stop := errors.New("enough")
			if _, err := loadPasses(ctx, []string{path}, nil, opt, 2, func(pass int, _ *ingest.Partition) error {
				if pass == 1 {
					return stop
				}
				return nil
			}); !errors.Is(err, stop) {
				t.Errorf("error in pass 1: %v", err)
			}
			if left, _ := os.ReadDir(spill); len(left) != 0 {
				t.Errorf("spill directory keeps %d entries after an error", len(left))
			}
		})
	}
}

// TestLoadPassesSkip: Partitions' want leaves out partitions of later passes
// (never the first pass), and their files are still removed; OnSpill is
// called once, with the budget.
func TestSourcePassesSkip(t *testing.T) {
	path := ordersFile(t)
	spill := t.TempDir()
	var spilled []int64
	opt := ingest.Options{Repair: repair.DefaultOptions(), MemoryLimit: 20_000, SpillDir: spill,
		OnSpill: func(budget int64) { spilled = append(spilled, budget) }}
	var got [2][]int
	_, err := loadPassesSkip(context.Background(), []string{path}, nil, opt, 2, func(_, index int) bool { return index%2 == 1 }, func(pass int, p *ingest.Partition) error {
		got[pass] = append(got[pass], p.Index)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got[0]) < 3 {
		t.Fatalf("pass 0 read partitions %v: want several", got[0])
	}
	for i, idx := range got[0] {
		if idx != i {
			t.Fatalf("pass 0 read partitions %v: want all", got[0])
		}
	}
	for _, idx := range got[1] {
		if idx%2 == 1 {
			t.Errorf("pass 1 read skipped partition %d", idx)
		}
	}
	if len(got[1]) != (len(got[0])+1)/2 {
		t.Errorf("pass 1 read partitions %v of %d", got[1], len(got[0]))
	}
	if left, _ := os.ReadDir(spill); len(left) != 0 {
		t.Errorf("spill directory keeps %d entries", len(left))
	}
	if len(spilled) != 1 || spilled[0] != 20_000/3 {
		t.Errorf("OnSpill calls %v, want one with the budget %d", spilled, 20_000/3)
	}
}

// loadPasses reads paths once (Open) and calls fn with every partition,
// passes times over.
func loadPasses(ctx context.Context, paths []string, stdin io.Reader, opt ingest.Options, passes int, fn func(pass int, p *ingest.Partition) error) (*ingest.Result, error) {
	return loadPassesSkip(ctx, paths, stdin, opt, passes, nil, fn)
}

// loadPassesSkip is loadPasses leaving out, in passes after the first,
// the partitions skip names.
func loadPassesSkip(ctx context.Context, paths []string, stdin io.Reader, opt ingest.Options, passes int, skip func(pass, index int) bool, fn func(pass int, p *ingest.Partition) error) (*ingest.Result, error) {
	src, err := ingest.Open(ctx, paths, stdin, opt)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	for pass := range passes {
		var want func(int) bool
		if skip != nil {
			want = func(i int) bool { return !skip(pass, i) }
		}
		for p, err := range src.Partitions(ctx, want) {
			if err != nil {
				return nil, err
			}
			if err := fn(pass, p); err != nil {
				return nil, err
			}
		}
	}
	return src.Result(), nil
}

// TestOneHugeTraceDoesNotSpill: the budget that partitions many traces
// does not partition one trace of the same size (a partition holds it
// whole anyway), nor one huge trace beside a few small ones; it still
// partitions when the small ones alone pass the budget.
func TestOneHugeTraceDoesNotSpill(t *testing.T) {
	write := func(o bench.Options) string {
		var buf bytes.Buffer
		if _, err := bench.Generate(&buf, o); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "in.jsonl")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	wide := write(bench.Options{Shape: bench.ShapeWide, Spans: 3003, Seed: 5})
	orders := ordersFile(t) // 120 traces, 3,120 spans
	for _, tc := range []struct {
		name  string
		paths []string
		spill bool
	}{
		{"one wide trace", []string{wide}, false},
		{"wide trace and orders", []string{wide, orders}, true},
		{"orders", []string{orders}, true},
	} {
		spilled := 0
		opt := ingest.Options{Repair: repair.DefaultOptions(), MemoryLimit: 3 * 600_000, SpillDir: t.TempDir(),
			OnSpill: func(int64) { spilled++ }}
		res, err := ingest.Load(context.Background(), tc.paths, nil, opt)
		if err != nil {
			t.Fatal(err)
		}
		if (spilled > 0) != tc.spill {
			t.Errorf("%s: spilled %v, want %v", tc.name, spilled > 0, tc.spill)
		}
		if len(res.Errors) > 0 || res.Summary.SpansRead == 0 {
			t.Errorf("%s: %d spans read, errors %v", tc.name, res.Summary.SpansRead, res.Errors)
		}
	}
}

// TestOnLarge: OnLarge is called once, when the spans held in memory pass
// LargeBytes, and not for an input under it.
func TestOnLarge(t *testing.T) {
	path := ordersFile(t) // 3,120 spans, ~1.2 MB estimated
	for _, tc := range []struct {
		large int64
		want  int
	}{{100_000, 1}, {100 << 20, 0}} {
		calls := 0
		opt := ingest.Options{Repair: repair.DefaultOptions(), MemoryLimit: 1 << 30, LargeBytes: tc.large,
			OnLarge: func() { calls++ }}
		if _, err := ingest.Load(context.Background(), []string{path}, nil, opt); err != nil {
			t.Fatal(err)
		}
		if calls != tc.want {
			t.Errorf("LargeBytes %d: OnLarge called %d times, want %d", tc.large, calls, tc.want)
		}
	}
}
