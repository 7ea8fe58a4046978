package audit

import (
	"bytes"
	"cmp"
	"slices"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/stats"
	"github.com/syncaudit/syncaudit/trace"
)

// maxWaterfallSpans bounds the spans drawn per waterfall: the HTML page
// must stay usable for huge traces.
const maxWaterfallSpans = 400

// Waterfalls picks, for each endpoint, its p95 request (nearest rank; ties
// broken by trace ID) and lays it out with the critical path and the
// candidate calls marked.
func Waterfalls(reqs []Request, endpoints []report.Endpoint, cands []report.Candidate) []report.Waterfall {
	keys := make([]wfKey, len(reqs))
	for i := range reqs {
		keys[i] = wfKey{reqs[i].Trace.ID, reqs[i].Root}
	}
	rank := candidateRanks(cands)
	var out []report.Waterfall
	for _, i := range p95Requests(reqs, keys, endpoints) {
		if i >= 0 {
			out = append(out, drawWaterfall(&reqs[i], rank))
		}
	}
	return out
}

// wfKey identifies a request across passes: its trace ID and root index
// (repair is deterministic, so a reloaded trace has the same spans in the
// same order).
type wfKey struct {
	id   trace.TraceID
	root int32
}

// p95Requests picks each endpoint's p95 request (nearest rank; ties
// broken by trace ID and root): for each endpoint of eps
// (Endpoints(reqs)), the index in reqs of its p95 request, or -1 when it
// has none. keys[i] identifies reqs[i].
func p95Requests(reqs []Request, keys []wfKey, eps []report.Endpoint) []int {
	byEP := map[calls.Endpoint][]int{}
	for i := range reqs {
		byEP[reqs[i].Endpoint] = append(byEP[reqs[i].Endpoint], i)
	}
	out := make([]int, len(eps))
	var lat []int64
	for e := range eps {
		out[e] = -1
		is := byEP[endpointOf(&eps[e])]
		if len(is) == 0 {
			continue
		}
		slices.SortFunc(is, func(a, b int) int {
			return cmp.Or(cmp.Compare(reqs[a].Latency, reqs[b].Latency),
				bytes.Compare(keys[a].id[:], keys[b].id[:]), cmp.Compare(keys[a].root, keys[b].root))
		})
		lat = lat[:0]
		for _, i := range is {
			lat = append(lat, reqs[i].Latency)
		}
		idx, _ := slices.BinarySearch(lat, stats.Percentile(lat, 95))
		out[e] = is[idx]
	}
	return out
}

func endpointOf(e *report.Endpoint) calls.Endpoint {
	return calls.Endpoint{Service: e.Service, Operation: e.Operation}
}

// candidateRanks maps each candidate call to its best rank.
func candidateRanks(cands []report.Candidate) map[calls.Key]int {
	rank := map[calls.Key]int{}
	for _, c := range cands {
		k := calls.Key{Endpoint: calls.Endpoint(c.Endpoint), Caller: calls.Endpoint(c.Caller), Callee: calls.Endpoint(c.Callee)}
		if rank[k] == 0 {
			rank[k] = c.Rank
		}
	}
	return rank
}

// drawWaterfall lays out request r with its critical path and candidate
// calls marked.
func drawWaterfall(r *Request, rank map[calls.Key]int) report.Waterfall {
	ep := r.Endpoint
	t := r.Trace
	root := &t.Spans[r.Root]
	w := report.Waterfall{Endpoint: ref(ep), TraceID: t.ID.String(), Percentile: "p95", DurationMs: ms(r.Latency)}
	// The first maxWaterfallSpans spans in preorder, with their depths:
	// a huge trace is not walked past them.
	row := map[int32]int{}
	depth := map[int32]int{r.Root: 0}
	for _, i := range t.PreorderN(r.Root, nil, maxWaterfallSpans) {
		if p := t.Parent[i]; p >= 0 && i != r.Root {
			depth[i] = depth[p] + 1
		}
		s := &t.Spans[i]
		row[i] = len(w.Spans)
		w.Spans = append(w.Spans, report.WaterfallSpan{
			Depth: depth[i], Service: s.Service, Operation: calls.UsefulName(s), Kind: s.Kind.String(),
			StartMs: ms(s.Start - root.Start), DurationMs: ms(s.Duration()),
			CriticalMs: ms(r.Path.Self[i]), OnCriticalPath: r.Path.OnPath[i],
			Async: s.Async(), Error: s.IsError(),
		})
	}
	// The candidate rank of each drawn call (the last call naming a span
	// wins, as calls are in span order).
	for _, c := range r.Calls {
		ri, okSpan := row[c.Span]
		rs, okServer := row[c.Server]
		if !okSpan && !(okServer && c.Server >= 0) {
			continue
		}
		k := rank[calls.Key{Endpoint: ep, Caller: c.Caller, Callee: c.Callee}]
		if k <= 0 {
			continue
		}
		if okSpan {
			w.Spans[ri].Candidate = k
		}
		if okServer && c.Server >= 0 {
			w.Spans[rs].Candidate = k
		}
	}
	return w
}
