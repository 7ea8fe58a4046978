package html

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/syncaudit/syncaudit/render/format"
	"github.com/syncaudit/syncaudit/report"
)

type htmlView struct {
	SchemaVersion int
	Subtitle      string
	KPIs          []kpi
	Highlights    []highlight
	Endpoints     []endpointView
	Candidates    []candidateView
	Plan          []planView
	Deps          []depView
	Events        []report.Event
	Waterfalls    []waterfallView
	Checklist     []checkView
	ChecksFailed  int
	Async         []asyncView
	Input         inputView
	Audit         []report.RuleResult
	AuditFailed   int
	Baseline      *baselineView
	Slowdowns     []slowdownView
}

type baselineView struct {
	*report.BaselineDiff
	Tolerance string
	Rows      []endpointChangeView
	Savings   []savingsChangeView
}

type endpointChangeView struct {
	report.EndpointChange
	P50, P95, P99 changeCell
	HasProjection bool
	Projected     string
	ProjErr       string
}

// changeCell is one percentile before and after.
type changeCell struct {
	Before, After, Pct, Class string
}

type savingsChangeView struct {
	report.SavingsChange
	Before, After string
}

type kpi struct {
	Label, Value, Note, Class string
}

// highlight is one summary sentence: Lead is bold, Ref is a call or
// endpoint, Text follows.
type highlight struct {
	Lead string
	Ref  string
	Text string
}

type endpointView struct {
	ID           string
	Name         report.Ref
	Traces       int
	Errors       int
	Latency      report.Percentiles
	SyncLatency  report.Percentiles
	SyncCallsP50 int
	SyncCallsMax int
	SyncDepthMax int
	LatencyChart barChart
	PathChart    pathChart
	Waterfall    string // anchor of its waterfall, if any
}

type candidateView struct {
	report.Candidate
	ActionLabel string
	ActionClass string
	ConfW       string
}

type planView struct {
	ID       string
	Endpoint report.Ref
	Changes  []int
	Chart    barChart
	Before   report.LatencyAfter
	After    report.LatencyAfter
	Failures *report.PlanFailures
}

type checkView struct {
	report.CheckItem
	Evidence []evidenceView
}

type evidenceView struct {
	Endpoint  report.Ref
	HasCall   bool
	Caller    report.Ref
	Callee    report.Ref
	Value     string
	Traces    int
	Detail    string
	HasTraces bool
}

type asyncView struct {
	report.AsyncFlow
}

type inputView struct {
	report.Summary
	Formats  []countRow
	Rejected []countRow
	Warnings []countRow
}

type countRow struct {
	Name  string
	Count int
}

func newHTMLView(r *report.Report) *htmlView {
	v := &htmlView{SchemaVersion: r.SchemaVersion}
	s := r.Summary
	v.Subtitle = fmt.Sprintf("%s request(s) in %s trace(s) · %s span(s) read from %s file(s)",
		groupDigits(s.Requests), groupDigits(s.Traces), groupDigits(s.SpansRead), groupDigits(s.Files))

	for _, c := range r.Checklist {
		if !c.Pass {
			v.ChecksFailed++
		}
	}
	v.KPIs = append(v.KPIs,
		kpi{Label: "Requests analysed", Value: groupDigits(s.Requests), Note: fmt.Sprintf("%s endpoint(s)", groupDigits(len(r.Endpoints)))},
		kpi{Label: "Candidates", Value: groupDigits(len(r.Candidates)), Note: "calls to make async or concurrent", Class: pick(len(r.Candidates) > 0, "warn", "ok")},
	)
	if len(r.Plan) > 0 {
		best := r.Plan[0]
		for _, p := range r.Plan[1:] {
			if p.BeforeMs.P95-p.AfterMs.P95 > best.BeforeMs.P95-best.AfterMs.P95 {
				best = p
			}
		}
		v.KPIs = append(v.KPIs, kpi{Label: "Largest p95 gain", Value: msText(best.BeforeMs.P95 - best.AfterMs.P95),
			Note: fmt.Sprintf("%s → %s on %s", msText(best.BeforeMs.P95), msText(best.AfterMs.P95), refText(best.Endpoint)), Class: "good"})
	}
	if len(r.Checklist) > 0 {
		v.KPIs = append(v.KPIs, kpi{Label: "Checklist", Value: fmt.Sprintf("%d / %d", v.ChecksFailed, len(r.Checklist)),
			Note: "items fail", Class: pick(v.ChecksFailed > 0, "bad", "ok")})
	}
	v.Audit = r.Audit
	for _, a := range r.Audit {
		if a.Failed {
			v.AuditFailed++
		}
	}
	if len(r.Audit) > 0 {
		v.KPIs = append(v.KPIs, kpi{Label: "Audit rules", Value: fmt.Sprintf("%d / %d", v.AuditFailed, len(r.Audit)),
			Note: "--fail-on rules fail", Class: pick(v.AuditFailed > 0, "bad", "ok")})
	}
	v.KPIs = append(v.KPIs, kpi{Label: "Spans in traces", Value: groupDigits(s.SpansInTraces),
		Note: fmt.Sprintf("%s rejected, %s partial trace(s)", groupDigits(s.SpansRejected), groupDigits(s.PartialTraces)), Class: pick(s.SpansRejected > 0 || s.FilesFailed > 0, "warn", "")})

	if len(r.Candidates) > 0 {
		c := r.Candidates[0]
		v.Highlights = append(v.Highlights, highlight{
			Lead: "Top candidate:",
			Ref:  fmt.Sprintf("%s %s → %s", actionLabel(c.Action), refText(c.Caller), refText(c.Callee)),
			Text: fmt.Sprintf("saves %s at p50 and %s at p95 per request (confidence %.2f).", msText(c.SavingsMs.P50), msText(c.SavingsMs.P95), c.Confidence),
		})
	}
	for _, p := range r.Plan {
		text := fmt.Sprintf("p50 %s → %s, p95 %s → %s.", msText(p.BeforeMs.P50), msText(p.AfterMs.P50), msText(p.BeforeMs.P95), msText(p.AfterMs.P95))
		if p.Estimated {
			text += " (After: estimated from the best change alone.)"
		}
		v.Highlights = append(v.Highlights, highlight{Lead: "Plan for", Ref: refText(p.Endpoint), Text: text})
	}

	wfByRef := map[report.Ref]string{}
	for i, w := range r.Waterfalls {
		if _, ok := wfByRef[w.Endpoint]; !ok {
			wfByRef[w.Endpoint] = "wf-" + strconv.Itoa(i+1)
		}
	}
	for i, e := range r.Endpoints {
		ref := report.Ref{Service: e.Service, Operation: e.Operation}
		v.Endpoints = append(v.Endpoints, endpointView{
			ID: "ep-" + strconv.Itoa(i+1), Name: ref, Traces: e.Traces, Errors: e.Errors,
			Latency: e.LatencyMs, SyncLatency: e.SyncLatencyMs,
			SyncCallsP50: e.SyncCalls.P50, SyncCallsMax: e.SyncCalls.Max, SyncDepthMax: e.SyncDepth.Max,
			LatencyChart: latencyChart(e), PathChart: newPathChart(e), Waterfall: wfByRef[ref],
		})
	}
	for _, c := range r.Candidates {
		v.Candidates = append(v.Candidates, candidateView{Candidate: c, ActionLabel: actionLabel(c.Action),
			ActionClass: pick(c.Action == report.MakeAsync, "act-async", "act-par"), ConfW: svgNum(40 * clamp01(c.Confidence))})
	}
	for i, p := range r.Plan {
		v.Plan = append(v.Plan, planView{ID: "plan-" + strconv.Itoa(i+1), Endpoint: p.Endpoint, Changes: p.Changes,
			Chart: planChart(p), Before: p.BeforeMs, After: p.AfterMs, Failures: p.Failures})
	}
	v.Slowdowns = newSlowdownViews(r.Slowdowns)
	v.Highlights = append(v.Highlights, slowdownHighlights(r.Slowdowns)...)
	v.Events = r.Events
	for i, d := range r.Diagrams {
		v.Deps = append(v.Deps, newDepView(i, d))
	}
	for i, w := range r.Waterfalls {
		v.Waterfalls = append(v.Waterfalls, newWaterfall("wf-"+strconv.Itoa(i+1), w))
	}
	for _, c := range r.Checklist {
		cv := checkView{CheckItem: c}
		for _, ev := range c.Evidence {
			val := ""
			if ev.Unit != "" {
				val = compactNum(ev.Value) + " " + ev.Unit
			}
			cv.Evidence = append(cv.Evidence, evidenceView{Endpoint: ev.Endpoint, HasCall: ev.Callee.Service != "" || ev.Callee.Operation != "",
				Caller: ev.Caller, Callee: ev.Callee, Value: val, Traces: ev.Traces, HasTraces: ev.Traces > 0, Detail: ev.Detail})
		}
		v.Checklist = append(v.Checklist, cv)
	}
	for _, a := range r.Async {
		v.Async = append(v.Async, asyncView{a})
	}
	v.Input = inputView{Summary: s, Formats: sortedCounts(s.Formats), Rejected: sortedCounts(s.Rejected), Warnings: sortedCounts(s.Warnings)}
	if r.Baseline != nil {
		v.Baseline = newBaselineView(r.Baseline)
	}
	return v
}

func newBaselineView(d *report.BaselineDiff) *baselineView {
	v := &baselineView{BaselineDiff: d, Tolerance: strconv.FormatFloat(finiteOr0(d.TolerancePct), 'f', -1, 64) + "%"}
	for _, c := range d.Endpoints {
		both := c.BeforeTraces > 0 && c.AfterTraces > 0
		cell := func(before, after, pct float64) changeCell {
			cc := changeCell{Before: msText(before), After: msText(after)}
			switch {
			case c.BeforeTraces == 0:
				cc.Before, cc.Pct, cc.Class = "—", "new", "chg-new"
			case c.AfterTraces == 0:
				cc.After, cc.Pct, cc.Class = "—", "gone", "chg-gone"
			default:
				cc.Pct = pctChange(pct)
				cc.Class = "chg-same"
				if pct > d.TolerancePct {
					cc.Class = "chg-worse"
				} else if pct < -d.TolerancePct {
					cc.Class = "chg-better"
				}
			}
			return cc
		}
		ev := endpointChangeView{EndpointChange: c,
			P50: cell(c.BeforeMs.P50, c.AfterMs.P50, c.ChangePct.P50),
			P95: cell(c.BeforeMs.P95, c.AfterMs.P95, c.ChangePct.P95),
			P99: cell(c.BeforeMs.P99, c.AfterMs.P99, c.ChangePct.P99)}
		if c.ProjectedMs != nil && both {
			ev.HasProjection, ev.Projected = true, msText(c.ProjectedMs.P95)
			if c.ProjectionErrorPct != nil {
				ev.ProjErr = pctChange(c.ProjectionErrorPct.P95)
			}
		}
		v.Rows = append(v.Rows, ev)
	}
	for _, sc := range d.Savings {
		v.Savings = append(v.Savings, savingsChangeView{SavingsChange: sc, Before: msText(sc.BeforeP95Ms), After: msText(sc.AfterP95Ms)})
	}
	return v
}

// compactNum formats a measured value with the precision it deserves:
// integers as they are, else 0, 1 or 2 decimals by magnitude.
func compactNum(v float64) string {
	switch a := math.Abs(v); {
	case math.IsNaN(v) || math.IsInf(v, 0):
		return "n/a"
	case v == math.Trunc(v) || a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0"), ".")
}

// pctChange formats a percentage change, e.g. "+10.0%" or "−4.2%".
func pctChange(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	if v < 0 {
		return "−" + strconv.FormatFloat(-v, 'f', 1, 64) + "%"
	}
	return "+" + strconv.FormatFloat(v, 'f', 1, 64) + "%"
}

// msText formats milliseconds as the tables do; values that cannot be
// drawn (NaN, ±Inf) read "n/a".
func msText(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return format.MsShort(v)
}

func pctText(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return format.Pct(v)
}

func totalText(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return format.Total(v)
}

func refText(r report.Ref) string {
	if r.Operation == "" {
		return oneLine(r.Service)
	}
	return oneLine(r.Service) + " " + oneLine(r.Operation)
}

func actionLabel(a report.Action) string {
	switch a {
	case report.MakeAsync:
		return "make async"
	case report.Parallelize:
		return "parallelize"
	}
	return string(a)
}

func sortedCounts[K ~string](m map[K]int) []countRow {
	out := make([]countRow, 0, len(m))
	for k, n := range m {
		out = append(out, countRow{string(k), n})
	}
	slices.SortFunc(out, func(a, b countRow) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// group formats n with thousands separators.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// htmlSource is the page. Every action is escaped by html/template for its
// context (text, attribute, URL, SVG text); the page has no script.
