package detect

import (
	"context"
	"fmt"
	"runtime"
	"testing"
)

// BenchmarkObserveMerge: Observe of 8 batches, each into a State of its
// own merged into one (as separate processes' states are), with exact
// savings and with sketches. Besides time per request, it reports what
// the merged State holds: heap bytes in all and per finding group, and
// its encoding's size. Exact states grow with the requests; sketch states
// do not.
//
//	go test ./detect -run '^$' -bench ObserveMerge -benchtime 5x
func BenchmarkObserveMerge(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{1000, 8000} {
		reqs := generated(b, n, 3)
		const parts = 8
		batches := make([][]Request, parts)
		for i, r := range reqs {
			batches[i%parts] = append(batches[i%parts], r)
		}
		for _, mode := range []SavingsMode{SavingsExact, SavingsSketch} {
			opt := DefaultOptions()
			opt.Savings = mode
			opt.Workers = 1
			observeMerge := func() *State {
				acc, err := NewState(opt)
				if err != nil {
					b.Fatal(err)
				}
				for _, batch := range batches {
					st, _ := NewState(opt)
					if err := st.Observe(ctx, batch); err != nil {
						b.Fatal(err)
					}
					if err := acc.Merge(st); err != nil {
						b.Fatal(err)
					}
				}
				return acc
			}
			b.Run(fmt.Sprintf("%v/requests=%d", mode, n), func(b *testing.B) {
				for b.Loop() {
					observeMerge()
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/request")
				// What the merged state holds.
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				acc := observeMerge()
				runtime.GC()
				runtime.ReadMemStats(&after)
				held := float64(after.HeapAlloc) - float64(before.HeapAlloc)
				groups := len(acc.saving)
				if acc.sk != nil {
					groups = len(acc.sk.groups)
				}
				enc, err := acc.MarshalBinary()
				if err != nil {
					b.Fatal(err)
				}
				runtime.KeepAlive(acc)
				b.ReportMetric(held, "state-B")
				b.ReportMetric(held/float64(groups), "state-B/group")
				b.ReportMetric(float64(len(enc)), "encoded-B")
				b.ReportMetric(float64(groups), "groups")
			})
		}
	}
}
