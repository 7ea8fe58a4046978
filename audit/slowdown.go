package audit

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/stats"
	"github.com/syncaudit/syncaudit/whatif"
)

// Slowdown is one slow dependency to re-simulate (analyze --slowdown):
// every synchronous call into Service is slowed down by Change (see
// whatif.Slowdown and whatif.Model.Stretches).
type Slowdown struct {
	Service string
	Change  whatif.Slowdown
	// Spec is the slowdown as written after "SERVICE=", normalised:
	// "+500ms" or "×3".
	Spec string
}

// ParseSlowdown parses SERVICE=+DURATION or SERVICE=×FACTOR: "payment=+500ms"
// (each call into payment takes 500ms longer; the "+" is optional) or
// "payment=×3" (each takes three times as long; "x3", "X3" and "*3" too).
// The duration must be positive, the factor positive and finite. The
// service is split at the last "=", so a service name may hold one.
func ParseSlowdown(s string) (Slowdown, error) {
	i := strings.LastIndexByte(s, '=')
	if i <= 0 {
		return Slowdown{}, fmt.Errorf("%q: want SERVICE=+DURATION or SERVICE=×FACTOR", s)
	}
	svc, spec := strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:])
	if svc == "" {
		return Slowdown{}, fmt.Errorf("%q: no service before '='", s)
	}
	for _, p := range []string{"×", "x", "X", "*"} {
		if rest, ok := strings.CutPrefix(spec, p); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil || !(f > 0) || math.IsInf(f, 0) {
				return Slowdown{}, fmt.Errorf("%q: factor %q: want a positive number, e.g. ×3", s, rest)
			}
			return Slowdown{Service: svc, Change: whatif.Slowdown{Factor: f}, Spec: "×" + strconv.FormatFloat(f, 'g', -1, 64)}, nil
		}
	}
	d, err := time.ParseDuration(strings.TrimPrefix(spec, "+"))
	if err != nil || d <= 0 {
		return Slowdown{}, fmt.Errorf("%q: want SERVICE=+DURATION (e.g. +500ms) or SERVICE=×FACTOR (e.g. ×3)", s)
	}
	return Slowdown{Service: svc, Change: whatif.Slowdown{Delta: int64(d)}, Spec: "+" + d.String()}, nil
}

// slowAcc accumulates the slowdowns' re-simulations over the requests it
// is given (all of them, in any batches): per endpoint, every request's
// latency as measured and under the plan; per slowdown and endpoint, the
// requests that call the dependency, with their latencies slowed down.
type slowAcc struct {
	specs []Slowdown
	opt   detect.Options
	rec   []detect.Finding
	eps   map[calls.Endpoint]*slowEndpoint
}

type slowEndpoint struct {
	base, plan []int64 // one per request
	// hit, per slowdown: the requests calling the dependency, by index
	// into base.
	hit []map[int]slowPair
}

// slowPair is a request's latency with the dependency slowed down, as
// measured and under the plan.
type slowPair struct{ slow, plan int64 }

func newSlowAcc(specs []Slowdown, opt detect.Options, findings []detect.Finding) *slowAcc {
	return &slowAcc{specs: specs, opt: opt, rec: findings, eps: map[calls.Endpoint]*slowEndpoint{}}
}

// add re-simulates reqs (whole traces, with their calls) with every
// slowdown, with and without their endpoints' combined plan.
func (a *slowAcc) add(ctx context.Context, reqs []Request) error {
	planned, err := detect.PlanChanges(ctx, detectRequests(reqs), a.rec, a.opt)
	if err != nil {
		return fmt.Errorf("slowdowns: %w", err)
	}
	cost := int64(a.opt.EnqueueCost)
	var entries []int32
	for i := range planned {
		if i%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		pr := &planned[i]
		r := &pr.Request
		ep := a.eps[r.Endpoint]
		if ep == nil {
			ep = &slowEndpoint{hit: make([]map[int]slowPair, len(a.specs))}
			a.eps[r.Endpoint] = ep
		}
		m := pr.Model
		// Latencies as the plan reports them: measured minus the saving.
		lat := func(d int64) int64 { return r.Latency - (pr.Baseline - d) }
		k := len(ep.base)
		ep.base = append(ep.base, r.Latency)
		if m == nil {
			ep.plan = append(ep.plan, r.Latency)
			continue
		}
		ep.plan = append(ep.plan, lat(m.Simulate(r.Root, pr.Change, cost)))
		for s, sd := range a.specs {
			entries = entries[:0]
			for _, c := range pr.Calls {
				if c.Async || c.Callee.Service != sd.Service {
					continue
				}
				if c.Server >= 0 {
					entries = append(entries, c.Server)
				} else {
					entries = append(entries, c.Span)
				}
			}
			if len(entries) == 0 {
				continue
			}
			st := m.Stretches(r.Root, entries, sd.Change)
			if ep.hit[s] == nil {
				ep.hit[s] = map[int]slowPair{}
			}
			ep.hit[s][k] = slowPair{
				slow: lat(m.SimulateStretched(r.Root, whatif.Change{}, st, cost)),
				plan: lat(m.SimulateStretched(r.Root, pr.Change, st, cost)),
			}
		}
	}
	return nil
}

// report returns the slowdowns, in the order given, each with the
// endpoints whose requests call its dependency.
func (a *slowAcc) report() []report.Slowdown {
	out := make([]report.Slowdown, 0, len(a.specs))
	for s, sd := range a.specs {
		rs := report.Slowdown{Service: sd.Service, Spec: sd.Spec, Factor: sd.Change.Factor,
			DeltaMs: ms(sd.Change.Delta), Endpoints: []report.SlowdownEndpoint{}}
		for e, ep := range a.eps {
			hit := ep.hit[s]
			if len(hit) == 0 {
				continue
			}
			slow, both := slices.Clone(ep.base), slices.Clone(ep.plan)
			for k, p := range hit {
				slow[k], both[k] = p.slow, p.plan
			}
			rs.Endpoints = append(rs.Endpoints, report.SlowdownEndpoint{
				Endpoint:   ref(e),
				Requests:   len(ep.base),
				Affected:   len(hit),
				BaselineMs: latencyOfNs(ep.base),
				SlowMs:     latencyOfNs(slow),
				PlanMs:     latencyOfNs(ep.plan),
				PlanSlowMs: latencyOfNs(both),
			})
		}
		slices.SortFunc(rs.Endpoints, func(x, y report.SlowdownEndpoint) int {
			return cmp.Or(cmp.Compare(y.SlowMs.P95-y.BaselineMs.P95, x.SlowMs.P95-x.BaselineMs.P95),
				cmp.Compare(x.Endpoint.Service, y.Endpoint.Service), cmp.Compare(x.Endpoint.Operation, y.Endpoint.Operation))
		})
		out = append(out, rs)
	}
	return out
}

// latencyOfNs is the nearest-rank p50, p95 and p99 of latencies (ns), in
// milliseconds, as the plan's (detect.Latency) are computed.
func latencyOfNs(xs []int64) report.LatencyAfter {
	d := stats.Of(slices.Clone(xs))
	return report.LatencyAfter{P50: ms(d.P50), P95: ms(d.P95), P99: ms(d.P99)}
}
