package report

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// WriteHTML writes the report as one self-contained HTML page: the summary,
// per-endpoint latency and critical-path charts, the ranked candidates with
// their reasons and projected savings, the combined plan (before and after),
// a waterfall of a representative slow request per endpoint, the
// design-review checklist, the flows that are already asynchronous and the
// input accounting.
//
// The page needs no network: styles are inline, charts are inline SVG, there
// is no script, and a Content-Security-Policy forbids every fetch. Every
// string from the traces (service and operation names, reasons, details,
// trace IDs) is escaped by html/template for its context, so a span named
// "<script>…" renders as text. The output is deterministic: the same Report
// always gives the same bytes.
func WriteHTML(w io.Writer, r *Report) error {
	if r == nil {
		return fmt.Errorf("report: write html: nil report")
	}
	var buf bytes.Buffer
	if err := htmlPage.Execute(&buf, newHTMLView(r)); err != nil {
		return fmt.Errorf("report: render html: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: write html: %w", err)
	}
	return nil
}

// Chart geometry (SVG user units; the charts scale to the page width).
const (
	chartW      = 560.0 // small charts: latency, critical path, plan
	wfW         = 1120.0
	wfLabelW    = 340.0 // waterfall label column
	wfX0        = 350.0 // waterfall timeline start
	wfRightPad  = 76.0  // room for the duration label after the longest bar
	wfRowH      = 20.0
	wfTop       = 28.0 // axis band above the first row
	wfMaxIndent = 24   // deeper spans are drawn at this indent
	wfIndent    = 11.0
	labelCharW  = 7.0 // conservative average glyph width at 12px
	maxPathRows = 12  // critical-path rows drawn per endpoint
)

// paletteColor colours the i-th callee of a critical-path chart.
func paletteColor(i int) string {
	p := [maxPathRows]string{
		"#2563eb", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4",
		"#ec4899", "#84cc16", "#f97316", "#14b8a6", "#6366f1", "#a16207",
	}
	return p[i%len(p)]
}

type htmlView struct {
	SchemaVersion int
	Subtitle      string
	KPIs          []kpi
	Highlights    []highlight
	Endpoints     []endpointView
	Candidates    []candidateView
	Plan          []planView
	Waterfalls    []waterfallView
	Checklist     []checkView
	ChecksFailed  int
	Async         []asyncView
	Input         inputView
	Audit         []RuleResult
	AuditFailed   int
	Baseline      *baselineView
}

type baselineView struct {
	*BaselineDiff
	Tolerance string
	Rows      []endpointChangeView
	Savings   []savingsChangeView
}

type endpointChangeView struct {
	EndpointChange
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
	SavingsChange
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
	Name         Ref
	Traces       int
	Errors       int
	Latency      Percentiles
	SyncLatency  Percentiles
	SyncCallsP50 int
	SyncCallsMax int
	SyncDepthMax int
	LatencyChart barChart
	PathChart    pathChart
	Waterfall    string // anchor of its waterfall, if any
}

// barChart is a horizontal bar chart with one or two bars per row.
type barChart struct {
	W, H   string
	Label  string // aria-label
	AxisY  string
	GridY0 string
	Ticks  []axisTick
	Rows   []barRow
}

type axisTick struct {
	X, Label string
}

type barRow struct {
	Label, LabelY   string
	A, B            hbar
	HasB            bool
	Note, NoteClass string // text after bar B (or A)
	NoteX, NoteY    string
}

type hbar struct {
	Y, H, W, TextX, TextY string
	Text, Class           string
}

type pathChart struct {
	W, H     string
	Label    string
	Segments []pathSegment
	Rows     []pathRow
	More     int
	MoreText string
}

type pathSegment struct {
	X, W, Color, Title string
}

type pathRow struct {
	Y, TextY, BarW, NoteX string
	Color                 string
	Service, Operation    string
	Full                  string
	Note                  string
}

type candidateView struct {
	Candidate
	ActionLabel string
	ActionClass string
	ConfW       string
}

type planView struct {
	ID       string
	Endpoint Ref
	Changes  []int
	Chart    barChart
	Before   LatencyAfter
	After    LatencyAfter
}

type waterfallView struct {
	ID         string
	Endpoint   Ref
	TraceID    string
	Percentile string
	Duration   float64
	Spans      int
	W, H       string
	Ticks      []axisTick
	TickY      string
	GridY1     string
	EndX       string // request end marker, when spans run past it
	Rows       []wfRow
	Critical   int
	Cands      []int
}

type wfRow struct {
	Y, StripeH       string
	Stripe           bool
	LabelX, LabelY   string
	Service, Op      string
	LabelClass       string
	BarX, BarY, BarW string
	BarClass         string
	DurX, Dur        string
	Err              bool
	ErrX, ErrY       string
	Rank             int
	BadgeX, BadgeTX  string
	BadgeY, BadgeTY  string
	Tooltip          string
}

type checkView struct {
	CheckItem
	Evidence []evidenceView
}

type evidenceView struct {
	Endpoint  Ref
	HasCall   bool
	Caller    Ref
	Callee    Ref
	Value     string
	Traces    int
	Detail    string
	HasTraces bool
}

type asyncView struct {
	AsyncFlow
}

type inputView struct {
	Summary
	Formats  []countRow
	Rejected []countRow
	Warnings []countRow
}

type countRow struct {
	Name  string
	Count int
}

func newHTMLView(r *Report) *htmlView {
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
		v.Highlights = append(v.Highlights, highlight{
			Lead: "Plan for", Ref: refText(p.Endpoint),
			Text: fmt.Sprintf("p50 %s → %s, p95 %s → %s.", msText(p.BeforeMs.P50), msText(p.AfterMs.P50), msText(p.BeforeMs.P95), msText(p.AfterMs.P95)),
		})
	}

	wfByRef := map[Ref]string{}
	for i, w := range r.Waterfalls {
		if _, ok := wfByRef[w.Endpoint]; !ok {
			wfByRef[w.Endpoint] = "wf-" + strconv.Itoa(i+1)
		}
	}
	for i, e := range r.Endpoints {
		ref := Ref{e.Service, e.Operation}
		v.Endpoints = append(v.Endpoints, endpointView{
			ID: "ep-" + strconv.Itoa(i+1), Name: ref, Traces: e.Traces, Errors: e.Errors,
			Latency: e.LatencyMs, SyncLatency: e.SyncLatencyMs,
			SyncCallsP50: e.SyncCalls.P50, SyncCallsMax: e.SyncCalls.Max, SyncDepthMax: e.SyncDepth.Max,
			LatencyChart: latencyChart(e), PathChart: newPathChart(e), Waterfall: wfByRef[ref],
		})
	}
	for _, c := range r.Candidates {
		v.Candidates = append(v.Candidates, candidateView{Candidate: c, ActionLabel: actionLabel(c.Action),
			ActionClass: pick(c.Action == MakeAsync, "act-async", "act-par"), ConfW: svgNum(40 * clamp01(c.Confidence))})
	}
	for i, p := range r.Plan {
		v.Plan = append(v.Plan, planView{ID: "plan-" + strconv.Itoa(i+1), Endpoint: p.Endpoint, Changes: p.Changes,
			Chart: planChart(p), Before: p.BeforeMs, After: p.AfterMs})
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

func newBaselineView(d *BaselineDiff) *baselineView {
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

func latencyChart(e Endpoint) barChart {
	const x0, top, rowH = 44.0, 8.0, 34.0
	pw := chartW - x0 - 96
	l, sl := e.LatencyMs, e.SyncLatencyMs
	ax := newLinearAxis(maxNonNeg(l.P50, l.P95, l.P99, l.Max, sl.P50, sl.P95, sl.P99, sl.Max), pw, 5, false)
	rows := []struct {
		name       string
		total, syn float64
	}{{"p50", l.P50, sl.P50}, {"p95", l.P95, sl.P95}, {"p99", l.P99, sl.P99}, {"max", l.Max, sl.Max}}
	c := barChart{W: svgNum(chartW), Label: fmt.Sprintf("Latency percentiles of %s", refText(Ref{e.Service, e.Operation}))}
	for i, r := range rows {
		y := top + float64(i)*rowH
		a := hbar{Y: svgNum(y), H: "13", W: svgNum(max(1, ax.x(r.total))), Class: "b-total"}
		a.TextX, a.TextY, a.Text = svgNum(x0+ax.x(r.total)+6), svgNum(y+11), msText(r.total)
		b := hbar{Y: svgNum(y + 15), H: "9", W: svgNum(max(1, ax.x(r.syn))), Class: "b-sync"}
		b.TextX, b.TextY, b.Text = svgNum(x0+ax.x(r.syn)+6), svgNum(y+23), msText(r.syn)
		c.Rows = append(c.Rows, barRow{Label: r.name, LabelY: svgNum(y + 16), A: a, B: b, HasB: true})
	}
	c.finish(ax, x0, top+float64(len(rows))*rowH, top)
	return c
}

func planChart(p PlanEndpoint) barChart {
	const x0, top, rowH = 44.0, 8.0, 34.0
	pw := chartW - x0 - 150
	b, a := p.BeforeMs, p.AfterMs
	ax := newLinearAxis(maxNonNeg(b.P50, b.P95, b.P99, a.P50, a.P95, a.P99), pw, 5, false)
	rows := []struct {
		name          string
		before, after float64
	}{{"p50", b.P50, a.P50}, {"p95", b.P95, a.P95}, {"p99", b.P99, a.P99}}
	c := barChart{W: svgNum(chartW), Label: fmt.Sprintf("Latency of %s before and after the plan", refText(p.Endpoint))}
	for i, r := range rows {
		y := top + float64(i)*rowH
		ba := hbar{Y: svgNum(y), H: "12", W: svgNum(max(1, ax.x(r.before))), Class: "b-before"}
		ba.TextX, ba.TextY, ba.Text = svgNum(x0+ax.x(r.before)+6), svgNum(y+10), msText(r.before)
		bb := hbar{Y: svgNum(y + 14), H: "12", W: svgNum(max(1, ax.x(r.after))), Class: "b-after"}
		bb.TextX, bb.TextY, bb.Text = svgNum(x0+ax.x(r.after)+6), svgNum(y+24), msText(r.after)
		row := barRow{Label: r.name, LabelY: svgNum(y + 17), A: ba, B: bb, HasB: true}
		if d := finiteOr0(r.before) - finiteOr0(r.after); d != 0 {
			row.Note = "−" + msText(d)
			if d < 0 {
				row.Note = "+" + msText(-d)
			}
			if r.before > 0 {
				row.Note += fmt.Sprintf(" (%s%.0f%%)", pick(d > 0, "−", "+"), math.Abs(100*d/r.before))
			}
			row.NoteClass = pick(d > 0, "n-good", "n-bad")
			row.NoteX = svgNum(x0 + ax.x(r.after) + 6 + labelCharW*float64(utf8.RuneCountInString(bb.Text)) + 8)
			row.NoteY = bb.TextY
		}
		c.Rows = append(c.Rows, row)
	}
	c.finish(ax, x0, top+float64(len(rows))*rowH, top)
	return c
}

// finish sizes a bar chart whose rows end at axisY (the first row starts at
// top) and draws ax's ticks along its axis, which starts at x0.
func (c *barChart) finish(ax linearAxis, x0, axisY, top float64) {
	c.H, c.AxisY, c.GridY0 = svgNum(axisY+18), svgNum(axisY), svgNum(top-4)
	for _, t := range ax.ticks() {
		c.Ticks = append(c.Ticks, axisTick{X: svgNum(x0 + ax.x(t)), Label: ax.label(t)})
	}
}

func newPathChart(e Endpoint) pathChart {
	const rowsTop, rowH, barX, noteW = 32.0, 22.0, 226.0, 118.0 // barX matches the template
	c := pathChart{W: svgNum(chartW), Label: fmt.Sprintf("Critical-path share by callee of %s", refText(Ref{e.Service, e.Operation}))}
	shown := e.CriticalPath
	if len(shown) > maxPathRows {
		shown = shown[:maxPathRows]
		c.More = len(e.CriticalPath) - maxPathRows
		var rest, restMs float64
		for _, p := range e.CriticalPath[maxPathRows:] {
			rest += clamp01(p.Share)
			restMs += finiteOr0(p.MeanMs)
		}
		c.MoreText = fmt.Sprintf("%d more callee(s), together %s (%s of latency), are not drawn.", c.More, msText(restMs), pctText(rest))
	}
	maxShare := 0.0
	for _, p := range shown {
		maxShare = max(maxShare, clamp01(p.Share))
	}
	ax := newLinearAxis(maxShare, chartW-barX-noteW, 4, true)
	chars := (barX - 30) / (labelCharW + 0.4) // label room, in characters (bold service names run wide)
	x := 0.0
	for i, p := range shown {
		w := clamp01(p.Share) * chartW
		if x+w > chartW {
			w = chartW - x
		}
		full := refText(Ref{p.Service, p.Operation})
		if w > 0 {
			c.Segments = append(c.Segments, pathSegment{X: svgNum(x), W: svgNum(w), Color: paletteColor(i),
				Title: fmt.Sprintf("%s: %s (%s)", full, msText(p.MeanMs), pctText(p.Share))})
		}
		x += w
		y := rowsTop + float64(i)*rowH
		svc, op := fitLabel(p.Service, p.Operation, int(chars))
		bw := ax.x(p.Share)
		c.Rows = append(c.Rows, pathRow{Y: svgNum(y + 4), TextY: svgNum(y + 14), BarW: svgNum(max(1, bw)), NoteX: svgNum(barX + bw + 6),
			Color: paletteColor(i), Service: svc, Operation: op, Full: full,
			Note: fmt.Sprintf("%s · %s", msText(p.MeanMs), pctText(p.Share))})
	}
	c.H = svgNum(rowsTop + float64(len(shown))*rowH + 4)
	return c
}

func newWaterfall(id string, w Waterfall) waterfallView {
	v := waterfallView{ID: id, Endpoint: w.Endpoint, TraceID: w.TraceID, Percentile: w.Percentile,
		Duration: w.DurationMs, Spans: len(w.Spans), W: svgNum(wfW)}
	end := nonNeg(w.DurationMs)
	for _, s := range w.Spans {
		end = max(end, nonNeg(s.StartMs)+nonNeg(s.DurationMs))
	}
	tw := wfW - wfX0 - wfRightPad
	ax := newLinearAxis(end, tw, 8, false)
	h := wfTop + float64(len(w.Spans))*wfRowH + 6
	v.H, v.TickY, v.GridY1 = svgNum(h), "14", svgNum(h-4)
	for _, t := range ax.ticks() {
		v.Ticks = append(v.Ticks, axisTick{X: svgNum(wfX0 + ax.x(t)), Label: ax.label(t)})
	}
	if end > nonNeg(w.DurationMs)+ax.max/1000 {
		v.EndX = svgNum(wfX0 + ax.x(w.DurationMs))
	}
	seen := map[int]bool{}
	for i, s := range w.Spans {
		y := wfTop + float64(i)*wfRowH
		depth := min(max(s.Depth, 0), wfMaxIndent)
		lx := 16 + float64(depth)*wfIndent
		room := wfLabelW - lx - 8
		if s.Candidate > 0 {
			room -= 40
		}
		svc, op := fitLabel(s.Service, s.Operation, int(room/labelCharW))
		start, dur := nonNeg(s.StartMs), nonNeg(s.DurationMs)
		bx := wfX0 + ax.x(start)
		bw := max(1.5, ax.x(start+dur)-ax.x(start))
		cls := "bar"
		switch {
		case s.Async:
			cls += " async"
		case s.OnCriticalPath:
			cls += " crit"
		}
		if s.Candidate > 0 {
			cls += " cand"
		}
		row := wfRow{Y: svgNum(y), StripeH: svgNum(wfRowH), Stripe: i%2 == 1,
			LabelX: svgNum(lx), LabelY: svgNum(y + 14), Service: svc, Op: op, LabelClass: pick(s.OnCriticalPath, "lbl crit", "lbl"),
			BarX: svgNum(bx), BarY: svgNum(y + 4), BarW: svgNum(bw), BarClass: cls,
			DurX: svgNum(bx + bw + 5), Dur: msText(dur), Err: s.Error, ErrX: svgNum(lx - 7), ErrY: svgNum(y + 10),
			Rank: s.Candidate, Tooltip: spanTooltip(s)}
		if s.Candidate > 0 {
			row.BadgeX, row.BadgeTX = svgNum(wfLabelW-38), svgNum(wfLabelW-20)
			row.BadgeY, row.BadgeTY = svgNum(y+3), svgNum(y+14)
			if !seen[s.Candidate] {
				seen[s.Candidate] = true
				v.Cands = append(v.Cands, s.Candidate)
			}
		}
		if s.OnCriticalPath {
			v.Critical++
		}
		v.Rows = append(v.Rows, row)
	}
	slices.Sort(v.Cands)
	return v
}

func spanTooltip(s WaterfallSpan) string {
	var b strings.Builder
	b.WriteString(refText(Ref{s.Service, s.Operation}))
	fmt.Fprintf(&b, "\n%s span, depth %d\nstarts at %s, lasts %s", s.Kind, s.Depth, msText(s.StartMs), msText(s.DurationMs))
	if s.OnCriticalPath {
		fmt.Fprintf(&b, "\non the critical path (%s of it here)", msText(s.CriticalMs))
	}
	if s.Async {
		b.WriteString("\nasynchronous")
	}
	if s.Error {
		b.WriteString("\nfailed")
	}
	if s.Candidate > 0 {
		fmt.Fprintf(&b, "\ncandidate #%d", s.Candidate)
	}
	return b.String()
}

// axis maps [0, max] linearly onto [0, width] with round tick steps.
type linearAxis struct {
	max, width, step float64
	percent          bool
}

func newLinearAxis(maxV, width float64, ticks int, percent bool) linearAxis {
	maxV = nonNeg(maxV)
	if maxV == 0 {
		maxV = 1
		if percent {
			maxV = 0.01
		}
	}
	raw := maxV / float64(ticks)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, m := range []float64{1, 2, 2.5, 5} {
		if m*mag >= raw {
			step = m * mag
			break
		}
	}
	return linearAxis{max: math.Ceil(maxV/step-1e-9) * step, width: width, step: step, percent: percent}
}

func (a linearAxis) x(v float64) float64 { return min(nonNeg(v)/a.max, 1) * a.width }

func (a linearAxis) ticks() []float64 {
	n := int(math.Round(a.max / a.step))
	out := make([]float64, 0, n+1)
	for i := 0; i <= n; i++ {
		out = append(out, float64(i)*a.step)
	}
	return out
}

func (a linearAxis) label(v float64) string {
	if v == 0 {
		return "0"
	}
	unit, scale, step := "ms", 1.0, a.step
	switch {
	case a.percent:
		unit, scale = "%", 100
	case a.max >= 2000:
		unit, scale = "s", 0.001
	}
	step *= scale
	dec := 0
	if step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
		if math.Abs(step*math.Pow(10, float64(dec))-math.Round(step*math.Pow(10, float64(dec)))) > 1e-6 {
			dec++
		}
	} else if step != math.Trunc(step) {
		dec = 1
	}
	return strconv.FormatFloat(v*scale, 'f', dec, 64) + unit
}

// fitLabel shortens a service and an operation so that "service operation"
// fits in n characters, cutting the operation first.
func fitLabel(svc, op string, n int) (string, string) {
	svc, op = oneLine(svc), oneLine(op)
	ls, lo := utf8.RuneCountInString(svc), utf8.RuneCountInString(op)
	if n < 2 {
		n = 2
	}
	if ls+1+lo <= n {
		return svc, op
	}
	if ls+2 >= n {
		return truncRunes(svc, n), ""
	}
	return svc, truncRunes(op, n-ls-1)
}

func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 1 {
		return "…"
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// oneLine replaces control characters (newlines, tabs) by spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

// msText formats milliseconds as the tables do; values that cannot be
// drawn (NaN, ±Inf) read "n/a".
func msText(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmtMsShort(v)
}

func pctText(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return pct(v)
}

func totalText(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return fmtTotal(v)
}

func refText(r Ref) string {
	if r.Operation == "" {
		return oneLine(r.Service)
	}
	return oneLine(r.Service) + " " + oneLine(r.Operation)
}

func actionLabel(a Action) string {
	switch a {
	case MakeAsync:
		return "make async"
	case Parallelize:
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

// num formats an SVG coordinate with at most one decimal.
func svgNum(v float64) string {
	s := strconv.FormatFloat(math.Round(finiteOr0(v)*10)/10, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

func finiteOr0(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

func nonNeg(v float64) float64 { return max(0, finiteOr0(v)) }

func clamp01(v float64) float64 { return min(1, nonNeg(v)) }

func maxNonNeg(vs ...float64) float64 {
	m := 0.0
	for _, v := range vs {
		m = max(m, nonNeg(v))
	}
	return m
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

var htmlFuncs = template.FuncMap{
	"ms":     msText,
	"total":  totalText,
	"pct":    pctText,
	"n":      groupDigits,
	"action": actionLabel,
	"ref":    refText,
	"conf":   func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
}

var htmlPage = template.Must(template.New("report").Funcs(htmlFuncs).Parse(htmlSource))

// htmlSource is the page. Every action is escaped by html/template for its
// context (text, attribute, URL, SVG text); the page has no script.
const htmlSource = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="syncaudit">
<link rel="icon" href="data:,">
<title>syncaudit · synchronous-call design review</title>
<style>
:root{--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f1f5f9;--card:#fff;--crit:#1d4ed8;--cand:#ea580c;--async:#7c3aed;--err:#dc2626;--good:#16a34a;--bad:#dc2626;--warn:#d97706}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;print-color-adjust:exact;-webkit-print-color-adjust:exact}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"DejaVu Sans",sans-serif}
.wrap{max-width:1200px;margin:0 auto;padding:0 28px}
header.top{background:#0f172a;color:#f8fafc;padding:26px 0 0}
header.top .kicker{font-size:12px;letter-spacing:.12em;text-transform:uppercase;color:#94a3b8;font-weight:600}
header.top h1{margin:2px 0 0;font-size:26px;font-weight:650;letter-spacing:-.01em}
header.top .sub{color:#cbd5e1;margin:4px 0 0}
nav.toc{display:flex;flex-wrap:wrap;gap:4px 22px;margin-top:18px;padding:10px 0 12px;border-top:1px solid #1e293b}
nav.toc a{color:#93c5fd;text-decoration:none;font-size:13px}
nav.toc a:hover{color:#fff}
main{padding-bottom:40px}
section{margin:30px 0 0}
h2{font-size:20px;font-weight:650;margin:0 0 4px;letter-spacing:-.01em}
h2+p.lead{margin:0 0 14px;color:var(--muted)}
h3{font-size:15.5px;font-weight:650;margin:0 0 2px}
a{color:#1d4ed8}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:18px 20px;margin:14px 0;box-shadow:0 1px 2px rgba(15,23,42,.05)}
.card.flush{padding:0;overflow-x:auto}
.meta{color:var(--muted);font-size:12.5px}
p.meta{margin:0 0 12px}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:12px;margin:18px 0 0}
.kpi{background:var(--card);border:1px solid var(--line);border-top:3px solid #cbd5e1;border-radius:10px;padding:12px 16px}
.kpi .l{font-size:11.5px;color:var(--muted);text-transform:uppercase;letter-spacing:.05em;font-weight:600}
.kpi .v{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums;line-height:1.3}
.kpi .n{font-size:12.5px;color:var(--muted)}
.kpi.ok{border-top-color:var(--good)}.kpi.good{border-top-color:var(--good)}.kpi.warn{border-top-color:var(--warn)}.kpi.bad{border-top-color:var(--bad)}
ul.highlights{margin:14px 0 0;padding-left:20px}
ul.highlights li{margin:3px 0}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:8px 12px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
tbody tr:last-child td{border-bottom:0}
th{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);font-weight:600;background:#f8fafc;white-space:nowrap}
td.r,th.r{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.svc{font-weight:650}
.op{color:#334155}
.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:12px;word-break:break-all}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:11.5px;font-weight:650;white-space:nowrap;line-height:18px}
.act-async{background:#ffedd5;color:#9a3412}
.act-par{background:#dbeafe;color:#1e40af}
.pass{background:#dcfce7;color:#166534}
.in-plan{background:#fff;color:#166534;box-shadow:inset 0 0 0 1px #86efac}
.not-plan{background:#fff;color:#64748b;box-shadow:inset 0 0 0 1px #cbd5e1}
ul.plain{margin:0;padding-left:18px}
ul.plain li{margin:2px 0}
ul.worse li::marker{color:var(--bad)}
ul.better li::marker{color:var(--good)}
.chg-worse{color:#b91c1c !important;font-weight:600}
.chg-better{color:#15803d !important;font-weight:600}
.chg-new,.chg-gone{color:#1d4ed8 !important}
.fail{background:#fee2e2;color:#991b1b}
.rank{display:inline-block;min-width:24px;height:24px;padding:0 6px;border-radius:12px;background:var(--cand);color:#fff;text-align:center;line-height:24px;font-weight:700;font-size:12px}
.call{margin-top:4px}
.arrow{color:var(--muted);padding:0 3px}
td.why{min-width:240px}
td.change{min-width:260px}
td.why ul{margin:0;padding-left:16px}
td.why li{margin:1px 0}
td.why .fix{margin:6px 0 0;color:#166534;font-weight:600}
.meter{display:block;margin:4px 0 0 auto}
.meter .track{fill:#e2e8f0}.meter .fillc{fill:#0f766e}
.sub-v{display:block;color:var(--muted);font-size:11.5px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:8px 28px}
figure{margin:0}
.plans{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:0 18px}
.plans .card{margin:8px 0}
figcaption{font-size:12px;font-weight:650;text-transform:uppercase;letter-spacing:.05em;color:var(--muted);margin:6px 0 6px}
svg.chart{width:100%;max-width:640px;height:auto;display:block;overflow:visible}
svg text{font-size:12px;fill:#334155}
svg .axis text{fill:#64748b;font-size:11px}
svg .grid{stroke:#e2e8f0;stroke-width:1}
svg .rl{fill:#475569;font-weight:600}
svg .v{font-size:11.5px;fill:#334155;font-variant-numeric:tabular-nums}
.b-total{fill:#1d4ed8}.b-sync{fill:#93c5fd}.b-before{fill:#94a3b8}.b-after{fill:#16a34a}
svg .n-good{fill:#15803d;font-weight:650;font-size:11.5px}svg .n-bad{fill:#b91c1c;font-weight:650;font-size:11.5px}
.stack-bg{fill:#e2e8f0}
.legend{display:flex;flex-wrap:wrap;gap:4px 16px;font-size:12px;color:#475569;margin:8px 0 0}
.legend span{white-space:nowrap}
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;vertical-align:-2px;margin-right:5px}
.sw.total{background:#1d4ed8}.sw.sync{background:#93c5fd}.sw.before{background:#94a3b8}.sw.after{background:#16a34a}
.wf-legend svg{vertical-align:-3px;margin-right:5px}
.wf-scroll{overflow-x:auto;margin-top:8px}
svg.wf{width:100%;min-width:900px;height:auto;display:block}
.wf .bg{fill:#fff}.wf .bg.odd{fill:#f8fafc}
.wf .hit{fill:transparent}
.wf g.row:hover .hit{fill:rgba(99,102,241,.09)}
.bar{fill:#bfdbfe;stroke:#60a5fa;stroke-width:.6}
.bar.crit{fill:var(--crit);stroke:#1e3a8a}
.bar.async{fill:url(#hatch);stroke:var(--async);stroke-width:1;stroke-dasharray:3 2}
.bar.cand{stroke:var(--cand);stroke-width:2.5;stroke-dasharray:none}
.wf .lbl{font-size:12px;fill:#334155}
.wf .lbl .s{font-weight:650;fill:#0f172a}
.wf .lbl.crit .s{fill:#1e3a8a}
.wf .dur{font-size:11px;fill:#64748b;font-variant-numeric:tabular-nums;paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
.wf .badge{fill:var(--cand)}
.wf .badge-t{fill:#fff;font-size:10.5px;font-weight:700}
.wf .err{fill:var(--err)}
.wf .end{stroke:#0f172a;stroke-width:1;stroke-dasharray:4 3}
.wf .end-t{font-size:11px;fill:#0f172a}
.check-h{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 10px}
.check-h strong{font-size:15px}
.check.is-fail{border-left:4px solid var(--bad)}
.check.is-pass{border-left:4px solid var(--good)}
.check table{margin-top:10px}
.check p.meta{margin:2px 0 0}
.counts{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:14px}
.counts h3{font-size:13px;text-transform:uppercase;letter-spacing:.05em;color:var(--muted)}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 18px;margin:0}
dl.facts dt{color:var(--muted)}
dl.facts dd{margin:0;font-variant-numeric:tabular-nums;white-space:nowrap}
.empty{color:var(--muted);font-style:italic}
footer{color:var(--muted);font-size:12px;padding:18px 0 30px;border-top:1px solid var(--line)}
.defs{position:absolute;width:0;height:0;overflow:hidden}
@media print{
body{background:#fff;font-size:11px}
header.top{background:#fff;color:#000;padding:0;border-bottom:2px solid #000}
header.top .sub,header.top .kicker{color:#333}
nav.toc{display:none}
.card,.kpi{box-shadow:none;break-inside:avoid}
.card.wf{break-inside:auto}
section{break-before:auto}
a{color:inherit;text-decoration:none}
.wrap{max-width:none;padding:0}
.card.flush,.wf-scroll{overflow:visible}
table{font-size:9.5px}
th,td{padding:4px 6px}
th{white-space:normal}
td.change,td.why{min-width:0}
td.r,th.r{white-space:normal}
svg.wf{min-width:0}
.charts{grid-template-columns:1fr 1fr}
.plans{grid-template-columns:1fr 1fr}
.kpi .v{font-size:20px}
}
@page{margin:12mm}
</style>
</head>
<body>
<svg class="defs" aria-hidden="true" focusable="false"><defs>
<pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#ede9fe"/><line x1="0" y1="0" x2="0" y2="6" stroke="#7c3aed" stroke-width="2.2"/></pattern>
</defs></svg>
<header class="top"><div class="wrap">
<div class="kicker">syncaudit report</div>
<h1>Synchronous-call design review</h1>
<p class="sub">{{.Subtitle}}</p>
<nav class="toc" aria-label="Contents"><a href="#summary">Summary</a>{{if .Audit}}<a href="#audit">Audit</a>{{end}}{{if .Baseline}}<a href="#baseline">Baseline</a>{{end}}<a href="#endpoints">Endpoints</a><a href="#candidates">Candidates</a><a href="#plan">Plan</a><a href="#waterfalls">Waterfalls</a><a href="#checklist">Checklist</a><a href="#async">Already async</a><a href="#input">Input</a></nav>
</div></header>
<main class="wrap">

<section id="summary">
<div class="kpis">{{range .KPIs}}
<div class="kpi {{.Class}}"><div class="l">{{.Label}}</div><div class="v">{{.Value}}</div><div class="n">{{.Note}}</div></div>{{end}}
</div>
{{if .Highlights}}<ul class="highlights">{{range .Highlights}}
<li><strong>{{.Lead}}</strong> {{.Ref}} — {{.Text}}</li>{{end}}
</ul>{{end}}
</section>

{{if .Audit}}<section id="audit">
<h2>Audit rules</h2>
<p class="lead">{{.AuditFailed}} of {{len .Audit}} --fail-on rule(s) fail{{if .AuditFailed}}; a failed rule makes syncaudit exit with status 4{{end}}.</p>
<div class="card flush"><table id="audit-table">
<thead><tr><th>Result</th><th>Rule</th><th>Offenders</th></tr></thead>
<tbody>{{range .Audit}}
<tr><td>{{if .Failed}}<span class="pill fail">✗ fail</span>{{else}}<span class="pill pass">✓ pass</span>{{end}}</td><td><code class="mono">{{.Rule}}</code></td><td>{{if .Offenders}}<ul class="plain">{{range .Offenders}}<li>{{.}}</li>{{end}}</ul>{{else}}<span class="meta">none</span>{{end}}</td></tr>{{end}}
</tbody></table></div>
</section>{{end}}

{{with .Baseline}}<section id="baseline">
<h2>Changes since the baseline</h2>
<p class="lead">Compared with <span class="mono">{{.File}}</span>; changes under {{.Tolerance}} are ignored.</p>
<div class="card"><div class="counts">
<div><h3>Regressions</h3>{{if .Regressions}}<ul class="plain worse">{{range .Regressions}}<li>{{.}}</li>{{end}}</ul>{{else}}<p class="empty">none</p>{{end}}</div>
<div><h3>Improvements</h3>{{if .Improvements}}<ul class="plain better">{{range .Improvements}}<li>{{.}}</li>{{end}}</ul>{{else}}<p class="empty">none</p>{{end}}</div>
</div></div>
{{if .Rows}}<div class="card flush"><table id="baseline-table">
<thead><tr><th>Endpoint</th><th class="r">Requests before → now</th><th class="r">p50 now</th><th class="r">p95 now</th><th class="r">p99 now</th><th class="r">Plan projected p95</th></tr></thead>
<tbody>{{range .Rows}}
<tr><td><span class="svc">{{.Endpoint.Service}}</span> <span class="op">{{.Endpoint.Operation}}</span></td><td class="r">{{n .BeforeTraces}} → {{n .AfterTraces}}</td>{{template "change" .P50}}{{template "change" .P95}}{{template "change" .P99}}<td class="r">{{if .HasProjection}}{{.Projected}}{{if .ProjErr}}<span class="sub-v">actual {{.ProjErr}} off</span>{{end}}{{else}}<span class="meta">—</span>{{end}}</td></tr>{{end}}
</tbody></table></div>{{end}}
{{if or .NewCandidates .Resolved .Savings}}<div class="card"><div class="counts">
<div><h3>New candidates</h3>{{if .NewCandidates}}<ul class="plain">{{range .NewCandidates}}<li>{{template "key" .}}</li>{{end}}</ul>{{else}}<p class="empty">none</p>{{end}}</div>
<div><h3>Resolved</h3>{{if .Resolved}}<ul class="plain">{{range .Resolved}}<li>{{template "key" .}}</li>{{end}}</ul>{{else}}<p class="empty">none</p>{{end}}</div>
<div><h3>Projected p95 saving changed</h3>{{if .Savings}}<ul class="plain">{{range .Savings}}<li>{{template "key" .Candidate}}: {{.Before}} → {{.After}}</li>{{end}}</ul>{{else}}<p class="empty">none</p>{{end}}</div>
</div></div>{{end}}
</section>{{end}}

<section id="endpoints">
<h2>Endpoints</h2>
<p class="lead">Entry points of the requests, their latency and how much of it is spent waiting on synchronous calls.</p>
{{if .Endpoints}}<div class="card flush"><table id="endpoints-table">
<thead><tr><th>Endpoint</th><th class="r">Requests</th><th class="r">Errors</th><th class="r">p50</th><th class="r">p95</th><th class="r">p99</th><th class="r">Max</th><th class="r">Sync calls p50 / max</th><th class="r">Sync depth</th><th class="r">In sync calls p50 / p95</th></tr></thead>
<tbody>{{range .Endpoints}}
<tr><td><a href="#{{.ID}}"><span class="svc">{{.Name.Service}}</span></a> <span class="op">{{.Name.Operation}}</span></td><td class="r">{{n .Traces}}</td><td class="r">{{n .Errors}}</td><td class="r">{{ms .Latency.P50}}</td><td class="r">{{ms .Latency.P95}}</td><td class="r">{{ms .Latency.P99}}</td><td class="r">{{ms .Latency.Max}}</td><td class="r">{{.SyncCallsP50}} / {{.SyncCallsMax}}</td><td class="r">{{.SyncDepthMax}}</td><td class="r">{{ms .SyncLatency.P50}} / {{ms .SyncLatency.P95}}</td></tr>{{end}}
</tbody></table></div>
{{range .Endpoints}}
<article class="card endpoint" id="{{.ID}}">
<h3><span class="svc">{{.Name.Service}}</span> <span class="op">{{.Name.Operation}}</span></h3>
<p class="meta">{{n .Traces}} request(s), {{n .Errors}} failed · {{.SyncCallsP50}} synchronous call(s) per request at p50, up to {{.SyncCallsMax}}, nested up to {{.SyncDepthMax}} deep{{if .Waterfall}} · <a href="#{{.Waterfall}}">waterfall of a slow request</a>{{end}}</p>
<div class="charts">
<figure><figcaption>Latency percentiles</figcaption>
{{template "bars" .LatencyChart}}
<div class="legend"><span><i class="sw total"></i>end-to-end latency</span><span><i class="sw sync"></i>time in synchronous calls on the critical path</span></div>
</figure>
<figure><figcaption>Critical path by callee (share of latency)</figcaption>
{{with .PathChart}}{{if .Rows}}<svg class="chart" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="{{.Label}}">
<rect class="stack-bg" x="0" y="4" width="{{.W}}" height="16" rx="3"/>{{range .Segments}}
<rect x="{{.X}}" y="4" width="{{.W}}" height="16" fill="{{.Color}}"><title>{{.Title}}</title></rect>{{end}}{{range .Rows}}
<g><title>{{.Full}}</title><rect x="0" y="{{.Y}}" width="12" height="12" rx="2" fill="{{.Color}}"/><text x="18" y="{{.TextY}}"><tspan class="svc">{{.Service}}</tspan> {{.Operation}}</text><rect x="226" y="{{.Y}}" width="{{.BarW}}" height="12" rx="2" fill="{{.Color}}"/><text class="v" x="{{.NoteX}}" y="{{.TextY}}">{{.Note}}</text></g>{{end}}
</svg>{{if .More}}<p class="meta">{{.MoreText}}</p>{{end}}{{else}}<p class="empty">No critical-path breakdown.</p>{{end}}{{end}}
</figure>
</div>
</article>{{end}}
{{else}}<p class="empty">No endpoint: the input held no complete request.</p>{{end}}
</section>

<section id="candidates">
<h2>Candidates</h2>
<p class="lead">Synchronous calls that could be made asynchronous or run concurrently, ranked by projected saving and confidence.</p>
{{if .Candidates}}<div class="card flush"><table id="candidates-table" class="cands">
<thead><tr><th class="r">#</th><th>Change</th><th class="r">Confidence</th><th class="r">Saves p50</th><th class="r">Saves p95</th><th class="r">Total</th><th class="r">Share</th><th class="r">Latency after</th><th>Why</th></tr></thead>
<tbody>{{range .Candidates}}
<tr id="cand-{{.Rank}}">
<td class="r"><span class="rank">{{.Rank}}</span></td>
<td class="change"><span class="pill {{.ActionClass}}">{{.ActionLabel}}</span> {{if .Recommended}}<span class="pill in-plan">in plan</span>{{else}}<span class="pill not-plan">not in plan</span>{{end}}
<div class="call"><span class="svc">{{.Caller.Service}}</span> <span class="op">{{.Caller.Operation}}</span><span class="arrow">→</span><span class="svc callee">{{.Callee.Service}}</span> <span class="op">{{.Callee.Operation}}</span></div>
{{if gt (len .Callees) 1}}<div class="meta">together: {{range $i, $c := .Callees}}{{if $i}} · {{end}}<span class="svc">{{$c.Service}}</span> {{$c.Operation}}{{end}}</div>{{end}}
<div class="meta">on {{ref .Endpoint}} · {{n .Calls}} call(s) in {{n .Traces}} request(s)</div></td>
<td class="r">{{conf .Confidence}}<svg class="meter" width="40" height="6" aria-hidden="true"><rect class="track" width="40" height="6" rx="3"/><rect class="fillc" width="{{.ConfW}}" height="6" rx="3"/></svg></td>
<td class="r">{{ms .SavingsMs.P50}}<span class="sub-v">mean {{ms .SavingsMs.Mean}}</span></td>
<td class="r">{{ms .SavingsMs.P95}}<span class="sub-v">p99 {{ms .SavingsMs.P99}}</span></td>
<td class="r">{{total .SavingsMs.Total}}</td>
<td class="r">{{pct .Share}}</td>
<td class="r">{{ms .LatencyAfterMs.P50}}<span class="sub-v">p95 {{ms .LatencyAfterMs.P95}}</span><span class="sub-v">p99 {{ms .LatencyAfterMs.P99}}</span></td>
<td class="why"><ul>{{range .Reasons}}<li>{{.}}</li>{{end}}</ul>{{if .Fix}}<p class="fix">Fix: {{.Fix}}</p>{{end}}</td>
</tr>{{end}}
</tbody></table></div>
{{else}}<p class="empty">No synchronous call qualifies: nothing non-critical sits on the critical path.</p>{{end}}
</section>

<section id="plan">
<h2>Combined plan</h2>
<p class="lead">All recommended changes applied together and re-simulated on every request (savings are not additive).</p>
{{if .Plan}}<div class="plans">{{range .Plan}}<article class="card" id="{{.ID}}">
<h3><span class="svc">{{.Endpoint.Service}}</span> <span class="op">{{.Endpoint.Operation}}</span></h3>
<p class="meta">Changes applied: {{range $i, $k := .Changes}}{{if $i}}, {{end}}<a href="#cand-{{$k}}">#{{$k}}</a>{{else}}none{{end}}</p>
<figure><figcaption>Latency before and after</figcaption>
{{template "bars" .Chart}}
<div class="legend"><span><i class="sw before"></i>today</span><span><i class="sw after"></i>with the plan</span></div>
</figure>
</article>{{end}}</div>{{else}}<p class="empty">No recommended change.</p>{{end}}
</section>

<section id="waterfalls">
<h2>Waterfalls</h2>
<p class="lead">One representative slow request per endpoint, span by span: the critical path, the candidate calls and the asynchronous work.</p>
{{range .Waterfalls}}{{template "waterfall" .}}{{else}}<p class="empty">No waterfall in this report.</p>{{end}}
</section>

<section id="checklist">
<h2>Design-review checklist</h2>
<p class="lead">{{if .Checklist}}{{.ChecksFailed}} of {{len .Checklist}} item(s) fail. Each answer is computed from the traces; the evidence lists what was measured.{{else}}No checklist was evaluated.{{end}}</p>
{{range .Checklist}}<article class="card check {{if .Pass}}is-pass{{else}}is-fail{{end}}" id="check-{{.ID}}">
<div class="check-h">{{if .Pass}}<span class="pill pass">✓ pass</span>{{else}}<span class="pill fail">✗ fail</span>{{end}}<strong>{{.Title}}</strong><span class="meta">flagged when: {{.Threshold}}</span></div>
{{if .Evidence}}<table class="evidence">
<thead><tr><th>Endpoint</th><th>Call</th><th class="r">Value</th><th class="r">Requests</th><th>Detail</th></tr></thead>
<tbody>{{range .Evidence}}
<tr><td><span class="svc">{{.Endpoint.Service}}</span> <span class="op">{{.Endpoint.Operation}}</span></td><td>{{if .HasCall}}<span class="svc">{{.Caller.Service}}</span> <span class="op">{{.Caller.Operation}}</span><span class="arrow">→</span><span class="svc">{{.Callee.Service}}</span> <span class="op">{{.Callee.Operation}}</span>{{end}}</td><td class="r">{{.Value}}</td><td class="r">{{if .HasTraces}}{{n .Traces}}{{end}}</td><td>{{.Detail}}</td></tr>{{end}}
</tbody></table>{{else}}<p class="meta">No evidence recorded.</p>{{end}}
</article>{{end}}
</section>

<section id="async">
<h2>Already asynchronous</h2>
<p class="lead">Work the system already hands to a queue or topic, with the lag from publish to consume.</p>
{{if .Async}}<div class="card flush"><table id="async-table">
<thead><tr><th>Endpoint</th><th>Producer → consumer</th><th class="r">Messages</th><th class="r">Lag p50</th><th class="r">p95</th><th class="r">p99</th><th class="r">Max</th></tr></thead>
<tbody>{{range .Async}}
<tr><td><span class="svc">{{.Endpoint.Service}}</span> <span class="op">{{.Endpoint.Operation}}</span></td><td><span class="svc">{{.Producer.Service}}</span> <span class="op">{{.Producer.Operation}}</span><span class="arrow">→</span><span class="svc">{{.Consumer.Service}}</span> <span class="op">{{.Consumer.Operation}}</span></td><td class="r">{{n .Count}}</td><td class="r">{{ms .LagMs.P50}}</td><td class="r">{{ms .LagMs.P95}}</td><td class="r">{{ms .LagMs.P99}}</td><td class="r">{{ms .LagMs.Max}}</td></tr>{{end}}
</tbody></table></div>
{{else}}<p class="empty">No producer/consumer pair was found in the traces.</p>{{end}}
</section>

<section id="input">
<h2>Input</h2>
<p class="lead">Every span read is either in a trace or counted under a rejection reason.</p>
{{with .Input}}<div class="card"><div class="counts">
<div><h3>Accounting</h3><dl class="facts">
<dt>Files read</dt><dd>{{n .Files}}{{if .FilesFailed}} ({{n .FilesFailed}} failed){{end}}</dd>
<dt>Spans read</dt><dd>{{n .SpansRead}}</dd>
<dt>Spans in traces</dt><dd>{{n .SpansInTraces}}</dd>
<dt>Spans rejected</dt><dd>{{n .SpansRejected}}</dd>
<dt>Traces</dt><dd>{{n .Traces}} ({{n .PartialTraces}} partial)</dd>
<dt>Requests</dt><dd>{{n .Requests}}</dd>
<dt>Enqueue cost</dt><dd>{{ms .EnqueueCostMs}} per publish</dd>
<dt>Jaeger compatibility</dt><dd>{{if .JaegerCompat}}on{{else}}off{{end}}</dd>
</dl></div>
<div><h3>Formats</h3>{{if .Formats}}<table><tbody>{{range .Formats}}<tr><td>{{.Name}}</td><td class="r">{{n .Count}} file(s)</td></tr>{{end}}</tbody></table>{{else}}<p class="empty">none</p>{{end}}</div>
<div><h3>Rejected spans</h3>{{if .Rejected}}<table><tbody>{{range .Rejected}}<tr><td>{{.Name}}</td><td class="r">{{n .Count}}</td></tr>{{end}}</tbody></table>{{else}}<p class="empty">none</p>{{end}}</div>
<div><h3>Repairs</h3>{{if .Warnings}}<table><tbody>{{range .Warnings}}<tr><td>{{.Name}}</td><td class="r">{{n .Count}} span(s)</td></tr>{{end}}</tbody></table>{{else}}<p class="empty">none</p>{{end}}</div>
</div></div>{{end}}
</section>
</main>
<footer><div class="wrap">Generated by syncaudit · report schema version {{.SchemaVersion}} · a self-contained page: no script, no network.</div></footer>
</body>
</html>
{{define "waterfall"}}<article class="card wf" id="{{.ID}}">
<h3><span class="svc">{{.Endpoint.Service}}</span> <span class="op">{{.Endpoint.Operation}}</span> — {{.Percentile}} request, {{ms .Duration}}</h3>
<p class="meta">trace <span class="mono">{{.TraceID}}</span> · {{n .Spans}} span(s), {{n .Critical}} on the critical path{{if .Cands}} · candidates {{range $i, $k := .Cands}}{{if $i}}, {{end}}<a href="#cand-{{$k}}">#{{$k}}</a>{{end}}{{end}}</p>
<div class="legend wf-legend">
<span><svg width="22" height="12" aria-hidden="true"><rect class="bar crit" x="1" y="1" width="20" height="10" rx="2"/></svg>critical path</span>
<span><svg width="22" height="12" aria-hidden="true"><rect class="bar" x="1" y="1" width="20" height="10" rx="2"/></svg>other synchronous work</span>
<span><svg width="22" height="12" aria-hidden="true"><rect class="bar async" x="1" y="1" width="20" height="10" rx="2"/></svg>asynchronous</span>
<span><svg width="22" height="12" aria-hidden="true"><rect class="bar cand" x="2" y="2" width="18" height="8" rx="2"/></svg>candidate call</span>
<span><svg width="30" height="14" aria-hidden="true"><rect x="0" y="0" width="30" height="14" rx="7" fill="#ea580c"/><text x="15" y="11" text-anchor="middle" fill="#fff" font-size="10" font-weight="700">#1</text></svg>candidate rank</span>
<span><svg width="12" height="12" aria-hidden="true"><circle cx="6" cy="6" r="4" fill="#dc2626"/></svg>failed span</span>
<span><svg width="22" height="12" aria-hidden="true"><line x1="11" y1="0" x2="11" y2="12" stroke="#0f172a" stroke-dasharray="3 2"/></svg>request end</span>
</div>
<div class="wf-scroll"><svg class="wf" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="Waterfall of trace {{.TraceID}}">
{{range .Rows}}<rect class="bg{{if .Stripe}} odd{{end}}" x="0" y="{{.Y}}" width="{{$.W}}" height="{{.StripeH}}"/>{{end}}
<g class="axis">{{range .Ticks}}<line class="grid" x1="{{.X}}" x2="{{.X}}" y1="20" y2="{{$.GridY1}}"/><text x="{{.X}}" y="{{$.TickY}}" text-anchor="middle">{{.Label}}</text>{{end}}</g>
{{if .EndX}}<line class="end" x1="{{.EndX}}" x2="{{.EndX}}" y1="18" y2="{{.GridY1}}"/>{{end}}
{{range .Rows}}<g class="row"><title>{{.Tooltip}}</title><rect class="hit" x="0" y="{{.Y}}" width="{{$.W}}" height="{{.StripeH}}"/>{{if .Err}}<circle class="err" cx="{{.ErrX}}" cy="{{.ErrY}}" r="3.5"/>{{end}}<text class="{{.LabelClass}}" x="{{.LabelX}}" y="{{.LabelY}}"><tspan class="s">{{.Service}}</tspan> {{.Op}}</text>{{if .Rank}}<a href="#cand-{{.Rank}}"><rect class="badge" x="{{.BadgeX}}" y="{{.BadgeY}}" width="36" height="14" rx="7"/><text class="badge-t" x="{{.BadgeTX}}" y="{{.BadgeTY}}" text-anchor="middle">#{{.Rank}}</text></a>{{end}}<rect class="{{.BarClass}}" x="{{.BarX}}" y="{{.BarY}}" width="{{.BarW}}" height="12" rx="2"/><text class="dur" x="{{.DurX}}" y="{{.LabelY}}">{{.Dur}}</text></g>
{{end}}
</svg></div>
</article>{{end}}
{{define "change"}}<td class="r">{{.After}}<span class="sub-v {{.Class}}">{{.Before}} before · {{.Pct}}</span></td>{{end}}
{{define "key"}}<span class="pill {{if eq (print .Action) "make-async"}}act-async{{else}}act-par{{end}}">{{action .Action}}</span> <span class="svc">{{.Caller.Service}}</span> <span class="op">{{.Caller.Operation}}</span><span class="arrow">→</span><span class="svc">{{.Callee.Service}}</span> <span class="op">{{.Callee.Operation}}</span> <span class="meta">on {{ref .Endpoint}}</span>{{end}}
{{define "bars"}}<svg class="chart" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="{{.Label}}">
<g class="axis">{{range .Ticks}}<line class="grid" x1="{{.X}}" x2="{{.X}}" y1="{{$.GridY0}}" y2="{{$.AxisY}}"/><text x="{{.X}}" y="{{$.AxisY}}" dy="13" text-anchor="middle">{{.Label}}</text>{{end}}</g>{{range .Rows}}
<g><text class="rl" x="36" y="{{.LabelY}}" text-anchor="end">{{.Label}}</text><rect class="{{.A.Class}}" x="44" y="{{.A.Y}}" width="{{.A.W}}" height="{{.A.H}}" rx="2"/><text class="v" x="{{.A.TextX}}" y="{{.A.TextY}}">{{.A.Text}}</text>{{if .HasB}}<rect class="{{.B.Class}}" x="44" y="{{.B.Y}}" width="{{.B.W}}" height="{{.B.H}}" rx="2"/><text class="v" x="{{.B.TextX}}" y="{{.B.TextY}}">{{.B.Text}}</text>{{end}}{{if .Note}}<text class="{{.NoteClass}}" x="{{.NoteX}}" y="{{.NoteY}}">{{.Note}}</text>{{end}}</g>{{end}}
</svg>{{end}}`
