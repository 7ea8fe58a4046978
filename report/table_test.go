package report

import "fmt"

// JoinCounts renders the input accounting's counts in key order, whatever
// the map's iteration order.
func ExampleJoinCounts() {
	fmt.Println(JoinCounts(map[string]int{"missing-parent": 2, "clock-skew": 5, "cycle": 1}))
	fmt.Printf("%q\n", JoinCounts(map[string]int(nil)))
	// Output:
	// clock-skew 5, cycle 1, missing-parent 2
	// ""
}
