package text

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/syncaudit/syncaudit/render/format"
	"github.com/syncaudit/syncaudit/report"
)

// slowdownScenarios are the four rows of one endpoint under a slowdown:
// its name ("today", "payment +500ms", "with the plan", "plan + payment
// +500ms") and its latencies.
func slowdownScenarios(s report.Slowdown, e report.SlowdownEndpoint) []struct {
	name string
	lat  report.LatencyAfter
} {
	slow := s.Service + " " + s.Spec
	return []struct {
		name string
		lat  report.LatencyAfter
	}{
		{"today", e.BaselineMs}, {slow, e.SlowMs},
		{"with the plan", e.PlanMs}, {"plan + " + slow, e.PlanSlowMs},
	}
}

// slowdownSections is one table section per slowdown: per endpoint that
// calls the dependency, a row per scenario.
func slowdownSections(r *report.Report, num func(float64) string) []section {
	var out []section
	for _, s := range r.Slowdowns {
		sec := section{
			title:  "Slowdown " + s.Service + " " + s.Spec,
			header: []string{"endpoint", "requests calling " + s.Service, "scenario", "p50", "p95", "p99", "p95 change"},
		}
		for _, e := range s.Endpoints {
			ref := e.Endpoint.Service + " " + e.Endpoint.Operation
			affected := strconv.Itoa(e.Affected) + " of " + strconv.Itoa(e.Requests)
			for k, sc := range slowdownScenarios(s, e) {
				change := ""
				switch k {
				case 1:
					change = signedMs(e.SlowMs.P95-e.BaselineMs.P95, num)
				case 3:
					change = signedMs(e.PlanSlowMs.P95-e.PlanMs.P95, num)
				}
				sec.rows = append(sec.rows, []string{ref, affected, sc.name,
					num(sc.lat.P50), num(sc.lat.P95), num(sc.lat.P99), change})
			}
		}
		out = append(out, sec)
	}
	return out
}

// signedMs is a latency change with its sign ("+500.000", "-3.2ms").
func signedMs(d float64, num func(float64) string) string {
	if d < 0 {
		return "-" + num(-d)
	}
	return "+" + num(d)
}

// mdChange is a latency change in Markdown: "+500ms", or "unchanged".
func mdChange(d float64) string {
	if d == 0 {
		return "unchanged"
	}
	return signedMs(d, mdMs)
}

// writeMarkdownSlowdowns writes the "Slow dependencies" section: per
// slowdown, a sentence per endpoint and a table of the four scenarios.
func writeMarkdownSlowdowns(p func(string, ...any), r *report.Report) {
	if len(r.Slowdowns) == 0 {
		return
	}
	p("## Slow dependencies\n\n")
	p("The blast radius of one slow dependency: every synchronous call into it slowed down and every request re-simulated, today and with the combined plan. A call the plan makes asynchronous no longer delays the request (but for the enqueue cost).\n\n")
	for _, s := range r.Slowdowns {
		svc := MarkdownEscape(s.Service)
		p("### %s %s\n\n", svc, MarkdownEscape(s.Spec))
		p("%s.\n\n", slowdownWhat(s))
		if len(s.Endpoints) == 0 {
			p("No request calls %s synchronously.\n\n", svc)
			continue
		}
		for _, e := range s.Endpoints {
			p("- %s (%d of %d request(s) call %s): p95 %s → %s today (%s), %s → %s with the plan (%s).\n",
				mdRef(e.Endpoint), e.Affected, e.Requests, svc,
				mdMs(e.BaselineMs.P95), mdMs(e.SlowMs.P95), mdChange(e.SlowMs.P95-e.BaselineMs.P95),
				mdMs(e.PlanMs.P95), mdMs(e.PlanSlowMs.P95), mdChange(e.PlanSlowMs.P95-e.PlanMs.P95))
		}
		p("\n| endpoint | scenario | p50 | p95 | p99 |\n| --- | --- | ---: | ---: | ---: |\n")
		for _, e := range s.Endpoints {
			for k, sc := range slowdownScenarios(s, e) {
				ep := ""
				if k == 0 {
					ep = mdRef(e.Endpoint)
				}
				p("| %s | %s | %s | %s | %s |\n", ep, MarkdownEscape(sc.name), mdMs(sc.lat.P50), mdMs(sc.lat.P95), mdMs(sc.lat.P99))
			}
		}
		p("\n")
	}
}

// slowdownWhat says what a slowdown does, as a sentence without the
// final period.
func slowdownWhat(s report.Slowdown) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Every synchronous call into %s ", MarkdownEscape(s.Service))
	switch {
	case s.Factor > 0 && s.DeltaMs > 0:
		fmt.Fprintf(&b, "takes %s times as long, plus %s", strconv.FormatFloat(s.Factor, 'g', -1, 64), format.MsShort(s.DeltaMs))
	case s.Factor > 0:
		fmt.Fprintf(&b, "takes %s times as long as observed", strconv.FormatFloat(s.Factor, 'g', -1, 64))
	default:
		fmt.Fprintf(&b, "takes %s longer", format.MsShort(s.DeltaMs))
	}
	return b.String()
}
