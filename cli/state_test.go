package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/detect"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/trace"
)

// halfStates returns the encoded sketch states of the sync fixture's
// traces split in two by trace ID (first byte even or odd); with
// speculate, each simulates its requests under the recommendations it
// guesses from them, as the Collector's connector does.
func halfStates(t *testing.T, speculate bool) [2][]byte {
	t.Helper()
	ctx := context.Background()
	res, err := ingest.Load(ctx, []string{syncFixture}, nil, ingest.Options{Repair: repair.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	var halves [2][]*trace.Trace
	for _, tr := range res.Traces {
		halves[tr.ID[15]&1] = append(halves[tr.ID[15]&1], tr)
	}
	var out [2][]byte
	for i, h := range halves {
		if len(h) == 0 {
			t.Fatal("an empty half: the merge would prove nothing")
		}
		reqs, err := audit.Analyze(ctx, h, 0)
		if err != nil {
			t.Fatal(err)
		}
		opt := detect.DefaultOptions()
		opt.Savings = detect.SavingsSketch
		st, err := detect.NewState(opt)
		if err != nil {
			t.Fatal(err)
		}
		dr := make([]detect.Request, len(reqs))
		for k, r := range reqs {
			dr[k] = detect.Request{Trace: r.Trace, Root: r.Root, Endpoint: r.Endpoint, Forward: r.Forward, Latency: r.Latency, Failed: r.Failed, Calls: r.Calls}
		}
		if speculate {
			st.Retain()
		}
		if err := st.Observe(ctx, dr); err != nil {
			t.Fatal(err)
		}
		if speculate {
			if err := st.SpeculateRetained(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if out[i], err = st.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// stateLine is one OTLP/JSON logs line as the file exporter writes the
// connector's state record.
func stateLine(b []byte) string {
	return fmt.Sprintf(`{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{"name":"syncaudit"},"logRecords":[{"timeUnixNano":"1","eventName":"syncaudit.state","body":{"bytesValue":%q},"attributes":[{"key":"syncaudit.state.version","value":{"intValue":"2"}}]}]}]}]}`,
		base64.StdEncoding.EncodeToString(b))
}

// TestAnalyzeState: the states of two halves of the sync fixture (one
// as a file exporter's JSON line, one binary) merged give the candidates
// of --savings=sketch on the whole input (same order, exact counts,
// savings within the sketch's relative error), the endpoints' requests and
// latency percentiles, and the plan.
func TestAnalyzeState(t *testing.T) {
	states := halfStates(t, true)
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "a.jsonl")
	bin := filepath.Join(dir, "b.state")
	// A record of another kind and an empty line are skipped.
	other := `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"other","body":{"stringValue":"x"}}]}]}]}`
	if err := os.WriteFile(jsonl, []byte(other+"\n\n"+stateLine(states[0])+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, states[1], 0o644); err != nil {
		t.Fatal(err)
	}
	want := analyzeReport(t, "--savings=sketch", syncFixture)
	got := analyzeReport(t, "--state", jsonl, bin)
	if len(want.Candidates) == 0 || len(want.Plan) == 0 {
		t.Fatal("no candidates or plan: the comparison would prove nothing")
	}
	if got.Summary.Requests != want.Summary.Requests {
		t.Errorf("requests %d, want %d", got.Summary.Requests, want.Summary.Requests)
	}
	near := func(what string, g, w float64) {
		t.Helper()
		if math.Abs(g-w) > sketchTolerance*math.Abs(w)+1e-6 {
			t.Errorf("%s = %v, want %v within %.3g", what, g, w, sketchTolerance)
		}
	}
	if len(got.Candidates) != len(want.Candidates) {
		t.Fatalf("%d candidates, want %d", len(got.Candidates), len(want.Candidates))
	}
	for i, w := range want.Candidates {
		g := got.Candidates[i]
		name := fmt.Sprintf("candidate %d (%s %s→%s)", w.Rank, w.Action, w.Caller.Service, w.Callee.Service)
		if g.Rank != w.Rank || g.Action != w.Action || g.Endpoint != w.Endpoint || g.Caller != w.Caller || g.Callee != w.Callee {
			t.Errorf("%s: got %d %s %v %v %v", name, g.Rank, g.Action, g.Endpoint, g.Caller, g.Callee)
			continue
		}
		if g.Calls != w.Calls || g.Traces != w.Traces || g.Confidence != w.Confidence || g.Recommended != w.Recommended || g.Fix != w.Fix {
			t.Errorf("%s: calls %d traces %d confidence %v recommended %v, want %d %d %v %v", name, g.Calls, g.Traces, g.Confidence, g.Recommended, w.Calls, w.Traces, w.Confidence, w.Recommended)
		}
		near(name+" total", g.SavingsMs.Total, w.SavingsMs.Total)
		near(name+" mean", g.SavingsMs.Mean, w.SavingsMs.Mean)
		near(name+" p50", g.SavingsMs.P50, w.SavingsMs.P50)
		near(name+" p95", g.SavingsMs.P95, w.SavingsMs.P95)
		near(name+" p99", g.SavingsMs.P99, w.SavingsMs.P99)
		near(name+" after p95", g.LatencyAfterMs.P95, w.LatencyAfterMs.P95)
	}
	if len(got.Endpoints) != len(want.Endpoints) {
		t.Fatalf("%d endpoints, want %d", len(got.Endpoints), len(want.Endpoints))
	}
	for i, w := range want.Endpoints {
		g := got.Endpoints[i]
		if g.Service != w.Service || g.Operation != w.Operation || g.Traces != w.Traces {
			t.Errorf("endpoint %d: %s %s %d, want %s %s %d", i, g.Service, g.Operation, g.Traces, w.Service, w.Operation, w.Traces)
		}
		near(w.Service+" p50", g.LatencyMs.P50, w.LatencyMs.P50)
		near(w.Service+" p95", g.LatencyMs.P95, w.LatencyMs.P95)
		near(w.Service+" p99", g.LatencyMs.P99, w.LatencyMs.P99)
		near(w.Service+" max", g.LatencyMs.Max, w.LatencyMs.Max)
	}
	if len(got.Plan) != len(want.Plan) {
		t.Fatalf("%d plan endpoints, want %d", len(got.Plan), len(want.Plan))
	}
	for i, w := range want.Plan {
		g := got.Plan[i]
		if g.Endpoint != w.Endpoint || fmt.Sprint(g.Changes) != fmt.Sprint(w.Changes) {
			t.Errorf("plan %d: %v %v, want %v %v", i, g.Endpoint, g.Changes, w.Endpoint, w.Changes)
		}
		if g.Estimated {
			t.Errorf("plan %d: estimated, want simulated (the states speculated)", i)
		}
		near("plan before p50", g.BeforeMs.P50, w.BeforeMs.P50)
		near("plan before p95", g.BeforeMs.P95, w.BeforeMs.P95)
		near("plan after p50", g.AfterMs.P50, w.AfterMs.P50)
		near("plan after p95", g.AfterMs.P95, w.AfterMs.P95)
		near("plan after p99", g.AfterMs.P99, w.AfterMs.P99)
	}
	if !hasMultiChange(want.Plan) {
		t.Error("no plan endpoint with several changes: the comparison proves less than it says")
	}
	// Every output format renders a merged report.
	for _, o := range []string{"table", "markdown", "html"} {
		if code, out, errOut := run(t, "", "analyze", "--state", "-o", o, jsonl, bin); code != ExitOK || out == "" {
			t.Errorf("-o %s: exit %d: %s", o, code, errOut)
		}
	}
}

func hasMultiChange(p []report.PlanEndpoint) bool {
	for _, e := range p {
		if len(e.Changes) > 1 {
			return true
		}
	}
	return false
}

// TestAnalyzeStateEstimated: states observed without speculation give the
// plan of an endpoint with several changes as an estimate, marked so in
// the report and on stderr.
func TestAnalyzeStateEstimated(t *testing.T) {
	states := halfStates(t, false)
	dir := t.TempDir()
	var paths []string
	for i, b := range states {
		p := filepath.Join(dir, fmt.Sprintf("%d.state", i))
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	code, out, errOut := run(t, "", append([]string{"analyze", "--state", "-o", "json"}, paths...)...)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, p := range rep.Plan {
		if p.Estimated != (len(p.Changes) > 1) {
			t.Errorf("plan of %v (%d changes): estimated %v", p.Endpoint, len(p.Changes), p.Estimated)
		}
		if p.Estimated {
			n++
		}
	}
	if n == 0 || !strings.Contains(errOut, "estimated from its best change alone") {
		t.Errorf("%d estimated plans; stderr %q", n, errOut)
	}
}

// TestAnalyzeStateErrors: bad inputs are named with line:column (JSON) or
// byte offset (binary), the other files are still merged, and the exit
// code is ExitInput.
func TestAnalyzeStateErrors(t *testing.T) {
	states := halfStates(t, false)
	dir := t.TempDir()
	good := filepath.Join(dir, "good.jsonl")
	if err := os.WriteFile(good, []byte(stateLine(states[0])+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	truncated := states[1][:len(states[1])/2]
	tests := []struct {
		name, file, want string
	}{
		{"syntax", write("syntax.jsonl", []byte(stateLine(states[1])+"\n{\"resourceLogs\": [}\n")), "syntax.jsonl:2:19: "},
		{"type", write("type.jsonl", []byte(`{"resourceLogs":{"x":1}}`+"\n")), "type.jsonl:1:"},
		{"base64", write("b64.jsonl", []byte(`{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"eventName":"syncaudit.state","body":{"bytesValue":"!!!"}}]}]}]}`+"\n")), "b64.jsonl:1:100: state body: illegal base64"},
		{"corrupt body", write("corrupt.jsonl", []byte(stateLine(truncated)+"\n")), "corrupt.jsonl:1:"},
		{"binary", write("bad.state", truncated), "bad.state: byte offset "},
		{"no state", write("none.jsonl", []byte("\n")), `no "syncaudit.state" log record`},
		{"missing", filepath.Join(dir, "missing"), "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(t, "", "analyze", "--state", "-o", "json", good, tt.file)
			if code != ExitInput {
				t.Errorf("exit %d, want %d", code, ExitInput)
			}
			if !strings.Contains(errOut, tt.want) {
				t.Errorf("stderr %q, want %q", errOut, tt.want)
			}
			if !strings.Contains(out, `"candidates"`) {
				t.Error("no report of the good file")
			}
		})
	}
	// Nothing readable at all: exit 3 and no report.
	if code, out, _ := run(t, "", "analyze", "--state", filepath.Join(dir, "missing")); code != ExitInput || out != "" {
		t.Errorf("only a missing file: exit %d, output %q", code, out)
	}
}
