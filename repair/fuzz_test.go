package repair_test

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// spansFromBytes turns arbitrary bytes into spans drawn from a small pool of
// IDs, services and times, so that duplicates, shared IDs, cycles, missing
// parents, cross-trace references, links, negative durations and extreme
// timestamps all occur. Each span takes 8 bytes.
func spansFromBytes(data []byte) []trace.Span {
	times := []int64{0, 1, 5, 10, 50, 100, 1000, -1000, math.MaxInt64, math.MinInt64, math.MaxInt64 - 1, 1 << 62}
	var spans []trace.Span
	for len(data) >= 8 {
		b := data[:8]
		data = data[8:]
		s := trace.Span{
			TraceID:   tid,
			SpanID:    id(uint64(b[0]%16) + 1),
			Service:   []string{"a", "b", "c"}[b[1]%3],
			Name:      "op",
			Kind:      trace.Kind(b[1] / 3 % 6),
			Start:     times[int(b[2])%len(times)] * int64(b[3]%4+1),
			ParentRef: trace.RefType(b[7] / 64),
		}
		s.End = s.Start + times[int(b[4])%len(times)]
		if b[5]%3 != 0 {
			s.ParentID = id(uint64(b[5] % 20))
		}
		if b[6]&1 != 0 {
			s.Flags |= trace.FlagShared
		}
		if b[6]&2 != 0 {
			s.Flags |= trace.FlagAsync
		}
		for k := 0; k < int(b[6]>>2%4); k++ {
			r := trace.Ref{TraceID: tid, SpanID: id(uint64(b[7]+byte(k)) % 18), Type: trace.RefType((b[6]>>4)+byte(k)) % 4}
			if (b[7]+byte(k))%5 == 0 {
				r.TraceID = trace.TraceID{1}
			}
			s.Refs = append(s.Refs, r)
		}
		spans = append(spans, s)
	}
	return spans
}

// checkRepaired runs Standard in mode compat on spans and checks the result.
func checkRepaired(t *testing.T, spans []trace.Span, compat bool) {
	t.Helper()
	o := repair.DefaultOptions()
	o.JaegerCompat = compat
	tr := build(spans...)
	n := len(tr.Spans)
	repair.Standard(o).Adjust(tr)
	checkInvariants(t, tr)
	if got := len(tr.Spans) + tr.Rejected.Total(); got != n {
		t.Fatalf("%d spans + %d rejected, want %d", len(tr.Spans), tr.Rejected.Total(), n)
	}
	if compat {
		checkNested(t, tr)
	}
	// Without cycles (whose cut depends on span order, which repairs move),
	// repairing a repaired trace changes nothing.
	// Jaeger's clipping is not idempotent either: a child clipped to a
	// zero-length parent's window starts at its end, and so is dropped by a
	// second pass.
	for i := range tr.Spans {
		if tr.Spans[i].Warnings.Has(trace.WarnCycle) {
			return
		}
		if p := tr.Parent[i]; compat && p >= 0 && tr.Spans[p].End == tr.Spans[p].Start {
			return
		}
	}
	again := &trace.Trace{ID: tr.ID, Spans: append([]trace.Span(nil), tr.Spans...), Parent: append([]int32(nil), tr.Parent...)}
	repair.Standard(o).Adjust(again)
	if !reflect.DeepEqual(again.Spans, tr.Spans) || !reflect.DeepEqual(again.Parent, tr.Parent) || again.Rejected.Total() != 0 {
		t.Fatalf("second repair changed the trace:\nfirst:\n%s\nsecond:\n%s", dump(tr), dump(again))
	}
}

func TestRandomTraces(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		data := make([]byte, 8*(1+r.IntN(40)))
		for k := range data {
			data[k] = byte(r.Uint32())
		}
		spans := spansFromBytes(data)
		for _, compat := range []bool{false, true} {
			ok := t.Run("", func(t *testing.T) { checkRepaired(t, spans, compat) })
			if !ok {
				t.Fatalf("case %d (compat %v) failed; input %x", i, compat, data)
			}
		}
	}
}

func TestDegenerateTraces(t *testing.T) {
	for _, tr := range []*trace.Trace{
		nil,
		{},
		{Spans: []trace.Span{{}}}, // Parent missing, zero IDs
		{Spans: []trace.Span{{}, {}}, Parent: []int32{5, -7}}, // Parent out of range
		{Spans: []trace.Span{{}}, Parent: []int32{0, 0, 0}},   // Parent too long
	} {
		for _, compat := range []bool{false, true} {
			o := repair.DefaultOptions()
			o.JaegerCompat = compat
			repair.Standard(o).Adjust(tr)
			if tr != nil {
				checkInvariants(t, tr)
			}
		}
	}
	// Each step alone, on a trace never linked.
	steps := []repair.Adjuster{
		repair.DropDuplicates(), repair.DedupeSpanIDs(), repair.ChooseParents(), repair.BreakCycles(),
		repair.ClampDurations(), repair.LinkTree(), repair.CorrectClockSkew(0), repair.MarkAsync(0),
		repair.MarkAsyncRelations(), repair.Truncate(), repair.Func(nil), repair.Sequence(nil),
	}
	for _, s := range steps {
		s.Adjust(nil)
		s.Adjust(&trace.Trace{})
		tr := &trace.Trace{Spans: spansFromBytes([]byte("0123456701234567abcdefgh"))}
		s.Adjust(tr)
	}
}

func FuzzStandard(f *testing.F) {
	f.Add([]byte("0123456701234567abcdefgh"))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 3, 2, 0, 3, 1, 0, 0, 1, 7, 2, 0, 4, 0, 1, 0, 2, 4, 1, 0, 3, 1, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8*200 {
			return
		}
		spans := spansFromBytes(data)
		checkRepaired(t, spans, false)
		checkRepaired(t, spans, true)
	})
}
