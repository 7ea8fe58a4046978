package detect

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// accumulate runs a State over the batches, both passes. With speculate,
// it calls Speculate after the first batch and, when the guess was right,
// runs pass 2 over the first batch only.
func accumulate(t *testing.T, opt Options, batches [][]Request, speculate bool) *Result {
	t.Helper()
	ctx := context.Background()
	acc, err := NewState(opt)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range batches {
		if err := acc.Observe(ctx, b); err != nil {
			t.Fatal(err)
		}
		if speculate && i == 0 {
			if err := acc.Speculate(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	res, err := acc.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.Observe(ctx, batches[0]); err == nil {
		t.Error("Observe after Finish: no error")
	}
	if acc.Speculated() != (speculate && acc.Speculated()) {
		t.Error("Speculated without Speculate")
	}
	planPass(t, acc, res, batches, acc.Speculated())
	return res
}

// planPass runs pass 2 over the batches in reverse order (the plan must
// not depend on it), skipping all but the first when speculated.
func planPass(t *testing.T, acc *State, res *Result, batches [][]Request, speculated bool) {
	t.Helper()
	for i := len(batches) - 1; i >= 0; i-- {
		if i > 0 && speculated {
			continue // known from pass 1
		}
		if err := acc.ObservePlan(context.Background(), batches[i]); err != nil {
			t.Fatal(err)
		}
	}
	res.Plan = acc.Plan()
}

// separately observes each batch into a State of its own, as separate
// processes would, encodes and decodes each, and merges the decoded
// states in reverse order into one; then both passes as accumulate.
func separately(t *testing.T, opt Options, batches [][]Request) *Result {
	t.Helper()
	ctx := context.Background()
	var encoded [][]byte
	for _, b := range batches {
		st, err := NewState(opt)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Observe(ctx, b); err != nil {
			t.Fatal(err)
		}
		data, err := st.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		encoded = append(encoded, data)
	}
	merged, err := NewState(opt)
	if err != nil {
		t.Fatal(err)
	}
	for i := len(encoded) - 1; i >= 0; i-- {
		st, _ := NewState(opt)
		if err := st.UnmarshalBinary(encoded[i]); err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
		if err := merged.Merge(st); err != nil {
			t.Fatal(err)
		}
	}
	res, err := merged.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	planPass(t, merged, res, batches, false)
	return res
}

// batchings splits the traces' requests into batches, each trace in one
// batch: one batch per trace in reverse ID order, odd and even traces, and
// everything at once.
func batchings(traces []*trace.Trace) map[string][][]Request {
	out := map[string][][]Request{}
	var each, halves [][]Request
	halves = make([][]Request, 2)
	for i := len(traces) - 1; i >= 0; i-- {
		rs := requests(traces[i])
		each = append(each, rs)
		halves[i%2] = append(halves[i%2], rs...)
	}
	out["trace by trace, reversed"] = each
	out["odd and even"] = halves
	out["one batch"] = [][]Request{requests(traces...)}
	return out
}

// TestStateMatchesRun: detection over batches, in any order, with any
// number of workers, with or without speculation, and over states
// observed separately, encoded, decoded and merged, gives Run's findings
// (with their sites' request indices) and plan.
func TestStateMatchesRun(t *testing.T) {
	type input struct {
		name   string
		traces []*trace.Trace
	}
	var inputs []input
	for _, fix := range []string{"sync"} {
		res, err := ingest.Load(context.Background(), []string{filepath.Join("..", "fixtures", fix, "otlp.jsonl.gz")}, nil,
			ingest.Options{Repair: repair.DefaultOptions()})
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, input{fix, res.Traces})
	}
	var seed []*trace.Trace
	for i, d := range []string{seedSequential, seedParallel, seedSequential} {
		seed = append(seed, build(t, uint64(i+1), d))
	}
	inputs = append(inputs, input{"seed", seed})
	// One trace: one sub-batch, observed with every worker inside it.
	inputs = append(inputs, input{"one trace", seed[:1]})
	// The same call written with different methods: the reasons name the
	// first in canonical order, whatever the batch order.
	var methods []*trace.Trace
	for i, m := range []string{"PUT", "POST", "PATCH", "PUT"} {
		methods = append(methods, build(t, uint64(i+1), `order: POST /order 0 700
  -> payment: POST /charge 0 100
  -> email: send 100 600 http.request.method=`+m+`
  -> analytics: POST /track 600 650`))
	}
	inputs = append(inputs, input{"methods", methods})
	all := DefaultOptions()
	all.MinConfidence = 0
	top := DefaultOptions()
	top.Top = 3
	for _, in := range inputs {
		for oname, opt := range map[string]Options{"default": DefaultOptions(), "all recommended": all, "top 3": top} {
			want, err := Run(context.Background(), requests(in.traces...), opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(want.Findings) == 0 {
				t.Fatalf("%s: no findings: the comparison would prove nothing", in.name)
			}
			for _, workers := range []int{1, 3} {
				t.Run(fmt.Sprintf("%s/%s/Run/workers=%d", in.name, oname, workers), func(t *testing.T) {
					opt := opt
					opt.Workers = workers
					got, err := Run(context.Background(), requests(in.traces...), opt)
					if err != nil {
						t.Fatal(err)
					}
					sameResult(t, got, want)
				})
			}
			for bname, batches := range batchings(in.traces) {
				for _, v := range []struct {
					workers   int
					speculate bool
				}{{1, false}, {3, false}, {1, true}, {3, true}} {
					opt := opt
					opt.Workers = v.workers // 3: sub-batches observed concurrently
					t.Run(fmt.Sprintf("%s/%s/%s/workers=%d/speculate=%v", in.name, oname, bname, v.workers, v.speculate), func(t *testing.T) {
						sameResult(t, accumulate(t, opt, batches, v.speculate), want)
					})
				}
				t.Run(fmt.Sprintf("%s/%s/%s/encoded and merged", in.name, oname, bname), func(t *testing.T) {
					sameResult(t, separately(t, opt, batches), want)
				})
			}
		}
	}
}

// sameResult compares two results: findings (sites by request index) and plan.
func sameResult(t *testing.T, got, want *Result) {
	t.Helper()
	if !reflect.DeepEqual(got.Findings, want.Findings) {
		t.Errorf("findings\n%+v\nwant\n%+v", got.Findings, want.Findings)
	}
	if !reflect.DeepEqual(got.Plan, want.Plan) {
		t.Errorf("plan\n%+v\nwant\n%+v", got.Plan, want.Plan)
	}
}

func TestStateErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := NewState(Options{MinConfidence: 2}); err == nil {
		t.Error("invalid options: no error")
	}
	acc, err := NewState(DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := acc.ObservePlan(ctx, nil); err == nil {
		t.Error("ObservePlan before Finish: no error")
	}
	if acc.Plan() != nil || acc.NeedsPlan() {
		t.Error("plan before Finish")
	}
	res, err := acc.Finish(ctx)
	if err != nil || len(res.Findings) != 0 {
		t.Fatalf("empty: %v, %d findings", err, len(res.Findings))
	}
	if _, err := acc.Finish(ctx); err == nil {
		t.Error("Finish twice: no error")
	}
	if _, err := acc.MarshalBinary(); err == nil {
		t.Error("MarshalBinary after Finish: no error")
	}
	other, _ := NewState(DefaultOptions())
	if err := other.Merge(acc); err == nil {
		t.Error("Merge of a finished state: no error")
	}
	cheap := DefaultOptions()
	cheap.EnqueueCost = 0
	c, _ := NewState(cheap)
	if err := other.Merge(c); err == nil {
		t.Error("Merge of states with other enqueue costs: no error")
	}
}

// TestSplitByTrace: sub-batches cover every request once and never split a
// trace, even when its requests are interleaved with another trace's.
func TestSplitByTrace(t *testing.T) {
	var traces []*trace.Trace
	for i := range 10 {
		traces = append(traces, &trace.Trace{ID: trace.TraceID{byte(i)}})
	}
	var reqs []Request
	for round := range 3 {
		for i, tr := range traces {
			if round == 0 || i%2 == 0 {
				reqs = append(reqs, Request{Trace: tr, Root: int32(round)})
			}
		}
	}
	for _, workers := range []int{1, 2, 3, 100} {
		subs := splitByTrace(reqs, workers)
		where := map[*trace.Trace]int{}
		n := 0
		for b, sub := range subs {
			for _, r := range sub {
				n++
				if w, ok := where[r.Trace]; ok && w != b {
					t.Errorf("workers=%d: trace %x in batches %d and %d", workers, r.Trace.ID[0], w, b)
				}
				where[r.Trace] = b
			}
		}
		if n != len(reqs) {
			t.Errorf("workers=%d: %d requests in batches, want %d", workers, n, len(reqs))
		}
		if workers > 1 && len(subs) < 2 {
			t.Errorf("workers=%d: %d batch(es), want several", workers, len(subs))
		}
	}
}

// TestSpeculate: a right guess makes pass 2 over the first batch enough; a
// wrong one is detected, and both give Run's result.
func TestSpeculate(t *testing.T) {
	var traces []*trace.Trace
	for i := range 6 {
		d := `order: POST /order 0 700
  -> payment: POST /charge 0 100
  -> email: POST /send 100 600`
		if i > 0 {
			d += `
  -> analytics: POST /track 600 650`
		}
		traces = append(traces, build(t, uint64(i+1), d))
	}
	opt := DefaultOptions()
	want, err := Run(context.Background(), requests(traces...), opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		batches [][]Request
		right   bool
	}{
		// The first batch has every kind of trace: the guess is right.
		{"right", [][]Request{requests(traces[0], traces[1], traces[2]), requests(traces[3:]...)}, true},
		// The first batch has no analytics call: the guess misses it.
		{"wrong", [][]Request{requests(traces[0]), requests(traces[1:]...)}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			acc, err := NewState(opt)
			if err != nil {
				t.Fatal(err)
			}
			for i, b := range tc.batches {
				if err := acc.Observe(ctx, b); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					if err := acc.Speculate(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			got := accumulate(t, opt, tc.batches, true)
			if _, err := acc.Finish(ctx); err != nil {
				t.Fatal(err)
			}
			if acc.Speculated() != tc.right {
				t.Fatalf("Speculated = %v, want %v", acc.Speculated(), tc.right)
			}
			sameResult(t, got, want)
			if len(want.Plan) == 0 {
				t.Fatal("no plan: the test would prove nothing")
			}
		})
	}
}
