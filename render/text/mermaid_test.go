package text

import (
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/report/reporttest"
)

// TestWriteMermaid checks the flowchart's shape: one node per service,
// edge styles before and after the plan, the highlighted links, and that
// hostile names cannot break out of a quoted label.
func TestWriteMermaid(t *testing.T) {
	d := reporttest.Rich().Diagrams[0]
	for _, tc := range []struct {
		after                       bool
		solid, dashed, thick, style int
	}{
		// before: 5 synchronous edges solid, the async flow dashed
		{after: false, solid: 5, dashed: 1},
		// after: email dashed (plan), inventory thick (plan), both styled
		{after: true, solid: 3, dashed: 2, thick: 1, style: 2},
	} {
		var b strings.Builder
		if err := WriteMermaid(&b, d, tc.after); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		if !strings.HasPrefix(out, "```mermaid\nflowchart LR\n") || !strings.HasSuffix(out, "```\n") {
			t.Errorf("after=%v: not a fenced flowchart:\n%s", tc.after, out)
		}
		count := func(s string) int { return strings.Count(out, s) }
		if got := [...]int{count(" -->|"), count(" -.->|"), count(" ==>|"), count("linkStyle ")}; got != [...]int{tc.solid, tc.dashed, tc.thick, tc.style} {
			t.Errorf("after=%v: solid, dashed, thick, styled = %v, want %v\n%s", tc.after, got, [...]int{tc.solid, tc.dashed, tc.thick, tc.style}, out)
		}
		// frontend, payment, email, inventory, postgresql/stock, checkout, analytics
		if n := count("[\""); n != 7 {
			t.Errorf("after=%v: %d nodes, want 7", tc.after, n)
		}
		if !strings.Contains(out, `"send receipt · 0.98/req · p95 260ms`) {
			t.Errorf("after=%v: email edge label missing:\n%s", tc.after, out)
		}
	}
	var b strings.Builder
	hostile := report.Diagram{Endpoint: report.Ref{Service: reporttest.HostileScript},
		Edges: []report.DiagramEdge{{Caller: report.Ref{Service: reporttest.HostileScript}, Callee: report.Ref{Service: `a"]-->x`, Operation: "p|q\nr"}, CallsPerRequest: 1}}}
	if err := WriteMermaid(&b, hostile, false); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<script>", `a"]`, "p|q", "q\nr"} {
		if strings.Contains(b.String(), bad) {
			t.Errorf("unescaped %q in:\n%s", bad, b.String())
		}
	}
}
