// Package detect ranks the synchronous calls of a set of requests that
// could be made asynchronous or run concurrently, with projected savings.
//
// Input: requests (one per root of a repaired, linked *trace.Trace, with
// the calls calls.Find returned) and Options. Output: ranked Findings
// (durations as time.Duration, endpoints as calls.Endpoint, actions as
// detector names) and the combined plan per endpoint (PlanEndpoint). The
// package knows nothing of reports: the audit package turns a Result into
// the report model.
//
//	res, err := detect.Run(ctx, reqs, detect.DefaultOptions())
//	for _, f := range res.Findings {
//		fmt.Println(f.Rank, f.Action, f.Callee, time.Duration(f.Savings.Mean()), f.Confidence, f.Fix)
//		// 1 make-async email POST /send 500ms 0.60 publish an event to a queue instead of calling email POST /send
//	}
//
// # Detectors
//
// A Detector is a value with a Name, a Doc and a constructor of its
// DetectorState, as a golang.org/x/tools/go/analysis Analyzer is a value.
// A state observes requests through a Pass (computed once per batch: the
// requests in canonical order, each trace's what-if model and sibling
// index, each request's calls, their classification (Classifier) and
// read/write access (AccessOf)), reports the sites of each Group it
// finds, merges with the state of other requests, encodes itself, and
// turns itself into findings. Standard returns the two built-in ones:
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
// endpoint's p50/p95/p99 before and after. PlanChanges gives each
// request's combined Change itself, with its trace's what-if model, so
// that the plan can be re-simulated under further hypotheses (a slow
// dependency: whatif.Model.SimulateStretched, analyze --slowdown).
//
// Results do not depend on the order of the requests.
//
// # One driver: batches, partitions, processes
//
// State is the one driver. Observe adds a batch of requests (pass 1): the
// detectors' evidence, and every site's saving, re-simulated while the
// trace is at hand; the State keeps a small Record per request and one
// saving per site, never a trace. Merge adds the State of other requests
// (another partition, another process: MarshalBinary and UnmarshalBinary
// give a versioned, canonical encoding). Finish scores, ranks and selects;
// ObservePlan re-simulates each request with its endpoint's recommended
// changes (pass 2); Plan returns the combined plan. Speculate, after a
// first batch, guesses the recommendations so that later batches simulate
// the plan in pass 1; ObservePlan is then needed only for the first batch
// when the guess was right (Speculated). Run is the in-memory case: one
// batch, whose plan reuses what pass 1 kept. Evidence that depends on
// order (the first occurrence of a write, a read, a class) is kept by the
// request's canonical Record, so the result does not depend on how the
// requests were batched, merged or ordered.
//
// # Parallelism
//
// Observe cuts its batch into sub-batches of whole traces, observed on
// Options.Workers goroutines and merged in canonical order. A lone
// sub-batch (one huge trace) uses the goroutines itself. Results do not
// depend on the number of workers. Observe, Finish and ObservePlan take a
// context: cancelling it stops them between sub-batches.
package detect
