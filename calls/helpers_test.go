package calls

import (
	"fmt"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

// sp describes one span of a test tree; parent is an index into the same
// table (-1 for a root).
type sp struct {
	parent     int32
	svc        string
	kind       trace.Kind
	name       string
	start, end int64
	attrs      trace.Attrs
	flags      trace.Flags
	status     trace.Status
}

// kv builds attributes from key/value pairs.
func kv(pairs ...any) trace.Attrs {
	var a trace.Attrs
	for i := 0; i+1 < len(pairs); i += 2 {
		a.Set(pairs[i].(trace.AttrKey), pairs[i+1].(string), true)
	}
	return a
}

// build turns a table into a linked trace whose span i is table row i.
func build(tb testing.TB, rows []sp) *trace.Trace {
	tb.Helper()
	t := &trace.Trace{Spans: make([]trace.Span, len(rows)), Parent: make([]int32, len(rows))}
	for i, r := range rows {
		if r.parent >= int32(i) {
			tb.Fatalf("row %d: parent %d must come first", i, r.parent)
		}
		t.Spans[i] = trace.Span{
			SpanID:  trace.SpanID{byte(i >> 24), byte(i >> 16), byte(i >> 8), byte(i), 1},
			Service: r.svc, Name: r.name, Kind: r.kind, Start: r.start, End: r.end,
			Attrs: r.attrs, Flags: r.flags, Status: r.status,
		}
		t.Parent[i] = r.parent
	}
	t.Link()
	return t
}

const (
	server   = trace.KindServer
	client   = trace.KindClient
	producer = trace.KindProducer
	consumer = trace.KindConsumer
	internal = trace.KindInternal
)

// ep is a short Endpoint constructor.
func ep(svc, op string) Endpoint { return Endpoint{Service: svc, Operation: op} }

// callString renders a call on one line for readable failures.
func callString(c Call) string {
	return fmt.Sprintf("{Span:%d Server:%d %q -> %q async=%v failed=%v write=%v %s}",
		c.Span, c.Server, c.Caller.String(), c.Callee.String(), c.Async, c.Failed, c.Write, c.Protocol)
}

func diffCalls(t *testing.T, got, want []Call) {
	t.Helper()
	n := max(len(got), len(want))
	for i := 0; i < n; i++ {
		var g, w string
		if i < len(got) {
			g = callString(got[i])
		}
		if i < len(want) {
			w = callString(want[i])
		}
		if g != w {
			t.Errorf("call %d:\n got  %s\n want %s", i, g, w)
		}
	}
}
