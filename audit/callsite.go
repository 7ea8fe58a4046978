package audit

import (
	"strconv"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/trace"
)

// callSite returns where c is made in the caller's code: the code.*
// attributes of its client span, else of that span's parent on the same
// service (instrumentation often records the function on the span that
// wraps the call). ok is false when neither carries any.
func callSite(t *trace.Trace, c *calls.Call) (site report.CallSite, ok bool) {
	n := int32(len(t.Spans))
	for i, hops := c.Span, 0; i >= 0 && i < n && hops < 2; hops++ {
		s := &t.Spans[i]
		if hops > 0 && s.Service != c.Caller.Service {
			break
		}
		fn, file, line := s.Attrs.Get(trace.AttrCodeFunction), s.Attrs.Get(trace.AttrCodeFile), s.Attrs.Get(trace.AttrCodeLine)
		if fn != "" || file != "" {
			site = report.CallSite{Callee: ref(c.Callee), Function: fn, File: file}
			if l, err := strconv.Atoi(line); err == nil && l > 0 {
				site.Line = l
			}
			return site, true
		}
		if int(i) >= len(t.Parent) {
			break
		}
		i = t.Parent[i]
	}
	return report.CallSite{}, false
}

// attachCallSites names the call sites of every candidate from the call
// groups: one per callee with a known site.
func attachCallSites(cands []report.Candidate, sites map[calls.Key]report.CallSite) {
	for i := range cands {
		c := &cands[i]
		callees := c.Callees
		if len(callees) == 0 {
			callees = []report.Ref{c.Callee}
		}
		for _, ce := range callees {
			k := calls.Key{Endpoint: calls.Endpoint(c.Endpoint), Caller: calls.Endpoint(c.Caller), Callee: calls.Endpoint(ce)}
			if s, ok := sites[k]; ok {
				c.CallSites = append(c.CallSites, s)
			}
		}
	}
}
