package text

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/syncaudit/syncaudit/render/format"
	"github.com/syncaudit/syncaudit/report"
)

func signedPct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

func comparisonSections(c *report.Comparison, o TableOptions) []section {
	num := format.Ms
	if o.TTY {
		num = format.MsShort
	}
	eps := section{title: "Latency change per endpoint",
		header: []string{"service", "operation", "requests before", "requests after", "p50 before", "p50 after", "p50 change",
			"p95 before", "p95 after", "p95 change", "projected p50", "projected p95", "p50 vs projection", "p95 vs projection"}}
	for _, e := range c.Endpoints {
		row := []string{e.Endpoint.Service, e.Endpoint.Operation, strconv.Itoa(e.BeforeTraces), strconv.Itoa(e.AfterTraces),
			num(e.BeforeMs.P50), num(e.AfterMs.P50), signedPct(e.ChangePct.P50),
			num(e.BeforeMs.P95), num(e.AfterMs.P95), signedPct(e.ChangePct.P95)}
		if e.ProjectedMs != nil {
			row = append(row, num(e.ProjectedMs.P50), num(e.ProjectedMs.P95), signedPct(e.ProjectionErrorPct.P50), signedPct(e.ProjectionErrorPct.P95))
		} else {
			row = append(row, "", "", "", "")
		}
		eps.rows = append(eps.rows, row)
	}
	calls := section{title: "Critical-path time per callee (mean per request)",
		header: []string{"endpoint", "callee", "before", "after", "change"}}
	for _, cc := range c.Calls {
		calls.rows = append(calls.rows, []string{cc.Endpoint.Service + " " + cc.Endpoint.Operation, cc.Callee.Service + " " + cc.Callee.Operation,
			num(cc.BeforeMeanMs), num(cc.AfterMeanMs), num(cc.AfterMeanMs - cc.BeforeMeanMs)})
	}
	return []section{eps, calls}
}

// WriteComparisonTable renders a comparison as tables (TTY) or TSV.
func WriteComparisonTable(w io.Writer, c *report.Comparison, o TableOptions) error {
	return writeSections(w, comparisonSections(c, o), o)
}

// WriteComparisonMarkdown renders a comparison as Markdown.
func WriteComparisonMarkdown(w io.Writer, c *report.Comparison) error {
	b := bufio.NewWriter(w)
	fmt.Fprintf(b, "# Before/after comparison\n\n%d request(s) before, %d after.\n\n", c.BeforeRequests, c.AfterRequests)
	for _, s := range comparisonSections(c, TableOptions{TTY: true}) {
		writeMarkdownSection(b, s)
	}
	return b.Flush()
}

func writeMarkdownSection(b *bufio.Writer, s section) {
	fmt.Fprintf(b, "## %s\n\n|", MarkdownEscape(s.title))
	for _, h := range s.header {
		fmt.Fprintf(b, " %s |", MarkdownEscape(h))
	}
	b.WriteString("\n|")
	for range s.header {
		b.WriteString(" --- |")
	}
	b.WriteString("\n")
	for _, row := range s.rows {
		b.WriteString("|")
		for _, v := range row {
			fmt.Fprintf(b, " %s |", MarkdownEscape(v))
		}
		b.WriteString("\n")
	}
	b.WriteString("\n")
}
