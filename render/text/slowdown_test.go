package text

import (
	"bytes"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/report/reporttest"
)

// TestSlowdownGolden: the slowdowns' table sections and Markdown section,
// on a report with a hostile-named dependency and one no request calls.
func TestSlowdownGolden(t *testing.T) {
	tests := []struct {
		name   string
		render func(w *bytes.Buffer, r *report.Report) error
	}{
		{"slowdown.md.golden", func(w *bytes.Buffer, r *report.Report) error { return WriteMarkdown(w, r) }},
		{"slowdown-table-tty.golden", func(w *bytes.Buffer, r *report.Report) error { return WriteTable(w, r, TableOptions{TTY: true}) }},
		{"slowdown-table-plain.golden", func(w *bytes.Buffer, r *report.Report) error { return WriteTable(w, r, TableOptions{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.render(&b, reporttest.WithSlowdowns()); err != nil {
				t.Fatal(err)
			}
			reporttest.Golden(t, tt.name, b.Bytes(), *update)
		})
	}
}

// TestSlowdownMarkdown: the section's sentences and four-row tables, the
// hostile name escaped, and the dependency nobody calls said so.
func TestSlowdownMarkdown(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, reporttest.WithSlowdowns()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, want := range []string{
		"## Slow dependencies",
		"### payment +500ms",
		"Every synchronous call into payment takes 500ms longer.",
		"p95 910ms → 1410ms today (+500ms), 240ms → 740ms with the plan (+500ms).",
		"|  | plan + payment +500ms | 660ms | 740ms | 810ms |",
		"240ms → 240ms with the plan (unchanged)",
		"takes 3 times as long as observed",
		"No request calls nobody synchronously.",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
	if strings.Contains(md, "<script") {
		t.Error("markdown contains a raw <script")
	}
	var plain bytes.Buffer
	if err := WriteMarkdown(&plain, reporttest.Rich()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "Slow dependencies") {
		t.Error("a report without slowdowns has the section")
	}
}
