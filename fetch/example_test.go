package fetch_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/syncaudit/syncaudit/fetch"
)

// A trace as Jaeger's api_v3 returns it: OTLP/JSON under "result".
const answer = `{"result":{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"order"}}]},
 "scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"POST /checkout",
  "kind":2,"startTimeUnixNano":"1795773458700585009","endTimeUnixNano":"1795773459219567566"}]}]}]}}`

func ExampleClient_Fetch() {
	// A stand-in for a Jaeger query service on :16686.
	jaeger := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, answer)
	}))
	defer jaeger.Close()

	c := &fetch.Client{API: fetch.APIv3, URL: jaeger.URL}
	q := fetch.Query{
		Service: "order",
		Start:   time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC),
		End:     time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC),
	}
	st, err := c.Fetch(context.Background(), q, func(t fetch.Trace) error {
		fmt.Println(t.ID, t.Spans, "span(s), starting", t.Start.UTC().Format(time.RFC3339Nano))
		return nil
	})
	fmt.Println(st.Traces, "trace(s) in", st.Requests, "request(s), error:", err)
	// Output:
	// 5b8efff798038103d269b633813fc60c 1 span(s), starting 2026-11-27T09:57:38.700585009Z
	// 1 trace(s) in 1 request(s), error: <nil>
}
