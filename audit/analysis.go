package audit

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/critpath"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/trace"
)

// Analysis is the audit's one driver: it is fed the input partition by
// partition (ingest.Source.Partitions), in two passes, and builds the
// report once at the end.
//
//	a, _ := audit.New(opt)
//	for p, err := range src.Partitions(ctx, nil) { a.Observe(ctx, p) } // pass 1
//	a.Finish(ctx)
//	if a.NeedsPass2() {
//		for p, err := range src.Partitions(ctx, a.Needs) { a.ObservePlan(ctx, p) } // pass 2
//	}
//	rep := a.Report(src.Result().Summary)
//
// Pass 1 analyses each partition's requests (critical path, calls,
// metrics), keeps a small record of each (endpoint, latency, metrics),
// aggregates the checklist's call durations and the asynchronous flows'
// lags, and runs detection's first pass (detect.State: per-request
// savings and evidence). Finish finishes detection (confidence, ranking,
// the recommended set) and chooses each endpoint's p95 request. Pass 2
// simulates the combined plan with the recommended set and draws the p95
// requests' waterfalls. Partitions are random samples of the traces, so
// after the first one detection guesses the recommended set
// (detect.State.Speculate) and simulates the plan of the later partitions
// during pass 1: when the guess was right, pass 2 reads only the first
// partition and those holding a waterfall's request (Needs). An input
// that fits in memory is one partition: its requests are kept whole
// through pass 1, and pass 2 is not needed.
//
// The report does not depend on input order, the number of cores or the
// partitioning.
type Analysis struct {
	opt Options
	det *detect.State

	// Pass 1.
	reqs   []Request // small records: no trace, path or calls
	keys   []wfKey   // same order as reqs
	parts  []int     // partition of each request, same order as reqs
	groups *groupAcc
	flows  flowAcc
	seen   int // partitions observed
	first  int // the first partition observed (detection speculated after it)
	// single holds the requests of a one-partition input, whole.
	single []Request

	// Set by Finish.
	finished bool
	rep      *report.Report
	targets  map[wfKey]int // p95 request → index into rep.Endpoints
	falls    []*report.Waterfall
	rank     map[calls.Key]int
	// avoided counts, per endpoint, the failed requests the plan avoids.
	avoided map[report.Ref]int
	// need are the partitions pass 2 reads (nil: all).
	need map[int]bool
	// slow re-simulates the slowdowns (nil without Options.Slowdowns):
	// in Finish for an input in one partition, in pass 2 otherwise,
	// which then reads every partition.
	slow *slowAcc
}

// New returns an Analysis, or an error when opt is invalid.
func New(opt Options) (*Analysis, error) {
	dopt := opt.Detect
	dopt.Workers = opt.Workers
	det, err := detect.NewState(dopt)
	if err != nil {
		return nil, fmt.Errorf("detecting candidates: %w", err)
	}
	return &Analysis{opt: opt, det: det, groups: newGroupAcc()}, nil
}

var errOrder = errors.New("audit: Observe after Finish")

// Observe analyses one partition of the input (pass 1). Every trace must
// be in exactly one partition; a partition with Count 1 is the whole
// input, whose requests are kept for Finish.
func (a *Analysis) Observe(ctx context.Context, p *ingest.Partition) error {
	if a.finished {
		return errOrder
	}
	whole := p.Count == 1
	if whole && a.seen > 0 {
		return errors.New("audit: a partition of one after others")
	}
	rs, err := analyze(ctx, p.Traces, a.opt.Workers, true, a.opt.CriticalPath)
	if err != nil {
		return err
	}
	if whole {
		a.det.Retain()
		a.single = rs
	}
	// The checklist's call groups and the asynchronous flows (one core)
	// while detection observes the partition.
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.groups.add(rs)
		a.flows.add(rs)
	}()
	err = a.det.Observe(ctx, detectRequests(rs))
	<-done
	if err != nil {
		return fmt.Errorf("detecting candidates: %w", err)
	}
	for i := range rs {
		r := &rs[i]
		a.reqs = append(a.reqs, Request{Root: r.Root, Endpoint: r.Endpoint, Latency: r.Latency, Failed: r.Failed, Metrics: r.Metrics, Sampling: r.Sampling})
		a.keys = append(a.keys, wfKey{r.Trace.ID, r.Root})
		a.parts = append(a.parts, p.Index)
	}
	a.seen++
	if !whole && a.seen == 1 {
		a.first = p.Index
		// Partitions are random samples of the traces: guess the
		// recommendations from the first, and simulate the combined plan
		// of the others while they are in memory.
		if err := a.det.Speculate(ctx); err != nil {
			return fmt.Errorf("detecting candidates: %w", err)
		}
	}
	return nil
}

// Finish ends pass 1: it finishes detection and builds the report but
// for the plan and the waterfalls of a partitioned input (pass 2).
func (a *Analysis) Finish(ctx context.Context) error {
	if a.finished {
		return errors.New("audit: Finish called twice")
	}
	a.finished = true
	// The endpoints meanwhile (one core).
	var eps []report.Endpoint
	done := make(chan struct{})
	go func() {
		defer close(done)
		eps = Endpoints(a.reqs)
	}()
	found, err := a.det.Finish(ctx)
	<-done
	if err != nil {
		return fmt.Errorf("detecting candidates: %w", err)
	}
	a.rep = newReport(len(a.reqs), found, reportParts{eps, a.groups.groups(), a.flows.flows(), a.groups.timings()}, a.opt)
	applySampling(a.rep, a.reqs, a.keys, found)
	a.avoided = a.groups.avoidable(a.rep.Candidates)
	markCaveats(a.rep.Candidates, a.groups.caveats(a.rep.Candidates))
	a.groups = nil
	if len(a.opt.Slowdowns) > 0 {
		dopt := a.opt.Detect
		dopt.Workers = a.opt.Workers
		a.slow = newSlowAcc(a.opt.Slowdowns, dopt, found.Findings)
	}
	if a.single != nil || len(a.reqs) == 0 {
		if err := a.det.PlanRetained(ctx); err != nil {
			return fmt.Errorf("detecting candidates: %w", err)
		}
		if a.slow != nil {
			if err := a.slow.add(ctx, a.single); err != nil {
				return err
			}
		}
		a.rep.Waterfalls = Waterfalls(a.single, a.rep.Endpoints, a.rep.Candidates)
		a.single, a.reqs, a.keys, a.parts = nil, nil, nil, nil
		return nil
	}
	a.targets = map[wfKey]int{}
	if a.det.Speculated() && a.slow == nil {
		a.need = map[int]bool{a.first: true}
	}
	for e, i := range p95Requests(a.reqs, a.keys, a.rep.Endpoints) {
		if i >= 0 {
			a.targets[a.keys[i]] = e
			if a.need != nil {
				a.need[a.parts[i]] = true
			}
		}
	}
	a.falls = make([]*report.Waterfall, len(a.rep.Endpoints))
	a.rank = candidateRanks(a.rep.Candidates)
	a.reqs, a.keys, a.parts = nil, nil, nil
	return nil
}

// NeedsPass2 reports, after Finish, whether pass 2 (ObservePlan) is
// needed: the input was partitioned.
func (a *Analysis) NeedsPass2() bool { return a.finished && a.targets != nil }

// Needs reports whether pass 2 must read partition index: every one,
// unless detection speculated right; then the first one observed and
// those holding a waterfall's request.
func (a *Analysis) Needs(index int) bool { return a.NeedsPass2() && (a.need == nil || a.need[index]) }

// ObservePlan analyses a partition again (pass 2, after Finish, for the
// partitions Needs names): it simulates its requests' combined plan and
// draws the waterfalls of those picked.
func (a *Analysis) ObservePlan(ctx context.Context, p *ingest.Partition) error {
	if !a.NeedsPass2() {
		return errors.New("audit: ObservePlan before Finish, or for an input in one partition")
	}
	// Pass 2 needs the calls only (and the critical path of the requests
	// drawn): the metrics were kept from pass 1. A partition whose plan
	// was speculated is read for its waterfalls only.
	traces := p.Traces
	speculated := a.det.Speculated() && p.Index != a.first
	if speculated && a.slow == nil {
		traces = slices.DeleteFunc(slices.Clone(traces), func(t *trace.Trace) bool {
			for _, r := range t.Roots {
				if _, ok := a.targets[wfKey{t.ID, r}]; ok {
					return false
				}
			}
			return true
		})
	}
	rs, err := analyze(ctx, traces, a.opt.Workers, false, a.opt.CriticalPath)
	if err != nil {
		return err
	}
	if !speculated {
		if err := a.det.ObservePlan(ctx, detectRequests(rs)); err != nil {
			return fmt.Errorf("detecting candidates: %w", err)
		}
	}
	for i := range rs {
		r := &rs[i]
		if e, ok := a.targets[wfKey{r.Trace.ID, r.Root}]; ok && r.Endpoint == endpointOf(&a.rep.Endpoints[e]) {
			r.Path = critpath.ComputeMode(r.Trace, a.opt.CriticalPath)
			w := drawWaterfall(r, a.rank)
			a.falls[e] = &w
		}
	}
	if a.slow != nil {
		return a.slow.add(ctx, rs)
	}
	return nil
}

// Report returns the report, with the input's summary (after Finish, and
// pass 2 when NeedsPass2).
func (a *Analysis) Report(sum ingest.Summary) *report.Report {
	rep := a.rep
	rep.Summary.Input = input(sum)
	rep.Plan = plan(a.det.Plan())
	resilience(rep.Plan, rep.Endpoints, a.avoided)
	if a.slow != nil {
		rep.Slowdowns = a.slow.report()
	}
	for _, w := range a.falls {
		if w != nil {
			rep.Waterfalls = append(rep.Waterfalls, *w)
		}
	}
	a.falls = nil
	return rep
}

// Audit runs the Analysis over src: pass 1 over every partition, pass 2
// over those it needs; with opt.MeasureEnqueueCost, a first pass measures
// the enqueue cost. The input's Summary and Errors are src.Result().
func Audit(ctx context.Context, src *ingest.Source, opt Options) (*report.Report, error) {
	// The enqueue cost is measured over the whole input before detection
	// (every partition holds the same cost, whatever the file order).
	if err := measureSource(ctx, src, &opt); err != nil {
		return nil, err
	}
	a, err := New(opt)
	if err != nil {
		return nil, err
	}
	for p, err := range src.Partitions(ctx, nil) {
		if err != nil {
			return nil, err
		}
		if err := a.Observe(ctx, p); err != nil {
			return nil, err
		}
	}
	if err := a.Finish(ctx); err != nil {
		return nil, err
	}
	if a.NeedsPass2() {
		for p, err := range src.Partitions(ctx, a.Needs) {
			if err != nil {
				return nil, err
			}
			if err := a.ObservePlan(ctx, p); err != nil {
				return nil, err
			}
		}
	}
	return a.Report(src.Result().Summary), nil
}

// Run analyses traces held in memory (one partition) and returns the
// report.
func Run(ctx context.Context, res *ingest.Result, opt Options) (*report.Report, error) {
	_ = measureEnqueueCost(&opt, func(yield func([]*trace.Trace) error) error { return yield(res.Traces) })
	a, err := New(opt)
	if err != nil {
		return nil, err
	}
	if err := a.Observe(ctx, &ingest.Partition{Count: 1, Traces: res.Traces}); err != nil {
		return nil, err
	}
	if err := a.Finish(ctx); err != nil {
		return nil, err
	}
	return a.Report(res.Summary), nil
}

// detectRequests converts analysed requests for detection.
func detectRequests(reqs []Request) []detect.Request {
	out := make([]detect.Request, len(reqs))
	for i, r := range reqs {
		out[i] = detect.Request{Trace: r.Trace, Root: r.Root, Endpoint: r.Endpoint, Forward: r.Forward, Latency: r.Latency, Failed: r.Failed, Calls: r.Calls}
	}
	return out
}
