// Package stats computes the percentiles syncaudit reports.
//
// Input: samples (latencies in ns, counts). Output: nearest-rank
// percentiles: the p-th percentile of n sorted samples is the sample at
// rank ceil(p/100 × n) (1-based). It is always an observed value, needs no
// interpolation, and is the same whatever order the samples arrive in.
package stats

import (
	"math"
	"slices"
)

// Dist summarises a sample.
type Dist struct {
	N                  int
	Mean               float64
	P50, P95, P99, Max int64
	Min                int64
	Sum                int64
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted, or 0 for an empty sample.
func Percentile(sorted []int64, p float64) int64 {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = max(1, min(rank, n))
	return sorted[rank-1]
}

// Of sorts xs in place and summarises it.
func Of(xs []int64) Dist {
	d := Dist{N: len(xs)}
	if len(xs) == 0 {
		return d
	}
	slices.Sort(xs)
	for _, x := range xs {
		d.Sum += x
	}
	d.Mean = float64(d.Sum) / float64(len(xs))
	d.P50 = Percentile(xs, 50)
	d.P95 = Percentile(xs, 95)
	d.P99 = Percentile(xs, 99)
	d.Max = xs[len(xs)-1]
	d.Min = xs[0]
	return d
}
