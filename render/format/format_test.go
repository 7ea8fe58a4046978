package format

import (
	"fmt"
	"math"
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

// TestMsShort: the terminal and Markdown number format keeps about three
// significant digits, for changes (negative values) too.
func TestMsShort(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want string
	}{
		{355.97, "356ms"}, {-355.97, "-356ms"}, {47.18, "47.2ms"}, {-47.18, "-47.2ms"},
		{1.17, "1.17ms"}, {-1.17, "-1.17ms"}, {0, "0.00ms"}, {100, "100ms"}, {-10, "-10.0ms"},
	} {
		if got := MsShort(tt.in); got != tt.want {
			t.Errorf("MsShort(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTotal(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want string
	}{{9999, "9999ms"}, {10000, "10.0s"}, {7100, "7100ms"}, {0.5, "0.50ms"}} {
		if got := Total(tt.in); got != tt.want {
			t.Errorf("Total(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPerRequest(t *testing.T) {
	for x, want := range map[float64]string{1: "1", 0.95: "0.95", 3.5: "3.5", 0: "0", 0.001: "0", 2.004: "2", math.NaN(): "0", math.Inf(1): "0"} {
		if got := PerRequest(x); got != want {
			t.Errorf("PerRequest(%v) = %q, want %q", x, got, want)
		}
	}
}
