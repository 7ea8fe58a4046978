// Package audit runs the analysis stages over repaired traces and builds the
// report model: critical path → calls and synchronous latency → what-if
// simulation → candidate detection and ranking.
//
// Input: the partitions of an *ingest.Source, fed to one driver
// (Analysis: Observe, Finish, ObservePlan, Report; Audit runs it over a
// Source), or traces in memory (Run, the one-partition case). Output: a
// *report.Report whose content does not depend on input order, the number
// of cores or the partitioning. The report model is built here, once, at
// the end: the analysis packages know nothing of it.
package audit

import (
	"cmp"
	"context"
	"slices"
	"sync"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/critpath"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/internal/parallel"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/review"
	"github.com/syncaudit/syncaudit/sampling"
	"github.com/syncaudit/syncaudit/stats"
	"github.com/syncaudit/syncaudit/trace"
)

// Options control the analysis.
type Options struct {
	// Workers bounds parallelism; 0 means GOMAXPROCS.
	Workers int
	// JaegerCompat is recorded in the report summary.
	JaegerCompat bool
	// CriticalPath is the critical-path walk (critpath.Mode); a mode other
	// than critpath.Default is recorded in the report summary. The CLI sets
	// it with JaegerCompat: --jaeger-compat[=crisp] is CRISP,
	// --jaeger-compat=ui is JaegerUI.
	CriticalPath critpath.Mode
	// Detect controls candidate detection (enqueue cost, minimum
	// confidence, top N, policy).
	Detect detect.Options
	// Thresholds are the design-review checklist's limits.
	Thresholds review.Thresholds
	// Slowdowns are the slow dependencies whose blast radius the report
	// shows (report.Report.Slowdowns; analyze --slowdown). None: no
	// re-simulation, and no Slowdowns in the report.
	Slowdowns []Slowdown
	// MeasureEnqueueCost measures Detect.EnqueueCost from the input's
	// publishes (EnqueueMeter) before detection, in Audit and Run, when
	// there are enough of them; otherwise Detect.EnqueueCost is kept.
	MeasureEnqueueCost bool
	// EnqueueCostSource is the report summary's enqueueCostSource: where
	// Detect.EnqueueCost came from (EnqueueCostFlag, EnqueueCostDefault;
	// set by the measurement when it succeeds). Empty: not reported.
	EnqueueCostSource string
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{Detect: detect.DefaultOptions(), Thresholds: review.DefaultThresholds()}
}

// Request is one analysed request: a root span of a trace and what it waited for.
type Request struct {
	Trace    *trace.Trace
	Root     int32
	Endpoint calls.Endpoint
	// Forward is the index plus one of the downstream server span a
	// catch-all root forwarded the request to (calls.RequestEndpoint);
	// 0 when the endpoint is the root's own name.
	Forward int32
	Latency int64
	Failed  bool
	Metrics calls.Metrics
	Path    *critpath.Path
	Calls   []calls.Call
	// Sampling is the trace's sampling weight, from the root span
	// (package sampling).
	Sampling sampling.Weight
}

// Analyze computes the critical path, calls and per-request metrics of every
// root of every trace, in parallel, returning requests in trace order.
func Analyze(ctx context.Context, traces []*trace.Trace, workers int) ([]Request, error) {
	return analyze(ctx, traces, workers, true, critpath.Default)
}

// analyze is Analyze; without full, it only finds the calls (Path is nil
// and Metrics zero), which is all the partitioned second pass needs of
// most requests.
func analyze(ctx context.Context, traces []*trace.Trace, workers int, full bool, mode critpath.Mode) ([]Request, error) {
	per := make([][]Request, len(traces))
	var names sync.Pool // *calls.Names, one per worker at a time
	err := parallel.Ranges(ctx, len(traces), workers, 1, func(lo, hi int) error {
		nm, _ := names.Get().(*calls.Names)
		if nm == nil {
			nm = &calls.Names{}
		}
		for i := lo; i < hi; i++ {
			per[i] = analyzeTrace(traces[i], full, mode, nm)
		}
		names.Put(nm)
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []Request
	for _, rs := range per {
		out = append(out, rs...)
	}
	return out, nil
}

// bigTrace is the trace size from which analyzeTrace computes the critical
// path and the calls concurrently.
const bigTrace = 1 << 16

func analyzeTrace(t *trace.Trace, full bool, mode critpath.Mode, names *calls.Names) []Request {
	if len(t.Spans) == 0 {
		return nil
	}
	var path *critpath.Path
	var cs []calls.Call
	switch {
	case full && len(t.Spans) >= bigTrace:
		// One huge trace may be all the work there is: its critical path
		// and its calls are independent, compute them concurrently.
		done := make(chan struct{})
		go func() {
			defer close(done)
			path = critpath.ComputeMode(t, mode)
		}()
		cs = calls.FindWith(t, names)
		<-done
	case full:
		path = critpath.ComputeMode(t, mode)
		cs = calls.FindWith(t, names)
	default:
		cs = calls.FindWith(t, names)
	}
	out := make([]Request, 0, len(t.Roots))
	for _, r := range t.Roots {
		s := &t.Spans[r]
		ep, forward := calls.RequestEndpoint(t, r, names)
		req := Request{
			Trace:    t,
			Root:     r,
			Endpoint: ep,
			Forward:  forward + 1,
			Latency:  s.Duration(),
			Failed:   s.IsError(),
			Path:     path,
			Calls:    cs,
		}
		if full {
			req.Metrics = calls.Measure(t, r, cs, path.Self, path.OnPath)
		}
		req.Sampling = requestSampling(&req)
		out = append(out, req)
	}
	return out
}

// reportParts are the parts of the report that do not depend on
// candidate detection, so they can be computed while it runs.
type reportParts struct {
	endpoints []report.Endpoint
	groups    []review.CallStats
	flows     []report.AsyncFlow
	timings   map[calls.Key]callTiming
}

// newReport builds the parts of the report Run and RunPartitioned compute
// alike: summary counts and options, endpoints, candidates, asynchronous
// flows and the checklist, from the number of requests, the detection
// result and the parts computed without it. The input summary, plan and
// waterfalls are left to the caller.
func newReport(requests int, found *detect.Result, parts reportParts, opt Options) *report.Report {
	rep := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Summary: report.Summary{Requests: requests, JaegerCompat: opt.JaegerCompat,
			CriticalPathMode:  criticalPathMode(opt.CriticalPath),
			EnqueueCostMs:     ms(opt.Detect.EnqueueCost.Nanoseconds()),
			EnqueueCostSource: opt.EnqueueCostSource},
		Endpoints:  parts.endpoints,
		Candidates: candidates(found.Findings),
		Async:      parts.flows,
	}
	sites := map[calls.Key]report.CallSite{}
	for _, g := range parts.groups {
		if g.Site.Callee.Service != "" {
			sites[g.Key] = g.Site
		}
	}
	attachCallSites(rep.Candidates, sites)
	rep.Checklist = review.Checklist(parts.groups, rep.Endpoints, rep.Candidates, rep.Async, opt.Thresholds)
	rep.Events = events(rep.Candidates, parts.timings)
	rep.Diagrams = diagrams(rep.Endpoints, parts.groups, rep.Async)
	markPlan(rep.Diagrams, rep.Candidates)
	return rep
}

// criticalPathMode is the summary's criticalPathMode: empty for the
// default walk.
func criticalPathMode(m critpath.Mode) string {
	if m == critpath.Default {
		return ""
	}
	return m.String()
}

func ms(ns int64) float64 { return float64(ns) / 1e6 }

func percentiles(d stats.Dist) report.Percentiles {
	return report.Percentiles{P50: ms(d.P50), P95: ms(d.P95), P99: ms(d.P99), Max: ms(d.Max)}
}

// Endpoints aggregates requests per entry point, sorted by number of
// requests (descending), then service and operation.
func Endpoints(reqs []Request) []report.Endpoint {
	type agg struct {
		ep        calls.Endpoint
		latency   []int64
		syncLat   []int64
		syncCalls []int64
		depth     int
		errors    int
		share     map[calls.Endpoint]int64
		total     int64
	}
	byEP := map[calls.Endpoint]*agg{}
	for i := range reqs {
		r := &reqs[i]
		a := byEP[r.Endpoint]
		if a == nil {
			a = &agg{ep: r.Endpoint, share: map[calls.Endpoint]int64{}}
			byEP[r.Endpoint] = a
		}
		a.latency = append(a.latency, r.Latency)
		a.syncLat = append(a.syncLat, r.Metrics.SyncLatency)
		a.syncCalls = append(a.syncCalls, int64(r.Metrics.SyncCalls))
		a.depth = max(a.depth, r.Metrics.Depth)
		a.total += r.Latency
		if r.Failed {
			a.errors++
		}
		for _, s := range r.Metrics.Breakdown {
			a.share[s.Endpoint] += s.Nanos
		}
	}
	out := make([]report.Endpoint, 0, len(byEP))
	for _, a := range byEP {
		var e report.Endpoint
		e.Service, e.Operation = a.ep.Service, a.ep.Operation
		e.Traces = len(a.latency)
		e.Errors = a.errors
		e.LatencyMs = percentiles(stats.Of(a.latency))
		e.SyncLatencyMs = percentiles(stats.Of(a.syncLat))
		sc := stats.Of(a.syncCalls)
		e.SyncCalls.P50, e.SyncCalls.Max = int(sc.P50), int(sc.Max)
		e.SyncDepth.Max = a.depth
		e.CriticalPath = make([]report.PathShare, 0, len(a.share))
		for ep, ns := range a.share {
			ps := report.PathShare{Service: ep.Service, Operation: ep.Operation, MeanMs: ms(ns) / float64(e.Traces)}
			if a.total > 0 {
				ps.Share = float64(ns) / float64(a.total)
			}
			e.CriticalPath = append(e.CriticalPath, ps)
		}
		slices.SortFunc(e.CriticalPath, func(x, y report.PathShare) int {
			return cmp.Or(cmp.Compare(y.MeanMs, x.MeanMs), cmp.Compare(x.Service, y.Service), cmp.Compare(x.Operation, y.Operation))
		})
		out = append(out, e)
	}
	slices.SortFunc(out, func(x, y report.Endpoint) int {
		return cmp.Or(cmp.Compare(y.Traces, x.Traces), cmp.Compare(x.Service, y.Service), cmp.Compare(x.Operation, y.Operation))
	})
	return out
}
