package sketch

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/syncaudit/syncaudit/stats"
)

// TestIndex: bucket i holds (base^i, base^(i+1)]: powers of two fall in
// the lower bucket, per the OpenTelemetry data model.
func TestIndex(t *testing.T) {
	for _, tt := range []struct {
		v     uint64
		scale int32
		want  int32
	}{
		{1, 0, -1}, {2, 0, 0}, {3, 0, 1}, {4, 0, 1}, {5, 0, 2}, {8, 0, 2}, {9, 0, 3},
		{1, 1, -1}, {2, 1, 1}, {3, 1, 3}, {4, 1, 3}, // base √2: 3 in (2^1.5=2.83, 4]
		{1, -1, -1}, {2, -1, 0}, {3, -1, 0}, {4, -1, 0}, {5, -1, 1}, {16, -1, 1}, {17, -1, 2},
		{1024, 3, 79}, {1025, 3, 80},
	} {
		if got := index(tt.v, tt.scale); got != tt.want {
			t.Errorf("index(%d, scale %d) = %d, want %d", tt.v, tt.scale, got, tt.want)
		}
	}
	// Every bucket's bounds hold its values, at several scales.
	for _, scale := range []int32{-2, 0, 3, 8, 20} {
		for _, v := range []uint64{1, 2, 3, 7, 1000, 1 << 20, 123456789, 1 << 40} {
			i := index(v, scale)
			lo, hi := lower(i, scale), lower(i+1, scale)
			if !(float64(v) > lo*(1-1e-12) && float64(v) <= hi*(1+1e-12)) {
				t.Errorf("scale %d: %d in bucket %d = (%g, %g]", scale, v, i, lo, hi)
			}
		}
	}
}

func exactQuantile(xs []int64, p float64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return stats.Percentile(s, p)
}

// TestQuantileRelativeError: on random durations, every percentile is
// within RelativeError of the exact nearest-rank one.
func TestQuantileRelativeError(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 10, 1000, 20000} {
		h := Default()
		var xs []int64
		for range n {
			v := int64(math.Exp(r.NormFloat64()*2+15)) - 1000 // log-normal around 3 ms, some negative
			xs = append(xs, v)
			h.Add(v)
		}
		eps := h.RelativeError()
		for _, p := range []float64{1, 50, 90, 95, 99, 100} {
			got, want := h.Quantile(p), exactQuantile(xs, p)
			if math.Abs(float64(got-want)) > eps*math.Abs(float64(want))+1 {
				t.Errorf("n=%d p%v: %d, exact %d, error %.4g > %.4g", n, p, got, want,
					math.Abs(float64(got-want))/math.Abs(float64(want)), eps)
			}
		}
		if h.Count() != uint64(n) || h.Min() != slices.Min(xs) || h.Max() != slices.Max(xs) {
			t.Errorf("n=%d: count %d min %d max %d", n, h.Count(), h.Min(), h.Max())
		}
	}
}

// TestMergeIsUnion: merging two sketches gives the sketch of all values,
// whatever the order; Sub takes one back out.
func TestMergeIsUnion(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	a, b, all := Default(), New(10, 40), Default()
	for i := range 5000 {
		v := r.Int64N(1e9) - 1e6
		if i%3 == 0 {
			v = 0
		}
		all.Add(v)
		if i%2 == 0 {
			a.Add(v)
		} else {
			b.Add(v)
		}
	}
	ab := a.Clone()
	ab.Merge(b)
	ba := b.Clone()
	ba.Merge(a)
	for _, p := range []float64{50, 95, 99} {
		if ab.Quantile(p) != ba.Quantile(p) {
			t.Errorf("p%v: merge order matters: %d vs %d", p, ab.Quantile(p), ba.Quantile(p))
		}
	}
	if ab.Count() != all.Count() || ab.Sum() != all.Sum() || ab.Min() != all.Min() || ab.Max() != all.Max() {
		t.Errorf("merged count/sum/min/max differ")
	}
	all.downscale(all.Scale() - ab.Scale())
	if ab.Scale() != all.Scale() || !slices.Equal(ab.pos.counts, all.pos.counts) || ab.pos.offset != all.pos.offset {
		t.Errorf("merged buckets differ from the union's (scales %d, %d)", ab.Scale(), all.Scale())
	}
	if err := ab.Sub(b); err != nil {
		t.Fatal(err)
	}
	if ab.Count() != a.Count() || ab.Sum() != a.Sum() {
		t.Errorf("after Sub: count %d sum %d, want %d %d", ab.Count(), ab.Sum(), a.Count(), a.Sum())
	}
	if err := a.Sub(all); err == nil {
		t.Error("Sub of a superset: no error")
	}
}

func TestDownscaleBoundsSize(t *testing.T) {
	h := New(20, 8)
	for v := int64(1); v < 1<<40; v *= 3 {
		h.Add(v)
	}
	_, pos := h.Positive()
	if len(pos) > 8 || h.Scale() >= 20 {
		t.Errorf("%d buckets at scale %d", len(pos), h.Scale())
	}
	if h.Quantile(100) != h.Max() || h.Quantile(1) != h.Min() {
		t.Error("extreme ranks not exact")
	}
	ext := Default()
	ext.Add(math.MaxInt64)
	ext.Add(math.MinInt64)
	if ext.Min() != math.MinInt64 || ext.Max() != math.MaxInt64 || ext.Count() != 2 {
		t.Errorf("extremes: %d %d", ext.Min(), ext.Max())
	}
}

func TestEncodingRoundTrip(t *testing.T) {
	h := Default()
	for _, v := range []int64{0, 5, -5, 1e6, 3e9, 42} {
		h.Add(v)
	}
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var g Histogram
	if err := g.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	again, _ := g.MarshalBinary()
	if !bytes.Equal(again, b) || g.Quantile(50) != h.Quantile(50) || g.Sum() != h.Sum() {
		t.Error("round trip changed the histogram")
	}
	for _, bad := range [][]byte{nil, {9}, b[:len(b)-1], append(slices.Clone(b[:len(b)-1]), 99)} {
		if err := g.UnmarshalBinary(bad); err == nil {
			t.Errorf("%x: no error", bad)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	h := Default()
	h.Add(7)
	h.Add(-3)
	b, _ := h.MarshalBinary()
	f.Add(b)
	sub := h.Clone()
	one := Default()
	one.Add(7)
	_ = sub.Sub(one)
	b, _ = sub.MarshalBinary() // version 2: min and max are bounds
	f.Add(b)
	f.Fuzz(func(t *testing.T, data []byte) {
		var g Histogram
		if g.UnmarshalBinary(data) != nil {
			return
		}
		g.Quantile(50)
		// Merges either way with a histogram of extreme values end (a
		// range the decoder lets through fits at MinScale).
		o := New(20, 2)
		o.Add(-1 << 62)
		o.Add(1 << 62)
		g2 := g.Clone()
		g2.Merge(o)
		o.Merge(&g)
		_ = g2.Sub(&g)
		g.Add(1)
		g.Merge(Default())
	})
}

func ExampleHistogram_Quantile() {
	h := Default()
	for v := int64(1); v <= 100; v++ {
		h.Add(v * 1e6) // 1..100 ms
	}
	fmt.Printf("p50 %.2f ms (exact 50), relative error ≤ %.1e\n", float64(h.Quantile(50))/1e6, h.RelativeError())
	// Output: p50 50.63 ms (exact 50), relative error ≤ 2.2e-02
}

func BenchmarkAdd(b *testing.B) {
	h := Default()
	v := int64(1)
	for b.Loop() {
		h.Add(v)
		v = v*6364136223846793005 + 1442695040888963407&(1<<34-1) + 1
	}
}

// TestMergeIntoSmaller: merging into a histogram of fewer buckets, empty
// or not, keeps its bound on buckets (and still encodes).
func TestMergeIntoSmaller(t *testing.T) {
	big := Default()
	for v := int64(1); v < 1<<40; v = v*5/4 + 1 {
		big.Add(v)
	}
	for _, seed := range [][]int64{nil, {3}, {1 << 50}} {
		h := New(20, 40)
		for _, v := range seed {
			h.Add(v)
		}
		h.Merge(big)
		if _, pos := h.Positive(); len(pos) > 40 {
			t.Errorf("seed %v: %d buckets, want ≤ 40", seed, len(pos))
		}
		b, _ := h.MarshalBinary()
		var g Histogram
		if err := g.UnmarshalBinary(b); err != nil {
			t.Errorf("seed %v: %v", seed, err)
		}
	}
}

// TestSubBounds: after Sub, Min and Max are bounds only: the extreme
// ranks come from the buckets, within RelativeError of the values left,
// and the encoding keeps that (version 2).
func TestSubBounds(t *testing.T) {
	all, gone := Default(), Default()
	var kept []int64
	for _, v := range []int64{1e6, 2e6, 3e6, 5e6, 8e6, 13e6, 21e6, 34e6} {
		all.Add(v)
		if v == 1e6 || v == 34e6 {
			gone.Add(v) // the extremes
		} else {
			kept = append(kept, v)
		}
	}
	if !all.Exact() {
		t.Fatal("Exact before Sub")
	}
	h := all.Clone()
	if err := h.Sub(gone); err != nil {
		t.Fatal(err)
	}
	if h.Exact() || h.Min() != 1e6 || h.Max() != 34e6 {
		t.Errorf("after Sub: exact %v, min %d, max %d: want bounds 1e6, 34e6", h.Exact(), h.Min(), h.Max())
	}
	eps := h.RelativeError()
	for _, p := range []float64{1, 50, 100} {
		got, want := h.Quantile(p), exactQuantile(kept, p)
		if math.Abs(float64(got-want)) > eps*float64(want)+1 {
			t.Errorf("p%v = %d, want %d within %.3g", p, got, want, eps)
		}
	}
	b, _ := h.MarshalBinary()
	if b[0] != encodingVersionLoose {
		t.Errorf("version %d, want %d", b[0], encodingVersionLoose)
	}
	var g Histogram
	if err := g.UnmarshalBinary(b); err != nil || g.Exact() || g.Quantile(100) != h.Quantile(100) {
		t.Errorf("round trip: %v, exact %v", err, g.Exact())
	}
	if again, _ := g.MarshalBinary(); !bytes.Equal(again, b) {
		t.Error("round trip changed the encoding")
	}
	// Emptied, then filled again: exact.
	if err := h.Sub(h.Clone()); err != nil || h.Count() != 0 || !h.Exact() {
		t.Errorf("emptied: %v, count %d, exact %v", err, h.Count(), h.Exact())
	}
	h.Add(7)
	if h.Quantile(50) != 7 {
		t.Errorf("refilled: p50 %d", h.Quantile(50))
	}
	// Exact histograms still encode as version 1.
	ex, _ := all.MarshalBinary()
	if ex[0] != encodingVersion {
		t.Errorf("version %d, want %d", ex[0], encodingVersion)
	}
	// Version 2 needs flags 1; an empty histogram has no bounds.
	empty, _ := Default().MarshalBinary()
	for _, bad := range [][]byte{
		append([]byte{encodingVersionLoose}, ex[1:]...),
		append([]byte{encodingVersionLoose, 0}, ex[1:]...),
		append([]byte{encodingVersionLoose, 2}, ex[1:]...),
		append([]byte{encodingVersionLoose, 1}, empty[1:]...),
	} {
		if err := g.UnmarshalBinary(bad); err == nil {
			t.Errorf("flags %x: no error", bad)
		}
	}
}
