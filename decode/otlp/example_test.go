package otlp_test

import (
	"fmt"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/otlp"
)

func ExampleDecodeJSON() {
	// Two lines of Collector file-exporter output; the second span has a
	// base64 ID pdata rejects and an ID-less sibling that is rejected.
	data := []byte(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /users","kind":2,"startTimeUnixNano":"1000","endTimeUnixNano":"9000","attributes":[{"key":"http.response.status_code","value":{"intValue":"503"}}],"status":{"code":2}}]}]}]}
{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"db"}}]},"scopeSpans":[{"spans":[{"traceId":"W47/95gDgQPSabYzgT/GDA==","spanId":"7uGbfsPBsXU=","parentSpanId":"7uGbfsPBsXQ=","name":"SELECT","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"2000","endTimeUnixNano":"3000"},{"traceId":"","spanId":"7uGbfsPBsXY="}]}]}]}
`)
	var c decoder.Collect
	if err := otlp.DecodeJSON("spans.jsonl", data, &c, decoder.DefaultLimits); err != nil {
		fmt.Println(err)
	}
	for _, s := range c.Spans {
		fmt.Println(s.TraceID, s.SpanID, s.ParentID, s.Service, s.Name, s.Kind, s.IsError(), s.Attrs)
	}
	fmt.Println("rejected:", c.Rejected)

	// A bad line is reported at its position.
	err := otlp.DecodeJSON("bad.json", []byte(`{"resourceSpans":[{"scopeSpans":{}}]}`), &c, decoder.DefaultLimits)
	fmt.Println(err)
	// Output:
	// 5b8efff798038103d269b633813fc60c eee19b7ec3c1b174 0000000000000000 api GET /users server true [{http.response.status_code 503}]
	// 5b8efff798038103d269b633813fc60c eee19b7ec3c1b175 eee19b7ec3c1b174 db SELECT client false []
	// rejected: map[invalid-trace-id:1]
	// bad.json:1:33: wrong type: scopeSpans: want array, got object
}

func ExampleDecodeProto() {
	// A length-prefixed frame holding an empty-span TracesData, as the
	// Collector file exporter writes it, followed by a frame whose length
	// claims more bytes than remain.
	data := []byte{0, 0, 0, 2, 0x0a, 0x00, 0x00, 0x10, 0x00, 0x00, 0x0a}
	var c decoder.Collect
	err := otlp.DecodeProto("traces.pb", data, &c, decoder.DefaultLimits)
	fmt.Println(len(c.Spans), err)
	// Output:
	// 0 traces.pb: byte offset 6: truncated input: frame length 1048576, only 1 bytes remain
}
