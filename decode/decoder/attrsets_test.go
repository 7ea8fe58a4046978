package decoder

import (
	"fmt"
	"slices"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

func TestAttrSetsShare(t *testing.T) {
	var s AttrSets
	copies := 0
	copyOf := func(a trace.Attrs) trace.Attrs { copies++; return slices.Clone(a) }
	scratch := trace.Attrs{{Key: trace.AttrHTTPMethod, Value: "GET"}, {Key: trace.AttrHTTPRoute, Value: "/a"}}
	a := s.Share(scratch, copyOf)
	if &a[0] == &scratch[0] {
		t.Fatal("Share kept the caller's buffer")
	}
	scratch[1].Value = "/b" // the caller reuses its buffer
	b := s.Share(scratch, copyOf)
	if a[1].Value != "/a" || b[1].Value != "/b" || &a[0] == &b[0] {
		t.Fatalf("different lists shared: %v %v", a, b)
	}
	scratch[1].Value = "/a"
	c := s.Share(scratch, copyOf)
	if &c[0] != &a[0] {
		t.Error("equal lists not shared")
	}
	if copies != 2 {
		t.Errorf("%d copies, want 2", copies)
	}
	if s.Share(nil, copyOf) != nil || s.Share(trace.Attrs{}, copyOf) != nil {
		t.Error("empty list: want nil")
	}
	// Different keys with the same value are different lists.
	d := s.Share(trace.Attrs{{Key: trace.AttrHTTPMethod, Value: "/a"}, {Key: trace.AttrHTTPRoute, Value: "GET"}}, copyOf)
	if slices.Equal(d, a) {
		t.Error("lists with swapped values compare equal")
	}
}

// TestAttrSetsBounded: lists that never repeat keep the map bounded, and
// sharing goes on after it is reset.
func TestAttrSetsBounded(t *testing.T) {
	var s AttrSets
	copyOf := func(a trace.Attrs) trace.Attrs { return slices.Clone(a) }
	for i := range 3 * maxAttrSets {
		s.Share(trace.Attrs{{Key: trace.AttrURLPath, Value: fmt.Sprint("/item/", i)}}, copyOf)
		if len(s.m) > maxAttrSets {
			t.Fatalf("%d sets after %d lists", len(s.m), i+1)
		}
	}
	x := s.Share(trace.Attrs{{Key: trace.AttrURLPath, Value: "/x"}}, copyOf)
	y := s.Share(trace.Attrs{{Key: trace.AttrURLPath, Value: "/x"}}, copyOf)
	if &x[0] != &y[0] {
		t.Error("not shared after reset")
	}
}
