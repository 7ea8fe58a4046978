package audit

import (
	"testing"

	"github.com/syncaudit/syncaudit/report"
)

// TestKeepUp: arrivals against completions, by hand (issue 17).
func TestKeepUp(t *testing.T) {
	// Messages published every 100 ms (10/s) for 100 messages.
	flow := func(n int, process, lag func(i int64) int64, serial bool) []message {
		var out []message
		var free int64
		for i := range int64(n) {
			pub := 100 * i * msNs
			var start int64
			if serial {
				start = max(pub, free)
			} else {
				start = pub + lag(i)*msNs
			}
			done := start + process(i)*msNs
			free = done
			out = append(out, message{pub, start, done})
		}
		return out
	}
	lag1 := func(int64) int64 { return 1 }
	tests := []struct {
		name string
		msgs []message
		want report.AsyncFlow
	}{
		// One consumer taking 50 ms, 1 ms after each publish: it keeps up.
		{"keeps up", flow(100, func(int64) int64 { return 50 }, lag1, false),
			report.AsyncFlow{ArrivalsPerSecond: 10, CompletionsPerSecond: 10, LagGrowthMs: 0}},
		// One consumer taking 135 ms per message: message i starts at
		// 135i (lag 35i ms) and ends at 135(i+1). Completions: 99 over
		// 13.5 − 0.135 s = 7.41/s. Lag medians (nearest rank 13 of 25):
		// i = 87 → 3045 ms, i = 12 → 420 ms: growth 2625 ms, more than
		// 5% of the 9.9 s run. The lag p95 (3.3 s) is far under a minute.
		{"falls behind", flow(100, func(int64) int64 { return 135 }, nil, true),
			report.AsyncFlow{ArrivalsPerSecond: 10, CompletionsPerSecond: 7.41, LagGrowthMs: 2625, FallingBehind: true}},
		// A constant 300 ms lag: slow, but not falling behind.
		{"slow but steady lag", flow(100, func(int64) int64 { return 50 }, func(int64) int64 { return 300 }, false),
			report.AsyncFlow{ArrivalsPerSecond: 10, CompletionsPerSecond: 10, LagGrowthMs: 0}},
		{"too few messages", flow(7, func(int64) int64 { return 135 }, nil, true), report.AsyncFlow{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got report.AsyncFlow
			keepUp(&got, tc.msgs)
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}
