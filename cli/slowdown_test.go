package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/report"
)

// TestGoldenSlowdown: `analyze --slowdown` over the bundled sync fixture,
// a slow payment (on the path with and without the plan) and a slow email
// (taken off the path by the plan). The golden files hold what
// --slowdown adds, so that they follow this feature only: the JSON
// "slowdowns" array, the table's slowdown sections and the Markdown
// "Slow dependencies" section (the rest of the report is checked
// unchanged by TestSlowdownLeavesReportUnchanged).
func TestGoldenSlowdown(t *testing.T) {
	flags := []string{"--slowdown", "payment=+500ms", "--slowdown", "email=x3"}
	for _, tt := range []struct {
		name    string
		args    []string
		extract func(t *testing.T, out string) string
	}{
		{"analyze-slowdown.tsv", nil, func(t *testing.T, out string) string {
			return between(t, out, "# slowdown ", "\n# ", true)
		}},
		{"analyze-slowdown.json", []string{"-o", "json"}, func(t *testing.T, out string) string {
			var doc struct {
				Slowdowns json.RawMessage `json:"slowdowns"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := json.Indent(&b, doc.Slowdowns, "", "  "); err != nil {
				t.Fatal(err)
			}
			return b.String() + "\n"
		}},
		{"analyze-slowdown.md", []string{"-o", "markdown"}, func(t *testing.T, out string) string {
			return between(t, out, "## Slow dependencies", "\n## ", false)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append(append([]string{"analyze"}, tt.args...), flags...), syncFixture)
			code, out, errOut := run(t, "", args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			golden(t, tt.name, tt.extract(t, out))
		})
	}
}

// between returns out from the first from up to the next end after it
// (or the end of out); with repeat, from the first from up to the first
// end that is not followed by from again.
func between(t *testing.T, out, from, end string, repeat bool) string {
	t.Helper()
	i := strings.Index(out, from)
	if i < 0 {
		t.Fatalf("output lacks %q:\n%s", from, out)
	}
	rest := out[i:]
	k := 0
	for {
		j := strings.Index(rest[k+1:], end)
		if j < 0 {
			return rest
		}
		k += 1 + j
		if !repeat || !strings.HasPrefix(rest[k+1:], strings.TrimPrefix(from, "\n")) {
			return rest[:k+1]
		}
	}
}

// TestSlowdownFlag: the forms --slowdown accepts, what the report holds
// for each, and the usage errors.
func TestSlowdownFlag(t *testing.T) {
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stderr string
		specs  []string
	}{
		{"delta", []string{"--slowdown", "payment=+500ms"}, ExitOK, "", []string{"+500ms"}},
		{"delta without plus", []string{"--slowdown", "payment=1s"}, ExitOK, "", []string{"+1s"}},
		{"factors", []string{"--slowdown", "payment=×3", "--slowdown", "email=*2", "--slowdown", "inventory=X1.5"}, ExitOK, "", []string{"×3", "×2", "×1.5"}},
		{"unknown service", []string{"--slowdown", "nobody=+1s"}, ExitOK, `slowdown: no request calls "nobody" synchronously`, []string{"+1s"}},
		{"no service", []string{"--slowdown", "=+1s"}, ExitUsage, "--slowdown", nil},
		{"negative", []string{"--slowdown", "payment=-1s"}, ExitUsage, "--slowdown", nil},
		{"bad factor", []string{"--slowdown", "payment=×zero"}, ExitUsage, "--slowdown", nil},
		{"with --state", []string{"--slowdown", "payment=+1s", "--state"}, ExitUsage, "--state", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"analyze", "-o", "json"}, tt.args...), syncFixture)
			code, out, errOut := run(t, "", args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errOut)
			}
			if !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.stderr)
			}
			if tt.code != ExitOK {
				return
			}
			var rep report.Report
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			var specs []string
			for _, s := range rep.Slowdowns {
				specs = append(specs, s.Spec)
			}
			if strings.Join(specs, " ") != strings.Join(tt.specs, " ") {
				t.Errorf("slowdowns %q, want %q", specs, tt.specs)
			}
		})
	}
}

// TestSlowdownLeavesReportUnchanged: the rest of the report is the same
// with --slowdown as without.
func TestSlowdownLeavesReportUnchanged(t *testing.T) {
	_, plain, _ := run(t, "", "analyze", "-o", "json", syncFixture)
	_, slow, _ := run(t, "", "analyze", "-o", "json", "--slowdown", "payment=+500ms", syncFixture)
	var a, b report.Report
	if err := json.Unmarshal([]byte(plain), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(slow), &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Slowdowns) != 1 || a.Slowdowns != nil {
		t.Fatalf("slowdowns %d and %d", len(a.Slowdowns), len(b.Slowdowns))
	}
	b.Slowdowns = nil
	var x, y bytes.Buffer
	if err := report.WriteJSON(&x, &a); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJSON(&y, &b); err != nil {
		t.Fatal(err)
	}
	if x.String() != y.String() {
		t.Error("--slowdown changed the rest of the report")
	}
}
