// Package whatif projects a request's latency when synchronous calls are
// made asynchronous ("detached") or sibling calls run concurrently, by
// re-simulating the trace's timeline.
//
// Input: a repaired, linked *trace.Trace (Parent, Spans; spans marked
// trace.FlagAsync, and wrappers marked trace.FlagWrapper, never gate their parent: see trace.Span.Gates). Output: the re-simulated duration
// of a request in nanoseconds, from which the projected saving follows.
//
//	m := whatif.NewModel(t)                      // once per trace, O(n log n)
//	ch := whatif.Change{Detach: []int32{email}}  // email is now published to a queue
//	d := m.Simulate(root, ch, enqueueCost)       // re-simulated root duration (ns)
//	saving := m.Duration(root) - d
//
// # Model
//
// Each parent's synchronous children are first clipped to the parent's
// window (a child starting before its parent starts with it; one ending after
// it ends with it). Within a parent, a child's predecessors are the sync
// siblings that ended at or before it started (for zero-length siblings at
// the same instant, the one earlier in (end, start, index) order). Its gap is
// the time between the latest predecessor's end, or the parent's start when
// it has none, and its own start: the parent's own work. A parent's tail gap
// is its end minus the latest end of its sync children.
//
// Re-simulating a parent puts each child at the latest re-simulated end of
// its predecessors plus its gap, and ends it after its re-simulated duration;
// the parent ends at the latest re-simulated child end plus its tail gap. A
// child's re-simulated duration is its clipped duration changed by as much as
// its own subtree's re-simulation changed it, never below zero. With no change
// the model reproduces every span's duration exactly (Baseline).
//
// Detaching a span makes its duration the enqueue cost: its subtree no longer
// matters and everything that waited on it moves earlier. A parallel group is
// a set of siblings started together: every member starts at the earliest
// re-simulated start any member would have had counting only predecessors
// that ended before the group's first member (in end order) ended, members
// no longer wait for each other, and a span that waited on any member waits
// for all of them.
//
// # Slowdowns
//
// A slowdown asks the opposite question: how much slower the request gets
// when one dependency slows down (its blast radius). A Stretch lengthens
// one span's own work by Extra ns, added at its end after its last sync
// child; SimulateStretched re-simulates like Simulate, the stretched span
// re-scheduled as a span whose subtree grew: what waited on it moves
// later, and each ancestor grows only by as much as the stretch delays
// its latest child (a call hidden behind a slower concurrent sibling
// costs nothing until it outlasts it). It composes with a Change: a
// stretched span that is detached, or inside a detached span, costs only
// the enqueue cost, so a plan that makes a slow dependency asynchronous
// takes it off the request's latency.
//
// Slowdown names the stretch of a dependency S: every synchronous call
// into S takes Delta longer (+500ms) or Factor times its observed
// duration (×3). Stretches turns a request's calls into S (their entry
// spans: the SERVER span handling each call, or the CLIENT span when S is
// not traced) into stretches of Delta + (Factor − 1) × duration each;
// the CLIENT span around a stretched SERVER span grows by the same delta,
// as the server ends last among its children. Calls into S made from
// inside another call into S are dropped: the outer call already holds
// their time.
//
// Simulate touches only the ancestors of the changed spans and, for each, its
// sync children; a 1,000,000-span trace is re-simulated with tens of
// thousands of changes in milliseconds.
package whatif
