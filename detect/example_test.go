package detect_test

import (
	"context"
	"fmt"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/trace"
)

// orderTrace is the anti-pattern's example: POST /order calls payment
// (100 ms), email (500 ms) and analytics (50 ms) one after another.
func orderTrace() *trace.Trace {
	ms := func(v int64) int64 { return v * int64(time.Millisecond) }
	id := func(n byte) trace.SpanID { return trace.SpanID{7: n} }
	t := &trace.Trace{ID: trace.TraceID{15: 1}}
	add := func(n, parent byte, kind trace.Kind, svc, name string, start, end int64) {
		s := trace.Span{TraceID: t.ID, SpanID: id(n), Service: svc, Name: name, Kind: kind, Start: ms(start), End: ms(end)}
		if parent != 0 {
			s.ParentID = id(parent)
		}
		if kind == trace.KindClient {
			s.Attrs.Set(trace.AttrHTTPMethod, "POST", false)
		}
		t.Spans = append(t.Spans, s)
	}
	add(1, 0, trace.KindServer, "order", "POST /order", 0, 650)
	add(2, 1, trace.KindClient, "order", "POST", 0, 100)
	add(3, 2, trace.KindServer, "payment", "POST /charge", 0, 100)
	add(4, 1, trace.KindClient, "order", "POST", 100, 600)
	add(5, 4, trace.KindServer, "email", "POST /send", 100, 600)
	add(6, 1, trace.KindClient, "order", "POST", 600, 650)
	add(7, 6, trace.KindServer, "analytics", "POST /track", 600, 650)

	// What the repair package does: parents from IDs, then Link.
	t.SortSpans()
	pos := map[trace.SpanID]int32{}
	for i := range t.Spans {
		pos[t.Spans[i].SpanID] = int32(i)
	}
	for i := range t.Spans {
		if p, ok := pos[t.Spans[i].ParentID]; ok {
			t.Parent[i] = p
		}
	}
	t.Link()
	return t
}

func ExampleRun() {
	t := orderTrace()
	root := &t.Spans[t.Roots[0]]
	reqs := []detect.Request{{
		Trace:    t,
		Root:     t.Roots[0],
		Endpoint: calls.Endpoint{Service: root.Service, Operation: calls.UsefulName(root)},
		Latency:  root.Duration(),
		Calls:    calls.Find(t),
	}}
	res, err := detect.Run(context.Background(), reqs, detect.DefaultOptions())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range res.Findings {
		fmt.Printf("%d. %s %s: saves %d ms, confidence %.2f\n", f.Rank, f.Action, f.Callee, time.Duration(f.Savings.Mean()).Milliseconds(), f.Confidence)
		for _, r := range f.Reasons {
			fmt.Println("   -", r)
		}
		fmt.Println("   fix:", f.Fix)
	}
	for _, p := range res.Plan {
		fmt.Printf("plan for %s (changes %v): p50 %v -> %v\n", p.Endpoint, p.Changes, p.Before.P50, p.After.P50)
	}
	// Output:
	// 1. make-async email POST /send: saves 499 ms, confidence 0.60
	//    - category: notification (service "email")
	//    - write: changes state (POST) in 1 of 1 calls
	//    fix: publish an event to a queue instead of calling email POST /send
	// 2. make-async analytics POST /track: saves 49 ms, confidence 0.80
	//    - category: analytics (operation "POST /track")
	//    - tail position: the caller waits for nothing after it in 1 of 1 calls
	//    - write: changes state (POST) in 1 of 1 calls
	//    fix: publish an event to a queue instead of calling analytics POST /track
	// plan for order POST /order (changes [1 2]): p50 650ms -> 102ms
}
