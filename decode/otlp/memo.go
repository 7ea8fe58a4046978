package otlp

import (
	"bytes"
	"sync"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/trace"
)

// memos is what a converter recalls: span attribute arrays and Resource
// objects by their raw bytes. Memos are pooled and reused from decode to
// decode: a trace per file repeats the attributes and resources of the
// files before it, and a memo costs its slots' allocation. Recalling is
// exact whatever a memo holds, so the spans do not depend on which memo a
// decode gets; what memos share across decodes is immutable (attribute
// lists are not modified after decoding; see decoder.AttrSets) and their
// strings are copies, not views of any input.
type memos struct {
	memo    attrMemo
	resMemo resourceMemo
}

var memoPool = sync.Pool{New: func() any { return new(memos) }}

// attrMemo remembers, per span name, the raw bytes of the last few span
// attributes arrays read from a clean span state and what reading them
// gave. Spans of one operation usually carry byte-identical attributes
// (method, route, server address, status), so comparing the input at the
// reader's position with the remembered bytes (a memcmp) replaces parsing,
// classifying and interning every attribute. Client spans are often named
// by the HTTP method alone, so a name keeps several arrays (memoWays).
//
// This is exact: a JSON value is determined by its bytes, and reading
// one consumes exactly its bytes, so when the input at the position
// starts with a whole remembered array, reading would consume those
// bytes and give the same attributes. Arrays whose reading failed, gave
// up (strict mode) or set a scanner flag are not remembered.
type attrMemo struct {
	slots *[memoSlots]memoSlot
	// recalled counts the arrays recalled instead of read.
	recalled int
}

const (
	memoSlots = 64
	memoWays  = 8
)

type memoSlot struct {
	ways [memoWays]memoEntry
	next uint8 // the way replaced next
}

type memoEntry struct {
	raw   []byte
	attrs trace.Attrs
	// shared is attrs as shared between spans (decoder.AttrSets).
	shared    trace.Attrs
	errTag    bool
	tagStatus trace.Status
	tagKind   trace.Kind
}

func (m *attrMemo) slot(name string) *memoSlot {
	if m.slots == nil {
		m.slots = new([memoSlots]memoSlot)
	}
	return &m.slots[decoder.NameHash(name)%memoSlots]
}

// recall applies remembered attributes when the input at s.pos starts
// with an array remembered for st's span name, advancing s past it.
func (m *attrMemo) recall(s *scanner, c *converter, st *spanState) bool {
	sl := m.slot(st.sp.Name)
	in := s.data[s.pos:]
	for i := range sl.ways {
		e := &sl.ways[i]
		if len(e.raw) == 0 || !bytes.HasPrefix(in, e.raw) {
			continue
		}
		s.pos += len(e.raw)
		m.recalled++
		c.scratch = append(c.scratch[:0], e.attrs...)
		c.recalled = e.shared
		st.errTag, st.tagStatus, st.tagKind = e.errTag, e.tagStatus, e.tagKind
		return true
	}
	return false
}

// remember records raw, an attributes array just read for a span named
// name from a clean state, and the state it left.
func (m *attrMemo) remember(raw []byte, name string, c *converter, st *spanState) {
	sl := m.slot(name)
	e := &sl.ways[sl.next]
	sl.next = (sl.next + 1) % memoWays
	e.raw = append(e.raw[:0], raw...)
	e.attrs = append(e.attrs[:0], c.scratch...)
	e.shared = c.sets.Share(c.scratch, c.copyAttrs)
	e.errTag, e.tagStatus, e.tagKind = st.errTag, st.tagStatus, st.tagKind
}

// resourceMemo remembers the raw bytes of the few Resource objects read
// strictly and used most recently, and the service name each gave: exporters repeat the
// same resource (service, host, SDK) in every batch, down to one span a
// batch, and comparing bytes replaces reading its attributes. Exact for
// the reason attrMemo is.
type resourceMemo struct {
	ways [resourceWays]struct {
		raw  []byte
		svc  string
		used uint64 // clock of the last use
	}
	clock uint64
	// recalled counts the resources recalled instead of read.
	recalled int
}

const resourceWays = 8

// recall returns the service name of a remembered resource that the input
// at s.pos starts with, advancing s past it.
func (m *resourceMemo) recall(s *scanner) (string, bool) {
	in := s.data[s.pos:]
	for i := range m.ways {
		if w := &m.ways[i]; len(w.raw) > 0 && bytes.HasPrefix(in, w.raw) {
			s.pos += len(w.raw)
			m.recalled++
			m.clock++
			w.used = m.clock
			return w.svc, true
		}
	}
	return "", false
}

// remember records raw, a resource just read strictly, and its service,
// in place of the least recently used one.
func (m *resourceMemo) remember(raw []byte, svc string) {
	lru := 0
	for i := range m.ways {
		if m.ways[i].used < m.ways[lru].used {
			lru = i
		}
	}
	w := &m.ways[lru]
	m.clock++
	w.raw, w.svc, w.used = append(w.raw[:0], raw...), svc, m.clock
}
