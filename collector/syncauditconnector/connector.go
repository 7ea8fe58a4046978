package syncauditconnector

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/connector"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/plog"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.uber.org/zap"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/otlp"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// scopeName is the instrumentation scope of what the connector emits and
// of its own telemetry.
const scopeName = "github.com/syncaudit/syncaudit/collector/syncauditconnector"

// Reasons a span is dropped (attribute syncaudit.reason of
// syncaudit.connector.spans.dropped).
const (
	reasonMaxTraces = "max_traces" // a new trace while max_traces were buffered
	reasonMaxSpans  = "max_spans"  // a span while max_spans were buffered
	reasonLate      = "late"       // a span of a trace already analysed
	reasonInvalid   = "invalid"    // no trace or span ID
)

var reasons = []string{reasonMaxTraces, reasonMaxSpans, reasonLate, reasonInvalid}

// syncaudit is one connector instance, shared by its metrics and logs
// pipelines (see factory).
type syncaudit struct {
	cfg     *Config
	log     *zap.Logger
	now     func() time.Time
	release func()
	// manual (tests) starts no background loop: tests call tick.
	manual bool

	// mu guards the buffer.
	mu      sync.Mutex
	pending map[trace.TraceID]*pendingTrace
	queue   []queued // pending traces in arrival order
	spans   int      // spans buffered
	// done remembers the last MaxTraces traces analysed (ring), to tell
	// late spans.
	done     map[trace.TraceID]struct{}
	doneRing []trace.TraceID
	doneNext int
	dropped  map[string]int64 // since the last emission

	// pmu guards the analysis and the interval.
	pmu    sync.Mutex
	dopt   detect.Options
	adjust repair.Adjuster
	st     *detect.State
	// hist merges the states of the instance's earlier intervals: each
	// interval's state guesses the recommendations from it (see
	// speculate); warming is set while the first interval's state retains
	// its requests until it can guess from them.
	hist     *detect.State
	warming  bool
	acc      *interval
	start    time.Time
	traces   int64 // analysed in the interval
	analysed int64 // spans analysed in the interval

	// telemetry
	droppedCounter   metric.Int64Counter
	processedCounter metric.Int64Counter
	spansCounter     metric.Int64Counter

	metrics  []consumer.Metrics
	logs     []consumer.Logs
	users    int  // wrappers created
	started  int  // wrappers started
	stopping bool // a wrapper was shut down: the last interval was emitted
	stop     chan struct{}
	wg       sync.WaitGroup
}

type pendingTrace struct {
	spans []trace.Span
}

type queued struct {
	id       trace.TraceID
	deadline time.Time
}

func newSyncaudit(set connector.Settings, cfg *Config, release func()) *syncaudit {
	dopt := detect.DefaultOptions()
	dopt.EnqueueCost = cfg.EnqueueCost
	dopt.MinConfidence = cfg.MinConfidence
	dopt.Workers = cfg.Workers
	dopt.Savings = detect.SavingsSketch
	c := &syncaudit{
		cfg: cfg, log: set.Logger, now: time.Now, release: release,
		pending: map[trace.TraceID]*pendingTrace{},
		done:    map[trace.TraceID]struct{}{}, doneRing: make([]trace.TraceID, 0, min(cfg.MaxTraces, 1<<16)),
		dropped: map[string]int64{},
		dopt:    dopt, adjust: repair.Standard(repair.DefaultOptions()),
	}
	if c.log == nil {
		c.log = zap.NewNop()
	}
	c.reset(c.now())
	if mp := set.MeterProvider; mp != nil {
		m := mp.Meter(scopeName)
		c.droppedCounter, _ = m.Int64Counter("syncaudit.connector.spans.dropped", metric.WithUnit("{span}"),
			metric.WithDescription("Spans the syncaudit connector dropped, by reason (max_traces, max_spans, late, invalid)"))
		c.processedCounter, _ = m.Int64Counter("syncaudit.connector.traces.analysed", metric.WithUnit("{trace}"),
			metric.WithDescription("Traces the syncaudit connector analysed"))
		c.spansCounter, _ = m.Int64Counter("syncaudit.connector.spans.analysed", metric.WithUnit("{span}"),
			metric.WithDescription("Spans the syncaudit connector analysed"))
	}
	return c
}

// warmupRequests is how many requests the first interval retains before
// it guesses the recommendations from them (or fewer, at the interval's
// end).
const warmupRequests = 200

// reset starts a new interval at now (under pmu, or before use). The new
// state simulates every request under the combined plan the instance's
// history recommends (detect.State.SpeculateFrom), so that states merged
// elsewhere (syncaudit analyze --state) know the plan of every endpoint
// whose recommendations the guess got right, without the traces. With no
// history yet, it retains its first requests to guess from them.
func (c *syncaudit) reset(now time.Time) {
	st, err := detect.NewState(c.dopt)
	if err != nil {
		panic(err) // the options were validated with the config
	}
	c.warming = false
	if c.hist != nil && c.hist.Requests() > 0 {
		if err := st.SpeculateFrom(context.Background(), c.hist); err != nil {
			c.log.Error("syncaudit: guessing the recommendations", zap.Error(err))
		}
	} else {
		st.Retain()
		c.warming = true
	}
	c.st, c.acc, c.start, c.traces, c.analysed = st, newInterval(), now, 0, 0
}

// speculate ends the warm-up of the first interval: it guesses the
// recommendations from the requests observed so far and simulates them
// under the guess (under pmu).
func (c *syncaudit) speculate(ctx context.Context) {
	if !c.warming || c.st.Requests() == 0 {
		return
	}
	c.warming = false
	if err := c.st.SpeculateRetained(ctx); err != nil {
		c.log.Error("syncaudit: guessing the recommendations", zap.Error(err))
	}
}

// remember merges the interval's encoded state b into the history.
func (c *syncaudit) remember(b []byte) error {
	st, err := detect.NewState(c.dopt)
	if err != nil {
		return err
	}
	if err := st.UnmarshalBinary(b); err != nil {
		return err
	}
	if c.hist == nil {
		c.hist = st
		return nil
	}
	return c.hist.Merge(st)
}

// wrapper is what the factory returns for one pipeline.
type wrapper struct {
	c       *syncaudit
	primary bool // the one that consumes: both pipelines receive the traces
}

func (c *syncaudit) attach(m consumer.Metrics, l consumer.Logs) *wrapper {
	c.pmu.Lock()
	defer c.pmu.Unlock()
	if m != nil {
		c.metrics = append(c.metrics, m)
	}
	if l != nil {
		c.logs = append(c.logs, l)
	}
	c.users++
	return &wrapper{c: c, primary: c.users == 1}
}

func (w *wrapper) Capabilities() consumer.Capabilities {
	return consumer.Capabilities{MutatesData: false}
}

func (w *wrapper) ConsumeTraces(_ context.Context, td ptrace.Traces) error {
	if w.primary {
		w.c.add(td)
	}
	return nil
}

func (w *wrapper) Start(context.Context, component.Host) error {
	c := w.c
	c.pmu.Lock()
	defer c.pmu.Unlock()
	c.started++
	if c.started == 1 && !c.manual {
		c.stop = make(chan struct{})
		c.wg.Add(1)
		go c.loop(c.stop)
	}
	return nil
}

func (w *wrapper) Shutdown(ctx context.Context) error {
	c := w.c
	c.pmu.Lock()
	c.started--
	first := !c.stopping
	c.stopping = true
	last := c.started == 0
	stop := c.stop
	c.stop = nil
	c.pmu.Unlock()
	if first {
		// The first of the connector's pipelines to stop emits the last
		// interval: the Collector stops a connector before what is
		// downstream of it, so no pipeline fed by this connector has
		// stopped an exporter yet, while after the last one some may have.
		if stop != nil {
			close(stop)
			c.wg.Wait()
		}
		c.flush(ctx, c.now(), true)
	}
	if last && c.release != nil {
		c.release()
	}
	return nil
}

// tickEvery is how often the loop looks for complete traces.
func (c *syncaudit) tickEvery() time.Duration {
	return max(min(time.Second, c.cfg.TraceTimeout/4, c.cfg.Interval/4), time.Millisecond)
}

func (c *syncaudit) loop(stop chan struct{}) {
	defer c.wg.Done()
	t := time.NewTicker(c.tickEvery())
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			c.tick(context.Background(), c.now())
		}
	}
}

// tick analyses the traces whose trace_timeout has passed at now and
// emits the interval once it is over.
func (c *syncaudit) tick(ctx context.Context, now time.Time) {
	c.flush(ctx, now, false)
}

func (c *syncaudit) flush(ctx context.Context, now time.Time, all bool) {
	batch := c.takeExpired(now, all)
	c.pmu.Lock()
	if len(batch) > 0 {
		if err := c.analyse(ctx, batch); err != nil {
			c.log.Error("syncaudit: analysing traces", zap.Error(err), zap.Int("traces", len(batch)))
		}
	}
	var md pmetric.Metrics
	var ld plog.Logs
	emit := all || !now.Before(c.start.Add(c.cfg.Interval))
	if emit {
		md, ld = c.emit(now)
	}
	metrics, logs := c.metrics, c.logs
	c.pmu.Unlock()
	if !emit {
		return
	}
	for _, m := range metrics {
		if md.DataPointCount() > 0 {
			if err := m.ConsumeMetrics(ctx, md); err != nil {
				c.log.Warn("syncaudit: metrics not consumed", zap.Error(err))
			}
		}
	}
	for _, l := range logs {
		if ld.LogRecordCount() > 0 {
			if err := l.ConsumeLogs(ctx, ld); err != nil {
				c.log.Warn("syncaudit: state not consumed", zap.Error(err))
			}
		}
	}
}

// add buffers the spans of td by trace ID.
func (c *syncaudit) add(td ptrace.Traces) {
	var col decoder.Collect
	otlp.ConvertTraces(td, &col, nil)
	invalid := int64(0)
	for _, n := range col.Rejected {
		invalid += int64(n)
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	var drops [4]int64
	drops[3] = invalid
	for i := range col.Spans {
		s := &col.Spans[i]
		if _, late := c.done[s.TraceID]; late {
			drops[2]++
			continue
		}
		if c.spans >= c.cfg.MaxSpans {
			drops[1]++
			continue
		}
		p := c.pending[s.TraceID]
		if p == nil {
			if len(c.pending) >= c.cfg.MaxTraces {
				drops[0]++
				continue
			}
			p = &pendingTrace{}
			c.pending[s.TraceID] = p
			c.queue = append(c.queue, queued{id: s.TraceID, deadline: now.Add(c.cfg.TraceTimeout)})
		}
		p.spans = append(p.spans, *s)
		c.spans++
	}
	for k, n := range drops {
		if n == 0 {
			continue
		}
		c.dropped[reasons[k]] += n
		if c.droppedCounter != nil {
			c.droppedCounter.Add(context.Background(), n, metric.WithAttributes(attribute.String("syncaudit.reason", reasons[k])))
		}
	}
}

// takeExpired removes from the buffer the traces whose deadline is at or
// before now (all of them with all), remembering them as done.
func (c *syncaudit) takeExpired(now time.Time, all bool) [][]trace.Span {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for n < len(c.queue) && (all || !c.queue[n].deadline.After(now)) {
		n++
	}
	out := make([][]trace.Span, 0, n)
	for _, q := range c.queue[:n] {
		p := c.pending[q.id]
		delete(c.pending, q.id)
		c.spans -= len(p.spans)
		out = append(out, p.spans)
		c.markDone(q.id)
	}
	c.queue = append(c.queue[:0], c.queue[n:]...)
	return out
}

func (c *syncaudit) markDone(id trace.TraceID) {
	if len(c.doneRing) < c.cfg.MaxTraces {
		c.doneRing = append(c.doneRing, id)
	} else {
		delete(c.done, c.doneRing[c.doneNext])
		c.doneRing[c.doneNext] = id
		c.doneNext = (c.doneNext + 1) % len(c.doneRing)
	}
	c.done[id] = struct{}{}
}

// analyse runs repair, critical path, calls, what-if and detection on
// complete traces (under pmu): the same stages as `syncaudit analyze`.
func (c *syncaudit) analyse(ctx context.Context, batch [][]trace.Span) error {
	g := trace.NewGrouper()
	nspans := 0
	for _, spans := range batch {
		g.Add(spans...)
		nspans += len(spans)
	}
	traces := g.Traces()
	for _, t := range traces {
		c.adjust.Adjust(t)
	}
	reqs, err := audit.Analyze(ctx, traces, c.cfg.Workers)
	if err != nil {
		return err
	}
	dr := make([]detect.Request, len(reqs))
	for i, r := range reqs {
		dr[i] = detect.Request{Trace: r.Trace, Root: r.Root, Endpoint: r.Endpoint, Forward: r.Forward,
			Latency: r.Latency, Failed: r.Failed, Calls: r.Calls}
	}
	if err := c.st.Observe(ctx, dr); err != nil {
		return err
	}
	if c.st.Requests() >= warmupRequests {
		c.speculate(ctx)
	}
	c.acc.add(reqs)
	c.traces += int64(len(traces))
	c.analysed += int64(nspans)
	if c.processedCounter != nil {
		c.processedCounter.Add(ctx, int64(len(traces)))
		c.spansCounter.Add(ctx, int64(nspans))
	}
	return nil
}

// emit ends the interval at now (under pmu): the metrics and the log
// record of its detection state, then starts a new one.
func (c *syncaudit) emit(now time.Time) (pmetric.Metrics, plog.Logs) {
	c.mu.Lock()
	dropped := c.dropped
	c.dropped = map[string]int64{}
	buffered := c.spans
	c.mu.Unlock()
	start := c.start
	md := pmetric.NewMetrics()
	ld := plog.NewLogs()
	var findings *detect.Result
	var plan []detect.PlanEndpoint
	if c.st.Requests() > 0 {
		c.speculate(context.Background())
		b, err := c.st.MarshalBinary()
		if err != nil {
			c.log.Error("syncaudit: encoding the detection state", zap.Error(err))
		} else {
			findings, plan, err = c.results(b)
			if err != nil {
				c.log.Error("syncaudit: detection", zap.Error(err))
			}
			if err := c.remember(b); err != nil {
				c.log.Error("syncaudit: keeping the interval's state", zap.Error(err))
			}
			stateRecord(ld, b, start, now)
		}
	}
	buildMetrics(md, c.acc, findings, plan, dropped, c.traces, start, now)
	var ndrop int64
	for _, n := range dropped {
		ndrop += n
	}
	if ndrop > 0 {
		c.log.Warn("syncaudit: spans dropped in the interval", zap.Int64("max_traces", dropped[reasonMaxTraces]),
			zap.Int64("max_spans", dropped[reasonMaxSpans]), zap.Int64("late", dropped[reasonLate]),
			zap.Int64("invalid", dropped[reasonInvalid]), zap.Int("buffered_spans", buffered))
	}
	c.log.Debug("syncaudit: interval emitted", zap.Int64("traces", c.traces), zap.Int64("spans", c.analysed),
		zap.Int("requests", c.st.Requests()), zap.Int("buffered_spans", buffered))
	c.reset(now)
	return md, ld
}

// results finishes a copy of the interval's state (decoded from its
// encoding b): the ranked findings and the combined plan
// (detect.State.PlanFromFindings: the traces are gone; exact for the
// endpoints whose recommendations the interval's guess got right).
func (c *syncaudit) results(b []byte) (*detect.Result, []detect.PlanEndpoint, error) {
	cp, err := detect.NewState(c.dopt)
	if err != nil {
		return nil, nil, err
	}
	if err := cp.UnmarshalBinary(b); err != nil {
		return nil, nil, fmt.Errorf("decoding the state: %w", err)
	}
	res, err := cp.Finish(context.Background())
	if err != nil {
		return nil, nil, err
	}
	cp.PlanFromFindings()
	return res, cp.Plan(), nil
}

// stateRecord appends the interval's state record to ld.
func stateRecord(ld plog.Logs, b []byte, start, end time.Time) {
	sl := ld.ResourceLogs().AppendEmpty().ScopeLogs().AppendEmpty()
	sl.Scope().SetName(scopeName)
	lr := sl.LogRecords().AppendEmpty()
	lr.SetEventName(StateEventName)
	lr.SetTimestamp(pcommonTime(end))
	lr.SetObservedTimestamp(pcommonTime(end))
	lr.Body().SetEmptyBytes().FromRaw(b)
	a := lr.Attributes()
	a.PutInt(AttrStateVersion, detect.StateVersion)
	a.PutInt(AttrIntervalStart, start.UnixNano())
	a.PutInt(AttrIntervalEnd, end.UnixNano())
}
