package repair

import (
	"cmp"
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

// TestSortIDs: the radix sort and the comparison sort give IDs sorted,
// equal IDs in position order, for sizes on both sides of radixMin and
// IDs that share digits (skipped passes).
func TestSortIDs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, 64, 65, radixMin - 1, radixMin, 3 * radixMin} {
		for _, pool := range []uint64{4, 1000, 1 << 62} {
			keys := make([]trace.SpanID, n)
			for i := range keys {
				binary.BigEndian.PutUint64(keys[i][:], r.Uint64N(pool)<<(r.UintN(2)*17))
			}
			got := sortIDs(n, func(i int) trace.SpanID { return keys[i] })
			want := make([]idPos, n)
			for i := range want {
				want[i] = idPos{idNum(keys[i]), int32(i)}
			}
			slices.SortStableFunc(want, func(a, b idPos) int { return cmp.Compare(a.id, b.id) })
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d pool=%d: not sorted stably", n, pool)
			}
			for i := 0; i < n; i += max(1, n/50) {
				if p := firstHolder(got, keys[i]); p < 0 || p > int32(i) || keys[p] != keys[i] {
					t.Fatalf("n=%d: firstHolder(%x) = %d", n, keys[i], p)
				}
			}
			if n > 0 && firstHolder(got, trace.SpanID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}) != -1 && pool != 1<<62 {
				t.Fatalf("n=%d: found an absent ID", n)
			}
		}
	}
}
