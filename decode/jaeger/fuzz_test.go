package jaeger

import (
	"testing"

	"github.com/syncaudit/syncaudit/decode/internal/dectest"
	"github.com/syncaudit/syncaudit/trace"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte(`[{"traceID":"1","spans":[` + spanA + `]},{"traceID":"2","spanID":"3","process":{"serviceName":"x"}}]`))
	f.Add([]byte("{\"traceID\":\"1\",\"spans\":[" + spanA + "]}\n[" + spanB + "]\n"))
	dectest.Fuzz(f, decodeCases, Decode, func(t *testing.T, s trace.Span) {
		if !s.ParentID.IsZero() {
			t.Fatalf("emitted a span with ParentID set: %+v", s)
		}
	})
}
