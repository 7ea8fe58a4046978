// Package otlp decodes OpenTelemetry (OTLP) trace exports into syncaudit's
// compact spans.
//
// Input: OTLP/JSON (DecodeJSON) — one document, concatenated documents or
// JSON lines as the Collector file exporter writes them, optionally wrapped
// as {"result":…} (Jaeger api_v3), {"trace":…} or {"batches":…} (Tempo),
// with hex or base64 IDs; or OTLP protobuf (DecodeProto) — a bare
// TracesData/ExportTraceServiceRequest, or the file exporter's
// length-prefixed frames, each optionally zstd-compressed.
//
// Output: trace.Span values, emitted in batches to a decoder.Emitter:
//
//	{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"api"}}]},
//	  "scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
//	    "parentSpanId":"eee19b7ec3c1b173","name":"GET /users","kind":2,
//	    "startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000",
//	    "attributes":[{"key":"http.request.method","value":{"stringValue":"GET"}}],
//	    "status":{"code":2}}]}]}]}
//
// becomes
//
//	trace.Span{TraceID: 5b8e…c60c, SpanID: eee1…b174, ParentID: eee1…b173, ParentRef: trace.RefChildOf,
//	    Service: "api", Name: "GET /users", Kind: trace.KindServer, Start: 1544712660000000000,
//	    End: 1544712661000000000, Status: trace.StatusError,
//	    Attrs: trace.Attrs{{Key: trace.AttrHTTPMethod, Value: "GET"}}}
//
// Only the attributes named by trace.KeyOf are kept (integers as decimal
// strings; the status message as trace.AttrStatusMessage). Attributes left
// by Jaeger-to-OTLP translation are honoured: error=true and
// otel.status_code set the status, span.kind the kind, and links carrying
// opentracing.ref_type become child_of/follows_from references (a
// FOLLOWS_FROM parent sets ParentRef). Other links become trace.RefLink refs.
//
// OTLP/JSON is read by a small validating reader of this package, which
// gives errors their file:line:col positions and does not materialise
// ignored attributes. pdata (go.opentelemetry.io/collector/pdata) remains
// the reference: a document with anything pdata might read differently
// (wrappers, repeated members, enum names, unusual numbers, …) or that the
// reader rejects is given to pdata first, and the reader then takes only
// what pdata rejects or misreads — base64 IDs and enum names from protobuf
// tooling, 64-bit trace IDs, the legacy instrumentationLibrarySpans key,
// malformed input. Protobuf input is decoded by pdata.
package otlp
