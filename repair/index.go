package repair

import (
	"cmp"
	"encoding/binary"
	"slices"

	"github.com/syncaudit/syncaudit/trace"
)

// idPos is a span ID, as a number, and the position of a span holding it.
type idPos struct {
	id  uint64
	pos int32
}

func idNum(id trace.SpanID) uint64 { return binary.BigEndian.Uint64(id[:]) }

// radixMin is the size from which sortIDs radix sorts.
const radixMin = 1 << 12

// sortIDs returns key(i) for every i < n with i, sorted by ID and, for
// equal IDs, by position. The steps that look spans up by ID use it
// instead of a hash map: on a million spans, sorting and walking sorted
// lists costs a fraction of a map insert and lookup per span, whose
// memory accesses are random.
func sortIDs(n int, key func(i int) trace.SpanID) []idPos {
	out := make([]idPos, n)
	for i := range out {
		out[i] = idPos{idNum(key(i)), int32(i)}
	}
	switch {
	case n <= 64:
		// Insertion sort, stable: most traces are this small, and a
		// comparison function call per step would cost more than the sort.
		for i := 1; i < n; i++ {
			x := out[i]
			j := i
			for j > 0 && out[j-1].id > x.id {
				out[j] = out[j-1]
				j--
			}
			out[j] = x
		}
		return out
	case n < radixMin:
		slices.SortFunc(out, func(a, b idPos) int { return cmp.Or(cmp.Compare(a.id, b.id), cmp.Compare(a.pos, b.pos)) })
		return out
	}
	// LSD radix sort, 16 bits a pass: stable, so equal IDs stay in
	// position order. A pass whose digit is the same for every key is
	// skipped.
	tmp := make([]idPos, n)
	var count [1 << 16]int
	for shift := uint(0); shift < 64; shift += 16 {
		clear(count[:])
		for _, x := range out {
			count[x.id>>shift&0xffff]++
		}
		if count[out[0].id>>shift&0xffff] == n {
			continue
		}
		sum := 0
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for _, x := range out {
			d := x.id >> shift & 0xffff
			tmp[count[d]] = x
			count[d]++
		}
		out, tmp = tmp, out
	}
	return out
}

// spanIDs returns t's span IDs sorted (see sortIDs).
func spanIDs(t *trace.Trace) []idPos {
	return sortIDs(len(t.Spans), func(i int) trace.SpanID { return t.Spans[i].SpanID })
}

// firstHolder returns the position of the first span holding id in ids
// (sorted by sortIDs), or -1.
func firstHolder(ids []idPos, id trace.SpanID) int32 {
	x := idNum(id)
	k, ok := slices.BinarySearchFunc(ids, x, func(e idPos, x uint64) int { return cmp.Compare(e.id, x) })
	if !ok {
		return -1
	}
	return ids[k].pos
}
