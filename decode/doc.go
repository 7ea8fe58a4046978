// Package decode reads trace exports in any supported format into spans.
//
// Input: paths (files, directories searched recursively, globs, or "-" for
// stdin), each optionally gzip- or zstd-compressed. Output: trace.Span values
// delivered to a decoder.Emitter, plus positioned errors for what could not be
// read. The format is sniffed from the content unless forced:
//
//	otlp-json   OTLP/JSON documents or JSON lines (Collector file exporter, api_v3, Tempo)
//	otlp-proto  OTLP protobuf, bare or length-prefixed (Collector file exporter)
//	jaeger      Jaeger query/UI JSON, trace arrays, JSON lines, anonymizer arrays, api_v2 JSON
//	zipkin      Zipkin v2 JSON span arrays
//
// The format decoders live in the otlp, jaeger and zipkin subpackages; this
// package finds inputs, removes compression with bounded memory, and
// dispatches. Split streams an input and cuts OTLP/JSON lines into chunks
// that decode independently (package ingest decodes them in parallel); a
// Joiner puts their errors back at their positions in the whole input.
package decode
