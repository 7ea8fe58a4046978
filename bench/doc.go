// Package bench generates realistic synthetic trace exports and measures
// the whole syncaudit pipeline on them.
//
// Input: generator Options (shape, size, seed, format). Output: an OTLP
// export written to an io.Writer, shaped like the Collector file exporter's
// (JSON lines or length-prefixed protobuf, batches of 100–500 spans that
// mix the requests in flight), and Go benchmarks of decode → repair →
// analysis → JSON report on it:
//
//	var buf bytes.Buffer
//	st, err := bench.Generate(&buf, bench.Options{Shape: bench.ShapeOrder, Traces: 1000, Seed: 42})
//	// st.Spans == 26000; buf holds OTLP/JSON lines
//
// Two shapes exist. ShapeOrder is the "order" request CRISP was measured
// on (peers.md §5.1): 26 spans — a root POST /order with sequential calls
// to auth, inventory (three SELECTs), payment, email and analytics, five
// parallel recommendation calls, a producer and a consumer that runs after
// the response. ShapeWide is one trace whose root has k such requests in
// sequence (k = 38,500 for 1,001,001 spans), the single huge trace that
// takes Jaeger's Go critical path minutes.
//
// The generator streams: it keeps only the spans of requests in flight,
// so 10 million spans take no more memory than ten thousand.
package bench
