package detect

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

// newSpan returns span k of trace id 1 with the given parent (0: root).
func newSpan(k, parent uint64, kind trace.Kind, svc, name string, start, end int64) trace.Span {
	s := trace.Span{TraceID: trace.TraceID{15: 1}, Service: svc, Name: name, Kind: kind, Start: start, End: end}
	binary.BigEndian.PutUint64(s.SpanID[:], k)
	if parent != 0 {
		binary.BigEndian.PutUint64(s.ParentID[:], parent)
	}
	return s
}

// A 100,000-span synchronous chain (a service calling itself 50,000 times
// deep) is analysed without recursion and in linear time: every call of the
// chain is one finding, detached in one simulation.
func TestDeepChain(t *testing.T) {
	const calls = 50_000
	const n = 2*calls + 1
	tr := &trace.Trace{ID: trace.TraceID{15: 1}}
	tr.Spans = append(tr.Spans, newSpan(1, 0, trace.KindServer, "api", "GET /deep", 0, 2*n*1000))
	for i := uint64(1); i <= calls; i++ {
		c, s := 2*i, 2*i+1
		tr.Spans = append(tr.Spans,
			newSpan(c, c-1, trace.KindClient, "api", "GET /next", int64(c)*1000, int64(2*n-c)*1000),
			newSpan(s, c, trace.KindServer, "api", "GET /next", int64(s)*1000, int64(2*n-s)*1000))
	}
	link(t, tr)
	res, err := Run(context.Background(), requests(tr), free)
	if err != nil {
		t.Fatal(err)
	}
	var detached int
	for _, f := range res.Findings {
		if f.Action == "make-async" {
			detached += f.Calls
		}
	}
	if detached != calls {
		t.Errorf("%d calls in make-async findings, want %d", detached, calls)
	}
	if len(res.Findings) == 0 || res.Findings[0].Savings.Total <= 0 {
		t.Errorf("findings = %+v", res.Findings)
	}
}

// 200,000 sequential reads under one span form one parallel group and one
// make-async finding.
func TestWideFanOut(t *testing.T) {
	const width = 200_000
	tr := &trace.Trace{ID: trace.TraceID{15: 1}}
	tr.Spans = append(tr.Spans, newSpan(1, 0, trace.KindServer, "api", "GET /wide", 0, width*1000+1000))
	for i := uint64(0); i < width; i++ {
		s := newSpan(i+2, 1, trace.KindClient, "api", "GET", int64(i)*1000, int64(i)*1000+900)
		s.Attrs.Set(trace.AttrHTTPMethod, "GET", false)
		s.Attrs.Set(trace.AttrPeerService, "rows", false)
		s.Attrs.Set(trace.AttrURLPath, "/rows/1", false)
		tr.Spans = append(tr.Spans, s)
	}
	link(t, tr)
	res, err := Run(context.Background(), requests(tr), free)
	if err != nil {
		t.Fatal(err)
	}
	par := find(res, "parallelize", "rows GET /rows/{id}")
	if par == nil || par.Calls != 1 || len(par.Sites) != 1 {
		t.Fatalf("parallel finding = %+v", par)
	}
	// Started together, the reads take 0.9 ms instead of 200 s; the root's
	// own 1.1 ms after the last read remain.
	if want := float64(width*1000+1000-2000) / 1e6; savMs(par.Savings).Mean != want {
		t.Errorf("parallel saving %v, want %v", savMs(par.Savings).Mean, want)
	}
	if f := find(res, "make-async", "rows GET /rows/{id}"); f == nil || f.Calls != width {
		t.Errorf("make-async finding = %+v", f)
	}
}
