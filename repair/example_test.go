package repair_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

func ExampleStandard() {
	at := func(ms int64) int64 { return time.Unix(1700000000, 0).UnixNano() + ms*int64(time.Millisecond) }
	span := func(id, parent byte, service, name string, kind trace.Kind, start, end int64) trace.Span {
		return trace.Span{
			TraceID: trace.TraceID{15: 1}, SpanID: trace.SpanID{7: id}, ParentID: trace.SpanID{7: parent},
			Service: service, Name: name, Kind: kind, Start: at(start), End: at(end),
		}
	}
	g := trace.NewGrouper()
	g.Add(
		span(1, 0, "shop", "POST /order", trace.KindServer, 0, 100),
		span(2, 1, "shop", "charge", trace.KindClient, 10, 50),
		// payment's clock runs 30ms behind shop's.
		span(3, 2, "payment", "charge", trace.KindServer, -18, 8),
		// Nobody waits for the email.
		span(4, 1, "shop", "send email", trace.KindClient, 60, 400),
		span(5, 9, "shop", "orphan", trace.KindInternal, 120, 130),
	)
	for _, t := range g.Traces() {
		repair.Standard(repair.DefaultOptions()).Adjust(t)
		depth := t.Depth()
		for _, r := range t.Roots {
			for _, i := range t.Preorder(r, nil) {
				s := &t.Spans[i]
				fmt.Printf("%s%s %s [%d,%d]ms async=%v warnings=%v\n", strings.Repeat("  ", int(depth[i])), s.Service, s.Name,
					(s.Start-at(0))/1e6, (s.End-at(0))/1e6, s.Async(), s.Warnings.Names())
			}
		}
	}
	// Output:
	// shop POST /order [0,100]ms async=false warnings=[]
	//   shop charge [10,50]ms async=false warnings=[]
	//     payment charge [17,43]ms async=false warnings=[clock-skew]
	//   shop send email [60,400]ms async=true warnings=[outlives-parent]
	// shop orphan [120,130]ms async=false warnings=[missing-parent]
}
