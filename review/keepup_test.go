package review

import (
	"testing"

	"github.com/syncaudit/syncaudit/report"
)

// TestAsyncLagFallingBehind: consumers falling behind fail "async-lag"
// whatever the lag threshold (issue 17).
func TestAsyncLagFallingBehind(t *testing.T) {
	flow := report.AsyncFlow{Producer: report.Ref{Service: "order"}, Consumer: report.Ref{Service: "email"}, Count: 100,
		LagMs: report.Percentiles{P50: 1700, P95: 3300, P99: 3400, Max: 3465}, ArrivalsPerSecond: 10, CompletionsPerSecond: 7.41, LagGrowthMs: 2625}
	tests := []struct {
		name          string
		fallingBehind bool
		pass          bool
		detail        string
	}{
		{"keeps up", false, true, "lag p50 1700.0ms, max 3465.0ms; 10.00/s arrive, 7.41/s completed, lag grew 2625.0ms over the run"},
		{"falls behind, lag under the threshold", true, false,
			"lag p50 1700.0ms, max 3465.0ms; 10.00/s arrive, 7.41/s completed, lag grew 2625.0ms over the run: consumers fall behind (a backlog builds)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := flow
			f.FallingBehind = tc.fallingBehind
			items := Checklist(nil, nil, nil, []report.AsyncFlow{f}, DefaultThresholds())
			it := items[len(items)-1]
			if it.ID != "async-lag" || it.Pass != tc.pass || len(it.Evidence) != 1 || it.Evidence[0].Detail != tc.detail {
				t.Errorf("got %+v", it)
			}
		})
	}
}
