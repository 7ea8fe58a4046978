package repair

import "github.com/syncaudit/syncaudit/trace"

// BreakCycles returns an Adjuster that makes t.Parent acyclic.
//
// Parent IDs come from untrusted input, so parent chains can loop: a span
// naming itself, two spans naming each other, or a long ring (IDs reused
// across requests, or hashed non-hex IDs that collide). On each cycle the
// span with the smallest index (the earliest start) becomes a root and gets
// trace.WarnCycle; it is the one most likely to be the real caller. Every
// other link is kept, so the rest of the cycle hangs under it. ParentID is
// left as the input said.
//
// Assumes Parent was set by ChooseParents. Each span is visited once, by
// following parent pointers with an explicit path: O(n).
func BreakCycles() Adjuster {
	return Func(breakCycles)
}

func breakCycles(t *trace.Trace) {
	fixParent(t)
	const (
		unseen = iota
		onPath
		done
	)
	n := len(t.Spans)
	state := make([]uint8, n)
	pos := make([]int32, n) // position on the current path, valid while onPath
	var path []int32
	for start := range n {
		if state[start] != unseen {
			continue
		}
		path = path[:0]
		j := int32(start)
		for j >= 0 && state[j] == unseen {
			state[j] = onPath
			pos[j] = int32(len(path))
			path = append(path, j)
			j = t.Parent[j]
		}
		if j >= 0 && state[j] == onPath {
			// path[pos[j]:] is a cycle: cut it at its smallest index.
			cut := j
			for _, k := range path[pos[j]:] {
				cut = min(cut, k)
			}
			t.Parent[cut] = -1
			t.Spans[cut].Warnings |= trace.WarnCycle
		}
		for _, k := range path {
			state[k] = done
		}
	}
}
