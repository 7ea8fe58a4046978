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
// microseconds to Unix nanoseconds; Service is localEndpoint.serviceName
// (see below when it is missing);
// remoteEndpoint.serviceName becomes the peer.service attribute; kind
// CLIENT, SERVER, PRODUCER and CONSUMER map to the span kinds and an absent
// kind to KindInternal (a local span); an "error" tag or otel.status_code
// ERROR gives StatusError; tags known to trace.KeyOf are kept. ParentID is
// parentId as written.
//
// A span without localEndpoint.serviceName (an uninstrumented or
// misconfigured endpoint) is named from the other spans of its document,
// the way someone reading the trace in Zipkin or Jaeger would name it:
//
//   - CLIENT or PRODUCER: the caller side runs in the process of its
//     parent, so it takes the service of its parent when that is in the
//     document (of the SERVER half when client and server share the
//     parent's ID). Its own remote endpoint and peer.service name the
//     callee, so they are never used for it.
//   - SERVER, or a span without a kind that a CLIENT calls (the CLIENT half
//     of a shared ID, or a CLIENT parent): in order, the client side's
//     remoteEndpoint.serviceName; the client side's peer.service tag; the
//     service its own CLIENT, PRODUCER and local children report (they run
//     in its process: the name the service gives itself); the host of the
//     client side's server.address, net.peer.name, peer.hostname,
//     http.host or URL tag; the host of the server's own http.host,
//     server.address or URL tag (the Host header it was called with).
//     The server's own remoteEndpoint, peer.service and net.peer.name name
//     its caller and are not used.
//   - A span without a kind that no CLIENT calls is local: it takes its
//     parent's service, else its children's.
//   - CONSUMER: its children's service (a producer's remote endpoint names
//     the broker, not the consumer).
//
// A raw IP address is the last resort (the client side's
// remoteEndpoint.ipv4/ipv6 or an address tag that is an IP, then the
// span's own localEndpoint address); a port never names a service. With
// nothing to go on, Service stays "" (later shown as <unknown>). A span
// named this way is emitted at the end of its document, after the others.
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
