// Package zipkin decodes Zipkin v2 JSON spans into trace.Span values.
//
// Input is what POST /api/v2/spans accepts and GET /api/v2/trace/{id} and
// /api/v2/traces return, or JSON lines of it:
//
//	[{"traceId":"1e223ff1f80f1c69","id":"74280ae0c10d8062","parentId":"bf396325699c84bf",
//	  "kind":"SERVER","name":"post","timestamp":1470150004008761,"duration":93577,
//	  "localEndpoint":{"serviceName":"serviceb"},"shared":true}, …]
//	[[…spans of trace 1…], […spans of trace 2…]]
//
// Output: one trace.Span per Zipkin span. Times are converted from epoch
// microseconds to Unix nanoseconds; Service is localEndpoint.serviceName;
// remoteEndpoint.serviceName becomes the peer.service attribute; kind
// CLIENT, SERVER, PRODUCER and CONSUMER map to the span kinds and an absent
// kind to KindInternal (a local span); an "error" tag or otel.status_code
// ERROR gives StatusError; tags known to trace.KeyOf are kept. ParentID is
// parentId as written.
//
// Client and server halves of one RPC often share a span ID (the server
// half has "shared": true). Both are emitted, with the same SpanID, and the
// server half gets trace.FlagShared; the repair step tells them apart.
//
//	var c decoder.Collect
//	err := zipkin.Decode("trace.json", data, &c, decoder.DefaultLimits)
//
// Errors are positioned (file:line:col) and wrap the decoder sentinels. A
// span with wrong field types is rejected (trace.RejectInvalidSpan) and
// reported, and decoding continues; a syntax error ends the document (or,
// for JSON lines, the line).
package zipkin
