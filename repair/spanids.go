package repair

import (
	"cmp"
	"encoding/binary"
	"hash/fnv"
	"slices"

	"github.com/syncaudit/syncaudit/trace"
)

// DedupeSpanIDs returns an Adjuster that makes span IDs unique within a trace.
//
// Zipkin instrumentation may report both halves of an RPC under one span ID:
// a CLIENT span and a SERVER span (Zipkin v2 marks the server half
// "shared": true, trace.FlagShared). When spans sharing an ID include a
// CLIENT span and a SERVER or FlagShared span, the first such server half
// gets a new ID, its parent becomes the client half (ParentRef CHILD_OF), and
// every other span whose parent was the shared ID (ParentID, or a same-trace
// CHILD_OF/FOLLOWS_FROM reference) is re-pointed to the server half; the
// server half gets trace.WarnSharedSpanID. This is what Jaeger's
// DeduplicateClientServerSpanIDs does. A group without a CLIENT span but with
// a FlagShared span takes its first non-shared, non-SERVER span as the client
// half.
//
// Any other span sharing an ID with an earlier one (in span order, the client
// half first) is a different span that collided: it gets a new ID and
// trace.WarnDuplicateSpanID, and spans that named the ID as their parent stay
// with the first holder, since nothing says which one they meant.
//
// New IDs are derived deterministically: FNV-64a of the old ID and the
// service, re-hashed until the result is non-zero and unused in the trace.
// Assumes exact copies were removed first (DropDuplicates). It sets parent
// IDs, not Parent: run ChooseParents afterwards. Spans whose ID changed are
// moved to their place in the canonical order (the ID is a sort key), Parent
// moving with them. O(n) expected time, plus O(n log n) when an ID changed.
func DedupeSpanIDs() Adjuster {
	return Func(dedupeSpanIDs)
}

func dedupeSpanIDs(t *trace.Trace) { dedupeSpanIDsIn(t, nil) }

// dedupeSpanIDsIn is dedupeSpanIDs given t's sorted span IDs (nil: not
// sorted yet). It reports whether it changed IDs (ids are then stale).
func dedupeSpanIDsIn(t *trace.Trace, ids []idPos) bool {
	n := len(t.Spans)
	if n < 2 {
		return false
	}
	// The holders of each ID held more than once, in position order: runs
	// of equal IDs in the sorted IDs. Most traces have none.
	var groups [][]int32
	if ids == nil {
		ids = spanIDs(t)
	}
	for k := 0; k < len(ids); {
		e := k + 1
		for e < len(ids) && ids[e].id == ids[k].id {
			e++
		}
		if e-k > 1 {
			g := make([]int32, e-k)
			for m := range g {
				g[m] = ids[k+m].pos
			}
			groups = append(groups, g)
		}
		k = e
	}
	if len(groups) == 0 {
		return false
	}
	// Groups in the order a scan of the spans completes them (by their
	// second holder), for determinism.
	slices.SortFunc(groups, func(a, b []int32) int { return cmp.Compare(a[1], b[1]) })
	used := make(map[trace.SpanID]int32, n) // ID -> first holder
	for i := range t.Spans {
		if _, ok := used[t.Spans[i].SpanID]; !ok {
			used[t.Spans[i].SpanID] = int32(i)
		}
	}
	serverOf := make(map[trace.SpanID]trace.SpanID) // shared ID -> server half's new ID
	for _, g := range groups {
		id := t.Spans[g[0]].SpanID
		client, server := sharedPair(t.Spans, g)
		keeper := g[0]
		if client >= 0 {
			keeper = client
		}
		for _, i := range g {
			s := &t.Spans[i]
			switch i {
			case keeper:
				continue
			case server:
				s.SpanID = newSpanID(used, id, s.Service, i)
				s.ParentID, s.ParentRef = id, trace.RefChildOf
				s.Warnings |= trace.WarnSharedSpanID
				serverOf[id] = s.SpanID
			default:
				s.SpanID = newSpanID(used, id, s.Service, i)
				s.Warnings |= trace.WarnDuplicateSpanID
			}
		}
	}
	// Re-point the server halves' children, written against the shared ID.
	for i := range t.Spans {
		s := &t.Spans[i]
		if srv, ok := serverOf[s.ParentID]; ok && srv != s.SpanID {
			// (A server half itself keeps the client half as its parent.)
			s.ParentID = srv
		}
		if len(s.Refs) == 0 {
			continue
		}
		cloned := false
		for k := range s.Refs {
			r := &s.Refs[k]
			if r.Type != trace.RefChildOf && r.Type != trace.RefFollowsFrom || !sameTrace(t, r.TraceID) {
				continue
			}
			srv, ok := serverOf[r.SpanID]
			if !ok || srv == s.SpanID {
				continue
			}
			if !cloned {
				// Refs may share an array with another span's; copy on write.
				s.Refs = append([]trace.Ref(nil), s.Refs...)
				r = &s.Refs[k]
				cloned = true
			}
			r.SpanID = srv
		}
	}
	// Span and parent IDs are sort keys: restore the canonical order.
	fixParent(t)
	resort(t)
	return true
}

// sharedPair finds the client and server halves of a Zipkin shared span
// among the holders g of one ID, or returns -1, -1.
func sharedPair(spans []trace.Span, g []int32) (client, server int32) {
	client, server = -1, -1
	anyShared := false
	for _, i := range g {
		s := &spans[i]
		if s.Flags&trace.FlagShared != 0 {
			anyShared = true
		}
		if client < 0 && s.Kind == trace.KindClient {
			client = i
		}
	}
	if client < 0 && anyShared {
		for _, i := range g {
			s := &spans[i]
			if s.Flags&trace.FlagShared == 0 && s.Kind != trace.KindServer {
				client = i
				break
			}
		}
	}
	if client < 0 {
		return -1, -1
	}
	for _, i := range g {
		s := &spans[i]
		if i != client && (s.Kind == trace.KindServer || s.Flags&trace.FlagShared != 0) {
			return client, i
		}
	}
	return -1, -1
}

// newSpanID derives a fresh ID from old and service, records it in used
// (held by span i) and returns it.
func newSpanID(used map[trace.SpanID]int32, old trace.SpanID, service string, i int32) trace.SpanID {
	h := fnv.New64a()
	h.Write(old[:])
	h.Write([]byte(service))
	var id trace.SpanID
	binary.BigEndian.PutUint64(id[:], h.Sum64())
	var salt [8]byte
	for k := uint64(1); ; k++ {
		if _, taken := used[id]; !taken && !id.IsZero() {
			used[id] = i
			return id
		}
		// Re-hash with a counter, so the sequence cannot cycle.
		binary.BigEndian.PutUint64(salt[:], k)
		h.Reset()
		h.Write(id[:])
		h.Write(salt[:])
		binary.BigEndian.PutUint64(id[:], h.Sum64())
	}
}

// sameTrace reports whether a reference's trace ID names t. A zero trace
// ID (a decoder that did not set it) counts as the same trace.
func sameTrace(t *trace.Trace, id trace.TraceID) bool {
	return id.IsZero() || id == t.ID
}
