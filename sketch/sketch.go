// Package sketch is a mergeable, encodable relative-error quantile sketch
// for integer values such as durations in nanoseconds: a base-2
// exponential histogram as the OpenTelemetry metrics data model defines
// it, so that what syncaudit keeps per finding merges across batches and
// processes as exponential histograms do, and can be exported as one.
//
// Input: int64 values (Add), other histograms (Merge, Sub). Output:
// Count, Sum, Min, Max (exact) and Quantile (nearest rank, within
// RelativeError of the exact value), plus the OTel data point fields
// (Scale, ZeroCount, Positive, Negative) and a versioned binary encoding.
//
// A value v > 0 falls in bucket index ceil(log2(v) × 2^scale) − 1, that is
// in (base^index, base^(index+1)] with base = 2^(2^−scale); negative values
// mirror it, zero has its own count. The histogram starts at MaxScale and
// halves its resolution (scale − 1, buckets merged pairwise) whenever the
// values seen would need more than MaxSize buckets on one side. Hand-written
// rather than taken from the OpenTelemetry Go SDK: the SDK's aggregator is
// internal, cannot be merged as a value, and has no encoding.
package sketch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Defaults, as in the OpenTelemetry SDK's exponential histogram.
const (
	DefaultMaxScale = 20
	DefaultMaxSize  = 160
	// MinScale is the coarsest scale: at -10 a bucket spans a factor 2^1024.
	MinScale = -10
)

// Histogram is a base-2 exponential histogram of int64 values. The zero
// value is not usable; use New.
type Histogram struct {
	maxSize       int
	scale         int32
	zero          uint64
	pos, neg      buckets
	count         uint64
	sum, min, max int64
	// loose: min and max are bounds of the values, not values (after Sub).
	loose bool
}

// buckets is one range: counts[i] is the count of bucket offset+i.
type buckets struct {
	offset int32
	counts []uint64
}

// New returns an empty histogram starting at maxScale (at most 20) with at
// most maxSize buckets per sign (at least 2).
func New(maxScale int32, maxSize int) *Histogram {
	maxScale = min(max(maxScale, MinScale), DefaultMaxScale)
	return &Histogram{maxSize: max(maxSize, 2), scale: maxScale}
}

// Default returns New(DefaultMaxScale, DefaultMaxSize).
func Default() *Histogram { return New(DefaultMaxScale, DefaultMaxSize) }

// index is the bucket of |v| > 0 at scale: ceil(log2(v)·2^scale) − 1,
// exact for powers of two (they fall in the lower bucket).
func index(v uint64, scale int32) int32 {
	frac, exp := math.Frexp(float64(v)) // v = frac·2^exp, frac in [0.5, 1)
	if frac == 0.5 {
		// A power of two: 2^(exp-1) is the upper bound of its bucket.
		if scale >= 0 {
			return (int32(exp-1) << scale) - 1
		}
		return ((int32(exp-1) - 1) >> -scale)
	}
	if scale <= 0 {
		// Buckets of 2^(2^-scale): by the exponent alone.
		return (int32(exp) - 1) >> -scale
	}
	i := int32(math.Ceil(math.Log2(float64(v))*math.Ldexp(1, int(scale)))) - 1
	return i
}

// lower returns the lower bound of bucket i at scale: base^i.
func lower(i int32, scale int32) float64 {
	return math.Exp2(math.Ldexp(float64(i), -int(scale)))
}

// Add adds one value.
func (h *Histogram) Add(v int64) { h.AddN(v, 1) }

// AddN adds a value n times.
func (h *Histogram) AddN(v int64, n uint64) {
	if n == 0 {
		return
	}
	if h.count == 0 {
		h.min, h.max, h.loose = v, v, false
	} else {
		h.min, h.max = min(h.min, v), max(h.max, v)
	}
	h.count += n
	h.sum += v * int64(n)
	switch {
	case v == 0:
		h.zero += n
	case v > 0:
		h.addTo(&h.pos, uint64(v), n)
	default:
		h.addTo(&h.neg, uint64(-(v+1))+1, n) // |v| without overflow at MinInt64
	}
}

func (h *Histogram) addTo(b *buckets, abs uint64, n uint64) {
	i := index(abs, h.scale)
	for !b.fits(i, h.maxSize) && h.scale > MinScale {
		h.downscale(1)
		i = index(abs, h.scale)
	}
	b.add(i, n)
}

// fits reports whether index i can be added without more than size buckets.
func (b *buckets) fits(i int32, size int) bool {
	if len(b.counts) == 0 {
		return true
	}
	lo, hi := min(b.offset, i), max(b.offset+int32(len(b.counts))-1, i)
	return int(hi-lo)+1 <= size
}

func (b *buckets) add(i int32, n uint64) {
	if len(b.counts) == 0 {
		b.offset, b.counts = i, []uint64{n}
		return
	}
	if i < b.offset {
		grown := make([]uint64, int(b.offset-i)+len(b.counts))
		copy(grown[b.offset-i:], b.counts)
		b.counts, b.offset = grown, i
	} else if end := b.offset + int32(len(b.counts)); i >= end {
		b.counts = append(b.counts, make([]uint64, i-end+1)...)
	}
	b.counts[i-b.offset] += n
}

// downscale lowers the scale by by, merging buckets.
func (h *Histogram) downscale(by int32) {
	if by <= 0 {
		return
	}
	if h.scale-by < MinScale {
		by = h.scale - MinScale
	}
	h.scale -= by
	h.pos.downscale(by)
	h.neg.downscale(by)
}

func (b *buckets) downscale(by int32) {
	if len(b.counts) == 0 {
		return
	}
	lo := b.offset >> by
	hi := (b.offset + int32(len(b.counts)) - 1) >> by
	out := make([]uint64, hi-lo+1)
	for k, c := range b.counts {
		out[((b.offset+int32(k))>>by)-lo] += c
	}
	b.offset, b.counts = lo, out
}

// Merge adds o's values to h, at the finer of the scales both can hold.
func (h *Histogram) Merge(o *Histogram) {
	if o.count == 0 {
		return
	}
	if o.scale < h.scale {
		h.downscale(h.scale - o.scale)
	}
	shift := o.scale - h.scale // ≥ 0: o's buckets map onto h's by >> shift
	// At MinScale every int64 fits in 2 buckets: the loop ends there.
	for h.scale > MinScale && !(h.mergeFits(&h.pos, &o.pos, shift) && h.mergeFits(&h.neg, &o.neg, shift)) {
		h.downscale(1)
		shift++
	}
	for _, pair := range [...][2]*buckets{{&h.pos, &o.pos}, {&h.neg, &o.neg}} {
		for k, c := range pair[1].counts {
			if c != 0 {
				pair[0].add((pair[1].offset+int32(k))>>shift, c)
			}
		}
	}
	if h.count == 0 {
		h.min, h.max, h.loose = o.min, o.max, o.loose
	} else {
		h.min, h.max = min(h.min, o.min), max(h.max, o.max)
		h.loose = h.loose || o.loose
	}
	h.zero += o.zero
	h.count += o.count
	h.sum += o.sum
}

// mergeFits reports whether b can take o's buckets shifted down by shift
// without more than maxSize buckets.
func (h *Histogram) mergeFits(b, o *buckets, shift int32) bool {
	if len(o.counts) == 0 {
		return true
	}
	lo := o.offset >> shift
	hi := (o.offset + int32(len(o.counts)) - 1) >> shift
	if len(b.counts) > 0 {
		lo, hi = min(lo, b.offset), max(hi, b.offset+int32(len(b.counts))-1)
	}
	return int(hi-lo)+1 <= h.maxSize
}

// ErrNotSubset is returned by Sub when o holds values h does not.
var ErrNotSubset = errors.New("sketch: Sub of values the histogram does not hold")

// Sub removes o's values from h: o must hold values that were also added
// to h (at a common scale their bucket counts then subtract exactly). Min
// and Max stay h's, but are now only bounds of the values left (Exact
// reports false): Quantile then represents the lowest and highest ranks by
// their buckets too, within RelativeError.
func (h *Histogram) Sub(o *Histogram) error {
	if o.count == 0 {
		return nil
	}
	if o.count > h.count || o.zero > h.zero {
		return ErrNotSubset
	}
	c := o.Clone()
	if c.scale > h.scale {
		c.downscale(c.scale - h.scale)
	} else if c.scale < h.scale {
		h.downscale(h.scale - c.scale)
	}
	for _, pair := range [...][2]*buckets{{&h.pos, &c.pos}, {&h.neg, &c.neg}} {
		for k, n := range pair[1].counts {
			i := pair[1].offset + int32(k)
			j := i - pair[0].offset
			if n == 0 {
				continue
			}
			if j < 0 || int(j) >= len(pair[0].counts) || pair[0].counts[j] < n {
				return ErrNotSubset
			}
		}
	}
	for _, pair := range [...][2]*buckets{{&h.pos, &c.pos}, {&h.neg, &c.neg}} {
		for k, n := range pair[1].counts {
			if n != 0 {
				pair[0].counts[pair[1].offset+int32(k)-pair[0].offset] -= n
			}
		}
	}
	h.zero -= c.zero
	h.count -= c.count
	h.sum -= c.sum
	h.loose = true
	if h.count == 0 {
		h.min, h.max, h.loose = 0, 0, false
	}
	return nil
}

// Clone returns a copy of h.
func (h *Histogram) Clone() *Histogram {
	c := *h
	c.pos.counts = append([]uint64(nil), h.pos.counts...)
	c.neg.counts = append([]uint64(nil), h.neg.counts...)
	return &c
}

// Count returns the number of values.
func (h *Histogram) Count() uint64 { return h.count }

// Sum returns the exact sum of the values.
func (h *Histogram) Sum() int64 { return h.sum }

// Min returns the smallest value added (0 when empty); after Sub, a lower
// bound of the values (see Exact).
func (h *Histogram) Min() int64 { return h.min }

// Max returns the largest value added (0 when empty); after Sub, an upper
// bound of the values (see Exact).
func (h *Histogram) Max() int64 { return h.max }

// Exact reports whether Min and Max are values of the histogram rather
// than bounds: true unless values were removed (Sub) and none added since
// it emptied.
func (h *Histogram) Exact() bool { return !h.loose }

// MaxSize returns the largest number of buckets per sign.
func (h *Histogram) MaxSize() int { return h.maxSize }

// Scale returns the current scale.
func (h *Histogram) Scale() int32 { return h.scale }

// ZeroCount returns how many values were zero.
func (h *Histogram) ZeroCount() uint64 { return h.zero }

// Positive returns the positive range: bucket offset and counts (shared;
// do not modify).
func (h *Histogram) Positive() (offset int32, counts []uint64) { return h.pos.offset, h.pos.counts }

// Negative returns the negative range, as Positive.
func (h *Histogram) Negative() (offset int32, counts []uint64) { return h.neg.offset, h.neg.counts }

// RelativeError is the largest relative error of Quantile at the current
// scale: (base − 1) / (base + 1) with base = 2^(2^−scale).
func (h *Histogram) RelativeError() float64 {
	b := math.Exp2(math.Ldexp(1, -int(h.scale)))
	return (b - 1) / (b + 1)
}

// Quantile returns the nearest-rank p-th percentile (0 < p ≤ 100): the
// value of rank ceil(p/100 × n) (1-based), as package stats defines it,
// represented by the midpoint of its bucket, 2·lower·upper/(lower+upper),
// whose relative error is at most RelativeError; clamped to [Min, Max],
// so the lowest and highest ranks are exact (when Exact; otherwise they
// are bucket midpoints too). 0 when empty.
func (h *Histogram) Quantile(p float64) int64 {
	if h.count == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.count)))
	rank = max(1, min(rank, h.count))
	if rank == 1 && !h.loose {
		return h.min
	}
	if rank == h.count && !h.loose {
		return h.max
	}
	var seen uint64
	// Negative buckets, most negative first.
	for k := len(h.neg.counts) - 1; k >= 0; k-- {
		seen += h.neg.counts[k]
		if seen >= rank {
			return h.clamp(-h.mid(h.neg.offset + int32(k)))
		}
	}
	seen += h.zero
	if seen >= rank {
		return 0
	}
	for k, c := range h.pos.counts {
		seen += c
		if seen >= rank {
			return h.clamp(h.mid(h.pos.offset + int32(k)))
		}
	}
	return h.max
}

// mid is the harmonic midpoint of bucket i, whose relative distance to
// either bound is RelativeError.
func (h *Histogram) mid(i int32) int64 {
	lo, hi := lower(i, h.scale), lower(i+1, h.scale)
	m := 2 * lo * hi / (lo + hi)
	if m >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(math.Round(m))
}

func (h *Histogram) clamp(v int64) int64 { return min(max(v, h.min), h.max) }

// The first byte of the encoding: version 1 for a histogram whose min and
// max are values, version 2 (the same layout with a flags varint after
// the version byte, bit 0 set: min and max are bounds) after Sub.
const (
	encodingVersion      = 1
	encodingVersionLoose = 2
)

// AppendBinary appends h's encoding: version byte, then varints: max
// size, scale, count, sum, min, max, zero count, and each range (offset,
// number of buckets, counts). Version 2 (min and max are bounds, see
// Exact) has a flags varint (1) after the version byte.
func (h *Histogram) AppendBinary(b []byte) ([]byte, error) {
	if h.loose {
		b = append(b, encodingVersionLoose)
		b = binary.AppendUvarint(b, 1)
	} else {
		b = append(b, encodingVersion)
	}
	b = binary.AppendUvarint(b, uint64(h.maxSize))
	b = binary.AppendVarint(b, int64(h.scale))
	b = binary.AppendUvarint(b, h.count)
	b = binary.AppendVarint(b, h.sum)
	b = binary.AppendVarint(b, h.min)
	b = binary.AppendVarint(b, h.max)
	b = binary.AppendUvarint(b, h.zero)
	for _, r := range [...]*buckets{&h.pos, &h.neg} {
		b = binary.AppendVarint(b, int64(r.offset))
		b = binary.AppendUvarint(b, uint64(len(r.counts)))
		for _, c := range r.counts {
			b = binary.AppendUvarint(b, c)
		}
	}
	return b, nil
}

// MarshalBinary returns h's encoding (see AppendBinary).
func (h *Histogram) MarshalBinary() ([]byte, error) { return h.AppendBinary(nil) }

// UnmarshalBinary replaces h with the decoded histogram. It validates
// everything (scale range, bucket count ≤ max size ≤ 4096, buckets that
// int64 values can fall in, counts adding up) and allocates nothing
// before checking sizes against the input.
func (h *Histogram) UnmarshalBinary(data []byte) error {
	_, err := h.decode(data)
	return err
}

// Decode decodes one histogram from the start of data and returns the
// bytes it used.
func (h *Histogram) Decode(data []byte) (int, error) { return h.decode(data) }

func (h *Histogram) decode(data []byte) (int, error) {
	off := 0
	bad := func(what string) error { return fmt.Errorf("sketch: corrupt encoding: %s at byte %d", what, off) }
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(data[off:])
		if n <= 0 {
			return 0, false
		}
		off += n
		return v, true
	}
	sv := func() (int64, bool) {
		v, n := binary.Varint(data[off:])
		if n <= 0 {
			return 0, false
		}
		off += n
		return v, true
	}
	if len(data) == 0 || data[0] != encodingVersion && data[0] != encodingVersionLoose {
		return 0, bad("unknown version")
	}
	off = 1
	var g Histogram
	if data[0] == encodingVersionLoose {
		if flags, ok := uv(); !ok || flags != 1 {
			return 0, bad("bad flags")
		}
		g.loose = true
	}
	size, ok1 := uv()
	scale, ok2 := sv()
	count, ok3 := uv()
	sum, ok4 := sv()
	mn, ok5 := sv()
	mx, ok6 := sv()
	zero, ok7 := uv()
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return 0, bad("truncated header")
	}
	if size < 2 || size > 4096 || scale < MinScale || scale > DefaultMaxScale || mn > mx && count > 0 || g.loose && count == 0 {
		return 0, bad("bad header")
	}
	g.maxSize, g.scale, g.count, g.sum, g.min, g.max, g.zero = int(size), int32(scale), count, sum, mn, mx, zero
	total := zero
	// The buckets of |v| for 1 ≤ |v| ≤ 2^63: whatever decodes then merges
	// (a range wider than this could not fit even at MinScale).
	lo, hi := int64(index(1, g.scale)), int64(index(1<<63, g.scale))
	for _, r := range [...]*buckets{&g.pos, &g.neg} {
		o, ok := sv()
		n, ok2 := uv()
		if !ok || !ok2 || o < math.MinInt32/2 || o > math.MaxInt32/2 || n > size || n > uint64(len(data)-off) ||
			n > 0 && (o < lo || o+int64(n)-1 > hi) {
			return 0, bad("bad range")
		}
		r.offset = int32(o)
		if n > 0 {
			r.counts = make([]uint64, n)
		}
		for k := range r.counts {
			c, ok := uv()
			if !ok {
				return 0, bad("truncated counts")
			}
			r.counts[k] = c
			if total+c < total {
				return 0, bad("count overflow")
			}
			total += c
		}
	}
	if total != count {
		return 0, bad("bucket counts do not add up to the count")
	}
	*h = g
	return off, nil
}
