package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

const syncFixture = "../fixtures/sync/otlp.jsonl.gz"
const asyncFixture = "../fixtures/async/otlp.jsonl.gz"

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cli -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (go test ./cli -update to accept):\n%s", name, firstDiff(string(want), got))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + strconv.Itoa(i+1) + ":\n want: " + w + "\n  got: " + g
		}
	}
	return ""
}

// TestGoldenReports: every output format over the bundled sync fixture,
// and runs that end with another exit code: each case's exit code is part
// of what it expects, and what it printed on stderr is a golden file too
// when the code is not ExitOK.
func TestGoldenReports(t *testing.T) {
	tests := []struct {
		name string
		args []string
		tty  bool
		code int
	}{
		{"analyze.tsv", []string{"analyze", syncFixture}, false, ExitOK},
		{"analyze.tty.txt", []string{"analyze", syncFixture}, true, ExitOK},
		{"analyze.json", []string{"analyze", "-o", "json", syncFixture}, false, ExitOK},
		{"analyze.md", []string{"analyze", "-o", "markdown", syncFixture}, false, ExitOK},
		{"analyze.html", []string{"analyze", "-o", "html", syncFixture}, false, ExitOK},
		{"tree.txt", []string{"tree", syncFixture}, false, ExitOK},
		{"tree.json", []string{"tree", "-o", "json", syncFixture}, false, ExitOK},
		{"tree-async.txt", []string{"tree", asyncFixture}, false, ExitOK},
		{"compare.tsv", []string{"compare", syncFixture, asyncFixture}, false, ExitOK},
		{"compare.json", []string{"compare", "-o", "json", syncFixture, asyncFixture}, false, ExitOK},
		{"compare.md", []string{"compare", "-o", "markdown", syncFixture, asyncFixture}, false, ExitOK},
		// A truncated file beside a good one: the good one is analysed, the
		// bad one named with its position, exit 3.
		{"analyze-bad-input.json", []string{"analyze", "-o", "json", syncFixture, "testdata/bad/truncated.json"}, false, ExitInput},
		// A scheduled audit whose rule fails: the report, then exit 4.
		{"analyze-fail-on.tsv", []string{"analyze", "--fail-on", "candidates>0", syncFixture}, false, ExitAudit},
		// Nothing usable: exit 5.
		{"analyze-no-data.tsv", []string{"analyze", "testdata/no-spans.json"}, false, ExitNoData},
		// A bad flag: exit 2, nothing on stdout.
		{"analyze-usage.tsv", []string{"analyze", "-o", "pdf", syncFixture}, false, ExitUsage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			ios := Test(nil, &out, &errOut)
			ios.OutTTY = tt.tty
			if code := Main(tt.args, ios); code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errOut.String())
			}
			golden(t, tt.name, out.String())
			if tt.code != ExitOK {
				golden(t, tt.name+".stderr", errOut.String())
			}
		})
	}
}

// TestTTYColor: colour only when asked (TTY and NO_COLOR unset).
func TestTTYColor(t *testing.T) {
	for _, color := range []bool{false, true} {
		var out bytes.Buffer
		ios := Test(nil, &out, &bytes.Buffer{})
		ios.OutTTY, ios.Color = true, color
		Main([]string{"analyze", syncFixture}, ios)
		if got := strings.Contains(out.String(), "\x1b["); got != color {
			t.Errorf("color=%v: escape codes present=%v", color, got)
		}
	}
}

// TestDeterministic: file order and worker count do not change the report.
func TestDeterministic(t *testing.T) {
	runJSON := func(args ...string) string {
		var out bytes.Buffer
		if code := Main(args, Test(nil, &out, &bytes.Buffer{})); code != ExitOK {
			t.Fatalf("exit %d", code)
		}
		return out.String()
	}
	a := runJSON("analyze", "-o", "json", "../fixtures/sync/otlp.jsonl.gz", "../fixtures/sync/jaeger.json.gz")
	b := runJSON("analyze", "-o", "json", "../fixtures/sync/jaeger.json.gz", "../fixtures/sync/otlp.jsonl.gz")
	if a != b {
		t.Error("report depends on input order")
	}
}

// TestAuditExitCodes: --fail-on and --baseline.
func TestAuditExitCodes(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join(dir, "base.json")
	if code, _, errOut := run(t, "", "analyze", "-o", "json", "--out", base, asyncFixture); code != ExitOK {
		t.Fatalf("baseline: exit %d %s", code, errOut)
	}
	tests := []struct {
		name string
		args []string
		code int
		has  string
	}{
		{"rule holds", []string{"analyze", syncFixture, "--fail-on", "latency.p95>2s"}, ExitOK, ""},
		{"savings rule fails", []string{"analyze", syncFixture, "--fail-on", "savings.p95>100ms"}, ExitAudit, `rule "savings.p95>100ms" failed`},
		{"sync calls", []string{"analyze", syncFixture, "--fail-on", "syncCalls>3"}, ExitAudit, "order POST /checkout: 5"},
		{"candidates", []string{"analyze", asyncFixture, "--fail-on", "candidates>0"}, ExitOK, ""},
		{"bad rule", []string{"analyze", syncFixture, "--fail-on", "nonsense>1"}, ExitUsage, "unknown metric"},
		{"no regression vs itself", []string{"analyze", asyncFixture, "--baseline", base, "--fail-on", "regressions"}, ExitOK, ""},
		{"regressed since async baseline", []string{"analyze", syncFixture, "--baseline", base, "--fail-on", "regressions"}, ExitAudit, "regression: order POST /checkout latency p95"},
		{"baseline without rule reports only", []string{"analyze", syncFixture, "--baseline", base}, ExitOK, "regression:"},
		{"missing baseline", []string{"analyze", syncFixture, "--baseline", filepath.Join(dir, "nope.json")}, ExitUsage, "--baseline"},
		{"missing policy", []string{"analyze", syncFixture, "--policy", filepath.Join(dir, "nope.yaml")}, ExitUsage, "--policy"},
		{"input error beats audit", []string{"analyze", syncFixture, "does-not-exist.json", "--fail-on", "candidates>0"}, ExitInput, "does-not-exist.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := run(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, errOut)
			}
			if !strings.Contains(errOut, tt.has) {
				t.Errorf("stderr lacks %q:\n%s", tt.has, errOut)
			}
		})
	}
}

// TestOutFile: --out writes the file and nothing to stdout.
func TestOutFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.md")
	code, out, _ := run(t, "", "analyze", "-o", "markdown", "--out", path, syncFixture)
	if code != ExitOK || out != "" {
		t.Fatalf("exit %d, stdout %q", code, out)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasPrefix(string(b), "# Synchronous-call design review") {
		t.Fatalf("%v %q", err, b)
	}
}

// TestPolicyInit writes the example, refuses to overwrite, and the result
// loads.
func TestPolicyInit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.yaml")
	if code, _, e := run(t, "", "policy", "init", path); code != ExitOK {
		t.Fatalf("exit %d %s", code, e)
	}
	if code, _, _ := run(t, "", "policy", "init", path); code != ExitUsage {
		t.Errorf("overwrite without --force: exit %d", code)
	}
	if code, out, e := run(t, "", "policy", "check", path); code != ExitOK || !strings.Contains(out, "OK") {
		t.Errorf("check: %d %s %s", code, out, e)
	}
	if code, _, e := run(t, "", "analyze", "--policy", path, syncFixture); code != ExitOK {
		t.Errorf("analyze --policy: %d %s", code, e)
	}
}

// TestOutFileDevice: --out on a device writes to it instead of replacing it.
func TestOutFileDevice(t *testing.T) {
	if _, err := os.Stat(os.DevNull); err != nil {
		t.Skip("no", os.DevNull)
	}
	code, _, errOut := run(t, "", "analyze", "-o", "json", "--out", os.DevNull, syncFixture)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	fi, err := os.Stat(os.DevNull)
	if err != nil || fi.Mode().IsRegular() {
		t.Fatalf("%s was replaced by a regular file", os.DevNull)
	}
	if _, err := os.Stat(os.DevNull + ".tmp"); err == nil {
		t.Errorf("left %s.tmp behind", os.DevNull)
	}
}

// TestProfileFlagsWired: the root command takes --cpuprofile/--memprofile.
func TestProfileFlagsWired(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.pprof"), filepath.Join(dir, "mem.pprof")
	if code, _, e := run(t, "", "--cpuprofile", cpu, "--memprofile", mem, "analyze", syncFixture); code != ExitOK {
		t.Fatalf("exit %d: %s", code, e)
	}
	for _, p := range []string{cpu, mem} {
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// TestColorOK: the NO_COLOR convention, as System applies it.
func TestColorOK(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "NO_COLOR" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		tty     bool
		noColor string
		want    bool
	}{{true, "", true}, {true, "1", false}, {true, "0", false}, {false, "", false}} {
		if got := colorOK(tc.tty, env(tc.noColor)); got != tc.want {
			t.Errorf("tty=%v NO_COLOR=%q: %v, want %v", tc.tty, tc.noColor, got, tc.want)
		}
	}
}
