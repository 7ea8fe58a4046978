package html

import "testing"

// TestChangeNote: the note beside a before/after bar pair (the plan's and
// the slowdowns' charts): signed difference, percentage of before when
// there is one, and whether the value grew.
func TestChangeNote(t *testing.T) {
	for _, tc := range []struct {
		before, after float64
		want          string
		grew          bool
	}{
		{1000, 1500, "+500ms (+50%)", true},
		{300, 200, "−100ms (−33%)", false},
		{0, 4, "+4.00ms", true},
	} {
		if got, grew := changeNote(tc.before, tc.after); got != tc.want || grew != tc.grew {
			t.Errorf("changeNote(%v, %v) = %q, %v; want %q, %v", tc.before, tc.after, got, grew, tc.want, tc.grew)
		}
	}
}
