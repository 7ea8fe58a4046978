package text

import (
	"bytes"
	"flag"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		render func(w *bytes.Buffer, r *report.Report) error
	}{
		{"report.md.golden", func(w *bytes.Buffer, r *report.Report) error { return WriteMarkdown(w, r) }},
		{"table-tty.golden", func(w *bytes.Buffer, r *report.Report) error { return WriteTable(w, r, TableOptions{TTY: true}) }},
		{"table-tty-color.golden", func(w *bytes.Buffer, r *report.Report) error {
			return WriteTable(w, r, TableOptions{TTY: true, Color: true})
		}},
		{"table-plain.golden", func(w *bytes.Buffer, r *report.Report) error { return WriteTable(w, r, TableOptions{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := tt.render(&a, reporttest.Rich()); err != nil {
				t.Fatal(err)
			}
			if err := tt.render(&b, reporttest.Rich()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two renderings of the same report differ")
			}
			reporttest.Golden(t, tt.name, a.Bytes(), *update)
		})
	}
}

// TestMarkdownEscaping checks that every Markdown table row keeps its
// column count and that no raw HTML survives.
func TestMarkdownEscaping(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, reporttest.Rich()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if strings.Contains(md, "<script") {
		t.Error("markdown contains a raw <script")
	}
	lines := strings.Split(md, "\n")
	tables := 0
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "|") {
			continue
		}
		tables++
		want := cells(lines[i])
		j := i
		for ; j < len(lines) && strings.HasPrefix(lines[j], "|"); j++ {
			if got := cells(lines[j]); got != want {
				t.Errorf("line %d has %d cells, its table's header has %d: %q", j+1, got, want, lines[j])
			}
		}
		if j < len(lines) && lines[j] != "" {
			t.Errorf("line %d continues a table without a leading pipe: %q", j+1, lines[j])
		}
		i = j
	}
	if tables < 5 {
		t.Errorf("found %d tables, want at least 5", tables)
	}
	for _, want := range []string{"&lt;script&gt;alert", `a\|b`, `\*\*bold\*\*`, "\\`rm -rf /\\`", "line one line two"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

// cells counts the unescaped pipes of a Markdown table line.
func cells(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func TestTablePlainKeepsColumns(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, reporttest.Rich(), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	var want int
	for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if strings.HasPrefix(line, "# ") {
			want = -1
			continue
		}
		n := strings.Count(line, "\t")
		if want == -1 {
			want = n
		} else if n != want {
			t.Errorf("line %d has %d tabs, its header %d: %q", i+1, n, want, line)
		}
	}
}
