// Package text renders reports and comparisons as text: terminal tables
// (aligned with tablewriter on a TTY, tab-separated values otherwise) and
// GitHub Markdown design-review documents.
//
// Input: a *report.Report or *report.Comparison. Output: WriteTable,
// WriteMarkdown, WriteComparisonTable, WriteComparisonMarkdown.
package text

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/syncaudit/syncaudit/render/format"
	"github.com/syncaudit/syncaudit/report"
)

// TableOptions control the table renderer.
type TableOptions struct {
	// TTY selects aligned tables for a terminal; otherwise the output is plain
	// tab-separated values with exact numbers, one header line per section.
	TTY bool
	// Color allows ANSI colour (only used when TTY).
	Color bool
}

// section is one titled table.
type section struct {
	title  string
	header []string
	rows   [][]string
}

func sections(r *report.Report, o TableOptions) []section {
	num := format.Ms
	if o.TTY {
		num = format.MsShort
	}
	eps := section{
		title:  "Endpoints",
		header: []string{"service", "operation", "traces", "p50", "p95", "p99", "max", "sync calls p50", "sync calls max", "sync depth max", "top of critical path"},
	}
	for _, e := range r.Endpoints {
		top := ""
		if len(e.CriticalPath) > 0 {
			c := e.CriticalPath[0]
			top = fmt.Sprintf("%s %s (%s)", c.Service, c.Operation, format.Pct(c.Share))
		}
		eps.rows = append(eps.rows, []string{e.Service, e.Operation, strconv.Itoa(e.Traces),
			num(e.LatencyMs.P50), num(e.LatencyMs.P95), num(e.LatencyMs.P99), num(e.LatencyMs.Max),
			strconv.Itoa(e.SyncCalls.P50), strconv.Itoa(e.SyncCalls.Max), strconv.Itoa(e.SyncDepth.Max), top})
	}
	out := []section{eps}
	if len(r.Candidates) > 0 {
		cs := section{
			title:  "Candidates",
			header: []string{"rank", "action", "endpoint", "caller → callee", "confidence", "saves p50", "saves p95", "total", "why"},
		}
		for _, c := range r.Candidates {
			why := ""
			if len(c.Reasons) > 0 {
				why = c.Reasons[0]
			}
			total := strconv.FormatFloat(c.SavingsMs.Total, 'f', 3, 64)
			if o.TTY {
				total = format.Total(c.SavingsMs.Total)
			}
			cs.rows = append(cs.rows, []string{strconv.Itoa(c.Rank), string(c.Action),
				c.Endpoint.Service + " " + c.Endpoint.Operation,
				c.Caller.Service + " → " + c.Callee.Service + " " + c.Callee.Operation,
				strconv.FormatFloat(c.Confidence, 'f', 2, 64),
				num(c.SavingsMs.P50), num(c.SavingsMs.P95), total, why})
		}
		out = append(out, cs)
	}
	if s := r.Summary.Sampling; s != nil {
		ss := section{title: "Sampling", header: []string{"known", "unknown", "adjusted requests", "note"}}
		ss.rows = append(ss.rows, []string{strconv.Itoa(s.Known), strconv.Itoa(s.Unknown), strconv.FormatFloat(s.AdjustedRequests, 'f', -1, 64), s.Note})
		out = append(out, ss)
	}
	out = append(out, slowdownSections(r, num)...)
	if r.Baseline != nil {
		bs := section{title: "Changes since baseline " + r.Baseline.File, header: []string{"kind", "change"}}
		for _, x := range r.Baseline.Regressions {
			bs.rows = append(bs.rows, []string{"regression", x})
		}
		for _, x := range r.Baseline.Improvements {
			bs.rows = append(bs.rows, []string{"improvement", x})
		}
		out = append(out, bs)
	}
	if len(r.Audit) > 0 {
		as := section{title: "Audit rules", header: []string{"rule", "result", "offenders"}}
		for _, a := range r.Audit {
			res := "pass"
			if a.Failed {
				res = "FAIL"
			}
			as.rows = append(as.rows, []string{a.Rule, res, strings.Join(a.Offenders, "; ")})
		}
		out = append(out, as)
	}
	return out
}

// WriteTable renders the report's endpoints, candidates and, when present,
// the baseline comparison and audit rules.
func WriteTable(w io.Writer, r *report.Report, o TableOptions) error {
	return writeSections(w, sections(r, o), o)
}

func writeSections(w io.Writer, secs []section, o TableOptions) error {
	bw := bufio.NewWriter(w)
	clean := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")
	for k, s := range secs {
		if o.TTY {
			if k > 0 {
				bw.WriteByte('\n')
			}
			title := s.title
			if o.Color {
				title = "\x1b[1m" + title + "\x1b[0m"
			}
			fmt.Fprintln(bw, title)
			if len(s.rows) == 0 {
				fmt.Fprintln(bw, "  (none)")
				continue
			}
			t := tablewriter.NewTable(bw, tablewriter.WithHeaderAutoFormat(tw.Off))
			t.Header(s.header)
			for _, row := range s.rows {
				for i := range row {
					row[i] = clean.Replace(row[i])
				}
				if err := t.Append(row); err != nil {
					return err
				}
			}
			if err := t.Render(); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(bw, "# %s\n", strings.ToLower(s.title))
		fmt.Fprintln(bw, strings.Join(s.header, "\t"))
		for _, row := range s.rows {
			for i := range row {
				row[i] = clean.Replace(row[i])
			}
			fmt.Fprintln(bw, strings.Join(row, "\t"))
		}
	}
	return bw.Flush()
}
