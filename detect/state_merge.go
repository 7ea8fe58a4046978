package detect

import (
	"cmp"
	"slices"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/sketch"
)

// EndpointLatency is one endpoint's request latencies as a sketch State
// keeps them (SavingsSketch): the histogram of every request observed or
// merged.
type EndpointLatency struct {
	Endpoint calls.Endpoint
	// Latency is the histogram of the requests' latencies (ns); it must
	// not be modified.
	Latency *sketch.Histogram
}

// EndpointLatencies returns the latency histogram of every endpoint of a
// sketch state (nil for an exact one), sorted by endpoint. It is what a
// merged state knows of the endpoints: counts, totals, extremes and
// percentiles within the histograms' relative error.
func (s *State) EndpointLatencies() []EndpointLatency {
	if s.sk == nil {
		return nil
	}
	out := make([]EndpointLatency, 0, len(s.sk.endpoints))
	for e, h := range s.sk.endpoints {
		out = append(out, EndpointLatency{Endpoint: e, Latency: h})
	}
	slices.SortFunc(out, func(a, b EndpointLatency) int { return a.Endpoint.Compare(b.Endpoint) })
	return out
}

// PlanFromFindings sets the combined plan of a finished sketch state that
// cannot see its requests again (a state merged from encoded states:
// ObservePlan needs the traces), for the endpoints ObservePlan gave no
// plan:
//
//   - an endpoint whose requests were all simulated under its recommended
//     findings while they were at hand (speculation: SpeculateFrom,
//     SpeculateRetained, as the Collector's connector does, with the same
//     recommendations as the merged state's): the plan is that
//     simulation, exact up to the histograms' relative error, as with
//     ObservePlan;
//   - otherwise, an endpoint with one recommended finding: the plan is
//     that change alone, so its latency after is the finding's (exact up
//     to the histograms' relative error);
//   - otherwise (several findings, some requests not simulated under
//     them together): the simulation of them together needs the traces
//     (savings are not additive); the latency after is that of its
//     best-ranked recommended change alone, an estimate that ignores what
//     the other changes add.
//
// It returns the endpoints of the last kind (approximate). It does
// nothing for an exact state or before Finish.
func (s *State) PlanFromFindings() (approximate []calls.Endpoint) {
	if s.sk == nil || !s.finished {
		return nil
	}
	s.planFromSpeculation()
	n := map[calls.Endpoint]int{}
	best := map[calls.Endpoint]*Finding{}
	for i := range s.recOrder {
		f := &s.recOrder[i]
		n[f.Endpoint]++
		if b := best[f.Endpoint]; b == nil || f.Rank < b.Rank {
			best[f.Endpoint] = f
		}
	}
	for e, f := range best {
		if s.skPlan[e] != nil {
			continue
		}
		gs := s.sk.groups[groupOf(f)]
		if gs == nil {
			continue
		}
		c := gs.clone()
		s.skPlan[e] = &c
		if n[e] > 1 {
			approximate = append(approximate, e)
		}
	}
	slices.SortFunc(approximate, func(a, b calls.Endpoint) int { return cmp.Compare(a.String(), b.String()) })
	return approximate
}
