package decoder

import (
	"hash/maphash"
	"slices"

	"github.com/syncaudit/syncaudit/trace"
)

// maxAttrSets bounds AttrSets: past it the sets known are forgotten, so
// inputs whose attributes never repeat cost a bounded map.
const maxAttrSets = 4096

// AttrSets shares identical kept-attribute lists between spans. Spans of
// one instrumentation repeat the same few lists (method, route, server
// address, status), so sharing saves memory, and stages that derive
// something from a span's attributes can cache it by the list's identity.
// Shared lists must not be modified (trace.Attrs are append-only after
// decoding: code that adds to one clips it first). The zero AttrSets is
// ready to use; it is not safe for concurrent use.
type AttrSets struct {
	seed maphash.Seed
	m    map[uint64]trace.Attrs
}

// Share returns a list equal to a: one returned before when there is one,
// else copyOf(a), which Share then remembers. a itself is never kept, so
// it may be a scratch buffer.
func (s *AttrSets) Share(a trace.Attrs, copyOf func(trace.Attrs) trace.Attrs) trace.Attrs {
	if len(a) == 0 {
		return nil
	}
	if s.m == nil || len(s.m) >= maxAttrSets {
		s.m = make(map[uint64]trace.Attrs, 64)
		if s.seed == (maphash.Seed{}) {
			s.seed = maphash.MakeSeed()
		}
	}
	var h maphash.Hash
	h.SetSeed(s.seed)
	for _, x := range a {
		h.WriteByte(byte(x.Key))
		h.WriteString(x.Value)
		h.WriteByte(0)
	}
	k := h.Sum64()
	if got, ok := s.m[k]; ok && slices.Equal(got, a) {
		return got
	}
	c := copyOf(a)
	s.m[k] = c
	return c
}

// Len returns the number of lists Share currently remembers.
func (s *AttrSets) Len() int { return len(s.m) }
