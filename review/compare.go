package review

import (
	"cmp"
	"slices"

	"github.com/syncaudit/syncaudit/report"
)

// Compare measures what changed between two analysed trace sets (before
// and after a change): latency per endpoint and critical-path time per
// callee, and, where the BEFORE set's combined plan projected the
// endpoint's latency, how far the measured AFTER latency is from it.
func Compare(before, after *report.Report) *report.Comparison {
	c := &report.Comparison{
		SchemaVersion:  report.SchemaVersion,
		BeforeRequests: before.Summary.Requests,
		AfterRequests:  after.Summary.Requests,
		Endpoints:      EndpointChanges(before.Endpoints, after.Endpoints),
		Calls:          []report.CallChange{},
	}
	for i := range c.Endpoints {
		e := &c.Endpoints[i]
		for _, p := range before.Plan {
			if p.Endpoint != e.Endpoint || e.AfterTraces == 0 {
				continue
			}
			proj := p.AfterMs
			e.ProjectedMs = &proj
			e.ProjectionErrorPct = &report.LatencyAfter{
				P50: changePct(proj.P50, e.AfterMs.P50),
				P95: changePct(proj.P95, e.AfterMs.P95),
				P99: changePct(proj.P99, e.AfterMs.P99),
			}
		}
	}
	type key struct{ ep, callee report.Ref }
	calls := map[key]*report.CallChange{}
	get := func(ep report.Ref, p report.PathShare) *report.CallChange {
		k := key{ep, report.Ref{Service: p.Service, Operation: p.Operation}}
		cc := calls[k]
		if cc == nil {
			cc = &report.CallChange{Endpoint: k.ep, Callee: k.callee}
			calls[k] = cc
		}
		return cc
	}
	for _, e := range before.Endpoints {
		ep := report.Ref{Service: e.Service, Operation: e.Operation}
		for _, p := range e.CriticalPath {
			cc := get(ep, p)
			cc.BeforeMeanMs, cc.BeforeShare = p.MeanMs, p.Share
		}
	}
	for _, e := range after.Endpoints {
		ep := report.Ref{Service: e.Service, Operation: e.Operation}
		for _, p := range e.CriticalPath {
			cc := get(ep, p)
			cc.AfterMeanMs, cc.AfterShare = p.MeanMs, p.Share
		}
	}
	for _, cc := range calls {
		c.Calls = append(c.Calls, *cc)
	}
	slices.SortFunc(c.Calls, func(x, y report.CallChange) int {
		return cmp.Or(cmp.Compare(x.Endpoint.Service, y.Endpoint.Service), cmp.Compare(x.Endpoint.Operation, y.Endpoint.Operation),
			cmp.Compare(y.BeforeMeanMs-y.AfterMeanMs, x.BeforeMeanMs-x.AfterMeanMs),
			cmp.Compare(x.Callee.Service, y.Callee.Service), cmp.Compare(x.Callee.Operation, y.Callee.Operation))
	})
	return c
}
