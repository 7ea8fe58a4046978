package whatif_test

import (
	"fmt"

	"github.com/syncaudit/syncaudit/trace"
	"github.com/syncaudit/syncaudit/whatif"
)

// A checkout calls payment, email and analytics one after the other. Sending
// the email through a queue instead saves the 500ms the request waited for it,
// less the enqueue cost.
func Example() {
	const ms = int64(1_000_000)
	t := &trace.Trace{
		Spans: []trace.Span{
			{Name: "checkout", Start: 0, End: 650 * ms},
			{Name: "payment", Start: 0, End: 100 * ms},
			{Name: "email", Start: 100 * ms, End: 600 * ms},
			{Name: "analytics", Start: 600 * ms, End: 650 * ms},
		},
		Parent: []int32{-1, 0, 0, 0},
	}
	t.Link()
	m := whatif.NewModel(t)
	detach := whatif.Change{Detach: []int32{2}}
	fmt.Println("now:", m.Duration(0)/ms, "ms")
	fmt.Println("email async:", m.Simulate(0, detach, 0)/ms, "ms")
	fmt.Println("saving at 1ms per enqueue:", m.Saving(0, detach, 1*ms)/ms, "ms")
	// Output:
	// now: 650 ms
	// email async: 150 ms
	// saving at 1ms per enqueue: 499 ms
}

// Two independent reads made one after the other, then 10ms of the caller's
// own work: run together, the request takes as long as the slower read.
func ExampleModel_Simulate_parallel() {
	const ms = int64(1_000_000)
	t := &trace.Trace{
		Spans: []trace.Span{
			{Name: "GET /profile", Start: 0, End: 260 * ms},
			{Name: "read user", Start: 0, End: 100 * ms},
			{Name: "read orders", Start: 100 * ms, End: 250 * ms},
		},
		Parent: []int32{-1, 0, 0},
	}
	t.Link()
	m := whatif.NewModel(t)
	d := m.Simulate(0, whatif.Change{Parallel: [][]int32{{1, 2}}}, 0)
	fmt.Println(d/ms, "ms, saving", (m.Duration(0)-d)/ms, "ms")
	// Output:
	// 160 ms, saving 100 ms
}
