package zipkin

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/internal/dectest"
	"github.com/syncaudit/syncaudit/trace"
)

// describe renders the fields of a span that tests compare.
func describe(s trace.Span) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s/%s %s:%s %d+%d kind=%s", dectest.ShortID(s.TraceID[:]), dectest.ShortID(s.SpanID[:]), s.Service, s.Name, s.Start, s.End-s.Start, s.Kind)
	if s.Status != trace.StatusUnset {
		fmt.Fprintf(&b, " status=%d", s.Status)
	}
	if !s.ParentID.IsZero() {
		fmt.Fprintf(&b, " parent=%s(%s)", dectest.ShortID(s.ParentID[:]), s.ParentRef)
	}
	for _, r := range s.Refs {
		fmt.Fprintf(&b, " %s:%s/%s", r.Type, dectest.ShortID(r.TraceID[:]), dectest.ShortID(r.SpanID[:]))
	}
	for _, a := range s.Attrs {
		fmt.Fprintf(&b, " %s=%s", a.Key, a.Value)
	}
	if s.Flags&trace.FlagShared != 0 {
		b.WriteString(" shared")
	}
	if s.Warnings != 0 {
		fmt.Fprintf(&b, " warn=%s", s.Warnings)
	}
	return b.String()
}

const (
	client  = `{"traceId":"1e223ff1f80f1c69","parentId":"bf396325699c84bf","id":"74280ae0c10d8062","kind":"CLIENT","name":"post","timestamp":1470150004074202,"duration":94539,"localEndpoint":{"serviceName":"servicea","ipv4":"127.0.0.0"}}`
	server  = `{"traceId":"1e223ff1f80f1c69","parentId":"bf396325699c84bf","id":"74280ae0c10d8062","kind":"SERVER","name":"post","timestamp":1470150004008761,"duration":93577,"localEndpoint":{"serviceName":"serviceb","ipv4":"192.0.0.0"},"shared":true}`
	root    = `{"traceId":"1e223ff1f80f1c69","id":"bf396325699c84bf","kind":"SERVER","name":"get","timestamp":1470150004071068,"duration":99411,"localEndpoint":{"serviceName":"servicea"}}`
	wantC   = "1e223ff1f80f1c69/74280ae0c10d8062 servicea:post 1470150004074202000+94539000 kind=client parent=bf396325699c84bf(child_of)"
	wantS   = "1e223ff1f80f1c69/74280ae0c10d8062 serviceb:post 1470150004008761000+93577000 kind=server parent=bf396325699c84bf(child_of) shared"
	wantR   = "1e223ff1f80f1c69/bf396325699c84bf servicea:get 1470150004071068000+99411000 kind=server"
	pngHead = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01"
)

var decodeCases = []dectest.Case{
	{
		Name: "span array with shared client/server ids",
		In:   "[\n" + root + ",\n" + client + ",\n" + server + "\n]",
		Want: []string{wantR, wantC, wantS},
	},
	{
		Name: "array of traces",
		In:   `[[` + root + `],[{"traceId":"2","id":"3","name":"x","timestamp":1,"duration":2,"localEndpoint":{"serviceName":"s"}}]]`,
		Want: []string{wantR, "2/3 s:x 1000+2000 kind=internal"},
	},
	{
		Name: "JSON lines of arrays",
		In:   "[" + root + "]\n[" + client + "," + server + "]\n",
		Want: []string{wantR, wantC, wantS},
	},
	{
		Name:   "JSON lines with a bad line",
		In:     "[" + root + "]\n[{\"traceId\":\n[" + client + "]\n",
		Want:   []string{wantR, wantC},
		ErrIs:  []error{decoder.ErrTruncated},
		ErrHas: []string{"f.json:2:"},
	},
	{
		Name: "kinds",
		In: `[{"traceId":"1","id":"1","kind":"PRODUCER","name":"send","timestamp":1,"duration":1},
			{"traceId":"1","id":"2","parentId":"1","kind":"CONSUMER","name":"recv","timestamp":2,"duration":1},
			{"traceId":"1","id":"3","name":"local","timestamp":3,"duration":1},
			{"traceId":"1","id":"4","kind":"BOGUS","name":"odd","timestamp":4,"duration":1}]`,
		Want: []string{
			"1/1 :send 1000+1000 kind=producer",
			"1/2 :recv 2000+1000 kind=consumer parent=1(child_of)",
			"1/3 :local 3000+1000 kind=internal",
			"1/4 :odd 4000+1000 kind=unspecified",
		},
	},
	{
		Name: "error tags and status",
		In: `[{"traceId":"1","id":"1","name":"a","timestamp":1,"duration":1,"tags":{"error":"connection refused"}},
			{"traceId":"1","id":"2","name":"b","timestamp":1,"duration":1,"tags":{"error":""}},
			{"traceId":"1","id":"3","name":"c","timestamp":1,"duration":1,"tags":{"error":"false","otel.status_code":"OK"}},
			{"traceId":"1","id":"4","name":"d","timestamp":1,"duration":1,"tags":{"otel.status_code":"ERROR","error":"true"}}]`,
		Want: []string{
			"1/1 :a 1000+1000 kind=internal status=2 status.message=connection refused",
			"1/2 :b 1000+1000 kind=internal status=2",
			"1/3 :c 1000+1000 kind=internal status=1",
			"1/4 :d 1000+1000 kind=internal status=2",
		},
	},
	{
		Name: "attributes: kept keys in name order, current names win, remote service",
		In: `[{"traceId":"1","id":"1","name":"a","timestamp":1,"duration":1,"remoteEndpoint":{"serviceName":"db","port":5432},
			"tags":{"http.request.method":"GET","http.method":"get","http.path":"/x","http.status_code":503,"mvc.controller.class":"C","db.system":"postgresql","net.peer.name":"b","http.host":"a"}},
			{"traceId":"1","id":"2","name":"b","timestamp":1,"duration":1,"remoteEndpoint":{"serviceName":"db"},"tags":{"peer.service":"tagged"}}]`,
		Want: []string{
			"1/1 :a 1000+1000 kind=internal peer.service=db db.system.name=postgresql server.address=a http.request.method=GET url.path=/x http.response.status_code=503",
			"1/2 :b 1000+1000 kind=internal peer.service=tagged",
		},
	},
	{
		Name: "missing timestamps and string numbers",
		In: `[{"traceId":"1","id":"1","name":"a","duration":5},{"traceId":"1","id":"2","name":"b","timestamp":7},
			{"traceId":"1","id":"3","name":"c","timestamp":"8","duration":"1"},{"traceId":"1","id":"4","name":"d","timestamp":0,"duration":3},
			{"traceId":"1","id":"5","name":"e","timestamp":9,"duration":0}]`,
		Want: []string{
			"1/1 :a 0+5000 kind=internal warn=missing-timestamp",
			"1/2 :b 7000+0 kind=internal warn=missing-timestamp",
			"1/3 :c 8000+1000 kind=internal",
			"1/4 :d 0+3000 kind=internal warn=missing-timestamp",
			"1/5 :e 9000+0 kind=internal",
		},
	},
	{
		Name: "ids: 128-bit, non-hex, zero parent",
		In: `[{"traceId":"5b8efff798038103d269b633813fc60c","id":"eee19b7ec3c1b174","parentId":"0000000000000000","name":"a","timestamp":1,"duration":1},
			{"traceId":"5b8efff798038103d269b633813fc60c","id":"span-one","name":"b","timestamp":1,"duration":1}]`,
		Want: []string{
			"5b8efff798038103d269b633813fc60c/eee19b7ec3c1b174 :a 1000+1000 kind=internal",
			"5b8efff798038103d269b633813fc60c/" + func() string { id, _, _ := trace.ParseSpanID("span-one"); return dectest.ShortID(id[:]) }() + " :b 1000+1000 kind=internal warn=non-hex-id",
		},
	},
	{
		Name: "invalid ids are rejected and counted",
		In: `[` + root + `,{"traceId":"1","id":"","name":"x"},{"traceId":"1","id":"0000000000000000"},{"traceId":"1"},
			{"traceId":"","id":"1"},{"id":"1"},{"traceId":"000000000000000000000000000000001","id":"1"},{}]`,
		Want:     []string{wantR},
		Rejected: map[trace.Reason]int{trace.RejectInvalidSpanID: 3, trace.RejectInvalidTraceID: 4},
	},
	{
		Name: "wrong field types reject that span only, with positions",
		In: `[
{"traceId":"1","id":"1","timestamp":"soon"},
{"traceId":"1","id":"2","tags":["a"]},
` + root + `,
{"traceId":"1","id":"3","shared":"yes"},
{"traceId":"1","id":4},
"span",
{"traceId":"1","id":"5","localEndpoint":"svc"},
{"traceId":"1","id":"6","duration":{}}]`,
		Want:     []string{wantR},
		Rejected: map[trace.Reason]int{trace.RejectInvalidSpan: 7},
		ErrIs:    []error{decoder.ErrType},
		ErrHas: []string{`f.json:2:1: wrong type: span: field "timestamp"`, `f.json:3:`, `"tags": want an object, found JSON array`,
			`f.json:5:`, `"shared"`, `f.json:6:`, `"id"`, `f.json:7:1: wrong type: want a span object, found a string`, `f.json:8:`, `"localEndpoint"`, `f.json:9:1:`, `field "duration": want microseconds, found an object`},
	},
	{
		Name:     "out-of-range times",
		In:       `[{"traceId":"1","id":"1","timestamp":18446744073709551615},{"traceId":"1","id":"2","timestamp":9223372036854775,"duration":9223372036854775},` + root + `]`,
		Want:     []string{wantR},
		Rejected: map[trace.Reason]int{trace.RejectInvalidSpan: 2},
		ErrIs:    []error{decoder.ErrType},
		ErrHas:   []string{"out of range"},
	},
	{
		Name:   "truncated: spans before the cut are kept",
		In:     "[" + root + ",\n" + client + ",\n{\"traceId\":\"1e2",
		Want:   []string{wantR, wantC},
		ErrIs:  []error{decoder.ErrTruncated},
		ErrHas: []string{"f.json:3:"},
	},
	{
		Name:   "syntax error",
		In:     "[" + root + ",\n]",
		Want:   []string{wantR},
		ErrIs:  []error{decoder.ErrSyntax},
		ErrHas: []string{"f.json:2:1:"},
	},
	{
		Name:   "trailing data",
		In:     "[" + root + "]]",
		Want:   []string{wantR},
		ErrIs:  []error{decoder.ErrSyntax},
		ErrHas: []string{"after top-level value"},
	},
	{
		Name:     "arrays nested more than one level",
		In:       `[[[` + root + `]]]`,
		Rejected: map[trace.Reason]int{trace.RejectInvalidSpan: 1},
		ErrIs:    []error{decoder.ErrType},
		ErrHas:   []string{"want a span object, found an array"},
	},
	{
		Name:   "nesting deeper than the limit",
		In:     strings.Repeat("[", 513) + strings.Repeat("]", 513),
		ErrIs:  []error{decoder.ErrTooLarge},
		ErrHas: []string{"f.json:1:513:", "deeper than 512"},
	},
	{
		Name:  "nesting limit from Limits",
		In:    "[" + root + "]",
		Lim:   decoder.Limits{MaxDepth: 2},
		ErrIs: []error{decoder.ErrTooLarge},
	},
	{
		Name:  "input over MaxInputBytes",
		In:    "[" + root + "]",
		Lim:   decoder.Limits{MaxInputBytes: 10},
		ErrIs: []error{decoder.ErrTooLarge},
	},
	{
		Name: "single span object",
		In:   root,
		Want: []string{wantR},
	},
	{
		Name: "byte order mark",
		In:   "\xef\xbb\xbf[" + root + "]",
		Want: []string{wantR},
	},
	{Name: "empty", In: "", ErrIs: []error{decoder.ErrEmpty}},
	{Name: "blank", In: "\n \n", ErrIs: []error{decoder.ErrEmpty}},
	{Name: "empty array", In: "[]", ErrIs: []error{decoder.ErrNoSpans}},
	{Name: "empty arrays", In: "[[],[]]", ErrIs: []error{decoder.ErrNoSpans}},
	{Name: "empty object", In: "{}", ErrIs: []error{decoder.ErrNoSpans}},
	{Name: "Jaeger trace is not a Zipkin span", In: `{"traceID":"1","spans":[{"traceID":"1","spanID":"2"}]}`, ErrIs: []error{decoder.ErrNoSpans}},
	{Name: "PNG bytes", In: pngHead, ErrIs: []error{decoder.ErrSyntax}, ErrHas: []string{"f.json:1:1:"}},
	{Name: "top-level scalar", In: `"spans"`, ErrIs: []error{decoder.ErrUnknownFormat}},
}

func TestDecode(t *testing.T) { dectest.RunDecode(t, decodeCases, Decode, describe) }

func TestTagOrderIsDeterministic(t *testing.T) {
	// Map iteration order is random; aliases of one key must resolve the
	// same way every time.
	in := []byte(`[{"traceId":"1","id":"1","name":"a","tags":{"net.peer.name":"n","http.host":"h","peer.hostname":"p","http.url":"u1","url.full":"u2"}}]`)
	var first string
	for i := range 50 {
		var c decoder.Collect
		if err := Decode("f.json", in, &c, decoder.DefaultLimits); err != nil {
			t.Fatal(err)
		}
		got := describe(c.Spans[0])
		if i == 0 {
			first = got
			if !strings.Contains(got, "server.address=h") || !strings.Contains(got, "url.full=u2") {
				t.Errorf("got %s, want server.address=h (first by name) and url.full=u2 (current name)", got)
			}
		} else if got != first {
			t.Fatalf("run %d: %s, run 0: %s", i, got, first)
		}
	}
}

func TestBatches(t *testing.T) {
	// More spans than one batch arrive in several Emit calls, all of them.
	var b strings.Builder
	b.WriteString("[")
	n := 2*batchSize + 10
	for i := range n {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"traceId":"1","id":"%x","name":"op","timestamp":%d,"duration":1}`, i+1, i)
	}
	b.WriteString("]")
	var e batchEmitter
	if err := Decode("f.json", []byte(b.String()), &e, decoder.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	if e.spans != n || e.calls != 3 {
		t.Errorf("got %d spans in %d Emit calls, want %d in 3", e.spans, e.calls, n)
	}
}

type batchEmitter struct{ spans, calls int }

func (e *batchEmitter) Emit(s []trace.Span)          { e.spans += len(s); e.calls++ }
func (e *batchEmitter) Reject(_ trace.Reason, n int) {}

func TestSniff(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"[\n  {\n    \"traceId\": \"1e223ff1f80f1c69\",\n    \"parentId\": \"74280ae0c10d8062\",\n    \"id\": \"43210ae0c10d1234\",", true},
		{`[{"traceId":"1","id":"2","localEndpoint":{"serviceName":"s"}}]`, true},
		{`[[{"traceId":"1","id":"2"`, true},
		{`{"traceId":"1","id":"2","name":"x","kind":"SERVER"}`, true},
		{`[{"remoteEndpoint":{"serviceName":"s"}`, true},
		{`[{"traceID":"2be38093ead7a083","spanID":"76","operationName":"x"}]`, false},
		{`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"5b8e","spanId":"eee1","name":"x"`, false},
		{`[{"traceId":"AAAAAAAAAABSlpqJVVcaPw==","spanId":"AAAAAABkfZg=","operationName":"get"`, false},
		{`[{"traceId":"1e22`, false},
		{``, false},
		{pngHead, false},
	}
	for _, tc := range cases {
		if got := Sniff([]byte(tc.in)); got != tc.want {
			t.Errorf("Sniff(%.50q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestErrorsAreCapped(t *testing.T) {
	var lines strings.Builder
	for range 250 {
		lines.WriteString("[" + root + "]\n" + `[{"traceId":"1","id":"2","timestamp":{}}]` + "\n")
	}
	var c decoder.Collect
	err := Decode("f.json", []byte(lines.String()), &c, decoder.DefaultLimits)
	var l decoder.ErrorList
	if !errors.As(err, &l) {
		t.Fatalf("error = %v, want an ErrorList", err)
	}
	if len(l) != maxErrors+1 || !strings.Contains(l[maxErrors].Error(), "150 more errors not listed") {
		t.Errorf("got %d errors, last %v; want %d and a count of 150 more", len(l), l[len(l)-1], maxErrors+1)
	}
	if len(c.Spans) != 250 || c.Rejected[trace.RejectInvalidSpan] != 250 {
		t.Errorf("got %d spans, rejected %v; want 250 and 250 invalid", len(c.Spans), c.Rejected)
	}
}
