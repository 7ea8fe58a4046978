// Package syncauditconnector is the syncaudit connector for the
// OpenTelemetry Collector: continuous audit of synchronous calls, scaled
// out by trace ID.
//
// It buffers spans by trace ID until a trace is complete (trace_timeout
// after its first span, as the tail-sampling processor's decision_wait),
// then runs on it what `syncaudit analyze` runs: repair, critical path,
// calls, what-if simulation and detection, into a detect.State with
// sketched savings (bounded memory). Spans are converted from pdata to
// trace.Span by decode/otlp.ConvertTraces, the CLI's own converter (no
// JSON round trip). Every interval it emits metrics and one log record
// carrying the interval's detection state, then starts a new state: the
// states of every interval of every instance merge into the whole
// (`syncaudit analyze --state`). Instances behind a load-balancing
// exporter routing by trace ID each see whole traces.
//
// # Configuration
//
//	connectors:
//	  syncaudit:
//	    trace_timeout: 10s    # wait after a trace's first span
//	    max_traces: 50000     # traces buffered at once; spans of more are dropped
//	    max_spans: 1000000    # spans buffered at once (memory); more are dropped
//	    interval: 60s         # metrics and state emission
//	    enqueue_cost: 1ms     # detect's enqueue cost (analyze --state --enqueue-cost)
//	    min_confidence: 0.5   # recommended candidates (the plan metric)
//	    workers: 0            # goroutines per batch (0: GOMAXPROCS)
//
// Use it as the exporter of a traces pipeline and the receiver of a
// metrics pipeline, a logs pipeline, or both (one instance serves both).
//
// # Metrics (every interval; sums and histograms DELTA)
//
//	name                                type                  unit     attributes
//	syncaudit.request.duration          exponential histogram s        endpoint
//	syncaudit.request.sync_calls        exponential histogram {call}   endpoint
//	syncaudit.candidate.saving          sum (double)          s        candidate
//	syncaudit.candidate.calls           sum (int)             {call}   candidate
//	syncaudit.candidate.traces          sum (int)             {trace}  candidate
//	syncaudit.candidate.critical_path   sum (double)          s        candidate
//	syncaudit.candidate.confidence      gauge                 1        candidate, syncaudit.recommended
//	syncaudit.plan.duration_before      gauge                 s        endpoint, syncaudit.percentile (50, 95, 99)
//	syncaudit.plan.duration_after       gauge                 s        endpoint, syncaudit.percentile
//	syncaudit.connector.spans.dropped   sum (int)             {span}   syncaudit.reason
//	syncaudit.connector.traces.analysed sum (int)             {trace}  -
//
// endpoint is syncaudit.endpoint.service and syncaudit.endpoint.operation;
// candidate is endpoint, syncaudit.caller.service/.operation,
// syncaudit.callee.service/.operation and syncaudit.action (make-async,
// parallelize). Candidates, confidence and the plan are those of the
// interval's requests alone; the whole picture is the merged state. The
// plan's latency after is a simulation of every request under the plan
// the instance guessed (from its earlier intervals, or the first
// interval's first 200 requests): exact when the guess was right, and,
// when it was not, that of the endpoint's best change alone. The state
// carries those simulations, so merged states know the plan too.
// critical_path is the
// critical-path time of the candidate's callee(s) in its endpoint's
// requests. syncaudit.reason is max_traces (a new trace while max_traces
// were buffered), max_spans, late (a span of a trace already analysed,
// among the last max_traces), or invalid (no trace or span ID). The same
// counts, and syncaudit.connector.traces.analysed and
// syncaudit.connector.spans.analysed, are the component's own telemetry
// (the Collector's meter provider), and drops are logged (warn) per
// interval.
//
// # Logs
//
// One record per interval with requests: event name "syncaudit.state",
// body the bytes of detect.State.MarshalBinary (encoding version 2,
// sketch), attributes syncaudit.state.version (detect.StateVersion),
// syncaudit.interval.start and syncaudit.interval.end (Unix ns).
package syncauditconnector
