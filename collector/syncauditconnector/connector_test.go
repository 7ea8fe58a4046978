package syncauditconnector

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"math"
	"os"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/connector/connectortest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
)

const syncFixture = "../../fixtures/sync/otlp.jsonl.gz"

// fixtureTraces reads the sync fixture and returns one ptrace.Traces per
// trace, in the order of their first span.
func fixtureTraces(t testing.TB) []ptrace.Traces {
	t.Helper()
	raw, err := os.ReadFile(syncFixture)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	var out []ptrace.Traces
	index := map[pcommon.TraceID]int{}
	var u ptrace.JSONUnmarshaler
	for line := range bytes.Lines(data) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		td, err := u.UnmarshalTraces(line)
		if err != nil {
			t.Fatal(err)
		}
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					i, ok := index[sp.TraceID()]
					if !ok {
						i = len(out)
						index[sp.TraceID()] = i
						out = append(out, ptrace.NewTraces())
					}
					nrs := out[i].ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(nrs.Resource())
					nss := nrs.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(nss.Scope())
					sp.CopyTo(nss.Spans().AppendEmpty())
				}
			}
		}
	}
	return out
}

type harness struct {
	c       *syncaudit
	w       *wrapper
	metrics *consumertest.MetricsSink
	logs    *consumertest.LogsSink
	now     time.Time
	mu      sync.Mutex
	// feed gives traces to both pipelines, as the Collector does.
	feed func(ptrace.Traces)
}

func (h *harness) advance(d time.Duration) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.now = h.now.Add(d)
	return h.now
}

// newHarness creates the connector for both pipelines with sinks and a
// fake clock (no background loop: tests call tick).
func newHarness(t testing.TB, cfg *Config) *harness {
	t.Helper()
	h := &harness{metrics: &consumertest.MetricsSink{}, logs: &consumertest.LogsSink{}, now: time.Unix(1_800_000_000, 0)}
	f := NewFactory()
	set := connectortest.NewNopSettings(typeStr)
	tm, err := f.CreateTracesToMetrics(context.Background(), set, cfg, h.metrics)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := f.CreateTracesToLogs(context.Background(), set, cfg, h.logs)
	if err != nil {
		t.Fatal(err)
	}
	h.w = tm.(*wrapper)
	if tl.(*wrapper).c != h.w.c {
		t.Fatal("the metrics and logs pipelines got two instances")
	}
	h.c = h.w.c
	h.c.manual = true
	h.c.now = func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.now }
	h.c.reset(h.c.now())
	if err := tm.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	if err := tl.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = tm.Shutdown(context.Background())
		_ = tl.Shutdown(context.Background())
	})
	// Both wrappers receive the traces; only one consumes them.
	h.feed = func(td ptrace.Traces) {
		_ = tm.ConsumeTraces(context.Background(), td)
		_ = tl.ConsumeTraces(context.Background(), td)
	}
	return h
}

func testConfig() *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.TraceTimeout = 10 * time.Second
	cfg.Interval = time.Minute
	return cfg
}

// decodeState decodes the state record of every log emitted so far,
// merged.
func decodeStates(t *testing.T, h *harness, opt detect.Options) (*detect.State, int) {
	t.Helper()
	merged, err := detect.NewState(opt)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, ld := range h.logs.AllLogs() {
		for _, rl := range ld.ResourceLogs().All() {
			for _, sl := range rl.ScopeLogs().All() {
				for _, lr := range sl.LogRecords().All() {
					if lr.EventName() != StateEventName {
						t.Errorf("event name %q", lr.EventName())
					}
					if v, _ := lr.Attributes().Get(AttrStateVersion); v.Int() != detect.StateVersion {
						t.Errorf("version %d", v.Int())
					}
					s, _ := lr.Attributes().Get(AttrIntervalStart)
					e, _ := lr.Attributes().Get(AttrIntervalEnd)
					if s.Int() <= 0 || e.Int() <= s.Int() {
						t.Errorf("interval %d..%d", s.Int(), e.Int())
					}
					st, err := detect.NewState(opt)
					if err != nil {
						t.Fatal(err)
					}
					if err := st.UnmarshalBinary(lr.Body().Bytes().AsRaw()); err != nil {
						t.Fatal(err)
					}
					if err := merged.Merge(st); err != nil {
						t.Fatal(err)
					}
					n++
				}
			}
		}
	}
	return merged, n
}

func sketchOptions() detect.Options {
	opt := detect.DefaultOptions()
	opt.Savings = detect.SavingsSketch
	return opt
}

// wantFindings runs the CLI's stages (ingest, repair, audit.Analyze,
// detect) on the fixture with sketched savings.
func wantFindings(t *testing.T) (*detect.Result, int) {
	t.Helper()
	ctx := context.Background()
	res, err := ingest.Load(ctx, []string{syncFixture}, nil, ingest.Options{Repair: repair.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	reqs, err := audit.Analyze(ctx, res.Traces, 0)
	if err != nil {
		t.Fatal(err)
	}
	dr := make([]detect.Request, len(reqs))
	for i, r := range reqs {
		dr[i] = detect.Request{Trace: r.Trace, Root: r.Root, Endpoint: r.Endpoint, Forward: r.Forward, Latency: r.Latency, Failed: r.Failed, Calls: r.Calls}
	}
	found, err := detect.Run(ctx, dr, sketchOptions())
	if err != nil {
		t.Fatal(err)
	}
	return found, len(reqs)
}

func compareFindings(t *testing.T, got, want []detect.Finding) {
	t.Helper()
	if len(want) == 0 {
		t.Fatal("no findings: the comparison would prove nothing")
	}
	if len(got) != len(want) {
		t.Fatalf("%d findings, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := &got[i], &want[i]
		if g.Rank != w.Rank || g.Action != w.Action || g.Endpoint != w.Endpoint || g.Caller != w.Caller || g.Callee != w.Callee ||
			g.Calls != w.Calls || g.Traces != w.Traces || g.Confidence != w.Confidence || g.Recommended != w.Recommended ||
			g.Savings.Count != w.Savings.Count || g.Savings.Total != w.Savings.Total || g.Savings.P95 != w.Savings.P95 {
			t.Errorf("finding %d: got %+v\nwant %+v", i, *g, *w)
		}
	}
}

// TestTraceCompleteAfterTimeout: a trace is analysed once trace_timeout
// has passed since its first span, not before; the interval's state,
// emitted as a log record, decodes into the candidates detect finds on
// the same spans.
func TestTraceCompleteAfterTimeout(t *testing.T) {
	h := newHarness(t, testConfig())
	traces := fixtureTraces(t)
	for _, td := range traces {
		h.feed(td)
	}
	h.c.tick(context.Background(), h.advance(9*time.Second))
	if n := h.c.st.Requests(); n != 0 {
		t.Fatalf("%d requests analysed before trace_timeout", n)
	}
	h.c.tick(context.Background(), h.advance(time.Second))
	if n := h.c.st.Requests(); n == 0 {
		t.Fatal("nothing analysed after trace_timeout")
	}
	if len(h.logs.AllLogs()) != 0 || len(h.metrics.AllMetrics()) != 0 {
		t.Fatal("emitted before the interval ended")
	}
	h.c.tick(context.Background(), h.advance(50*time.Second))
	st, n := decodeStates(t, h, sketchOptions())
	if n != 1 {
		t.Fatalf("%d state records, want 1", n)
	}
	want, nreq := wantFindings(t)
	if st.Requests() != nreq {
		t.Errorf("%d requests, want %d", st.Requests(), nreq)
	}
	got, err := st.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	compareFindings(t, got.Findings, want.Findings)
	// The connector simulated its requests under the plan it guessed (the
	// recommendations of its first requests): the merged plan is the
	// CLI's, also for the checkout's two changes, without the traces.
	if approx := st.PlanFromFindings(); len(approx) != 0 {
		t.Errorf("plan estimated for %v, want simulated", approx)
	}
	if plan := st.Plan(); len(want.Plan) == 0 || len(want.Plan[0].Changes) < 2 || !reflect.DeepEqual(plan, want.Plan) {
		t.Errorf("plan %+v\nwant %+v (with several changes)", plan, want.Plan)
	}
	// The state was reset: the next interval emits no state.
	h.c.tick(context.Background(), h.advance(time.Minute))
	if _, n := decodeStates(t, h, sketchOptions()); n != 1 {
		t.Errorf("%d state records after an empty interval, want 1", n)
	}
}

// TestIntervalsMerge: traces analysed over several intervals give states
// that merge into the one of a single interval (the same bytes: every
// interval guessed the same recommendations, the first from its own
// requests, the others from the instance's history).
func TestIntervalsMerge(t *testing.T) {
	traces := fixtureTraces(t)
	one := newHarness(t, testConfig())
	many := newHarness(t, testConfig())
	for i, td := range traces {
		one.feed(td)
		many.feed(td)
		if i%7 == 6 {
			many.c.tick(context.Background(), many.advance(time.Minute))
		}
	}
	one.c.tick(context.Background(), one.advance(time.Minute))
	many.c.tick(context.Background(), many.advance(time.Minute))
	a, na := decodeStates(t, one, sketchOptions())
	b, nb := decodeStates(t, many, sketchOptions())
	if na != 1 || nb < 3 {
		t.Fatalf("%d and %d states", na, nb)
	}
	ba, _ := a.MarshalBinary()
	bb, _ := b.MarshalBinary()
	if !bytes.Equal(ba, bb) {
		t.Error("merged interval states differ from one interval's state")
	}
}

func sumOf(t *testing.T, md []pmetric.Metrics, name, reason string) int64 {
	t.Helper()
	var n int64
	for _, m := range md {
		for _, rm := range m.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, mt := range sm.Metrics().All() {
					if mt.Name() != name {
						continue
					}
					for _, dp := range mt.Sum().DataPoints().All() {
						if r, ok := dp.Attributes().Get(AttrReason); reason == "" || ok && r.Str() == reason {
							n += dp.IntValue()
						}
					}
				}
			}
		}
	}
	return n
}

// TestLimits: spans of new traces beyond max_traces, spans beyond
// max_spans, spans of a trace already analysed and spans without IDs are
// dropped and counted by reason.
func TestLimits(t *testing.T) {
	traces := fixtureTraces(t)
	spans := func(td ptrace.Traces) int64 { return int64(td.SpanCount()) }
	tests := []struct {
		name   string
		cfg    func(*Config)
		run    func(h *harness)
		reason string
		want   int64
	}{
		{name: "max_traces", cfg: func(c *Config) { c.MaxTraces = 2 }, run: func(h *harness) {
			for _, td := range traces[:4] {
				h.feed(td)
			}
		}, reason: reasonMaxTraces, want: spans(traces[2]) + spans(traces[3])},
		{name: "max_spans", cfg: func(c *Config) { c.MaxSpans = int(spans(traces[0])) }, run: func(h *harness) {
			h.feed(traces[0])
			h.feed(traces[1])
		}, reason: reasonMaxSpans, want: spans(traces[1])},
		{name: "late", run: func(h *harness) {
			h.feed(traces[0])
			h.c.tick(context.Background(), h.advance(11*time.Second))
			h.feed(traces[0])
		}, reason: reasonLate, want: spans(traces[0])},
		{name: "invalid", run: func(h *harness) {
			td := ptrace.NewTraces()
			td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty().SetName("no ids")
			h.feed(td)
		}, reason: reasonInvalid, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig()
			if tt.cfg != nil {
				tt.cfg(cfg)
			}
			h := newHarness(t, cfg)
			tt.run(h)
			h.c.tick(context.Background(), h.advance(time.Minute))
			md := h.metrics.AllMetrics()
			if got := sumOf(t, md, MetricSpansDropped, tt.reason); got != tt.want {
				t.Errorf("dropped (%s) = %d, want %d", tt.reason, got, tt.want)
			}
			if got := sumOf(t, md, MetricSpansDropped, ""); got != tt.want {
				t.Errorf("dropped (all reasons) = %d, want %d", got, tt.want)
			}
		})
	}
}

// TestMetrics: names, units, types, temporality and attributes of what an
// interval emits.
func TestMetrics(t *testing.T) {
	h := newHarness(t, testConfig())
	for _, td := range fixtureTraces(t) {
		h.feed(td)
	}
	h.c.tick(context.Background(), h.advance(time.Minute))
	md := h.metrics.AllMetrics()
	if len(md) != 1 {
		t.Fatalf("%d metrics batches, want 1", len(md))
	}
	endpoint := []string{AttrEndpointService, AttrEndpointOperation}
	candidate := append(slices.Clone(endpoint), AttrCallerService, AttrCallerOperation, AttrCalleeService, AttrCalleeOperation, AttrAction)
	want := map[string]struct {
		typ   pmetric.MetricType
		unit  string
		attrs []string
	}{
		MetricRequestDuration:     {pmetric.MetricTypeExponentialHistogram, "s", endpoint},
		MetricRequestSyncCalls:    {pmetric.MetricTypeExponentialHistogram, "{call}", endpoint},
		MetricCandidateSaving:     {pmetric.MetricTypeSum, "s", candidate},
		MetricCandidateCalls:      {pmetric.MetricTypeSum, "{call}", candidate},
		MetricCandidateTraces:     {pmetric.MetricTypeSum, "{trace}", candidate},
		MetricCandidateCritical:   {pmetric.MetricTypeSum, "s", candidate},
		MetricCandidateConfidence: {pmetric.MetricTypeGauge, "1", append(slices.Clone(candidate), AttrRecommended)},
		MetricPlanDurationBefore:  {pmetric.MetricTypeGauge, "s", append(slices.Clone(endpoint), AttrPercentile)},
		MetricPlanDurationAfter:   {pmetric.MetricTypeGauge, "s", append(slices.Clone(endpoint), AttrPercentile)},
		MetricSpansDropped:        {pmetric.MetricTypeSum, "{span}", []string{AttrReason}},
		MetricTracesAnalysed:      {pmetric.MetricTypeSum, "{trace}", nil},
	}
	seen := map[string]bool{}
	found, nreq := wantFindings(t)
	for _, mt := range md[0].ResourceMetrics().At(0).ScopeMetrics().At(0).Metrics().All() {
		w, ok := want[mt.Name()]
		if !ok {
			t.Errorf("unexpected metric %s", mt.Name())
			continue
		}
		seen[mt.Name()] = true
		if mt.Type() != w.typ || mt.Unit() != w.unit || mt.Description() == "" {
			t.Errorf("%s: %v %q, want %v %q", mt.Name(), mt.Type(), mt.Unit(), w.typ, w.unit)
		}
		var attrs []pcommon.Map
		switch mt.Type() {
		case pmetric.MetricTypeSum:
			if mt.Sum().AggregationTemporality() != pmetric.AggregationTemporalityDelta {
				t.Errorf("%s: not delta", mt.Name())
			}
			for _, dp := range mt.Sum().DataPoints().All() {
				attrs = append(attrs, dp.Attributes())
				if dp.StartTimestamp() == 0 || dp.Timestamp() <= dp.StartTimestamp() {
					t.Errorf("%s: timestamps %v..%v", mt.Name(), dp.StartTimestamp(), dp.Timestamp())
				}
			}
		case pmetric.MetricTypeExponentialHistogram:
			if mt.ExponentialHistogram().AggregationTemporality() != pmetric.AggregationTemporalityDelta {
				t.Errorf("%s: not delta", mt.Name())
			}
			var count uint64
			for _, dp := range mt.ExponentialHistogram().DataPoints().All() {
				attrs = append(attrs, dp.Attributes())
				count += dp.Count()
				var b uint64
				for _, n := range dp.Positive().BucketCounts().All() {
					b += n
				}
				if b+dp.ZeroCount() != dp.Count() {
					t.Errorf("%s: buckets hold %d of %d", mt.Name(), b+dp.ZeroCount(), dp.Count())
				}
			}
			if count != uint64(nreq) {
				t.Errorf("%s: %d requests, want %d", mt.Name(), count, nreq)
			}
		case pmetric.MetricTypeGauge:
			for _, dp := range mt.Gauge().DataPoints().All() {
				attrs = append(attrs, dp.Attributes())
			}
		}
		if len(attrs) == 0 {
			t.Errorf("%s: no data points", mt.Name())
		}
		for _, a := range attrs {
			var keys []string
			for k := range a.All() {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			wk := slices.Sorted(slices.Values(w.attrs))
			if !slices.Equal(keys, wk) {
				t.Errorf("%s: attributes %v, want %v", mt.Name(), keys, wk)
			}
		}
		if mt.Name() == MetricCandidateSaving {
			var total float64
			for _, dp := range mt.Sum().DataPoints().All() {
				total += dp.DoubleValue()
			}
			var want float64
			for _, f := range found.Findings {
				want += f.Savings.Total.Seconds()
			}
			if math.Abs(total-want) > 1e-9*want {
				t.Errorf("total saving %v s, want %v", total, want)
			}
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("metric %s not emitted", name)
		}
	}
}

// TestLifecycle: with the background loop and real time, spans flow
// through to a state record, and Shutdown emits what is buffered.
func TestLifecycle(t *testing.T) {
	cfg := testConfig()
	cfg.TraceTimeout = 20 * time.Millisecond
	cfg.Interval = 100 * time.Millisecond
	metrics, logs := &consumertest.MetricsSink{}, &consumertest.LogsSink{}
	f := NewFactory()
	set := connectortest.NewNopSettings(typeStr)
	tm, err := f.CreateTracesToMetrics(context.Background(), set, cfg, metrics)
	if err != nil {
		t.Fatal(err)
	}
	tl, err := f.CreateTracesToLogs(context.Background(), set, cfg, logs)
	if err != nil {
		t.Fatal(err)
	}
	host := componenttest.NewNopHost()
	if err := tm.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	if err := tl.Start(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	traces := fixtureTraces(t)
	for _, td := range traces[:len(traces)/2] {
		_ = tm.ConsumeTraces(context.Background(), td)
		_ = tl.ConsumeTraces(context.Background(), td)
	}
	deadline := time.Now().Add(5 * time.Second)
	for logs.LogRecordCount() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if logs.LogRecordCount() == 0 {
		t.Fatal("no state emitted by the background loop")
	}
	for _, td := range traces[len(traces)/2:] {
		_ = tm.ConsumeTraces(context.Background(), td)
		_ = tl.ConsumeTraces(context.Background(), td)
	}
	if err := tm.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tl.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	h := &harness{logs: logs}
	st, _ := decodeStates(t, h, sketchOptions())
	_, nreq := wantFindings(t)
	if st.Requests() != nreq {
		t.Errorf("%d requests over all intervals, want %d", st.Requests(), nreq)
	}
	if sumOf(t, metrics.AllMetrics(), MetricTracesAnalysed, "") != int64(len(traces)) {
		t.Errorf("traces analysed %d, want %d", sumOf(t, metrics.AllMetrics(), MetricTracesAnalysed, ""), len(traces))
	}
}

// TestExpHist: buckets hold every value, span at most maxBuckets indices,
// and each value lies in its bucket (base^i, base^(i+1)].
func TestExpHist(t *testing.T) {
	tests := []struct {
		name string
		vs   []float64
	}{
		{"one", []float64{0.25}},
		{"zeros", []float64{0, 0, 3}},
		{"narrow", []float64{1, 1.01, 1.02, 1.03}},
		{"wide", []float64{1e-6, 1, 1e6, 3e-3, 42}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newExpHist()
			for _, v := range tt.vs {
				h.add(v)
			}
			dp := pmetric.NewExponentialHistogramDataPoint()
			h.to(dp)
			n := dp.ZeroCount()
			for _, c := range dp.Positive().BucketCounts().All() {
				n += c
			}
			if n != uint64(len(tt.vs)) || dp.Count() != n {
				t.Errorf("buckets hold %d, count %d, want %d", n, dp.Count(), len(tt.vs))
			}
			if dp.Positive().BucketCounts().Len() > maxBuckets {
				t.Errorf("%d buckets", dp.Positive().BucketCounts().Len())
			}
			base := math.Exp2(math.Exp2(-float64(dp.Scale())))
			for _, v := range tt.vs {
				if v == 0 {
					continue
				}
				i := int(dp.Positive().Offset())
				found := false
				for k, c := range dp.Positive().BucketCounts().All() {
					lo, hi := math.Pow(base, float64(i+k)), math.Pow(base, float64(i+k+1))
					if c > 0 && v > lo*(1-1e-9) && v <= hi*(1+1e-9) {
						found = true
					}
				}
				if !found {
					t.Errorf("%v in no non-empty bucket (scale %d)", v, dp.Scale())
				}
			}
		})
	}
}
