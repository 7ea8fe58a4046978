package detect

import (
	"context"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/internal/parallel"
	"github.com/syncaudit/syncaudit/trace"
	"github.com/syncaudit/syncaudit/whatif"
)

// PlannedRequest is one request with its endpoint's combined plan, ready
// to be re-simulated under further hypotheses (a slow dependency, see
// whatif.Model.SimulateStretched).
type PlannedRequest struct {
	// Request is the request as given to PlanChanges.
	Request Request
	// Model is the what-if model of the request's trace, shared by the
	// requests of one trace; nil when the trace cannot be analysed (not
	// linked, root out of range).
	Model *whatif.Model
	// Calls are the request's calls in span order, async ones included.
	Calls []calls.Call
	// Baseline is the request's modelled latency with no change (ns).
	Baseline int64
	// Change is every recommended change of the request's endpoint that
	// applies to it, together: what the combined plan (Result.Plan)
	// simulates for it. Empty when none applies.
	Change whatif.Change
}

// PlanChanges returns, for each of reqs (in the same order), the request
// with its combined plan's Change: the same changes, found the same way,
// as the plan pass (State.ObservePlan) simulates — every recommended
// finding of findings (a Result's, ranked) whose endpoint is the
// request's, its sites in the request merged into one Change. opt must be
// the options detection ran with (its detectors, policy and workers).
// Model.Simulate(Root, Change, EnqueueCost) is then the request's latency
// under the plan. Requests are cut into sub-batches of whole traces,
// planned on opt.Workers goroutines; cancelling ctx stops between them.
func PlanChanges(ctx context.Context, reqs []Request, findings []Finding, opt Options) ([]PlannedRequest, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	var rec []Finding
	for _, f := range findings {
		if f.Recommended {
			rec = append(rec, f)
		}
	}
	// Where each request goes in the result: requests are identified by
	// trace and root (a request given twice gets both places).
	type key struct {
		t    *trace.Trace
		root int32
	}
	at := make(map[key][]int, len(reqs))
	for i, r := range reqs {
		k := key{r.Trace, r.Root}
		at[k] = append(at[k], i)
	}
	out := make([]PlannedRequest, len(reqs))
	for i, r := range reqs {
		out[i].Request = r
	}
	subs := splitByTrace(reqs, opt.Workers)
	planned := make([][]PlannedRequest, len(subs))
	err := parallel.Ranges(ctx, len(subs), opt.Workers, 1, func(lo, hi int) error {
		for i := lo; i < hi; i++ {
			planned[i] = planChanges(subs[i], rec, opt)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, ps := range planned {
		for _, pr := range ps {
			k := key{pr.Request.Trace, pr.Request.Root}
			for _, i := range at[k] {
				out[i] = pr
			}
		}
	}
	return out, nil
}

// planChanges is PlanChanges over one sub-batch of whole traces, in its
// canonical order: the plan pass's sites (observePlan) merged per
// request as planSavings merges them.
func planChanges(batch []Request, rec []Finding, opt Options) []PlannedRequest {
	p := newPass(batch, opt)
	p.SitesOnly = true
	out := make([]PlannedRequest, len(p.Requests))
	for r := range p.Requests {
		out[r] = PlannedRequest{Request: p.Requests[r], Model: p.Model(r), Calls: p.Calls(r), Baseline: p.Baseline(r)}
	}
	if len(rec) == 0 {
		return out
	}
	sites := map[Group][]Site{}
	for _, d := range opt.detectors() {
		for _, g := range d.New().Observe(p) {
			sites[g.Group] = g.Sites
		}
	}
	// The sites of every recommended finding, per endpoint, in rank order.
	byEP := map[calls.Endpoint][]Site{}
	for i := range rec {
		f := &rec[i]
		byEP[f.Endpoint] = append(byEP[f.Endpoint], sites[groupOf(f)]...)
	}
	for _, ss := range byEP {
		for _, st := range mergeSites(ss) {
			out[st.Request].Change = st.Change
		}
	}
	return out
}
