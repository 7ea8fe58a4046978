package html

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/syncaudit/syncaudit/report"
)

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

type waterfallView struct {
	ID         string
	Endpoint   report.Ref
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

func latencyChart(e report.Endpoint) barChart {
	const x0, top, rowH = 44.0, 8.0, 34.0
	pw := chartW - x0 - 96
	l, sl := e.LatencyMs, e.SyncLatencyMs
	ax := newLinearAxis(maxNonNeg(l.P50, l.P95, l.P99, l.Max, sl.P50, sl.P95, sl.P99, sl.Max), pw, 5, false)
	rows := []struct {
		name       string
		total, syn float64
	}{{"p50", l.P50, sl.P50}, {"p95", l.P95, sl.P95}, {"p99", l.P99, sl.P99}, {"max", l.Max, sl.Max}}
	c := barChart{W: svgNum(chartW), Label: fmt.Sprintf("Latency percentiles of %s", refText(report.Ref{Service: e.Service, Operation: e.Operation}))}
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

func planChart(p report.PlanEndpoint) barChart {
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
		if finiteOr0(r.before) != finiteOr0(r.after) {
			note, grew := changeNote(r.before, r.after)
			row.Note, row.NoteClass = note, pick(grew, "n-bad", "n-good")
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

func newPathChart(e report.Endpoint) pathChart {
	const rowsTop, rowH, barX, noteW = 32.0, 22.0, 226.0, 118.0 // barX matches the template
	c := pathChart{W: svgNum(chartW), Label: fmt.Sprintf("Critical-path share by callee of %s", refText(report.Ref{Service: e.Service, Operation: e.Operation}))}
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
		full := refText(report.Ref{Service: p.Service, Operation: p.Operation})
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

func newWaterfall(id string, w report.Waterfall) waterfallView {
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

func spanTooltip(s report.WaterfallSpan) string {
	var b strings.Builder
	b.WriteString(refText(report.Ref{Service: s.Service, Operation: s.Operation}))
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

// num formats an SVG coordinate with at most one decimal.
func svgNum(v float64) string {
	s := strconv.FormatFloat(math.Round(finiteOr0(v)*10)/10, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	if s == "-0" {
		return "0"
	}
	return s
}

// changeNote says how a duration changed from before to after, as
// "+120 ms (+30%)" ("−" when it fell; the percentage when before > 0),
// and whether it grew.
func changeNote(before, after float64) (string, bool) {
	d := finiteOr0(after) - finiteOr0(before)
	note := pick(d > 0, "+", "−") + msText(math.Abs(d))
	if before > 0 {
		note += fmt.Sprintf(" (%s%.0f%%)", pick(d > 0, "+", "−"), math.Abs(100*d/before))
	}
	return note, d > 0
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
