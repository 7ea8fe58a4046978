package ingest

import (
	"fmt"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

// TestAttrCanon: equal attribute lists of different chunks become one
// list; content never changes; a chunk of unique lists is left alone.
func TestAttrCanon(t *testing.T) {
	var c attrCanon
	chunk := func(values ...string) []trace.Span {
		lists := map[string]trace.Attrs{} // shared within the chunk, as a decoder does
		out := make([]trace.Span, len(values))
		for i, v := range values {
			if v == "" {
				continue
			}
			if lists[v] == nil {
				lists[v] = trace.Attrs{{Key: trace.AttrHTTPRoute, Value: v}}
			}
			out[i].Attrs = lists[v]
		}
		return out
	}
	a, b := chunk("/a", "/b", "/a", ""), chunk("/b", "/a")
	c.apply(a)
	c.apply(b)
	for _, tc := range []struct {
		x, y trace.Attrs
		same bool
	}{{a[0].Attrs, b[1].Attrs, true}, {a[1].Attrs, b[0].Attrs, true}, {a[0].Attrs, a[2].Attrs, true}, {a[0].Attrs, a[1].Attrs, false}} {
		if got := &tc.x[0] == &tc.y[0]; got != tc.same {
			t.Errorf("%v and %v: shared %v, want %v", tc.x, tc.y, got, tc.same)
		}
	}
	if a[3].Attrs != nil || a[0].Attrs.Get(trace.AttrHTTPRoute) != "/a" || b[0].Attrs.Get(trace.AttrHTTPRoute) != "/b" {
		t.Errorf("content changed: %v %v", a, b)
	}
	// Unique lists: canonicalisation stops early, content is kept.
	var uniq []string
	for i := range 2000 {
		uniq = append(uniq, fmt.Sprint("/item/", i))
	}
	u := chunk(uniq...)
	c.apply(u)
	for i := range u {
		if got := u[i].Attrs.Get(trace.AttrHTTPRoute); got != uniq[i] {
			t.Fatalf("span %d: %q, want %q", i, got, uniq[i])
		}
	}
	if n := c.sets.Len(); n > 300 {
		t.Errorf("%d lists canonicalised from a chunk of unique lists, want it to stop early", n)
	}
}

func TestBudgetFor(t *testing.T) {
	for _, tc := range []struct{ limit, want int64 }{
		{1, 1}, {3 << 20, 1 << 20}, {768 << 20, 256 << 20}, {64 << 30, maxBudget},
	} {
		if got := budgetFor(tc.limit); got != tc.want {
			t.Errorf("budgetFor(%d) = %d, want %d", tc.limit, got, tc.want)
		}
	}
}
