package jaeger

import (
	"errors"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

func FuzzDecode(f *testing.F) {
	for _, tc := range decodeCases {
		f.Add([]byte(tc.in))
	}
	f.Add([]byte(`[{"traceID":"1","spans":[` + spanA + `]},{"traceID":"2","spanID":"3","process":{"serviceName":"x"}}]`))
	f.Add([]byte("{\"traceID\":\"1\",\"spans\":[" + spanA + "]}\n[" + spanB + "]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var c decoder.Collect
		err := Decode("fuzz.json", data, &c, decoder.Limits{MaxDepth: 64})
		for _, s := range c.Spans {
			if s.TraceID.IsZero() || s.SpanID.IsZero() {
				t.Fatalf("emitted a span with a zero ID: %+v", s)
			}
			if !s.ParentID.IsZero() {
				t.Fatalf("emitted a span with ParentID set: %+v", s)
			}
		}
		if err == nil {
			if len(c.Spans)+c.Rejected.Total() == 0 {
				t.Fatal("no spans and no error")
			}
			return
		}
		checkPositioned(t, err, len(data))
	})
}

// checkPositioned asserts that every error is a *decoder.Error for the
// input with an offset inside it and a line and column when positioned.
func checkPositioned(t *testing.T, err error, size int) {
	t.Helper()
	leaves := []error{err}
	var l decoder.ErrorList
	if errors.As(err, &l) {
		leaves = l
	}
	for _, e := range leaves {
		var de *decoder.Error
		if !errors.As(e, &de) {
			t.Fatalf("error %v (%T) is not a *decoder.Error", e, e)
		}
		if de.File != "fuzz.json" || de.Offset < 0 || de.Offset > int64(size) {
			t.Fatalf("error %v: file %q offset %d outside input of %d bytes", e, de.File, de.Offset, size)
		}
		if de.Line < 0 || (de.Line > 0 && de.Column < 1) {
			t.Fatalf("error %v: line %d column %d", e, de.Line, de.Column)
		}
	}
}
