package audit

import (
	"slices"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/report"
)

// candidates converts detection's ranked findings into the report's model.
func candidates(fs []detect.Finding) []report.Candidate {
	out := make([]report.Candidate, 0, len(fs))
	for i := range fs {
		f := &fs[i]
		out = append(out, report.Candidate{
			Rank:        f.Rank,
			Action:      report.Action(f.Action),
			Endpoint:    ref(f.Endpoint),
			Caller:      ref(f.Caller),
			Callee:      ref(f.Callee),
			Calls:       f.Calls,
			Traces:      f.Traces,
			Confidence:  f.Confidence,
			Recommended: f.Recommended,
			Callees:     refs(f.Callees),
			Reasons:     slices.Clone(f.Reasons),
			SavingsMs: report.Savings{
				Mean:  f.Savings.Mean() / 1e6,
				P50:   ms(int64(f.Savings.P50)),
				P95:   ms(int64(f.Savings.P95)),
				P99:   ms(int64(f.Savings.P99)),
				Total: ms(int64(f.Savings.Total)),
			},
			Share:          f.Share,
			LatencyAfterMs: latencyMs(f.LatencyAfter),
			Fix:            f.Fix,
		})
	}
	return out
}

// plan converts detection's combined plan into the report's model.
func plan(ps []detect.PlanEndpoint) []report.PlanEndpoint {
	out := make([]report.PlanEndpoint, 0, len(ps))
	for _, p := range ps {
		out = append(out, report.PlanEndpoint{
			Endpoint: ref(p.Endpoint),
			Changes:  p.Changes,
			BeforeMs: latencyMs(p.Before),
			AfterMs:  latencyMs(p.After),
		})
	}
	return out
}

func latencyMs(l detect.Latency) report.LatencyAfter {
	return report.LatencyAfter{P50: ms(int64(l.P50)), P95: ms(int64(l.P95)), P99: ms(int64(l.P99))}
}

func refs(es []calls.Endpoint) []report.Ref {
	if len(es) == 0 {
		return nil
	}
	out := make([]report.Ref, len(es))
	for i, e := range es {
		out[i] = ref(e)
	}
	return out
}
