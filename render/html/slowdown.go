package html

import (
	"fmt"
	"strconv"
	"unicode/utf8"

	"github.com/syncaudit/syncaudit/report"
)

// slowdownView is one --slowdown: what it does, and per endpoint that
// calls the dependency its latencies today and with the plan.
type slowdownView struct {
	ID      string
	Service string
	Spec    string
	// What says what the slowdown does, as a sentence.
	What string
	Rows []slowRowView
}

// slowRowView is one endpoint under a slowdown: the p95 of each scenario
// with the slowdown's change of it, and the charts of p50/p95/p99 today
// and with the plan, on one scale.
type slowRowView struct {
	ID                 string
	Service            string // the slowed dependency
	Label              string // the slowdown: "payment +500ms"
	Endpoint           report.Ref
	Requests, Affected int
	Base, Slow         report.LatencyAfter
	Plan, PlanSlow     report.LatencyAfter
	// SlowDelta and PlanDelta are the p95 changes the slowdown causes
	// today and with the plan ("+500 ms", "no change"), with their class.
	SlowDelta, SlowClass string
	PlanDelta, PlanClass string
	Today, WithPlan      barChart
}

func newSlowdownViews(ss []report.Slowdown) []slowdownView {
	var out []slowdownView
	for i, s := range ss {
		v := slowdownView{ID: "slow-" + strconv.Itoa(i+1), Service: s.Service, Spec: s.Spec, What: slowdownWhat(s)}
		for j, e := range s.Endpoints {
			label := s.Service + " " + s.Spec
			maxV := maxNonNeg(e.BaselineMs.P99, e.SlowMs.P99, e.PlanMs.P99, e.PlanSlowMs.P99,
				e.BaselineMs.P95, e.SlowMs.P95, e.PlanMs.P95, e.PlanSlowMs.P95)
			r := slowRowView{
				ID: v.ID + "-" + strconv.Itoa(j+1), Service: s.Service, Label: label, Endpoint: e.Endpoint, Requests: e.Requests, Affected: e.Affected,
				Base: e.BaselineMs, Slow: e.SlowMs, Plan: e.PlanMs, PlanSlow: e.PlanSlowMs,
				Today: slowChart(fmt.Sprintf("Latency of %s today, and with %s", refText(e.Endpoint), label),
					e.BaselineMs, e.SlowMs, "b-before", "b-slow", maxV),
				WithPlan: slowChart(fmt.Sprintf("Latency of %s with the plan, and with %s too", refText(e.Endpoint), label),
					e.PlanMs, e.PlanSlowMs, "b-after", "b-planslow", maxV),
			}
			r.SlowDelta, r.SlowClass = deltaText(e.SlowMs.P95 - e.BaselineMs.P95)
			r.PlanDelta, r.PlanClass = deltaText(e.PlanSlowMs.P95 - e.PlanMs.P95)
			v.Rows = append(v.Rows, r)
		}
		out = append(out, v)
	}
	return out
}

// slowdownWhat says what a slowdown does.
func slowdownWhat(s report.Slowdown) string {
	f := strconv.FormatFloat(s.Factor, 'g', -1, 64)
	switch {
	case s.Factor > 0 && s.DeltaMs > 0:
		return fmt.Sprintf("Every synchronous call into %s takes %s× as long, plus %s.", s.Service, f, msText(s.DeltaMs))
	case s.Factor > 0:
		return fmt.Sprintf("Every synchronous call into %s takes %s× as long as observed.", s.Service, f)
	}
	return fmt.Sprintf("Every synchronous call into %s takes %s longer.", s.Service, msText(s.DeltaMs))
}

// deltaText is a latency change and its class: worse when it grows.
func deltaText(d float64) (string, string) {
	switch d = finiteOr0(d); {
	case d > 0:
		return "+" + msText(d), "chg-worse"
	case d < 0:
		return "−" + msText(-d), "chg-better"
	}
	return "no change", "chg-better"
}

// slowChart draws p50, p95 and p99 of two scenarios, a (the reference)
// and b (slowed down), on an axis up to maxV, noting b's change.
func slowChart(label string, a, b report.LatencyAfter, aClass, bClass string, maxV float64) barChart {
	const x0, top, rowH = 44.0, 8.0, 34.0
	pw := chartW - x0 - 150
	ax := newLinearAxis(maxV, pw, 5, false)
	rows := []struct {
		name string
		a, b float64
	}{{"p50", a.P50, b.P50}, {"p95", a.P95, b.P95}, {"p99", a.P99, b.P99}}
	c := barChart{W: svgNum(chartW), Label: label}
	for i, r := range rows {
		y := top + float64(i)*rowH
		ba := hbar{Y: svgNum(y), H: "12", W: svgNum(max(1, ax.x(r.a))), Class: aClass}
		ba.TextX, ba.TextY, ba.Text = svgNum(x0+ax.x(r.a)+6), svgNum(y+10), msText(r.a)
		bb := hbar{Y: svgNum(y + 14), H: "12", W: svgNum(max(1, ax.x(r.b))), Class: bClass}
		bb.TextX, bb.TextY, bb.Text = svgNum(x0+ax.x(r.b)+6), svgNum(y+24), msText(r.b)
		row := barRow{Label: r.name, LabelY: svgNum(y + 17), A: ba, B: bb, HasB: true}
		row.Note, row.NoteClass = "no change", "n-good"
		if finiteOr0(r.b) != finiteOr0(r.a) {
			note, grew := changeNote(r.a, r.b)
			row.Note, row.NoteClass = note, pick(grew, "n-bad", "n-good")
		}
		row.NoteX = svgNum(x0 + ax.x(r.b) + 6 + labelCharW*float64(utf8.RuneCountInString(bb.Text)) + 8)
		row.NoteY = bb.TextY
		c.Rows = append(c.Rows, row)
	}
	c.finish(ax, x0, top+float64(len(rows))*rowH, top)
	return c
}

// slowdownHighlights are the summary's sentences on the slowdowns: per
// slowdown, its hardest-hit endpoint's p95 today and with the plan.
func slowdownHighlights(ss []report.Slowdown) []highlight {
	var out []highlight
	for _, s := range ss {
		if len(s.Endpoints) == 0 {
			continue
		}
		e := s.Endpoints[0]
		today, _ := deltaText(e.SlowMs.P95 - e.BaselineMs.P95)
		plan, _ := deltaText(e.PlanSlowMs.P95 - e.PlanMs.P95)
		text := fmt.Sprintf("p95 %s → %s today (%s), %s → %s with the plan (%s).",
			msText(e.BaselineMs.P95), msText(e.SlowMs.P95), today, msText(e.PlanMs.P95), msText(e.PlanSlowMs.P95), plan)
		if n := len(s.Endpoints) - 1; n > 0 {
			text += fmt.Sprintf(" %d more endpoint(s) call %s.", n, s.Service)
		}
		out = append(out, highlight{Lead: "If " + s.Service + " slows down " + s.Spec + ":", Ref: refText(e.Endpoint), Text: text})
	}
	return out
}
