package whatif_test

import (
	"testing"

	"github.com/syncaudit/syncaudit/trace"
	"github.com/syncaudit/syncaudit/whatif"
)

// retryTrace is a caller (root, 0–400 ms) that calls email three times,
// 50 ms apart (back-off), the first two failing, then calls next:
//
//	a1 email 0–100 !err   a2 email 150–250 !err   a3 email 300–350   next 360–400
//
// edit changes the attempts before the trace is linked.
func retryTrace(tb testing.TB, edit func(a []*trace.Span)) (*trace.Trace, map[string]int32) {
	tb.Helper()
	tr, idx := build(tb, []sp{
		{name: "root", start: 0, end: 400},
		{name: "a1", parent: "root", start: 0, end: 100},
		{name: "a2", parent: "root", start: 150, end: 250},
		{name: "a3", parent: "root", start: 300, end: 350},
		{name: "next", parent: "root", start: 360, end: 400},
	})
	var attempts []*trace.Span
	for _, n := range []string{"a1", "a2", "a3"} {
		s := &tr.Spans[idx[n]]
		s.Name, s.Service, s.Kind = "POST", "order", trace.KindClient
		s.Attrs.Set(trace.AttrURLPath, "/send", true)
		attempts = append(attempts, s)
	}
	attempts[0].Status, attempts[1].Status = trace.StatusError, trace.StatusError
	tr.Spans[idx["next"]].Kind = trace.KindClient
	if edit != nil {
		edit(attempts)
	}
	return tr, idx
}

// TestRetriedGroupOnePublish: detaching every attempt of a synchronous
// retry costs one enqueue, and the back-off between attempts vanishes.
// By hand, with a 1 ms enqueue cost: a1 ends at 1; a2 and a3 cost
// nothing; next starts 10 ms after the latest predecessor's end (1) and
// lasts 40: 51. Charged per attempt: a1 1, a2 1+50+1 = 52, a3 52+50+1 =
// 103, next 103+10+40 = 153.
func TestRetriedGroupOnePublish(t *testing.T) {
	tests := []struct {
		name    string
		edit    func(a []*trace.Span)
		detach  []string
		want    int64 // ms
		retryOf map[string]string
	}{
		{"retried group", nil, []string{"a1", "a2", "a3"}, 51, map[string]string{"a1": "", "a2": "a1", "a3": "a2"}},
		{"no failures: three calls, not retries", func(a []*trace.Span) {
			a[0].Status, a[1].Status = trace.StatusUnset, trace.StatusUnset
		}, []string{"a1", "a2", "a3"}, 153, map[string]string{"a2": "", "a3": ""}},
		{"different targets", func(a []*trace.Span) {
			a[1].Attrs.Set(trace.AttrURLPath, "/other", true)
		}, []string{"a1", "a2", "a3"}, 153, map[string]string{"a2": "", "a3": ""}},
		{"only the last attempt detached", nil, []string{"a3"}, 351, map[string]string{"a3": "a2"}},
		// a3 starts 50 ms (its back-off) after a1's enqueue ends (1) and runs
		// 50: 101; next 101+10+40.
		{"first two detached", nil, []string{"a1", "a2"}, 151, map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr, idx := retryTrace(t, tc.edit)
			m := whatif.NewModel(tr)
			for span, prev := range tc.retryOf {
				want := int32(-1)
				if prev != "" {
					want = idx[prev]
				}
				if got := m.RetryOf(idx[span]); got != want {
					t.Errorf("RetryOf(%s) = %d, want %d (%s)", span, got, want, prev)
				}
			}
			got := m.Simulate(idx["root"], whatif.Change{Detach: ids(idx, tc.detach...)}, ms)
			if got != tc.want*ms {
				t.Errorf("Simulate = %v ms, want %v", float64(got)/float64(ms), tc.want)
			}
		})
	}
}
