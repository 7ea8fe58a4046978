package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/critpath"
)

func run(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Main(args, Test(strings.NewReader(stdin), &out, &errOut))
	return code, out.String(), errOut.String()
}

func bad(name string) string { return filepath.Join("testdata", "bad", name) }

// TestParseTreeFlags maps argv to the parsed options.
func TestParseTreeFlags(t *testing.T) {
	tests := []struct {
		args    []string
		want    TreeOptions
		wantErr string
	}{
		{args: []string{"a.json"}, want: TreeOptions{Paths: []string{"a.json"}, Output: "text"}},
		{args: []string{"a", "b", "-o", "json"}, want: TreeOptions{Paths: []string{"a", "b"}, Output: "json"}},
		{args: []string{"a", "--trace-id", "abc", "--jaeger-compat", "--max-skew", "250ms"},
			want: TreeOptions{Paths: []string{"a"}, Output: "text", load: loadFlags{traceID: "abc", jaegerCompat: compatMode(critpath.CRISP), maxSkew: 250 * time.Millisecond}}},
		// --jaeger-compat[=ui|crisp]; the old boolean spellings still work.
		{args: []string{"a", "--jaeger-compat=ui"}, want: TreeOptions{Paths: []string{"a"}, Output: "text", load: loadFlags{jaegerCompat: compatMode(critpath.JaegerUI)}}},
		{args: []string{"a", "--jaeger-compat=crisp"}, want: TreeOptions{Paths: []string{"a"}, Output: "text", load: loadFlags{jaegerCompat: compatMode(critpath.CRISP)}}},
		{args: []string{"a", "--jaeger-compat=true"}, want: TreeOptions{Paths: []string{"a"}, Output: "text", load: loadFlags{jaegerCompat: compatMode(critpath.CRISP)}}},
		{args: []string{"a", "--jaeger-compat=false"}, want: TreeOptions{Paths: []string{"a"}, Output: "text"}},
		{args: []string{"a", "--jaeger-compat", "b"}, want: TreeOptions{Paths: []string{"a", "b"}, Output: "text", load: loadFlags{jaegerCompat: compatMode(critpath.CRISP)}}},
		{args: []string{"a", "--jaeger-compat=jaeger"}, wantErr: "want ui or crisp"},
		{args: []string{}, wantErr: "needs at least one PATH"},
		{args: []string{"a", "-o", "yaml"}, wantErr: `-o "yaml"`},
	}
	for _, tt := range tests {
		var got *TreeOptions
		cmd := NewCmdTree(Test(nil, &bytes.Buffer{}, &bytes.Buffer{}), func(o *TreeOptions) error { got = o; return nil })
		cmd.SetArgs(tt.args)
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		err := cmd.Execute()
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%v: error %v, want %q", tt.args, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if strings.Join(got.Paths, ",") != strings.Join(tt.want.Paths, ",") || got.Output != tt.want.Output ||
			got.load.traceID != tt.want.load.traceID || got.load.jaegerCompat != tt.want.load.jaegerCompat ||
			(tt.want.load.maxSkew != 0 && got.load.maxSkew != tt.want.load.maxSkew) {
			t.Errorf("%v: got %+v, want %+v", tt.args, *got, tt.want)
		}
	}
}

// TestExitCodes: one row per documented exit code path.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		stdin      string
		code       int
		stderrHas  []string
		stdoutHave string
	}{
		{"ok", []string{"tree", bad("good.jsonl")}, "", ExitOK, []string{"read 1 file(s), 1 span(s)"}, "trace 5b8efff798038103d269b633813fc60c"},
		{"stdin", []string{"tree", "-"}, mustRead(t, bad("good.jsonl")), ExitOK, nil, "svc GET /x"},
		{"unknown flag", []string{"tree", "--nope", "x"}, "", ExitUsage, []string{"unknown flag", "--help"}, ""},
		{"unknown command", []string{"frobnicate"}, "", ExitUsage, []string{"unknown command"}, ""},
		{"bad format", []string{"tree", "--format", "csv", "x"}, "", ExitUsage, []string{"unknown format"}, ""},
		{"bad trace id", []string{"tree", "--trace-id", "xyz!", bad("good.jsonl")}, "", ExitUsage, []string{"--trace-id"}, ""},
		{"missing file", []string{"tree", "does-not-exist.json"}, "", ExitInput, []string{"does-not-exist.json: no such file"}, ""},
		{"truncated", []string{"tree", bad("truncated.json")}, "", ExitInput, []string{"truncated.json:1:"}, ""},
		{"png", []string{"tree", bad("image.png")}, "", ExitInput, []string{"image.png: byte offset 0", "PNG"}, ""},
		{"empty", []string{"tree", bad("empty.json")}, "", ExitInput, []string{"empty.json: empty input"}, ""},
		{"empty object", []string{"tree", bad("emptyobj.json")}, "", ExitInput, []string{"emptyobj.json:1:1: no spans found"}, ""},
		{"unknown json", []string{"tree", bad("unknown.json")}, "", ExitInput, []string{"unknown.json:1:1: unknown trace format"}, ""},
		{"wrong type", []string{"tree", bad("wrongtype.json")}, "", ExitInput, []string{"wrongtype.json:1:"}, ""},
		{"invalid id only", []string{"tree", bad("invalid-id.json")}, "", ExitNoData, []string{"1 rejected (invalid-trace-id 1)"}, ""},
		// A bad file does not stop the good one.
		{"mixed", []string{"tree", bad("truncated.json"), bad("good.jsonl"), bad("image.png")}, "", ExitInput,
			[]string{"truncated.json:1:", "image.png", "1 in 1 trace(s)"}, "trace 5b8efff798038103d269b633813fc60c"},
		{"version", []string{"version"}, "", ExitOK, nil, "syncaudit dev"},
		{"no path", []string{"analyze"}, "", ExitUsage, []string{"needs at least one PATH", "--help"}, ""},
		// The report cannot be written (its directory is a file): exit 1.
		{"unwritable out", []string{"analyze", "--out", filepath.Join(bad("good.jsonl"), "r.json"), bad("good.jsonl")}, "", ExitError,
			[]string{"writing report"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, tt.stdin, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\nstderr: %s", code, tt.code, errOut)
			}
			for _, s := range tt.stderrHas {
				if !strings.Contains(errOut, s) {
					t.Errorf("stderr lacks %q:\n%s", s, errOut)
				}
			}
			if !strings.Contains(out, tt.stdoutHave) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdoutHave, out)
			}
			if strings.Contains(out, "error:") || strings.Contains(out, "read ") && strings.Contains(out, "file(s)") {
				t.Errorf("diagnostics leaked into stdout:\n%s", out)
			}
		})
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestTreeJSONAccounting: the JSON summary accounts for every span, and
// spans carry the documented fields.
func TestTreeJSONAccounting(t *testing.T) {
	code, out, _ := run(t, "", "tree", "-o", "json", bad("good.jsonl"), bad("invalid-id.json"))
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Summary struct {
			SpansRead, SpansInTraces, SpansRejected int
			Rejected                                map[string]int
		}
		Traces []struct {
			TraceID, RootService, RootOperation string
			DurationMs                          float64
			Spans                               []map[string]any
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	s := doc.Summary
	if s.SpansRead != 2 || s.SpansInTraces != 1 || s.SpansRejected != 1 || s.Rejected["invalid-trace-id"] != 1 {
		t.Errorf("summary %+v", s)
	}
	if len(doc.Traces) != 1 || doc.Traces[0].DurationMs != 1000 || doc.Traces[0].RootOperation != "GET /x" {
		t.Fatalf("traces %+v", doc.Traces)
	}
	for _, k := range []string{"spanId", "service", "operation", "kind", "startMs", "durationMs", "async", "warnings", "criticalMs", "onCriticalPath"} {
		if _, ok := doc.Traces[0].Spans[0][k]; !ok {
			t.Errorf("span lacks %q", k)
		}
	}
}

// TestTreePartial: a span whose parent was never exported becomes the root
// of a partial trace, as README's tree -o json section documents: the trace
// says partial, the root has no parentSpanId and carries missing-parent;
// the text form says (partial).
func TestTreePartial(t *testing.T) {
	const in = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"spans":[` +
		`{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"00000000000000aa","name":"GET /x","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000"},` +
		`{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b175","parentSpanId":"eee19b7ec3c1b174","name":"SELECT","kind":3,"startTimeUnixNano":"1544712660100000000","endTimeUnixNano":"1544712660200000000"}` +
		`]}]}]}` + "\n"
	code, out, errOut := run(t, in, "tree", "-o", "json", "-")
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc struct {
		Summary struct{ PartialTraces int }
		Traces  []struct {
			Roots   int
			Partial bool
			Spans   []struct {
				SpanID       string
				ParentSpanID *string
				Warnings     []string
			}
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if doc.Summary.PartialTraces != 1 || len(doc.Traces) != 1 {
		t.Fatalf("summary %+v, %d traces", doc.Summary, len(doc.Traces))
	}
	tr := doc.Traces[0]
	if !tr.Partial || tr.Roots != 1 || len(tr.Spans) != 2 {
		t.Fatalf("trace %+v", tr)
	}
	root, child := tr.Spans[0], tr.Spans[1]
	if root.SpanID != "eee19b7ec3c1b174" || root.ParentSpanID != nil || !slices.Contains(root.Warnings, "missing-parent") {
		t.Errorf("root %+v", root)
	}
	if child.ParentSpanID == nil || *child.ParentSpanID != "eee19b7ec3c1b174" {
		t.Errorf("child %+v", child)
	}
	if code, out, _ = run(t, in, "tree", "-"); code != ExitOK || !strings.Contains(out, "2 spans  (partial)") {
		t.Errorf("text: exit %d\n%s", code, out)
	}
}

// TestJaegerCompatSummary: the report records --jaeger-compat's mode
// (summary.criticalPathMode, omitted by default) beside jaegerCompat.
func TestJaegerCompatSummary(t *testing.T) {
	tests := []struct {
		flags  []string
		compat bool
		mode   string
	}{
		{nil, false, ""},
		{[]string{"--jaeger-compat"}, true, "crisp"},
		{[]string{"--jaeger-compat=crisp"}, true, "crisp"},
		{[]string{"--jaeger-compat=ui"}, true, "ui"},
	}
	for _, tc := range tests {
		args := append(append([]string{"analyze", "-o", "json"}, tc.flags...), syncFixture)
		code, stdout, stderr := run(t, "", args...)
		if code != ExitOK {
			t.Fatalf("%v: exit %d: %s", tc.flags, code, stderr)
		}
		var rep struct {
			Summary map[string]any `json:"summary"`
		}
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("%v: %v", tc.flags, err)
		}
		mode, has := rep.Summary["criticalPathMode"]
		if rep.Summary["jaegerCompat"] != tc.compat || has != (tc.mode != "") || (has && mode != tc.mode) {
			t.Errorf("%v: jaegerCompat %v, criticalPathMode %v (present %v); want %v, %q",
				tc.flags, rep.Summary["jaegerCompat"], mode, has, tc.compat, tc.mode)
		}
	}
}
