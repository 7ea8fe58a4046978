// Package fetch reads traces straight from a running Jaeger's query
// service, so syncaudit can analyse what Jaeger holds without an export.
//
// Input: a Query (service, optional operation and key=value tags, a time
// range, a trace limit) and a Client naming the API:
//
//	APIv3      GET {URL}/api/v3/traces?query.service_name=…&query.start_time_min=…(RFC 3339)
//	           &query.num_traces=N → {"result":TracesData} OTLP/JSON (Jaeger ≥ 1.35, v2)
//	APIGRPC    jaeger.api_v3.QueryService/FindTraces on host:16685 → a stream of
//	           OTLP protobuf TracesData, one per trace
//	APIClassic GET {URL}/api/traces?service=…&start=…&end=…(µs)&limit=N&tags={…}
//	           → Jaeger UI JSON
//
// Output: one Trace per matching trace — every span of one trace ID, as one
// JSON document for the decoders: an OTLP/JSON TracesData (api_v3, gRPC) or
// the Jaeger UI trace object as Jaeger sent it (classic; fetch reads only
// its ID and start times, decode/jaeger reads the rest) — passed to a
// callback (Fetch) or written one per line (Write, WriteFile), which
// syncaudit reads back, or streams into its decoders (analyze --jaeger):
//
//	c := &fetch.Client{API: fetch.APIv3, URL: "http://localhost:16686"}
//	q := fetch.Query{Service: "order", Start: time.Now().Add(-time.Hour), End: time.Now()}
//	stats, err := c.WriteFile(ctx, q, "traces.jsonl")
//
// Large ranges are paged through time: a window whose answer is as full as
// the page size asked for may have been truncated by Jaeger, so it is
// halved and each half asked again, until every window answers with room
// to spare. Traces are de-duplicated by ID across windows, streamed as
// they arrive, and memory stays bounded by one page.
//
// Failures are *Error values classified by Kind (unreachable, not a Jaeger
// URL, authorization, timeout, server error, cut-off answer) with a hint
// for the user; a failure after some requests succeeded is a
// *PartialError, and WriteFile then leaves no output file behind. A search
// that matches nothing returns ErrNoTraces.
package fetch
