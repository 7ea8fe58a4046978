// Package html renders a report as one self-contained HTML page for a
// design review.
//
// Input: a *report.Report. Output: HTML (WriteHTML). The page is built in
// three layers: the view model (view.go: what the template shows, every
// number already formatted), the SVG geometry of the charts and waterfalls
// (svg.go), and the page template (report.html.tmpl, embedded).
package html

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strconv"

	"github.com/syncaudit/syncaudit/report"
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
func WriteHTML(w io.Writer, r *report.Report) error {
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

var htmlFuncs = template.FuncMap{
	"ms":     msText,
	"total":  totalText,
	"pct":    pctText,
	"n":      groupDigits,
	"action": actionLabel,
	"ref":    refText,
	"conf":   func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) },
}

// htmlSource is the page template: markup, inline styles, the chart and
// waterfall SVG fragments the view model fills in.
//
//go:embed report.html.tmpl
var htmlSource string

var htmlPage = template.Must(template.New("report").Funcs(htmlFuncs).Parse(htmlSource))
