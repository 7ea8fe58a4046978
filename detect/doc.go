// Package detect ranks the synchronous calls of a set of requests that
// could be made asynchronous or run concurrently, with projected savings.
//
// Input: requests (one per root of a repaired, linked *trace.Trace, with
// the calls calls.Find returned) and Options. Output: ranked Findings,
// convertible to report.Candidate, and the combined plan per endpoint
// (report.PlanEndpoint).
//
//	res, err := detect.Run(reqs, detect.DefaultOptions())
//	for _, f := range res.Findings {
//		fmt.Println(f.Rank, f.Action, f.Callee, f.Savings.Mean, f.Confidence, f.Fix)
//		// 1 make-async email POST /send 500 0.65 publish an event to a queue instead of calling email POST /send
//	}
//	rep.Candidates, rep.Plan = res.Candidates(), res.Plan
//
// # Detectors
//
// A Detector is a value with a Name, a Doc and a Run function, as in
// golang.org/x/tools/go/analysis. Detectors share one Pass, computed once:
// the requests in canonical order, each trace's what-if model and sibling
// index, each request's calls, their classification (Classifier) and
// read/write access (AccessOf). Standard returns the two built-in ones:
//
//   - MakeAsync: synchronous calls that could be published to a queue
//     instead, grouped per (endpoint, caller, callee);
//   - Parallelize: sequential calls that do not write, under one caller
//     span, that could start together, grouped per (endpoint, caller, set
//     of callees).
//
// Their Doc strings document how confidence is scored.
//
// # Savings, ranking and the plan
//
// A finding's savings come from re-simulating every request it applies to
// (whatif.Model.Simulate) with the change applied: all occurrences of the
// call in that request detached (each costing Options.EnqueueCost), or all
// sequential groups started together. Saving = baseline − simulated, per
// request; Savings gives its mean, nearest-rank p50/p95/p99 and total (ms);
// Share is the mean saving over the endpoint's mean latency; LatencyAfter
// is the endpoint's latency percentiles with the change applied to every
// request (requests without the call unchanged). Findings that save
// nothing in total are dropped.
//
// Findings are ranked by expected time saved across all traces weighted by
// confidence (total saving × confidence), ties broken by endpoint, caller,
// callee and action, and numbered from 1; Options.Top keeps the best ones.
// A finding is recommended when its confidence is at least
// Options.MinConfidence and it does not make a critical call asynchronous
// (critical calls are never recommended for that, whatever their savings).
// The plan applies every recommended finding of an endpoint together to
// each request, in one simulation (savings are not additive), and gives the
// endpoint's p50/p95/p99 before and after.
//
// Results do not depend on the order of the requests.
//
// # Batches
//
// Run holds every request's trace. For inputs larger than memory, an
// Accumulator gives the same result over batches of requests (one
// partition of traces at a time) in two passes: Observe keeps, per
// finding, each request's saving and the evidence confidence is computed
// from (mergeable counts, and the first occurrence in canonical order
// where the order matters); Finish scores, ranks and selects; ObservePlan
// re-simulates each request with its endpoint's recommended changes; Plan
// returns the combined plan. Speculate, after a first batch, guesses the
// recommendations so that later batches simulate the plan in pass 1;
// ObservePlan is then needed only for the first batch when the guess was
// right (Speculated).
//
// # Parallelism
//
// Observe cuts its batch into sub-batches of whole traces, observed on
// Options.Workers goroutines and merged in canonical order; RunParallel
// is Run computed that way over requests held in memory (its Findings'
// Sites carry request indices only). A lone sub-batch (one huge trace)
// uses the goroutines itself. Results do not depend on the number of
// workers.
package detect
