package audit

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/sampling"
)

// applySampling sets the report's sampling summary and, when some
// request's sampling probability is known, the endpoints' adjusted
// traces and the candidates' adjusted traces and total savings: each
// request weighs its adjusted count (unknown: 1). reqs and keys are the
// requests in the same order; found.Requests and the sites' savings give
// each candidate's requests (with sketched savings there are none, and
// candidates get no adjusted totals).
func applySampling(rep *report.Report, reqs []Request, keys []wfKey, found *detect.Result) {
	s := &report.Sampling{Sources: map[string]int{}}
	weight := map[wfKey]float64{}
	perEP := map[calls.Endpoint]float64{}
	for i := range reqs {
		w := reqs[i].Sampling
		a := 1.0
		if w.Known() {
			s.Known++
			s.Sources[w.Source]++
			a = w.Adjusted
			if a != 1 {
				weight[keys[i]] = a
			}
		} else {
			s.Unknown++
		}
		s.AdjustedRequests += a
		perEP[reqs[i].Endpoint] += a
	}
	s.Scaled = s.Known > 0
	s.Note = samplingNote(s)
	if len(s.Sources) == 0 {
		s.Sources = nil
	}
	rep.Summary.Sampling = s
	if !s.Scaled {
		return
	}
	for i := range rep.Endpoints {
		e := &rep.Endpoints[i]
		e.AdjustedTraces = perEP[calls.Endpoint{Service: e.Service, Operation: e.Operation}]
	}
	if found.Requests == nil {
		return
	}
	wOf := func(req int) float64 {
		r := &found.Requests[req]
		if a, ok := weight[wfKey{r.Trace, r.Root}]; ok {
			return a
		}
		return 1
	}
	for i := range found.Findings {
		f := &found.Findings[i]
		var adj report.Adjusted
		var total float64
		for _, st := range f.Sites {
			a := wOf(st.Request)
			adj.Traces += a
			total += a * float64(st.Saving)
		}
		adj.SavingsTotalMs = total / 1e6
		rep.Candidates[i].Adjusted = &adj
	}
}

// samplingNote says what the sampling summary means for the report's
// counts and totals.
func samplingNote(s *report.Sampling) string {
	n := s.Known + s.Unknown
	switch {
	case n == 0:
		return "no request"
	case s.Known == 0:
		return fmt.Sprintf("unknown for all %d requests (no tracestate th, no Jaeger sampler tags): counts and totals are per sampled trace only", n)
	}
	var src []string
	for _, k := range slices.Sorted(maps.Keys(s.Sources)) {
		src = append(src, fmt.Sprintf("%s %d", k, s.Sources[k]))
	}
	note := fmt.Sprintf("counts and totals scaled to the real traffic: %d sampled requests stand for %.0f (adjusted counts from %s)",
		n, s.AdjustedRequests, strings.Join(src, ", "))
	if s.Unknown > 0 {
		note += fmt.Sprintf("; sampling unknown for %d, counted once", s.Unknown)
	}
	return note
}

// requestSampling is r's sampling weight, read from its root span, which
// carries the tracestate and Jaeger's sampler tags.
func requestSampling(r *Request) sampling.Weight {
	if r.Trace == nil || r.Root < 0 || int(r.Root) >= len(r.Trace.Spans) {
		return sampling.Weight{}
	}
	return sampling.Of(r.Trace.Spans[r.Root].Attrs)
}
