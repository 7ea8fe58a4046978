package zipkin

import (
	"testing"

	"github.com/syncaudit/syncaudit/decode/internal/dectest"
	"github.com/syncaudit/syncaudit/trace"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte("[" + root + "]\n" + client + "\n[[" + server + "]]\n"))
	dectest.Fuzz(f, decodeCases, Decode, func(t *testing.T, s trace.Span) {
		if s.ParentID.IsZero() != (s.ParentRef == trace.RefNone) {
			t.Fatalf("ParentID and ParentRef disagree: %+v", s)
		}
	})
}
