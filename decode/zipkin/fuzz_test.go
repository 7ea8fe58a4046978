package zipkin

import (
	"testing"

	"github.com/syncaudit/syncaudit/decode/internal/dectest"
	"github.com/syncaudit/syncaudit/trace"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte("[" + root + "]\n" + client + "\n[[" + server + "]]\n"))
	// Spans without a local service, named from the rest of the document.
	f.Add([]byte(`[{"traceId":"1","id":"1","kind":"CLIENT","localEndpoint":{"serviceName":"a"},"remoteEndpoint":{"serviceName":"b","ipv4":"10.0.0.1"},"tags":{"http.url":"http://h:1/x"}},{"traceId":"1","id":"1","kind":"SERVER","shared":true,"localEndpoint":{"ipv6":"::1"}},{"traceId":"1","id":"2","parentId":"1","kind":"CLIENT"},{"traceId":"1","id":"3","parentId":"3"}]`))
	dectest.Fuzz(f, decodeCases, Decode, func(t *testing.T, s trace.Span) {
		if s.ParentID.IsZero() != (s.ParentRef == trace.RefNone) {
			t.Fatalf("ParentID and ParentRef disagree: %+v", s)
		}
	})
}
