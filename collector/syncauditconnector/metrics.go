package syncauditconnector

import (
	"math"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect"
)

// The names the connector emits (see the package documentation).
const (
	MetricRequestDuration     = "syncaudit.request.duration"
	MetricRequestSyncCalls    = "syncaudit.request.sync_calls"
	MetricCandidateSaving     = "syncaudit.candidate.saving"
	MetricCandidateCalls      = "syncaudit.candidate.calls"
	MetricCandidateTraces     = "syncaudit.candidate.traces"
	MetricCandidateCritical   = "syncaudit.candidate.critical_path"
	MetricCandidateConfidence = "syncaudit.candidate.confidence"
	MetricPlanDurationBefore  = "syncaudit.plan.duration_before"
	MetricPlanDurationAfter   = "syncaudit.plan.duration_after"
	MetricSpansDropped        = "syncaudit.connector.spans.dropped"
	MetricTracesAnalysed      = "syncaudit.connector.traces.analysed"

	AttrEndpointService         = "syncaudit.endpoint.service"
	AttrEndpointOperation       = "syncaudit.endpoint.operation"
	AttrCallerService           = "syncaudit.caller.service"
	AttrCallerOperation         = "syncaudit.caller.operation"
	AttrCalleeService           = "syncaudit.callee.service"
	AttrCalleeOperation         = "syncaudit.callee.operation"
	AttrAction                  = "syncaudit.action"
	AttrRecommended             = "syncaudit.recommended"
	AttrPercentile              = "syncaudit.percentile"
	AttrReason                  = "syncaudit.reason"
	AttrStateVersion            = "syncaudit.state.version"
	AttrIntervalStart           = "syncaudit.interval.start"
	AttrIntervalEnd             = "syncaudit.interval.end"
	StateEventName              = "syncaudit.state"
	maxBuckets                  = 160
	initialScale          int32 = 20
)

func pcommonTime(t time.Time) pcommon.Timestamp { return pcommon.NewTimestampFromTime(t) }

// expHist is an OpenTelemetry base-2 exponential histogram of
// non-negative values (zeros in the zero count) whose buckets span at most
// maxBuckets indices: it downscales as the SDK's does.
type expHist struct {
	scale    int32
	zero     uint64
	counts   map[int32]uint64
	lo, hi   int32 // bucket index range (when counts is not empty)
	count    uint64
	sum      float64
	min, max float64
}

func newExpHist() *expHist { return &expHist{scale: initialScale, counts: map[int32]uint64{}} }

// index is the bucket of v > 0 at scale: (base^i, base^(i+1)].
func index(v float64, scale int32) int32 {
	return int32(math.Ceil(math.Log2(v)*math.Exp2(float64(scale)))) - 1
}

func (h *expHist) add(v float64) {
	if h.count == 0 || v < h.min {
		h.min = v
	}
	if h.count == 0 || v > h.max {
		h.max = v
	}
	h.count++
	h.sum += v
	if v <= 0 {
		h.zero++
		return
	}
	i := index(v, h.scale)
	if len(h.counts) == 0 {
		h.lo, h.hi = i, i
	}
	lo, hi := min(h.lo, i), max(h.hi, i)
	by := int32(0)
	for int64(hi>>by)-int64(lo>>by)+1 > maxBuckets {
		by++
	}
	if by > 0 {
		m := make(map[int32]uint64, len(h.counts))
		for j, n := range h.counts {
			m[j>>by] += n
		}
		h.counts, h.scale = m, h.scale-by
		i, lo, hi = i>>by, lo>>by, hi>>by
	}
	h.counts[i]++
	h.lo, h.hi = lo, hi
}

func (h *expHist) to(dp pmetric.ExponentialHistogramDataPoint) {
	dp.SetScale(h.scale)
	dp.SetCount(h.count)
	dp.SetSum(h.sum)
	dp.SetMin(h.min)
	dp.SetMax(h.max)
	dp.SetZeroCount(h.zero)
	if len(h.counts) == 0 {
		return
	}
	b := make([]uint64, h.hi-h.lo+1)
	for i, n := range h.counts {
		b[i-h.lo] = n
	}
	dp.Positive().SetOffset(h.lo)
	dp.Positive().BucketCounts().FromRaw(b)
}

// interval accumulates what the metrics need of the requests analysed in
// one interval, besides the detection state.
type interval struct {
	endpoints []calls.Endpoint // first-seen order
	latency   map[calls.Endpoint]*expHist
	syncCalls map[calls.Endpoint]*expHist
	// critical is the critical-path time (ns) per endpoint and callee.
	critical map[[2]calls.Endpoint]int64
}

func newInterval() *interval {
	return &interval{latency: map[calls.Endpoint]*expHist{}, syncCalls: map[calls.Endpoint]*expHist{},
		critical: map[[2]calls.Endpoint]int64{}}
}

func (a *interval) add(reqs []audit.Request) {
	for i := range reqs {
		r := &reqs[i]
		h := a.latency[r.Endpoint]
		if h == nil {
			h = newExpHist()
			a.latency[r.Endpoint] = h
			a.syncCalls[r.Endpoint] = newExpHist()
			a.endpoints = append(a.endpoints, r.Endpoint)
		}
		h.add(float64(r.Latency) / 1e9)
		a.syncCalls[r.Endpoint].add(float64(r.Metrics.SyncCalls))
		for _, s := range r.Metrics.Breakdown {
			a.critical[[2]calls.Endpoint{r.Endpoint, s.Endpoint}] += s.Nanos
		}
	}
}

func putEndpoint(m pcommon.Map, prefix string, e calls.Endpoint) {
	m.PutStr(prefix+".service", e.Service)
	m.PutStr(prefix+".operation", e.Operation)
}

func candidateAttrs(m pcommon.Map, f *detect.Finding) {
	putEndpoint(m, "syncaudit.endpoint", f.Endpoint)
	putEndpoint(m, "syncaudit.caller", f.Caller)
	putEndpoint(m, "syncaudit.callee", f.Callee)
	m.PutStr(AttrAction, f.Action)
}

func newMetric(sm pmetric.ScopeMetrics, name, unit, desc string) pmetric.Metric {
	m := sm.Metrics().AppendEmpty()
	m.SetName(name)
	m.SetUnit(unit)
	m.SetDescription(desc)
	return m
}

func deltaSum(sm pmetric.ScopeMetrics, name, unit, desc string) pmetric.NumberDataPointSlice {
	s := newMetric(sm, name, unit, desc).SetEmptySum()
	s.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
	s.SetIsMonotonic(true)
	return s.DataPoints()
}

// buildMetrics writes the interval's metrics into md.
func buildMetrics(md pmetric.Metrics, acc *interval, res *detect.Result, plan []detect.PlanEndpoint,
	dropped map[string]int64, traces int64, start, end time.Time) {
	sm := md.ResourceMetrics().AppendEmpty().ScopeMetrics().AppendEmpty()
	sm.Scope().SetName(scopeName)
	ts0, ts1 := pcommonTime(start), pcommonTime(end)
	stamp := func(dp interface {
		SetStartTimestamp(pcommon.Timestamp)
		SetTimestamp(pcommon.Timestamp)
	}) {
		dp.SetStartTimestamp(ts0)
		dp.SetTimestamp(ts1)
	}
	if len(acc.endpoints) > 0 {
		dur := newMetric(sm, MetricRequestDuration, "s", "Latency of the requests (trace roots) per endpoint").SetEmptyExponentialHistogram()
		dur.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		sc := newMetric(sm, MetricRequestSyncCalls, "{call}", "Synchronous calls per request, per endpoint").SetEmptyExponentialHistogram()
		sc.SetAggregationTemporality(pmetric.AggregationTemporalityDelta)
		for _, e := range acc.endpoints {
			dp := dur.DataPoints().AppendEmpty()
			stamp(dp)
			putEndpoint(dp.Attributes(), "syncaudit.endpoint", e)
			acc.latency[e].to(dp)
			dp = sc.DataPoints().AppendEmpty()
			stamp(dp)
			putEndpoint(dp.Attributes(), "syncaudit.endpoint", e)
			acc.syncCalls[e].to(dp)
		}
	}
	if res != nil && len(res.Findings) > 0 {
		saving := deltaSum(sm, MetricCandidateSaving, "s", "Projected saving of the candidate change, summed over the requests it applies to")
		ncalls := deltaSum(sm, MetricCandidateCalls, "{call}", "Occurrences of the candidate: calls detached or sequential groups found")
		ntraces := deltaSum(sm, MetricCandidateTraces, "{trace}", "Traces with an occurrence of the candidate")
		crit := deltaSum(sm, MetricCandidateCritical, "s", "Critical-path time spent in the candidate's callees, in the endpoint's requests")
		conf := newMetric(sm, MetricCandidateConfidence, "1", "Confidence (0-1) that the candidate change is safe and right, in the interval").SetEmptyGauge().DataPoints()
		for i := range res.Findings {
			f := &res.Findings[i]
			var cp int64
			callees := f.Callees
			if len(callees) == 0 {
				callees = []calls.Endpoint{f.Callee}
			}
			for _, ce := range callees {
				cp += acc.critical[[2]calls.Endpoint{f.Endpoint, ce}]
			}
			for _, x := range []struct {
				dps pmetric.NumberDataPointSlice
				f   float64
				i   int64
				dbl bool
			}{{saving, f.Savings.Total.Seconds(), 0, true}, {ncalls, 0, int64(f.Calls), false},
				{ntraces, 0, int64(f.Traces), false}, {crit, float64(cp) / 1e9, 0, true}} {
				dp := x.dps.AppendEmpty()
				stamp(dp)
				candidateAttrs(dp.Attributes(), f)
				if x.dbl {
					dp.SetDoubleValue(x.f)
				} else {
					dp.SetIntValue(x.i)
				}
			}
			dp := conf.AppendEmpty()
			stamp(dp)
			candidateAttrs(dp.Attributes(), f)
			dp.Attributes().PutBool(AttrRecommended, f.Recommended)
			dp.SetDoubleValue(f.Confidence)
		}
	}
	if len(plan) > 0 {
		before := newMetric(sm, MetricPlanDurationBefore, "s", "Endpoint latency percentile before the combined plan, in the interval").SetEmptyGauge().DataPoints()
		after := newMetric(sm, MetricPlanDurationAfter, "s", "Endpoint latency percentile with the combined plan applied, in the interval").SetEmptyGauge().DataPoints()
		for _, p := range plan {
			for _, q := range []struct {
				pct    int64
				b, aft time.Duration
			}{{50, p.Before.P50, p.After.P50}, {95, p.Before.P95, p.After.P95}, {99, p.Before.P99, p.After.P99}} {
				for _, x := range []struct {
					dps pmetric.NumberDataPointSlice
					v   time.Duration
				}{{before, q.b}, {after, q.aft}} {
					dp := x.dps.AppendEmpty()
					stamp(dp)
					putEndpoint(dp.Attributes(), "syncaudit.endpoint", p.Endpoint)
					dp.Attributes().PutInt(AttrPercentile, q.pct)
					dp.SetDoubleValue(x.v.Seconds())
				}
			}
		}
	}
	drops := deltaSum(sm, MetricSpansDropped, "{span}", "Spans the connector dropped, by reason")
	for _, r := range reasons {
		dp := drops.AppendEmpty()
		stamp(dp)
		dp.Attributes().PutStr(AttrReason, r)
		dp.SetIntValue(dropped[r])
	}
	tr := deltaSum(sm, MetricTracesAnalysed, "{trace}", "Traces the connector analysed")
	dp := tr.AppendEmpty()
	stamp(dp)
	dp.SetIntValue(traces)
}
