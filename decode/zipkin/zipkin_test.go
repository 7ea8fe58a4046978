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
	{
		Name: "service naming: a CLIENT without a service runs in its parent's process",
		In: `[{"traceId":"1","id":"a","kind":"SERVER","name":"in","timestamp":1,"duration":9,"localEndpoint":{"serviceName":"gateway"}},
			{"traceId":"1","id":"b","parentId":"a","kind":"CLIENT","name":"out","timestamp":2,"duration":1,"localEndpoint":{"ipv4":"10.0.0.7"},"remoteEndpoint":{"serviceName":"callee"},"tags":{"peer.service":"callee2"}},
			{"traceId":"1","id":"c","parentId":"a","kind":"PRODUCER","name":"send","timestamp":3,"duration":1}]`,
		Want: []string{
			"1/a gateway:in 1000+9000 kind=server",
			"1/b gateway:out 2000+1000 kind=client parent=a(child_of) peer.service=callee2",
			"1/c gateway:send 3000+1000 kind=producer parent=a(child_of)",
		},
	},
	{
		Name: "service naming: with a shared parent ID, a CLIENT runs under the SERVER half",
		In: `[{"traceId":"1","id":"e","parentId":"f","kind":"CLIENT","name":"get","timestamp":1,"duration":9,"localEndpoint":{"serviceName":"mobile-gateway"}},
			{"traceId":"1","id":"e","parentId":"f","kind":"SERVER","name":"get /content","timestamp":2,"duration":7,"localEndpoint":{"serviceName":"content-service"},"shared":true},
			{"traceId":"1","id":"c","parentId":"e","kind":"CLIENT","name":"get","timestamp":3,"duration":1,"localEndpoint":{"ipv4":"172.17.0.10"}}]`,
		Want: []string{
			"1/e mobile-gateway:get 1000+9000 kind=client parent=f(child_of)",
			"1/e content-service:get /content 2000+7000 kind=server parent=f(child_of) shared",
			"1/c content-service:get 3000+1000 kind=client parent=e(child_of)",
		},
	},
	{
		Name: "service naming: a CLIENT whose parent is not in the document falls back to its own address, never its callee",
		In: `[{"traceId":"1","id":"b","parentId":"a","kind":"CLIENT","name":"out","timestamp":1,"duration":1,"localEndpoint":{"ipv6":"2001:db8::7","port":8080},"remoteEndpoint":{"serviceName":"callee"}},
			{"traceId":"1","id":"c","kind":"CLIENT","name":"out","timestamp":1,"duration":1,"remoteEndpoint":{"serviceName":"callee","ipv4":"10.0.0.1"},"tags":{"peer.service":"p","http.host":"h"}}]`,
		Want: []string{
			"1/b 2001:db8::7:out 1000+1000 kind=client parent=a(child_of) peer.service=callee",
			"1/c :out 1000+1000 kind=client peer.service=p server.address=h",
		},
	},
	{
		Name: "service naming: a SERVER is named by its client side, in order: remote service, peer.service, own children, address tags",
		In: `[{"traceId":"1","id":"1","kind":"CLIENT","name":"c1","timestamp":1,"duration":9,"localEndpoint":{"serviceName":"web"},"remoteEndpoint":{"serviceName":"users","ipv4":"10.0.0.1"},"tags":{"peer.service":"users-peer","http.host":"users.internal"}},
			{"traceId":"1","id":"1","kind":"SERVER","name":"s1","timestamp":2,"duration":7,"localEndpoint":{"ipv4":"10.0.0.1"},"remoteEndpoint":{"serviceName":"web"},"tags":{"peer.service":"web","net.peer.name":"web.internal"},"shared":true},
			{"traceId":"1","id":"2","kind":"CLIENT","name":"c2","timestamp":1,"duration":9,"localEndpoint":{"serviceName":"web"},"tags":{"peer.service":"orders","http.url":"http://orders.internal:8080/x"}},
			{"traceId":"1","id":"2","kind":"SERVER","name":"s2","timestamp":2,"duration":7,"shared":true},
			{"traceId":"1","id":"3","kind":"CLIENT","name":"c3","timestamp":1,"duration":9,"localEndpoint":{"serviceName":"web"},"remoteEndpoint":{"ipv4":"10.0.0.3","port":8080},"tags":{"http.url":"http://banners.internal/x"}},
			{"traceId":"1","id":"3","kind":"SERVER","name":"s3","timestamp":2,"duration":7,"localEndpoint":{"ipv4":"10.0.0.3"},"shared":true},
			{"traceId":"1","id":"4","parentId":"3","kind":"CLIENT","name":"c4","timestamp":3,"duration":1,"localEndpoint":{"serviceName":"banner-service"}},
			{"traceId":"1","id":"5","kind":"CLIENT","name":"c5","timestamp":1,"duration":9,"localEndpoint":{"serviceName":"web"},"remoteEndpoint":{"ipv4":"10.0.0.5","port":8080},"tags":{"server.address":"10.0.0.5:8080","net.peer.name":"ads.internal:8080"}},
			{"traceId":"1","id":"5","kind":"SERVER","name":"s5","timestamp":2,"duration":7,"localEndpoint":{"ipv4":"10.0.0.5"},"shared":true}]`,
		Want: []string{
			"1/1 web:c1 1000+9000 kind=client peer.service=users-peer server.address=users.internal",
			"1/2 web:c2 1000+9000 kind=client url.full=http://orders.internal:8080/x peer.service=orders",
			"1/3 web:c3 1000+9000 kind=client url.full=http://banners.internal/x",
			"1/4 banner-service:c4 3000+1000 kind=client parent=3(child_of)",
			"1/5 web:c5 1000+9000 kind=client server.address=10.0.0.5:8080",
			"1/1 users:s1 2000+7000 kind=server peer.service=web server.address=web.internal shared",
			"1/2 orders:s2 2000+7000 kind=server shared",
			"1/3 banner-service:s3 2000+7000 kind=server shared",
			"1/5 ads.internal:s5 2000+7000 kind=server shared",
		},
	},
	{
		Name: "service naming: a SERVER without a client side uses its own Host, then an IP, never a port or its caller",
		In: `[{"traceId":"1","id":"1","kind":"SERVER","name":"s1","timestamp":1,"duration":1,"localEndpoint":{"ipv4":"172.17.0.9","port":8080},"remoteEndpoint":{"serviceName":"caller","ipv4":"10.1.1.1"},
			   "tags":{"http.host":"auth-service-alp:8080","peer.service":"caller","net.peer.name":"caller.internal"}},
			{"traceId":"1","id":"2","parentId":"9","kind":"SERVER","name":"s2","timestamp":1,"duration":1,"localEndpoint":{"ipv4":"172.17.0.9","port":8080},"remoteEndpoint":{"serviceName":"caller"},"tags":{"server.address":"[2001:db8::1]:443"}},
			{"traceId":"1","id":"3","parentId":"8","kind":"CLIENT","name":"c3","timestamp":1,"duration":1,"localEndpoint":{"serviceName":"web"},"remoteEndpoint":{"ipv4":"10.0.0.3","port":3400}},
			{"traceId":"1","id":"4","parentId":"3","kind":"SERVER","name":"s4","timestamp":1,"duration":1,"localEndpoint":{"ipv4":"172.17.0.4"},"tags":{"http.host":"10.0.0.3"}},
			{"traceId":"1","id":"5","kind":"SERVER","name":"s5","timestamp":1,"duration":1,"localEndpoint":{"port":8080},"remoteEndpoint":{"port":3400},"tags":{"http.host":"8080"}}]`,
		Want: []string{
			"1/3 web:c3 1000+1000 kind=client parent=8(child_of)",
			"1/1 auth-service-alp:s1 1000+1000 kind=server peer.service=caller server.address=auth-service-alp:8080",
			"1/2 172.17.0.9:s2 1000+1000 kind=server parent=9(child_of) peer.service=caller server.address=[2001:db8::1]:443",
			"1/4 10.0.0.3:s4 1000+1000 kind=server parent=3(child_of) server.address=10.0.0.3",
			"1/5 :s5 1000+1000 kind=server server.address=8080",
		},
	},
	{
		Name: "service naming: spans without a kind, CONSUMERs, chains and cycles",
		In: `[{"traceId":"1","id":"1","kind":"CLIENT","name":"call","timestamp":1,"duration":9,"localEndpoint":{"serviceName":"web"},"remoteEndpoint":{"serviceName":"api"}},
			{"traceId":"1","id":"2","parentId":"1","name":"handle","timestamp":2,"duration":7},
			{"traceId":"1","id":"3","parentId":"2","name":"local","timestamp":3,"duration":1},
			{"traceId":"1","id":"4","parentId":"2","kind":"CLIENT","name":"db","timestamp":3,"duration":1},
			{"traceId":"1","id":"5","kind":"PRODUCER","name":"send","timestamp":4,"duration":1,"localEndpoint":{"serviceName":"web"},"remoteEndpoint":{"serviceName":"kafka"}},
			{"traceId":"1","id":"6","parentId":"5","kind":"CONSUMER","name":"recv","timestamp":5,"duration":1,"remoteEndpoint":{"serviceName":"kafka"}},
			{"traceId":"1","id":"7","parentId":"6","name":"process","timestamp":6,"duration":1,"localEndpoint":{"serviceName":"worker"}},
			{"traceId":"1","id":"8","parentId":"9","kind":"CLIENT","name":"loop","timestamp":7,"duration":1},
			{"traceId":"1","id":"9","parentId":"8","kind":"CLIENT","name":"loop","timestamp":7,"duration":1},
			{"traceId":"1","id":"a","parentId":"a","name":"self","timestamp":7,"duration":1}]`,
		Want: []string{
			"1/1 web:call 1000+9000 kind=client peer.service=api",
			"1/5 web:send 4000+1000 kind=producer peer.service=kafka",
			"1/7 worker:process 6000+1000 kind=internal parent=6(child_of)",
			"1/2 api:handle 2000+7000 kind=internal parent=1(child_of)",
			"1/3 api:local 3000+1000 kind=internal parent=2(child_of)",
			"1/4 api:db 3000+1000 kind=client parent=2(child_of)",
			"1/6 worker:recv 5000+1000 kind=consumer parent=5(child_of) peer.service=kafka",
			"1/8 :loop 7000+1000 kind=client parent=9(child_of)",
			"1/9 :loop 7000+1000 kind=client parent=8(child_of)",
			"1/a :self 7000+1000 kind=internal parent=a(child_of)",
		},
	},
	{
		Name: "service naming: only spans of the same document count",
		In: "[" + `{"traceId":"1","id":"a","kind":"SERVER","name":"in","timestamp":1,"duration":9,"localEndpoint":{"serviceName":"gateway"}}` + "]\n" +
			"[" + `{"traceId":"1","id":"b","parentId":"a","kind":"CLIENT","name":"out","timestamp":2,"duration":1}` + "]\n",
		Want: []string{
			"1/a gateway:in 1000+9000 kind=server",
			"1/b :out 2000+1000 kind=client parent=a(child_of)",
		},
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
