package zipkin_test

import (
	"fmt"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/zipkin"
	"github.com/syncaudit/syncaudit/trace"
)

func ExampleDecode() {
	// A client span and the server half that shares its ID.
	data := []byte(`[
	  {"traceId":"1e223ff1f80f1c69","parentId":"bf396325699c84bf","id":"74280ae0c10d8062","kind":"CLIENT","name":"post",
	   "timestamp":1470150004074202,"duration":94539,"localEndpoint":{"serviceName":"frontend"},"remoteEndpoint":{"serviceName":"backend"}},
	  {"traceId":"1e223ff1f80f1c69","parentId":"bf396325699c84bf","id":"74280ae0c10d8062","kind":"SERVER","name":"post",
	   "timestamp":1470150004076000,"duration":90000,"localEndpoint":{"serviceName":"backend"},"shared":true,"tags":{"error":"timeout"}}
	]`)
	var c decoder.Collect
	if err := zipkin.Decode("trace.json", data, &c, decoder.DefaultLimits); err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range c.Spans {
		fmt.Printf("%s %s %s parent=%s shared=%v error=%v attrs=%v\n",
			s.SpanID, s.Service, s.Kind, s.ParentID, s.Flags&trace.FlagShared != 0, s.IsError(), s.Attrs)
	}
	// Output:
	// 74280ae0c10d8062 frontend client parent=bf396325699c84bf shared=false error=false attrs=[{peer.service backend}]
	// 74280ae0c10d8062 backend server parent=bf396325699c84bf shared=true error=true attrs=[{status.message timeout}]
}
