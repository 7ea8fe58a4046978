package report

import (
	"fmt"
	"testing"
)

// JoinCounts renders the input accounting's counts in key order, whatever
// the map's iteration order.
func ExampleJoinCounts() {
	fmt.Println(JoinCounts(map[string]int{"missing-parent": 2, "clock-skew": 5, "cycle": 1}))
	fmt.Printf("%q\n", JoinCounts(map[string]int(nil)))
	// Output:
	// clock-skew 5, cycle 1, missing-parent 2
	// ""
}

// TestFmtMsShort: the terminal and Markdown number format keeps about three
// significant digits, for changes (negative values) too.
func TestFmtMsShort(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want string
	}{
		{355.97, "356ms"}, {-355.97, "-356ms"}, {47.18, "47.2ms"}, {-47.18, "-47.2ms"},
		{1.17, "1.17ms"}, {-1.17, "-1.17ms"}, {0, "0.00ms"}, {100, "100ms"}, {-10, "-10.0ms"},
	} {
		if got := fmtMsShort(tt.in); got != tt.want {
			t.Errorf("fmtMsShort(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
