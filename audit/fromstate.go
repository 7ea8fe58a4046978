package audit

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/report"
)

// FromState builds the report of merged detection states (SavingsSketch:
// the states a Collector's syncaudit connector emits every interval, or
// MarshalBinary of any analysis with --savings=sketch), without the
// traces. It finishes st.
//
// What a state holds gives: the summary's request count; per endpoint its
// requests and latency percentiles (from the state's histograms, within
// their relative error); the ranked candidates with savings, confidence
// and reasons, as an analysis of the same requests with sketched savings
// gives them; the combined plan (see detect.State.PlanFromFindings: exact
// for an endpoint whose requests the states simulated under its
// recommended changes, as the connector's speculation does, or with one
// recommended change; otherwise an estimate from its best change, marked
// Estimated, whose endpoints are also returned). What needs
// the traces is left empty: the input summary (files, spans, warnings),
// per-endpoint errors, synchronous calls, depth, synchronous latency and
// critical-path breakdown, asynchronous flows, the design-review
// checklist and the waterfalls.
func FromState(ctx context.Context, st *detect.State, opt Options) (*report.Report, []calls.Endpoint, error) {
	if st.EndpointLatencies() == nil && st.Requests() > 0 {
		return nil, nil, errors.New("audit: FromState needs a sketch state (detect.SavingsSketch)")
	}
	found, err := st.Finish(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("detecting candidates: %w", err)
	}
	approx := st.PlanFromFindings()
	rep := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Summary: report.Summary{Requests: st.Requests(), JaegerCompat: opt.JaegerCompat,
			CriticalPathMode:  criticalPathMode(opt.CriticalPath),
			EnqueueCostMs:     ms(opt.Detect.EnqueueCost.Nanoseconds()),
			EnqueueCostSource: opt.EnqueueCostSource},
		Endpoints:  stateEndpoints(st.EndpointLatencies()),
		Candidates: candidates(found.Findings),
		Plan:       plan(st.Plan()),
		Checklist:  []report.CheckItem{},
		Async:      []report.AsyncFlow{},
	}
	for i := range rep.Plan {
		e := calls.Endpoint{Service: rep.Plan[i].Endpoint.Service, Operation: rep.Plan[i].Endpoint.Operation}
		rep.Plan[i].Estimated = slices.Contains(approx, e)
	}
	return rep, approx, nil
}

// stateEndpoints converts the state's endpoint histograms, sorted as
// Endpoints sorts them (requests descending, then service and operation).
func stateEndpoints(eps []detect.EndpointLatency) []report.Endpoint {
	out := make([]report.Endpoint, 0, len(eps))
	for _, el := range eps {
		h := el.Latency
		var e report.Endpoint
		e.Service, e.Operation = el.Endpoint.Service, el.Endpoint.Operation
		e.Traces = int(h.Count())
		if h.Count() > 0 {
			e.LatencyMs = report.Percentiles{P50: ms(h.Quantile(50)), P95: ms(h.Quantile(95)), P99: ms(h.Quantile(99)), Max: ms(h.Max())}
		}
		e.CriticalPath = []report.PathShare{}
		out = append(out, e)
	}
	slices.SortFunc(out, func(x, y report.Endpoint) int {
		return cmp.Or(cmp.Compare(y.Traces, x.Traces), cmp.Compare(x.Service, y.Service), cmp.Compare(x.Operation, y.Operation))
	})
	return out
}
