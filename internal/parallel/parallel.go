// Package parallel runs independent work items on a bounded number of
// goroutines.
//
// Input: a count of items and a function over a range of them. Output: the
// function called once for every item, in ranges handed out in order to at
// most `workers` goroutines; the first error, or the context's, stops the
// rest. Callers write results into per-item slots, so the outcome does not
// depend on scheduling.
package parallel

import (
	"context"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Ranges calls f(lo, hi) for consecutive ranges of at most step items
// covering [0, n), on at most workers goroutines (GOMAXPROCS when
// workers <= 0). It returns the first error f returns, or ctx's error if
// ctx ends first.
func Ranges(ctx context.Context, n, workers, step int, f func(lo, hi int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	step = max(step, 1)
	var (
		mu   sync.Mutex
		next int
	)
	g, gctx := errgroup.WithContext(ctx)
	for w := 0; w < min(workers, max(1, (n+step-1)/step)); w++ {
		g.Go(func() error {
			for {
				if err := gctx.Err(); err != nil {
					return err
				}
				mu.Lock()
				lo := next
				next += step
				mu.Unlock()
				if lo >= n {
					return nil
				}
				if err := f(lo, min(lo+step, n)); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}
