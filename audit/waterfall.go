package audit

import (
	"cmp"
	"slices"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/stats"
)

// maxWaterfallSpans bounds the spans drawn per waterfall: the HTML page
// must stay usable for huge traces.
const maxWaterfallSpans = 400

// Waterfalls picks, for each endpoint, its p95 request (nearest rank; ties
// broken by trace ID) and lays it out with the critical path and the
// candidate calls marked.
func Waterfalls(reqs []Request, endpoints []report.Endpoint, cands []report.Candidate) []report.Waterfall {
	byEP := map[calls.Endpoint][]*Request{}
	for i := range reqs {
		r := &reqs[i]
		byEP[r.Endpoint] = append(byEP[r.Endpoint], r)
	}
	rank := candidateRanks(cands)
	var out []report.Waterfall
	for _, e := range endpoints {
		ep := calls.Endpoint{Service: e.Service, Operation: e.Operation}
		rs := byEP[ep]
		if len(rs) == 0 {
			continue
		}
		slices.SortFunc(rs, func(a, b *Request) int {
			return cmp.Or(cmp.Compare(a.Latency, b.Latency), slices.Compare(a.Trace.ID[:], b.Trace.ID[:]), cmp.Compare(a.Root, b.Root))
		})
		lat := make([]int64, len(rs))
		for i, r := range rs {
			lat[i] = r.Latency
		}
		p95 := stats.Percentile(lat, 95)
		idx, _ := slices.BinarySearch(lat, p95)
		out = append(out, drawWaterfall(rs[idx], rank))
	}
	return out
}

// rankKey identifies a candidate call: endpoint, caller and callee.
type rankKey struct{ ep, caller, callee calls.Endpoint }

// candidateRanks maps each candidate call to its best rank.
func candidateRanks(cands []report.Candidate) map[rankKey]int {
	rank := map[rankKey]int{}
	for _, c := range cands {
		k := rankKey{calls.Endpoint(c.Endpoint), calls.Endpoint(c.Caller), calls.Endpoint(c.Callee)}
		if rank[k] == 0 {
			rank[k] = c.Rank
		}
	}
	return rank
}

// drawWaterfall lays out request r with its critical path and candidate
// calls marked.
func drawWaterfall(r *Request, rank map[rankKey]int) report.Waterfall {
	ep := r.Endpoint
	t := r.Trace
	callRank := map[int32]int{}
	for _, c := range r.Calls {
		if k := rank[rankKey{ep, c.Caller, c.Callee}]; k > 0 {
			callRank[c.Span] = k
			if c.Server >= 0 {
				callRank[c.Server] = k
			}
		}
	}
	root := &t.Spans[r.Root]
	w := report.Waterfall{Endpoint: ref(ep), TraceID: t.ID.String(), Percentile: "p95", DurationMs: ms(r.Latency)}
	depth := map[int32]int{r.Root: 0}
	for _, i := range t.Preorder(r.Root, nil) {
		if len(w.Spans) == maxWaterfallSpans {
			break
		}
		if p := t.Parent[i]; p >= 0 && i != r.Root {
			depth[i] = depth[p] + 1
		}
		s := &t.Spans[i]
		w.Spans = append(w.Spans, report.WaterfallSpan{
			Depth: depth[i], Service: s.Service, Operation: calls.UsefulName(s), Kind: s.Kind.String(),
			StartMs: ms(s.Start - root.Start), DurationMs: ms(s.Duration()),
			CriticalMs: ms(r.Path.Self[i]), OnCriticalPath: r.Path.OnPath[i],
			Async: s.Async(), Error: s.IsError(), Candidate: callRank[i],
		})
	}
	return w
}
