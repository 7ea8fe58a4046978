package audit

import (
	"context"
	"encoding/binary"
	"testing"

	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/internal/tracetest"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/trace"
)

const msNs = int64(1_000_000)

// callSpec is one synchronous call of order POST /order: the callee's
// server span from start to end (ms), and its first child's start (ms,
// 0: no child).
type callSpec struct {
	service    string
	start, end int64
	child      int64
}

// orderTrace is order POST /order making calls, each a CLIENT span and
// the callee's SERVER span over the same window; the root spans them all.
func orderTrace(tb testing.TB, id uint64, cs ...callSpec) *trace.Trace {
	tb.Helper()
	t := &trace.Trace{}
	binary.BigEndian.PutUint64(t.ID[8:], id)
	var n uint64
	span := func(parent trace.SpanID, svc, name string, kind trace.Kind, start, end int64) trace.SpanID {
		n++
		s := trace.Span{TraceID: t.ID, ParentID: parent, Service: svc, Name: name, Kind: kind, Start: start * msNs, End: end * msNs}
		binary.BigEndian.PutUint64(s.SpanID[:], id<<16|n)
		t.Spans = append(t.Spans, s)
		return s.SpanID
	}
	lo, hi := cs[0].start, cs[0].end
	for _, c := range cs {
		lo, hi = min(lo, c.start), max(hi, c.end)
	}
	root := span(trace.SpanID{}, "order", "POST /order", trace.KindServer, lo, hi)
	for _, c := range cs {
		cl := span(root, "order", "POST /"+c.service, trace.KindClient, c.start, c.end)
		srv := span(cl, c.service, "POST /"+c.service, trace.KindServer, c.start, c.end)
		if c.child > 0 {
			span(srv, c.service, "work", trace.KindInternal, c.child, c.end)
		}
	}
	tracetest.Link(tb, t)
	return t
}

// TestSavingsCaveat: candidates whose callee mostly waits are flagged,
// with the wait share computed by hand (issue 17).
func TestSavingsCaveat(t *testing.T) {
	// A single email worker with a 20 ms service time, a request every
	// 5 ms: call i arrives at 5i and ends at 20(i+1), lasting 20+15i.
	// In flight at call i's start: the earlier calls not yet done, which
	// grows with i. Lowest quarter (i = 0…3): 20, 35, 50, 65, median
	// (nearest rank) 35; highest (i = 12…15): median 215; mean 132.5:
	// wait share 1 − 35/132.5 = 0.74. Analytics (10 ms, 1 ms after each
	// email call ends) never slows down with concurrency.
	var queued []*trace.Trace
	for i := range int64(16) {
		queued = append(queued, orderTrace(t, uint64(i+1),
			callSpec{service: "email", start: 5 * i, end: 20 * (i + 1)},
			callSpec{service: "analytics", start: 20*(i+1) + 1, end: 20*(i+1) + 11}))
	}
	// Leading wait: email's server span waits 80 of its 100 ms before its
	// work starts; the calls are 1 s apart (no concurrency).
	var leading []*trace.Trace
	for i := range int64(8) {
		leading = append(leading, orderTrace(t, uint64(i+1),
			callSpec{service: "email", start: 1000 * i, end: 1000*i + 100, child: 1000*i + 80},
			callSpec{service: "analytics", start: 1000*i + 100, end: 1000*i + 110, child: 1000*i + 101}))
	}
	tests := []struct {
		name   string
		traces []*trace.Trace
		want   map[string]float64 // callee service → wait share; absent: no caveat
	}{
		{"queueing behind a single worker", queued, map[string]float64{"email": 0.74}},
		{"leading wait", leading, map[string]float64{"email": 0.8}},
		{"too few calls", leading[:7], map[string]float64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := DefaultOptions()
			opt.Detect.MinConfidence = 0
			rep, err := Run(context.Background(), &ingest.Result{Traces: tc.traces}, opt)
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, c := range rep.Candidates {
				if c.Action != report.MakeAsync {
					continue
				}
				seen[c.Callee.Service] = true
				want, flagged := tc.want[c.Callee.Service]
				switch {
				case !flagged && c.SavingsCaveat != nil:
					t.Errorf("%s: unexpected caveat %+v", c.Callee.Service, *c.SavingsCaveat)
				case flagged && c.SavingsCaveat == nil:
					t.Errorf("%s: no caveat, want wait share %v", c.Callee.Service, want)
				case flagged && (c.SavingsCaveat.WaitShare != want || c.SavingsCaveat.Resource != c.Callee.Service ||
					c.SavingsCaveat.Assumption == "" || c.SavingsCaveat.Evidence == ""):
					t.Errorf("%s: caveat %+v, want wait share %v", c.Callee.Service, *c.SavingsCaveat, want)
				}
			}
			for svc := range tc.want {
				if !seen[svc] {
					t.Errorf("no make-async candidate for %s", svc)
				}
			}
		})
	}
}

// TestConcurrency: the in-flight counts and medians behind the
// concurrency signal, by hand.
func TestConcurrency(t *testing.T) {
	var iv []interval
	for i := range int64(8) { // a worker of 10 ms, a call every 2 ms
		iv = append(iv, interval{2 * i * msNs, 10 * (i + 1) * msNs})
	}
	// Durations 10+8i; in flight at call i's start: i − ⌊i/5⌋… lowest
	// quarter: calls 0, 1 (0 and 1 in flight; 10, 18 ms: median 10);
	// highest: calls 6, 7 (5 and 6 in flight: 58, 66 ms: median 58);
	// mean 38 ms: share 1 − 10/38.
	share, low, high, lowK, highK, ok := concurrency(iv)
	if !ok || low != 10*msNs || high != 58*msNs || lowK != 1 || highK != 5 || round2(share) != round2(1-10.0/38) {
		t.Errorf("concurrency = %v %v %v %v %v %v", share, low, high, lowK, highK, ok)
	}
	// The same durations, never overlapping: no spread in concurrency.
	for i := range iv {
		iv[i].start += int64(i) * 1000 * msNs
		iv[i].end += int64(i) * 1000 * msNs
	}
	if _, _, _, _, _, ok := concurrency(iv); ok {
		t.Error("no concurrency, but the signal holds")
	}
}
