package cli

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/report"
)

// samplingTrace is one checkout as OTLP/JSON: order POST /checkout
// (0–500 ms) calls payment (0–100 ms), then email (100–500 ms), with the
// given tracestate on every span.
func samplingTrace(n int, traceState string) string {
	tid := fmt.Sprintf("%032x", n)
	sid := func(k int) string { return fmt.Sprintf("%014x%02x", n, k) }
	const ms = 1_000_000
	t0 := int64(1_700_000_000_000_000_000) + int64(n)*int64(1e9)
	span := func(svc string, k, parent int, name string, kind int, from, to int64) string {
		p := ""
		if parent > 0 {
			p = fmt.Sprintf(`"parentSpanId":%q,`, sid(parent))
		}
		return fmt.Sprintf(`{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":%q}}]},"scopeSpans":[{"spans":[{"traceId":%q,"spanId":%q,%s"traceState":%q,"name":%q,"kind":%d,"startTimeUnixNano":"%d","endTimeUnixNano":"%d","attributes":[{"key":"http.request.method","value":{"stringValue":"POST"}}]}]}]}`,
			svc, tid, sid(k), p, traceState, name, kind, t0+from*ms, t0+to*ms)
	}
	rs := []string{
		span("order", 1, 0, "POST /checkout", 2, 0, 500),
		span("order", 2, 1, "POST /charge", 3, 0, 100),
		span("payment", 3, 2, "POST /charge", 2, 1, 99),
		span("order", 4, 1, "POST /send", 3, 100, 500),
		span("email", 5, 4, "POST /send", 2, 101, 499),
	}
	return `{"resourceSpans":[` + strings.Join(rs, ",") + `]}`
}

// TestSamplingAwareTotals: three checkouts sampled at 50 % (tracestate
// th:8, adjusted count 2), 25 % (th:c, 4) and unknown (1). Hand-computed:
// making email asynchronous saves 500 − (100 + 1 ms enqueue) = 399 ms per
// request, 1,197 ms over the sample; the sample stands for 2 + 4 + 1 = 7
// requests, so 7 × 399 = 2,793 ms of real traffic. Without any known
// probability the report says totals are per sampled trace only.
func TestSamplingAwareTotals(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, states ...string) string {
		var lines []string
		for i, s := range states {
			lines = append(lines, samplingTrace(i+1, s))
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	analyze := func(path string) report.Report {
		t.Helper()
		code, out, errOut := run(t, "", "analyze", "-o", "json", "--enqueue-cost", "1ms", path)
		if code != ExitOK {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		var rep report.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		return rep
	}
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-6 {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}

	rep := analyze(write("sampled.jsonl", "ot=th:8", "vendor=x,ot=th:c", ""))
	s := rep.Summary.Sampling
	if s == nil || s.Known != 2 || s.Unknown != 1 || !s.Scaled || s.Sources["tracestate th"] != 2 {
		t.Fatalf("sampling %+v", s)
	}
	near("adjusted requests", s.AdjustedRequests, 7)
	if !strings.Contains(s.Note, "3 sampled requests stand for 7") || !strings.Contains(s.Note, "unknown for 1") {
		t.Errorf("note %q", s.Note)
	}
	if len(rep.Endpoints) != 1 {
		t.Fatalf("%d endpoints", len(rep.Endpoints))
	}
	near("endpoint adjusted traces", rep.Endpoints[0].AdjustedTraces, 7)
	var email *report.Candidate
	for i := range rep.Candidates {
		if rep.Candidates[i].Callee.Service == "email" && rep.Candidates[i].Action == report.MakeAsync {
			email = &rep.Candidates[i]
		}
	}
	if email == nil || email.Adjusted == nil {
		t.Fatalf("no make-async email candidate with adjusted totals: %+v", rep.Candidates)
	}
	near("sampled total", email.SavingsMs.Total, 3*399)
	near("adjusted traces", email.Adjusted.Traces, 7)
	near("adjusted total", email.Adjusted.SavingsTotalMs, 7*399)

	// Markdown and HTML say it.
	path := filepath.Join(dir, "sampled.jsonl")
	for _, o := range []string{"markdown", "html", "table"} {
		code, out, errOut := run(t, "", "analyze", "-o", o, "--enqueue-cost", "1ms", path)
		if code != ExitOK || !strings.Contains(out, "stand for 7") {
			t.Errorf("-o %s: exit %d, no sampling note: %s", o, code, errOut)
		}
	}

	rep = analyze(write("unknown.jsonl", "", "", ""))
	s = rep.Summary.Sampling
	if s == nil || s.Known != 0 || s.Unknown != 3 || s.Scaled || !strings.Contains(s.Note, "per sampled trace only") {
		t.Errorf("unknown sampling: %+v", s)
	}
	if rep.Endpoints[0].AdjustedTraces != 0 {
		t.Errorf("adjusted traces %v without sampling", rep.Endpoints[0].AdjustedTraces)
	}
	for _, c := range rep.Candidates {
		if c.Adjusted != nil {
			t.Errorf("candidate %d has adjusted totals without sampling", c.Rank)
		}
	}
}

// TestSamplingJaegerTags: a Jaeger UI download whose root span carries
// sampler.type=probabilistic, sampler.param=0.25 stands for 4 requests.
func TestSamplingJaegerTags(t *testing.T) {
	const doc = `{"data":[{"traceID":"a1","spans":[
 {"traceID":"a1","spanID":"1","operationName":"POST /checkout","references":[],"startTime":1700000000000000,"duration":500000,"processID":"p1",
  "tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"sampler.type","type":"string","value":"probabilistic"},{"key":"sampler.param","type":"float64","value":0.25}]},
 {"traceID":"a1","spanID":"2","operationName":"POST /send","references":[{"refType":"CHILD_OF","traceID":"a1","spanID":"1"}],"startTime":1700000000100000,"duration":400000,"processID":"p1",
  "tags":[{"key":"span.kind","type":"string","value":"client"}]},
 {"traceID":"a1","spanID":"3","operationName":"POST /send","references":[{"refType":"CHILD_OF","traceID":"a1","spanID":"2"}],"startTime":1700000000101000,"duration":398000,"processID":"p2",
  "tags":[{"key":"span.kind","type":"string","value":"server"}]}],
 "processes":{"p1":{"serviceName":"order","tags":[]},"p2":{"serviceName":"email","tags":[]}}}]}`
	p := filepath.Join(t.TempDir(), "jaeger.json")
	if err := os.WriteFile(p, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, "", "analyze", "-o", "json", p)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	s := rep.Summary.Sampling
	if s == nil || s.Known != 1 || s.AdjustedRequests != 4 || s.Sources["jaeger probabilistic"] != 1 {
		t.Fatalf("sampling %+v", s)
	}
	if len(rep.Endpoints) != 1 || rep.Endpoints[0].AdjustedTraces != 4 {
		t.Errorf("endpoints %+v", rep.Endpoints)
	}
}
