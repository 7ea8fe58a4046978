package bench_test

import (
	"bytes"
	"fmt"

	"github.com/syncaudit/syncaudit/bench"
)

// Generate writes OTLP/JSON lines of order requests; the same seed gives
// the same bytes.
func ExampleGenerate() {
	var buf bytes.Buffer
	st, err := bench.Generate(&buf, bench.Options{Shape: bench.ShapeOrder, Traces: 1000, Seed: 42})
	if err != nil {
		panic(err)
	}
	fmt.Println(st.Traces, "traces,", st.Spans, "spans")
	fmt.Println(bytes.HasPrefix(buf.Bytes(), []byte(`{"resourceSpans":[`)))
	// Output:
	// 1000 traces, 26000 spans
	// true
}
