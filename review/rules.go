package review

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/syncaudit/syncaudit/report"
)

// A Rule is one --fail-on condition, such as "savings.p95>100ms",
// "syncCalls>3", "latency.p95>500ms", "candidates>0" or "regressions".
//
// Metrics (each compared for every endpoint or candidate; the rule fails
// when any of them satisfies the comparison):
//
//	latency.p50|p95|p99|max   endpoint latency
//	syncLatency.p50|p95|p99   endpoint critical-path time inside synchronous calls
//	syncCalls, syncCalls.max  synchronous calls per request (p50, max) per endpoint
//	syncDepth                 deepest synchronous chain per endpoint
//	savings.mean|p50|p95|p99|total   projected saving of a recommended candidate
//	candidates                number of recommended candidates
//	checklist                 number of failing design-review checklist items
//	checklist.ID              1 when checklist item ID fails (e.g. checklist.slow-sync-calls>0)
//	regressions               number of regressions against --baseline (a bare "regressions" means >0)
//
// Comparisons: > >= < <= ==. Durations take a unit (ns, us, ms, s, m);
// a bare number is milliseconds for time metrics.
type Rule struct {
	Text   string
	Metric string
	Op     string
	Value  float64 // milliseconds for time metrics
}

var timeMetrics = map[string]bool{
	"latency.p50": true, "latency.p95": true, "latency.p99": true, "latency.max": true,
	"syncLatency.p50": true, "syncLatency.p95": true, "syncLatency.p99": true,
	"savings.mean": true, "savings.p50": true, "savings.p95": true, "savings.p99": true, "savings.total": true,
}

var countMetrics = map[string]bool{
	"syncCalls": true, "syncCalls.max": true, "syncDepth": true, "candidates": true, "checklist": true, "regressions": true,
}

// ParseRules parses comma-separated or repeated --fail-on values.
func ParseRules(values []string) ([]Rule, error) {
	var out []Rule
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			r, err := parseRule(part)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
	}
	return out, nil
}

func parseRule(s string) (Rule, error) {
	r := Rule{Text: s}
	if s == "regressions" {
		r.Metric, r.Op, r.Value = "regressions", ">", 0
		return r, nil
	}
	i := strings.IndexAny(s, "<>=")
	if i <= 0 {
		return r, fmt.Errorf("rule %q: want METRIC OP VALUE, e.g. savings.p95>100ms", s)
	}
	r.Metric = strings.TrimSpace(s[:i])
	rest := s[i:]
	for _, op := range []string{">=", "<=", "==", ">", "<"} {
		if strings.HasPrefix(rest, op) {
			r.Op = op
			rest = strings.TrimSpace(rest[len(op):])
			break
		}
	}
	if r.Op == "" {
		return r, fmt.Errorf("rule %q: unknown comparison (want > >= < <= ==)", s)
	}
	isTime := timeMetrics[r.Metric]
	if !isTime && !countMetrics[r.Metric] && !strings.HasPrefix(r.Metric, "checklist.") {
		return r, fmt.Errorf("rule %q: unknown metric %q (see 'syncaudit analyze --help')", s, r.Metric)
	}
	if isTime {
		if d, err := time.ParseDuration(rest); err == nil {
			r.Value = float64(d.Nanoseconds()) / 1e6
			return r, nil
		}
	}
	v, err := strconv.ParseFloat(rest, 64)
	if err != nil {
		return r, fmt.Errorf("rule %q: bad value %q", s, rest)
	}
	r.Value = v
	return r, nil
}

func (r Rule) holds(v float64) bool {
	switch r.Op {
	case ">":
		return v > r.Value
	case ">=":
		return v >= r.Value
	case "<":
		return v < r.Value
	case "<=":
		return v <= r.Value
	}
	return v == r.Value
}

func fmtVal(metric string, v float64) string {
	if timeMetrics[metric] {
		return strconv.FormatFloat(v, 'f', 3, 64) + "ms"
	}
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// Evaluate checks every rule against the report and returns one result
// per rule; a rule fails when any endpoint, candidate or count breaks it.
func Evaluate(rules []Rule, rep *report.Report) []report.RuleResult {
	out := make([]report.RuleResult, 0, len(rules))
	for _, r := range rules {
		res := report.RuleResult{Rule: r.Text, Offenders: []string{}}
		check := func(who string, v float64) {
			if r.holds(v) {
				res.Failed = true
				res.Offenders = append(res.Offenders, fmt.Sprintf("%s: %s", who, fmtVal(r.Metric, v)))
			}
		}
		metric, field, _ := strings.Cut(r.Metric, ".")
		switch metric {
		case "latency", "syncLatency", "syncCalls", "syncDepth":
			for _, e := range rep.Endpoints {
				who := e.Service + " " + e.Operation
				p := e.LatencyMs
				if metric == "syncLatency" {
					p = e.SyncLatencyMs
				}
				switch r.Metric {
				case "syncCalls":
					check(who, float64(e.SyncCalls.P50))
				case "syncCalls.max":
					check(who, float64(e.SyncCalls.Max))
				case "syncDepth":
					check(who, float64(e.SyncDepth.Max))
				default:
					check(who, pick(p, field))
				}
			}
		case "savings":
			for _, c := range rep.Candidates {
				if !c.Recommended {
					continue
				}
				s := c.SavingsMs
				v := map[string]float64{"mean": s.Mean, "p50": s.P50, "p95": s.P95, "p99": s.P99, "total": s.Total}[field]
				check(fmt.Sprintf("#%d %s %s → %s %s", c.Rank, c.Action, c.Caller.Service, c.Callee.Service, c.Callee.Operation), v)
			}
		case "candidates":
			n := 0
			for _, c := range rep.Candidates {
				if c.Recommended {
					n++
				}
			}
			check("recommended candidates", float64(n))
		case "checklist":
			n := 0
			for _, c := range rep.Checklist {
				if field != "" && c.ID != field {
					continue
				}
				if !c.Pass {
					n++
				}
			}
			check("failing checklist items", float64(n))
		case "regressions":
			n := 0
			if rep.Baseline != nil {
				n = len(rep.Baseline.Regressions)
			}
			check("regressions against the baseline", float64(n))
		}
		out = append(out, res)
	}
	return out
}

func pick(p report.Percentiles, field string) float64 {
	switch field {
	case "p50":
		return p.P50
	case "p95":
		return p.P95
	case "p99":
		return p.P99
	}
	return p.Max
}
