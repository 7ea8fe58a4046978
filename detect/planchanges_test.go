package detect

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/stats"
	"github.com/syncaudit/syncaudit/whatif"
)

// TestPlanChangesSeed: the worked example's plan detaches email and
// analytics; under it the request takes payment's 100ms, and a slower
// payment still counts while a slower email no longer does.
func TestPlanChangesSeed(t *testing.T) {
	reqs := requests(build(t, 1, seedSequential))
	res, err := Run(context.Background(), reqs, free)
	if err != nil {
		t.Fatal(err)
	}
	got, err := PlanChanges(context.Background(), reqs, res.Findings, free)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Model == nil || got[0].Request.Root != reqs[0].Root {
		t.Fatalf("PlanChanges = %+v", got)
	}
	pr := got[0]
	if len(pr.Change.Detach) != 2 || len(pr.Change.Parallel) != 0 {
		t.Fatalf("plan change = %+v, want email and analytics detached", pr.Change)
	}
	if pr.Baseline != 650e6 {
		t.Errorf("baseline = %d, want 650ms", pr.Baseline)
	}
	server := func(svc string) int32 {
		for _, c := range pr.Calls {
			if c.Callee.Service == svc {
				return c.Server
			}
		}
		t.Fatalf("no call to %s", svc)
		return -1
	}
	const slow = 500e6
	for _, tc := range []struct {
		name     string
		st       []whatif.Stretch
		plan     bool
		wantMsec int64
	}{
		{"plan", nil, true, 100},
		{"payment slow", []whatif.Stretch{{Span: server("payment"), Extra: slow}}, false, 1150},
		{"payment slow with plan", []whatif.Stretch{{Span: server("payment"), Extra: slow}}, true, 600},
		{"email slow", []whatif.Stretch{{Span: server("email"), Extra: slow}}, false, 1150},
		{"email slow with plan", []whatif.Stretch{{Span: server("email"), Extra: slow}}, true, 100},
	} {
		ch := whatif.Change{}
		if tc.plan {
			ch = pr.Change
		}
		if d := pr.Model.SimulateStretched(pr.Request.Root, ch, tc.st, int64(free.EnqueueCost)); d != tc.wantMsec*1e6 {
			t.Errorf("%s: %d ms, want %d ms", tc.name, d/1e6, tc.wantMsec)
		}
	}
}

// TestPlanChangesMatchPlan: on the bundled shop's traces, re-simulating
// every request with its PlanChanges change gives each endpoint the
// plan's latencies after (Result.Plan), with one worker or several, and
// the requests come back in the order given.
func TestPlanChangesMatchPlan(t *testing.T) {
	in, err := ingest.Load(context.Background(), []string{filepath.Join("..", "fixtures", "sync", "otlp.jsonl.gz")}, nil,
		ingest.Options{Repair: repair.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	reqs := requests(in.Traces...)
	slices.Reverse(reqs) // not canonical order
	opt := DefaultOptions()
	res, err := Run(context.Background(), reqs, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Plan) == 0 {
		t.Fatal("the shop's traces have no plan")
	}
	for _, workers := range []int{1, 3} {
		opt.Workers = workers
		got, err := PlanChanges(context.Background(), reqs, res.Findings, opt)
		if err != nil {
			t.Fatal(err)
		}
		after := map[calls.Endpoint][]int64{}
		changed := 0
		for i, pr := range got {
			if pr.Request.Trace != reqs[i].Trace || pr.Request.Root != reqs[i].Root {
				t.Fatalf("workers %d: request %d out of order", workers, i)
			}
			if len(pr.Change.Detach)+len(pr.Change.Parallel) > 0 {
				changed++
			}
			d := pr.Model.Simulate(pr.Request.Root, pr.Change, int64(opt.EnqueueCost))
			after[pr.Request.Endpoint] = append(after[pr.Request.Endpoint], pr.Request.Latency-(pr.Baseline-d))
		}
		if changed == 0 {
			t.Fatalf("workers %d: no request has a plan change", workers)
		}
		for _, pe := range res.Plan {
			if l := latencyOf(stats.Of(after[pe.Endpoint])); !reflect.DeepEqual(l, pe.After) {
				t.Errorf("workers %d: %s: re-simulated %+v, plan says %+v", workers, pe.Endpoint, l, pe.After)
			}
		}
	}
}

func TestPlanChangesInvalidOptions(t *testing.T) {
	if _, err := PlanChanges(context.Background(), nil, nil, Options{Top: -1}); err == nil {
		t.Error("PlanChanges with a negative top: no error")
	}
}
