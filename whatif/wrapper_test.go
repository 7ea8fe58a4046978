package whatif_test

import (
	"testing"

	"github.com/syncaudit/syncaudit/trace"
	"github.com/syncaudit/syncaudit/whatif"
)

// TestWrapperDoesNotShield: a sibling wrapper (trace.FlagWrapper) that
// ends 0.2 ms before the call it waits on (Spring Cloud Gateway's
// FilteringWebHandler.handle) no longer holds the parent when the call is
// detached. Times from the first TrainTicket trace, in µs:
// root [0, 28160], handle [814, 27952], call [2196, 28139].
func TestWrapperDoesNotShield(t *testing.T) {
	const us = int64(1000)
	for _, tc := range []struct {
		wrapper bool
		want    int64 // saving in µs with a 1 µs enqueue cost
	}{
		// Marked: the root ends the call's tail gap (21 µs) after the
		// detached call's new end (2196 + 1): 2218 µs, saving 25942 µs.
		{wrapper: true, want: 28160 - (2196 + 1 + 21)},
		// Unmarked, it shields the call: the root still waits for it
		// until 27952, then the tail gap it had after its last child
		// (28160 − 28139 = 21 µs): saving only 187 µs.
		{wrapper: false, want: 28160 - (27952 + 21)},
	} {
		tr := &trace.Trace{Spans: []trace.Span{
			{Name: "root", Start: base, End: base + 28160*us},
			{Name: "handle", Start: base + 814*us, End: base + 27952*us},
			{Name: "call", Start: base + 2196*us, End: base + 28139*us},
		}, Parent: []int32{-1, 0, 0}}
		if tc.wrapper {
			tr.Spans[1].Flags |= trace.FlagWrapper
		}
		tr.Link()
		m := whatif.NewModel(tr)
		if got := m.Baseline(0); got != 28160*us {
			t.Fatalf("wrapper %v: baseline %d, want %d", tc.wrapper, got, 28160*us)
		}
		got := m.Saving(0, whatif.Change{Detach: []int32{2}}, us)
		if got != tc.want*us {
			t.Errorf("wrapper %v: saving %d µs, want %d µs", tc.wrapper, got/us, tc.want)
		}
	}
}
