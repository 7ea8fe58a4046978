package syncauditconnector

import (
	"context"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// reID returns a copy of the traces with trace IDs made unique for round
// n (so that they are new traces, not late spans).
func reID(src []ptrace.Traces, n int) []ptrace.Traces {
	out := make([]ptrace.Traces, len(src))
	for i, td := range src {
		c := ptrace.NewTraces()
		td.CopyTo(c)
		for _, rs := range c.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					id := sp.TraceID()
					id[0] ^= byte(n)
					id[1] ^= byte(n >> 8)
					id[2] ^= byte(n >> 16)
					id[3] ^= 0x5a
					sp.SetTraceID(pcommon.TraceID(id))
				}
			}
		}
		out[i] = c
	}
	return out
}

// BenchmarkConnector: spans per second through the connector (buffer,
// conversion, repair, critical path, calls, what-if, detection, and one
// emission per round), on one worker. Run with -cpu 1 for spans/s per
// core.
func BenchmarkConnector(b *testing.B) {
	cfg := testConfig()
	cfg.Workers = 1
	cfg.Interval = 24 * time.Hour // emission is measured by BenchmarkEmit
	h := newHarness(b, cfg)
	src := fixtureTraces(b)
	spans := 0
	for _, td := range src {
		spans += td.SpanCount()
	}
	b.ResetTimer()
	var busy time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		round := reID(src, i)
		b.StartTimer()
		start := time.Now()
		for _, td := range round {
			h.feed(td)
		}
		h.c.tick(context.Background(), h.advance(cfg.TraceTimeout))
		busy += time.Since(start)
	}
	b.ReportMetric(float64(spans*b.N)/busy.Seconds(), "spans/s")
}

// BenchmarkEmit: one interval's emission (encoding the state, finishing
// a copy, metrics and the log record) after the fixture's traces.
func BenchmarkEmit(b *testing.B) {
	src := fixtureTraces(b)
	h := newHarness(b, testConfig())
	for b.Loop() {
		b.StopTimer()
		for _, td := range reID(src, 0) {
			h.feed(td)
		}
		h.c.mu.Lock()
		clear(h.c.done)
		h.c.doneRing = h.c.doneRing[:0]
		h.c.mu.Unlock()
		h.c.tick(context.Background(), h.advance(h.c.cfg.TraceTimeout))
		b.StartTimer()
		h.c.tick(context.Background(), h.advance(h.c.cfg.Interval))
	}
}

// BenchmarkBufferedSpanBytes: heap bytes per span while buffered (waiting
// for trace_timeout).
func BenchmarkBufferedSpanBytes(b *testing.B) {
	src := fixtureTraces(b)
	rounds := make([][]ptrace.Traces, 20)
	for i := range rounds {
		rounds[i] = reID(src, i)
	}
	var perSpan float64
	for b.Loop() {
		cfg := testConfig()
		h := newHarness(b, cfg)
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		for _, r := range rounds {
			for _, td := range r {
				h.feed(td)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&m1)
		h.c.mu.Lock()
		n := h.c.spans
		h.c.mu.Unlock()
		perSpan = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / float64(n)
		runtime.KeepAlive(rounds)
	}
	b.ReportMetric(perSpan, "B/span")
}
