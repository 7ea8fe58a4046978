package jaeger_test

import (
	"fmt"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/jaeger"
)

func ExampleDecode() {
	data := []byte(`{"data":[{"traceID":"4bf92f3577b34da6","spans":[
	  {"traceID":"4bf92f3577b34da6","spanID":"a1","operationName":"GET /order","references":[],
	   "startTime":1700000000000000,"duration":1200,"processID":"p1",
	   "tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"http.status_code","type":"int64","value":200}]},
	  {"traceID":"4bf92f3577b34da6","spanID":"b2","operationName":"send email","startTime":1700000000000100,"duration":900,"processID":"p2",
	   "references":[{"refType":"CHILD_OF","traceID":"4bf92f3577b34da6","spanID":"a1"}],
	   "tags":[{"key":"span.kind","type":"string","value":"client"},{"key":"error","type":"bool","value":true}]}],
	  "processes":{"p1":{"serviceName":"orders"},"p2":{"serviceName":"mailer"}}}]}`)
	var c decoder.Collect
	if err := jaeger.Decode("traces.json", data, &c, decoder.DefaultLimits); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range c.Spans {
		fmt.Printf("%s %q %s %dµs error=%v attrs=%v refs=%d\n", s.Service, s.Name, s.Kind, s.Duration()/1000, s.IsError(), s.Attrs, len(s.Refs))
	}
	// Output:
	// orders "GET /order" server 1200µs error=false attrs=[{http.response.status_code 200}] refs=0
	// mailer "send email" client 900µs error=true attrs=[] refs=1
}
