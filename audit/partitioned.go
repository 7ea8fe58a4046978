package audit

import (
	"context"
	"fmt"
	"io"
	"slices"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/critpath"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/trace"
)

// RunPartitioned loads paths (and stdin for "-") with ingest.LoadPasses
// and analyses them as Run does, partition by partition when the loader
// spills (lopt.MemoryLimit), so that peak memory is the largest partition
// plus a small record per request (its endpoint, latency and metrics) and
// per candidate site (one saving), whatever the input size. The report is
// the same as Run's over ingest.Load's result.
//
// Pass 1 analyses each partition's requests, keeps their small results,
// aggregates the checklist's call durations and the asynchronous flows'
// lags, and runs candidate detection's first pass (detect.Accumulator:
// per-request savings and evidence). Detection is then finished
// (confidence, ranking, the recommended set) and each endpoint's p95
// request chosen. Pass 2 reads the partitions again to simulate the
// combined plan with the recommended set and to draw the p95 requests'
// waterfalls. Partitions are random samples of the traces, so after the
// first one detection guesses the recommended set (Accumulator.Speculate)
// and simulates the plan of the later partitions during pass 1: when the
// guess was right, pass 2 reads only the first partition and those
// holding a waterfall's request (lopt.Skip is set). When everything fits
// in one partition, the traces are kept and analysed in memory by Run.
//
// The returned ingest.Result has the Summary and Errors of the input and
// no Traces.
func RunPartitioned(ctx context.Context, paths []string, stdin io.Reader, lopt ingest.Options, opt Options) (*report.Report, *ingest.Result, error) {
	dopt := opt.Detect
	dopt.Workers = opt.Workers
	acc, err := detect.NewState(dopt)
	if err != nil {
		return nil, nil, fmt.Errorf("detecting candidates: %w", err)
	}
	var (
		single  []*trace.Trace // the one partition, when nothing spilled
		reqs    []Request      // small results only (no trace, path or calls)
		keys    []wfKey        // same order as reqs
		groups  = newGroupAcc()
		flows   flowAcc
		found   *detect.Result
		rep     *report.Report
		targets map[wfKey]int // p95 request → index into rep.Endpoints
		falls   []*report.Waterfall
		rank    map[calls.Key]int
		parts   []int // partition of each request, same order as reqs
		// need are the partitions pass 2 reads (nil: all): when
		// detection speculated right, the first partition (observed
		// before speculating) and those holding a waterfall's request.
		need      map[int]bool
		finishErr error
	)
	finish := func() error {
		// The report's other parts meanwhile (see Run).
		var rp reportParts
		done := make(chan struct{})
		go func() {
			defer close(done)
			rp = reportParts{Endpoints(reqs), groups.groups(), flows.flows()}
		}()
		var err error
		found, err = acc.Finish(ctx)
		<-done
		if err != nil {
			return fmt.Errorf("detecting candidates: %w", err)
		}
		rep = newReport(len(reqs), found, rp, opt)
		targets = map[wfKey]int{}
		if acc.Speculated() {
			need = map[int]bool{0: true}
		}
		for e, i := range p95Requests(reqs, keys, rep.Endpoints) {
			if i >= 0 {
				targets[keys[i]] = e
				if need != nil {
					need[parts[i]] = true
				}
			}
		}
		falls = make([]*report.Waterfall, len(rep.Endpoints))
		rank = candidateRanks(rep.Candidates)
		reqs, keys, groups, parts = nil, nil, nil, nil
		return nil
	}
	// Pass 2 starts once pass 1 has seen every partition: finish
	// detection before the loader asks which partitions to read again.
	lopt.Skip = func(pass, index int) bool {
		if found == nil && finishErr == nil {
			finishErr = finish()
		}
		return finishErr == nil && need != nil && !need[index]
	}
	res, err := ingest.LoadPasses(ctx, paths, stdin, lopt, 2, func(pass int, p *ingest.Partition) error {
		if p.Count == 1 {
			single = p.Traces // Run analyses it after loading
			return nil
		}
		if finishErr != nil {
			return finishErr
		}
		// Pass 2 needs the calls only (and the critical path of the
		// requests drawn): the metrics were kept from pass 1. A partition
		// whose plan was speculated is read for its waterfalls only.
		traces := p.Traces
		if pass == 1 && p.Index != 0 && acc.Speculated() {
			traces = slices.DeleteFunc(slices.Clone(traces), func(t *trace.Trace) bool {
				for _, r := range t.Roots {
					if _, ok := targets[wfKey{t.ID, r}]; ok {
						return false
					}
				}
				return true
			})
		}
		rs, err := analyze(ctx, traces, opt.Workers, pass == 0)
		if err != nil {
			return err
		}
		dreqs := detectRequests(rs)
		if pass == 0 {
			// The checklist's call groups and the asynchronous flows
			// (one core) while detection observes the partition.
			done := make(chan struct{})
			go func() {
				defer close(done)
				groups.add(rs)
				flows.add(rs)
			}()
			err := acc.Observe(ctx, dreqs)
			<-done
			if err != nil {
				return fmt.Errorf("detecting candidates: %w", err)
			}
			for i := range rs {
				r := &rs[i]
				reqs = append(reqs, Request{Root: r.Root, Endpoint: r.Endpoint, Latency: r.Latency, Failed: r.Failed, Metrics: r.Metrics})
				keys = append(keys, wfKey{r.Trace.ID, r.Root})
				parts = append(parts, p.Index)
			}
			if p.Index == 0 {
				// Partitions are random samples of the traces: guess the
				// recommendations from the first, and simulate the
				// combined plan of the others while they are in memory.
				if err := acc.Speculate(ctx); err != nil {
					return fmt.Errorf("detecting candidates: %w", err)
				}
			}
			return nil
		}
		if found == nil {
			if err := finish(); err != nil {
				return err
			}
		}
		if p.Index == 0 || !acc.Speculated() {
			if err := acc.ObservePlan(ctx, dreqs); err != nil {
				return fmt.Errorf("detecting candidates: %w", err)
			}
		}
		for i := range rs {
			r := &rs[i]
			if e, ok := targets[wfKey{r.Trace.ID, r.Root}]; ok && r.Endpoint == endpointOf(&rep.Endpoints[e]) {
				r.Path = critpath.Compute(r.Trace)
				w := drawWaterfall(r, rank)
				falls[e] = &w
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	if rep == nil {
		// Nothing spilled: the whole input is one partition.
		res.Traces = single
		rep, err := Run(ctx, res, opt)
		res.Traces = nil
		return rep, res, err
	}
	rep.Summary.Summary = res.Summary
	rep.Plan = plan(acc.Plan())
	for _, w := range falls {
		if w != nil {
			rep.Waterfalls = append(rep.Waterfalls, *w)
		}
	}
	return rep, res, nil
}

// detectRequests converts analysed requests for detection.
func detectRequests(reqs []Request) []detect.Request {
	out := make([]detect.Request, len(reqs))
	for i, r := range reqs {
		out[i] = detect.Request{Trace: r.Trace, Root: r.Root, Endpoint: r.Endpoint, Latency: r.Latency, Failed: r.Failed, Calls: r.Calls}
	}
	return out
}
