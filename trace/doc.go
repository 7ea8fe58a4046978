// Package trace is syncaudit's span model: the compact Span every decoder
// produces, and the Trace that holds one request's spans as a forest.
//
// Input: spans from any decoder (OTLP, Jaeger, Zipkin), grouped by trace ID
// with a Grouper. Output: one Trace per trace ID whose Parent, Roots and
// Children describe the span tree once the repair package has chosen parents
// and called Link.
//
//	g := trace.NewGrouper()
//	g.Add(spans...)            // from any number of files and batches
//	for _, t := range g.Traces() { repair.Standard(opts).Adjust(t) }
//
// Times are Unix nanoseconds. Every walk over a tree is iterative: traces
// 100,000 spans deep exist.
package trace
