package review

import (
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/report"
)

func sampleReport() *report.Report {
	r := &report.Report{SchemaVersion: report.SchemaVersion}
	e := report.Endpoint{Service: "order", Operation: "POST /checkout", Traces: 10,
		LatencyMs: report.Percentiles{P50: 500, P95: 700, P99: 720, Max: 730}}
	e.SyncCalls.P50, e.SyncCalls.Max, e.SyncDepth.Max = 5, 6, 2
	r.Endpoints = []report.Endpoint{e}
	r.Candidates = []report.Candidate{
		{Rank: 1, Action: report.MakeAsync, Recommended: true, Endpoint: ref2("order", "POST /checkout"),
			Caller: ref2("order", "POST /checkout"), Callee: ref2("email", "POST /send"),
			SavingsMs: report.Savings{Mean: 350, P50: 340, P95: 520, P99: 530, Total: 3500}},
		{Rank: 2, Action: report.MakeAsync, Recommended: false, Endpoint: ref2("order", "POST /checkout"),
			Caller: ref2("order", "POST /checkout"), Callee: ref2("audit", "POST /log"),
			SavingsMs: report.Savings{P95: 900}},
	}
	r.Checklist = []report.CheckItem{{ID: "sync-calls", Pass: false}, {ID: "no-timeout", Pass: true}}
	return r
}

func TestParseRules(t *testing.T) {
	tests := []struct {
		in      string
		want    []Rule
		wantErr string
	}{
		{in: "savings.p95>100ms", want: []Rule{{"savings.p95>100ms", "savings.p95", ">", 100}}},
		{in: "latency.p95 >= 0.5s, syncCalls>3", want: []Rule{{"latency.p95 >= 0.5s", "latency.p95", ">=", 500}, {"syncCalls>3", "syncCalls", ">", 3}}},
		{in: "latency.p50<250", want: []Rule{{"latency.p50<250", "latency.p50", "<", 250}}},
		{in: "regressions", want: []Rule{{"regressions", "regressions", ">", 0}}},
		{in: "checklist.slow-sync-calls>0", want: []Rule{{"checklist.slow-sync-calls>0", "checklist.slow-sync-calls", ">", 0}}},
		{in: "bogus>1", wantErr: "unknown metric"},
		{in: "latency.p95", wantErr: "want METRIC OP VALUE"},
		{in: "latency.p95>fast", wantErr: "bad value"},
	}
	for _, tt := range tests {
		got, err := ParseRules([]string{tt.in})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tt.want) {
			t.Fatalf("%q: %v %v", tt.in, got, err)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%q: rule %d = %+v, want %+v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

func TestEvaluate(t *testing.T) {
	r := sampleReport()
	tests := []struct {
		rule   string
		failed bool
	}{
		{"savings.p95>500ms", true},  // email 520
		{"savings.p95>600ms", false}, // audit's 900 is not recommended
		{"latency.p95>500ms", true},
		{"latency.p95>1s", false},
		{"syncCalls>3", true},
		{"syncCalls.max>6", false},
		{"syncDepth>=2", true},
		{"candidates>0", true},
		{"candidates>1", false},
		{"checklist>0", true},
		{"checklist.no-timeout>0", false},
		{"regressions", false},
	}
	for _, tt := range tests {
		rules, err := ParseRules([]string{tt.rule})
		if err != nil {
			t.Fatal(err)
		}
		res := Evaluate(rules, r)
		if res[0].Failed != tt.failed {
			t.Errorf("%s: failed=%v, want %v (%v)", tt.rule, res[0].Failed, tt.failed, res[0].Offenders)
		}
		if res[0].Failed && len(res[0].Offenders) == 0 {
			t.Errorf("%s: failed without naming an offender", tt.rule)
		}
	}
}

func TestDiff(t *testing.T) {
	base := sampleReport()
	cur := sampleReport()
	cur.Endpoints[0].LatencyMs.P95 = 800                      // +14%: regression
	cur.Candidates[0].SavingsMs.P95 = 530                     // +2%: within tolerance
	cur.Candidates = append(cur.Candidates, report.Candidate{ // new recommended candidate
		Rank: 3, Action: report.Parallelize, Recommended: true, Endpoint: ref2("order", "POST /checkout"),
		Caller: ref2("order", "POST /checkout"), Callee: ref2("catalog + reviews", "GET /a + GET /b")})
	d := Diff("base.json", base, cur, 10)
	if len(d.NewCandidates) != 1 || len(d.Resolved) != 0 {
		t.Errorf("new %v resolved %v", d.NewCandidates, d.Resolved)
	}
	if len(d.Regressions) != 2 {
		t.Errorf("regressions %q, want latency and new candidate", d.Regressions)
	}
	rules, _ := ParseRules([]string{"regressions"})
	cur.Baseline = d
	if !Evaluate(rules, cur)[0].Failed {
		t.Error("regressions rule did not fail")
	}
	// Improvement: the email candidate resolved, latency down.
	better := sampleReport()
	better.Candidates = better.Candidates[1:]
	better.Endpoints[0].LatencyMs.P95 = 200
	d = Diff("base.json", base, better, 10)
	if len(d.Regressions) != 0 || len(d.Resolved) != 1 || len(d.Improvements) != 2 {
		t.Errorf("regressions %q improvements %q", d.Regressions, d.Improvements)
	}
}

func ref2(service, op string) report.Ref { return report.Ref{Service: service, Operation: op} }
