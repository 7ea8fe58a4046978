package repair

import (
	"slices"

	"github.com/syncaudit/syncaudit/trace"
)

// DropDuplicates returns an Adjuster that removes copies of a span: spans
// with the same span ID, service, name and kind whose start and duration
// agree to the microsecond (Jaeger and Zipkin keep microseconds, OTLP
// nanoseconds, so the same span read from a Jaeger download and an OTLP
// export must still match). The first
// copy in span order is kept; the others are counted in t.Rejected under
// trace.RejectDuplicate.
//
// Assumptions: such copies are the same span exported twice (two collector
// pipelines, a file read twice, a Jaeger download with overlapping results),
// not two operations: two real operations never share an ID and all five
// fields. Copies may differ in what each exporter kept, so the kept span
// takes from the others what it lacks: a parent ID or references, attributes,
// flags, warnings and an error status. Spans that share an ID but differ in
// any key field are left for DedupeSpanIDs.
//
// A Parent entry that pointed to a removed copy points to the kept one; the
// trace is not linked afterwards. O(n) expected time.
func DropDuplicates() Adjuster {
	return Func(dropDuplicates)
}

type dupKey struct {
	id             trace.SpanID
	startUs, durUs int64
	kind           trace.Kind
	service        string
	name           string
}

func dropDuplicates(t *trace.Trace) { dropDuplicatesIn(t, nil) }

// dropDuplicatesIn is dropDuplicates given t's sorted span IDs (nil: not
// sorted yet). It reports whether it dropped spans (ids are then stale).
func dropDuplicatesIn(t *trace.Trace, ids []idPos) bool {
	fixParent(t)
	n := len(t.Spans)
	if n < 2 {
		return false
	}
	// Only spans whose ID occurs more than once can be copies; most traces
	// have none, so find repeated IDs first (in sorted IDs, they are
	// neighbours) and build the wider key map only for those.
	var repeated []bool
	if ids == nil {
		ids = spanIDs(t)
	}
	for k := 1; k < len(ids); k++ {
		if ids[k].id == ids[k-1].id {
			if repeated == nil {
				repeated = make([]bool, n)
			}
			repeated[ids[k].pos], repeated[ids[k-1].pos] = true, true
		}
	}
	if repeated == nil {
		return false
	}
	first := make(map[dupKey]int32)
	keep := make([]bool, n)
	to := make([]int32, n)
	dropped := 0
	for i := range t.Spans {
		s := &t.Spans[i]
		keep[i], to[i] = true, -1
		if !repeated[i] {
			continue
		}
		k := dupKey{s.SpanID, floorDiv(s.Start, 1000), floorDiv(s.End-s.Start, 1000), s.Kind, s.Service, s.Name}
		j, ok := first[k]
		if !ok {
			first[k] = int32(i)
			continue
		}
		mergeInto(&t.Spans[j], s)
		keep[i], to[i] = false, j
		dropped++
	}
	if dropped == 0 {
		return false
	}
	compact(t, keep, to)
	resort(t) // a kept copy may have taken finer timestamps
	if t.Rejected == nil {
		t.Rejected = trace.Tally{}
	}
	t.Rejected.Add(trace.RejectDuplicate, dropped)
	return true
}

// mergeInto copies into dst what the copy src knows and dst does not.
func mergeInto(dst, src *trace.Span) {
	if dst.ParentID.IsZero() && !src.ParentID.IsZero() {
		dst.ParentID, dst.ParentRef = src.ParentID, src.ParentRef
	}
	if len(dst.Refs) == 0 && len(src.Refs) > 0 {
		dst.Refs = src.Refs
	}
	for _, a := range src.Attrs {
		if dst.Attrs.Get(a.Key) == "" && a.Value != "" {
			// Clip first: the attribute slice may share its array with
			// other spans of the same input batch.
			dst.Attrs = append(slices.Clip(dst.Attrs), a)
		}
	}
	// Keep nanosecond timestamps over microsecond ones.
	if dst.Start%1000 == 0 && dst.End%1000 == 0 && (src.Start%1000 != 0 || src.End%1000 != 0) {
		dst.Start, dst.End = src.Start, src.End
	}
	dst.Flags |= src.Flags
	dst.Warnings |= src.Warnings
	dst.Status = max(dst.Status, src.Status) // error > ok > unset
}

// floorDiv divides rounding toward negative infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
