// Package jaeger decodes Jaeger JSON trace exports into trace.Span values.
//
// Input is any JSON shape Jaeger tools write or accept:
//
//	{"data":[{"traceID":…,"spans":[…],"processes":{…}}, …], "total":0, …}  // query API, UI "Download Results"
//	{"data":{"traceID":…,"spans":[…],"processes":{…}}}                      // query API, one trace
//	{"traceID":…,"spans":[…],"processes":{…}}                               // UI "Trace JSON", bare trace
//	[{"traceID":…,"spans":[…]}, …]                                         // array of traces
//	[{"traceID":…,"spanID":…,"process":{…}}, …]                             // jaeger-anonymizer span array
//	{"spans":[{"traceId":"AAAA…==","startTime":"2017-…Z","duration":"5ms"}]} // api_v2 protobuf-JSON
//	{"spans":[…],"process":{"serviceName":…}}                               // api_v2 Batch
//	{"batch":{"spans":[…],"process":{…}}}                                   // api_v2 PostSpansRequest
//	{"batches":[{"spans":[…],"process":{…}}, …]}                             // api_v2 Batches
//
// and JSON lines holding one of those per line. api_v2 keys may be
// camelCase or snake_case (the proto field names: trace_id, span_id,
// operation_name, start_time, ref_type, process_id, service_name, v_type,
// v_str, …, as gogo jsonpb with OrigName or encoding/json on Jaeger's Go
// model write them); v_type is an enum name or number; a reference
// without a type is CHILD_OF. IDs may be unpadded hex,
// base64 (api_v2) or not hex at all (hashed, with trace.WarnNonHexID). The
// recursive references[].span copies and the depth, hasChildren,
// childSpanIds and relativeStartTime keys that 2023–2026 jaeger-ui
// downloads carry are skipped without being decoded.
//
// Output: one trace.Span per Jaeger span, emitted trace by trace. Times are
// converted to Unix nanoseconds. A start is microseconds (UI) or an RFC
// 3339 string (api_v2). A duration with a unit ("22938000ns", "1.5s") is
// read as written; a unitless duration is microseconds when the start is
// microseconds, and nanoseconds when the start is an RFC 3339 string (Go's
// time.Duration, as apm-server's {"batch": …} files have it:
// "duration": 19711000 is 19.711 ms). The service comes from the span's
// process (processID, else its own "process", else its Batch's); span.kind, error=true and otel.status_code become
// Kind and Status; attributes known to trace.KeyOf are kept. Every
// reference goes to Span.Refs and ParentID stays zero: the repair step
// chooses the parent with Jaeger's rule.
//
//	var c decoder.Collect
//	err := jaeger.Decode("traces.json", data, &c, decoder.DefaultLimits)
//
// Errors are positioned (file:line:col) and wrap the decoder sentinels. A
// span with wrong field types is rejected (trace.RejectInvalidSpan) and
// reported, and decoding continues; a syntax error ends the document (or,
// for JSON lines, the line).
//
// The api_v2 protobuf-JSON shape is read with encoding/json structs rather
// than jaeger-idl's model/v1 with gogo jsonpb, which would add gogo/protobuf
// and its dependencies to the module for a handful of fields.
package jaeger
