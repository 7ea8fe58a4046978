package parallel

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

func TestRangesCoversEveryItemOnce(t *testing.T) {
	for _, tc := range []struct{ n, workers, step int }{{0, 2, 1}, {1, 2, 1}, {10, 1, 3}, {1000, 4, 16}, {7, 0, 100}} {
		seen := make([]int32, tc.n)
		err := Ranges(context.Background(), tc.n, tc.workers, tc.step, func(lo, hi int) error {
			for i := lo; i < hi; i++ {
				atomic.AddInt32(&seen[i], 1)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("%+v: item %d seen %d times", tc, i, c)
			}
		}
	}
}

func TestRangesStops(t *testing.T) {
	boom := errors.New("boom")
	if err := Ranges(context.Background(), 100, 2, 1, func(lo, hi int) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("err %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Ranges(ctx, 100, 2, 1, func(lo, hi int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}
