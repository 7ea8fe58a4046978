package repair

import "github.com/syncaudit/syncaudit/trace"

// MarkWrappers returns an Adjuster that sets trace.FlagWrapper (and
// trace.WarnWrapper) on instrumentation spans that wait on a sibling call
// instead of doing work of their own.
//
// Framework instrumentation often records a handler span beside, not
// above, the client call it makes: Spring Cloud Gateway's
// FilteringWebHandler.handle is a sibling of the HTTP client span and ends
// ~0.2 ms before it. Scheduled as ordinary work, such a wrapper "shields"
// the call: detach the call and the parent still waits for the wrapper, so
// every saving projected under it is ~0. A span W is a wrapper of a
// sibling call C when
//
//   - W and C are synchronous children of the same parent, on the parent's
//     service;
//   - W is a leaf of kind INTERNAL or unspecified (a span with children
//     of its own does work that can be modelled; it is left alone);
//   - C is a call: CLIENT or PRODUCER, or the receiving span of another
//     service directly under the parent;
//   - W overlaps C by at least 90% of C's duration: W encloses C or
//     nearly coincides with it.
//
// A wrapper is still analysed as a span (it is not async and not a call);
// it only stops gating its parent: the critical path and the what-if model
// treat the parent as waiting on C, and W's time outside C as the parent's
// own. Assumes a linked tree with async spans marked (MarkAsync). Each
// wrapper's scan over its sibling calls is bounded, so the step is O(n log n).
func MarkWrappers() Adjuster {
	return Func(markWrappers)
}

// wrapperScan bounds how many sibling calls one wrapper candidate is
// compared with.
const wrapperScan = 64

func markWrappers(t *trace.Trace) {
	if !t.Linked() {
		link(t)
	}
	var callSibs []int32
	for p := range t.Spans {
		kids := t.Children(int32(p))
		if len(kids) < 2 {
			continue
		}
		ps := &t.Spans[p]
		callSibs = callSibs[:0]
		for _, c := range kids {
			if isCallOf(t, ps, c) {
				callSibs = append(callSibs, c) // in start order, as Children
			}
		}
		if len(callSibs) == 0 {
			continue
		}
		for _, w := range kids {
			ws := &t.Spans[w]
			if ws.Async() || ws.Service != ps.Service || len(t.Children(w)) > 0 ||
				(ws.Kind != trace.KindInternal && ws.Kind != trace.KindUnspecified) {
				continue
			}
			if waitsOnCall(t, ws, callSibs) {
				ws.Flags |= trace.FlagWrapper
				ws.Warnings |= trace.WarnWrapper
			}
		}
	}
}

// isCallOf reports whether child c of the span ps is a synchronous call.
func isCallOf(t *trace.Trace, ps *trace.Span, c int32) bool {
	s := &t.Spans[c]
	if s.Async() {
		return false
	}
	switch s.Kind {
	case trace.KindClient, trace.KindProducer:
		return s.Service == ps.Service
	}
	return s.Service != ps.Service
}

// waitsOnCall reports whether span ws overlaps one of calls (sorted by
// start) by at least 90% of that call's duration. ws is never one of
// calls: a wrapper candidate is not a call (isCallOf).
func waitsOnCall(t *trace.Trace, ws *trace.Span, calls []int32) bool {
	wd := ws.End - ws.Start
	if wd <= 0 {
		return false
	}
	// 0.9·dur(C) ≤ overlap ≤ dur(W), so a match starts no earlier than
	// W.Start − dur(C)/10 ≥ W.Start − dur(W)/9.
	lo := ws.Start - wd/9 - 1
	i := searchStart(t, calls, lo)
	for n := 0; i < len(calls) && n < wrapperScan; i, n = i+1, n+1 {
		c := calls[i]
		cs := &t.Spans[c]
		if cs.Start > ws.End {
			break
		}
		cd := cs.End - cs.Start
		if cd <= 0 {
			continue
		}
		overlap := min(ws.End, cs.End) - max(ws.Start, cs.Start)
		if overlap*10 >= cd*9 {
			return true
		}
	}
	return false
}

// searchStart returns the first index of calls (sorted by start) whose
// span starts at or after at.
func searchStart(t *trace.Trace, calls []int32, at int64) int {
	lo, hi := 0, len(calls)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.Spans[calls[m]].Start < at {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}
