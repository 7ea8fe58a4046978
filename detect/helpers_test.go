package detect

import (
	"context"
	"encoding/binary"
	"strconv"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/internal/tracetest"
	"github.com/syncaudit/syncaudit/trace"
)

// build makes a linked trace from a compact description, one span per line,
// nesting shown by two-space indentation:
//
//	order: POST /order 0 650              a root SERVER span (service: operation start end, in ms)
//	  -> payment: POST /charge 0 100      a call: a CLIENT span of the parent's service
//	                                      plus a SERVER span of payment under it
//	    db: SELECT 10 20 !internal         an INTERNAL span of service db
//	  ~> email: POST /send 100 600        an async call (the CLIENT span is FlagAsync)
//
// Flags and attributes follow the times:
//
//	!err         the span (for a call: client and server) is an error
//	!untraced    a call with no SERVER span (the callee is not traced)
//	!producer    a call whose client span is a PRODUCER
//	!internal    an INTERNAL span (only for plain lines)
//	key=value    an attribute of the span (for a call: the client span),
//	             with "_" standing for a space in the value
//
// A call's client span is named after the operation's HTTP method ("POST")
// and gets http.request.method and url.path attributes when the operation
// looks like "METHOD /path"; otherwise it is named after the operation.
// Lines under a call are children of its server span (of the client span
// when untraced). The trace ID is id; span IDs follow line order.
func build(tb testing.TB, id uint64, desc string) *trace.Trace {
	tb.Helper()
	tid := trace.TraceID{}
	binary.BigEndian.PutUint64(tid[8:], id)
	t := &trace.Trace{ID: tid}
	var next uint64
	newID := func() trace.SpanID {
		next++
		var s trace.SpanID
		binary.BigEndian.PutUint64(s[:], next)
		return s
	}
	type level struct {
		indent int
		id     trace.SpanID // the span children attach to
		svc    string
	}
	var stack []level
	for ln, line := range strings.Split(desc, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		line = strings.TrimSpace(line)
		for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		var parent *level
		if len(stack) > 0 {
			parent = &stack[len(stack)-1]
		}
		call, async := false, false
		switch {
		case strings.HasPrefix(line, "->"):
			call, line = true, strings.TrimSpace(line[2:])
		case strings.HasPrefix(line, "~>"):
			call, async, line = true, true, strings.TrimSpace(line[2:])
		}
		svc, rest, ok := strings.Cut(line, ":")
		if !ok {
			tb.Fatalf("line %d: no service: %q", ln+1, line)
		}
		f := strings.Fields(rest)
		// The operation is every field before the first number.
		k := 0
		for k < len(f) {
			if _, err := strconv.ParseFloat(f[k], 64); err == nil {
				break
			}
			k++
		}
		if k+2 > len(f) {
			tb.Fatalf("line %d: want start and end: %q", ln+1, line)
		}
		op := strings.Join(f[:k], " ")
		start, end := msToNs(tb, f[k]), msToNs(tb, f[k+1])
		var isErr, untraced, producer, internal bool
		var attrs trace.Attrs
		for _, x := range f[k+2:] {
			switch x {
			case "!err":
				isErr = true
			case "!untraced":
				untraced = true
			case "!producer":
				producer = true
			case "!internal":
				internal = true
			default:
				key, val, ok := strings.Cut(x, "=")
				ak, known := trace.KeyOf(key)
				if !ok || !known {
					tb.Fatalf("line %d: bad attribute %q", ln+1, x)
				}
				attrs.Set(ak, strings.ReplaceAll(val, "_", " "), true)
			}
		}
		status := trace.StatusUnset
		if isErr {
			status = trace.StatusError
		}
		var pid trace.SpanID
		if parent != nil {
			pid = parent.id
		}
		if !call {
			kind := trace.KindServer
			if internal || parent != nil && svc == parent.svc {
				kind = trace.KindInternal
			}
			s := trace.Span{TraceID: tid, SpanID: newID(), ParentID: pid, Service: svc, Name: op,
				Start: start, End: end, Kind: kind, Status: status, Attrs: attrs}
			t.Spans = append(t.Spans, s)
			stack = append(stack, level{indent, s.SpanID, svc})
			continue
		}
		if parent == nil {
			tb.Fatalf("line %d: a call needs a parent", ln+1)
		}
		client := trace.Span{TraceID: tid, SpanID: newID(), ParentID: pid, Service: parent.svc, Name: op,
			Start: start, End: end, Kind: trace.KindClient, Status: status, Attrs: attrs}
		if m, path, ok := strings.Cut(op, " "); ok && isMethod(m) {
			client.Name = m
			client.Attrs.Set(trace.AttrHTTPMethod, m, false)
			client.Attrs.Set(trace.AttrURLPath, path, false)
		}
		if producer {
			client.Kind = trace.KindProducer
		}
		if async {
			client.Flags |= trace.FlagAsync
		}
		t.Spans = append(t.Spans, client)
		if untraced {
			stack = append(stack, level{indent, client.SpanID, parent.svc})
			continue
		}
		srv := trace.Span{TraceID: tid, SpanID: newID(), ParentID: client.SpanID, Service: svc, Name: op,
			Start: start, End: end, Kind: trace.KindServer, Status: status}
		if producer {
			srv.Kind = trace.KindConsumer
		}
		t.Spans = append(t.Spans, srv)
		stack = append(stack, level{indent, srv.SpanID, svc})
	}
	link(tb, t)
	return t
}

func isMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
		return true
	}
	return false
}

func msToNs(tb testing.TB, s string) int64 {
	tb.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		tb.Fatalf("bad time %q", s)
	}
	return int64(v * 1e6)
}

// link links t from its spans' ParentIDs.
func link(tb testing.TB, t *trace.Trace) { tb.Helper(); tracetest.Link(tb, t) }

// requests turns traces into requests, one per root, as the audit package does.
func requests(traces ...*trace.Trace) []Request {
	var out []Request
	for _, t := range traces {
		cs := calls.Find(t)
		for _, r := range t.Roots {
			s := &t.Spans[r]
			out = append(out, Request{
				Trace:    t,
				Root:     r,
				Endpoint: calls.Endpoint{Service: s.Service, Operation: calls.UsefulName(s)},
				Latency:  s.Duration(),
				Failed:   s.IsError(),
				Calls:    cs,
			})
		}
	}
	return out
}

// runDesc builds one trace per description and runs the detectors.
func runDesc(tb testing.TB, opt Options, descs ...string) *Result {
	tb.Helper()
	var ts []*trace.Trace
	for i, d := range descs {
		ts = append(ts, build(tb, uint64(i+1), d))
	}
	res, err := Run(context.Background(), requests(ts...), opt)
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

// find returns the finding with the given action and callee ("svc op"),
// or nil.
func find(res *Result, action, callee string) *Finding {
	for i := range res.Findings {
		f := &res.Findings[i]
		if string(f.Action) == action && f.Callee.String() == callee {
			return f
		}
	}
	return nil
}

func repeat(n int, desc string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = desc
	}
	return out
}

// msSav and msLat are Savings and Latency in milliseconds, as tests
// write them by hand.
type msSav struct{ Mean, P50, P95, P99, Total float64 }
type msLat struct{ P50, P95, P99 float64 }

func savMs(s Savings) msSav {
	return msSav{Mean: s.Mean() / 1e6, P50: ms(int64(s.P50)), P95: ms(int64(s.P95)), P99: ms(int64(s.P99)), Total: ms(int64(s.Total))}
}

func latMs(l Latency) msLat {
	return msLat{P50: ms(int64(l.P50)), P95: ms(int64(l.P95)), P99: ms(int64(l.P99))}
}
