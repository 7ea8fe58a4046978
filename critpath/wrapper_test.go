package critpath

import (
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

// TestWrapperNotOnPath: a wrapper (trace.FlagWrapper) enclosing the call
// it waits on would otherwise end last and take the path, leaving the call
// off it. Marked, the call is on the path and the parent keeps the
// wrapper's time outside the call: 100 − 40 = 60.
func TestWrapperNotOnPath(t *testing.T) {
	for _, wrapper := range []bool{false, true} {
		b := build(t, []sp{
			{name: "root", start: 0, end: 100},
			{name: "handle", parent: "root", start: 10, end: 90},
			{name: "call", parent: "root", start: 20, end: 60},
		})
		if wrapper {
			b.t.Spans[b.idx["handle"]].Flags |= trace.FlagWrapper
		}
		p := Compute(b.t)
		call, handle, root := b.idx["call"], b.idx["handle"], b.idx["root"]
		if wrapper {
			if !p.OnPath[call] || p.OnPath[handle] || p.Self[root] != 60 || p.Self[call] != 40 {
				t.Errorf("wrapper: call on path %v (self %d), handle %v, root self %d; want true (40), false, 60",
					p.OnPath[call], p.Self[call], p.OnPath[handle], p.Self[root])
			}
		} else if p.OnPath[call] || !p.OnPath[handle] {
			t.Errorf("unmarked: call on path %v, handle %v; want false, true", p.OnPath[call], p.OnPath[handle])
		}
	}
}
