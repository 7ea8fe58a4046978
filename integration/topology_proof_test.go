package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/report"
)

// proofTolerancePct is how far (in percent of the measured value) a
// projection may be from the measurement at p50, p95 and p99.
const proofTolerancePct = 10

// topologyProof is one scenario topology of the projection proof (see
// fixtures/shop/topology.go for the topologies themselves).
type topologyProof struct {
	topology string
	entry    report.Ref // the endpoint whose latency is projected and measured
	conc     int        // clients at once (contention needs enough to saturate its pool)
	// deferrable are the services the fixture's async variant can reach
	// through NATS (shop's Topology.Deferrable): the calls whose removal can
	// be measured.
	deferrable []string
	// recommend must be recommended (make-async); keepSync must not be
	// (for retry-loop and contention: the consumer of the event the entry
	// service already publishes, which is asynchronous already).
	recommend, keepSync []string
	// measuredEnqueue: the sync variant already publishes an event per
	// request, so the report's summary.enqueueCostSource must say the
	// enqueue cost was measured from those NATS publishes.
	measuredEnqueue bool
}

var topologyProofs = []topologyProof{
	{
		topology: "chain", entry: report.Ref{Service: "gateway", Operation: "POST /checkout"}, conc: 4,
		deferrable: []string{"reporting"},
		recommend:  []string{"reporting"},
		keepSync:   []string{"warehouse", "inventory", "orders"},
	},
	{
		topology: "retry-loop", entry: report.Ref{Service: "billing", Operation: "POST /invoice"}, conc: 4,
		deferrable: []string{"webhook", "metrics"},
		keepSync:   []string{"ledger"}, measuredEnqueue: true,
	},
	{
		topology: "contention", entry: report.Ref{Service: "signup", Operation: "POST /signup"}, conc: 16,
		deferrable: []string{"audit", "notify"},
		keepSync:   []string{"crm"}, measuredEnqueue: true,
	},
}

// proofRow is one projection compared with its measurement: the plan, or
// one recommended candidate applied on its own.
type proofRow struct {
	// Name is "plan" or "candidate N: CALLER -> CALLEE".
	Name    string      `json:"name"`
	Changes []int       `json:"changes,omitempty"`
	Callee  *report.Ref `json:"callee,omitempty"`
	// Measured names the run measured (its shop-run.sh command).
	Measured    string               `json:"measured,omitempty"`
	ProjectedMs report.LatencyAfter  `json:"projectedMs"`
	MeasuredMs  *report.LatencyAfter `json:"measuredMs,omitempty"`
	// ErrorPct is (projected - measured) / measured in percent.
	ErrorPct *report.LatencyAfter `json:"errorPct,omitempty"`
	// NotProjectable is the report's reason when it flags the candidate's
	// own projection (candidate.savingsCaveat: evidence; assumption); such
	// a row is measured and reported, not asserted.
	NotProjectable string `json:"notProjectable,omitempty"`
	// Problem says why the row fails, "" when it passes.
	Problem string `json:"problem,omitempty"`
	// Unasserted is what would have been the Problem of a row flagged not
	// projectable.
	Unasserted string `json:"unasserted,omitempty"`
}

// runInfo is one shop run of a proof and the machine's load around it (the
// tails of a run on a busy machine are scheduling noise as much as latency).
type runInfo struct {
	Command string `json:"command"`
	// Load1Before and Load1After are the 1-minute load averages before and
	// after the run (0 where /proc/loadavg is missing).
	Load1Before float64 `json:"load1Before"`
	Load1After  float64 `json:"load1After"`
}

// runMeasured runs r like runShop and records it with the load around it.
func (res *topologyResult) runMeasured(t *testing.T, root string, r shopRun) string {
	t.Helper()
	info := runInfo{Command: r.String(), Load1Before: loadAvg1()}
	dir := runShop(t, root, r)
	info.Load1After = loadAvg1()
	res.Runs = append(res.Runs, info)
	t.Logf("%s: load average %.2f before, %.2f after", info.Command, info.Load1Before, info.Load1After)
	return dir
}

// loadAvg1 returns the 1-minute load average, or 0 when unknown.
func loadAvg1() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return 0
	}
	return v
}

// topologyResult is what out/proof-<topology>.json holds.
type topologyResult struct {
	Topology    string              `json:"topology"`
	Command     string              `json:"command"`
	Runs        []runInfo           `json:"runs"`
	Requests    int                 `json:"requests"`
	Concurrency int                 `json:"concurrency"`
	Endpoint    report.Ref          `json:"endpoint"`
	SyncMs      report.LatencyAfter `json:"syncMs"`
	Recommended []string            `json:"recommended"`
	// EnqueueCostMs and EnqueueCostSource are the sync analysis' summary
	// enqueueCostMs and enqueueCostSource.
	EnqueueCostMs     float64    `json:"enqueueCostMs"`
	EnqueueCostSource string     `json:"enqueueCostSource"`
	Rows              []proofRow `json:"rows"`
	Failures          []string   `json:"failures"`
	// offOnly is set when every failure is a projection error beyond the
	// tolerance (no structural one: a wrong recommendation, a missing
	// plan, an unmeasured enqueue cost): a measurement that one
	// scheduling stall can move, which TestTopologyProof measures again.
	offOnly bool
	// FirstAttempt is the first measurement when it was measured again.
	FirstAttempt *topologyResult `json:"firstAttempt,omitempty"`
}

// TestTopologyProof is the projection proof on three topologies the
// checkout does not have (a deferrable call three hops down behind an
// ambiguous "warehouse", webhook retries, two deferrable services queueing
// for one pool): each runs synchronously through the real Collector, is
// analysed, and the plan's projection and each recommended candidate's are
// compared with the asynchronous implementation of the same change,
// measured under the same load. Each must agree within 10 % at p50, p95
// and p99, unless the report flags the candidate as not projectable (a
// savingsCaveat: its saving assumes a saturated resource is free; the plan
// is never exempt). A topology whose only failures are projections beyond
// the tolerance is measured again, once, and the second measurement
// decides (both are recorded): its p99 is its 3rd-slowest request, which
// one scheduling stall of a shared 2-core machine moves. A wrong
// recommendation or an unmeasured enqueue cost fails at once.
// Numbers go to the log and to out/proof-<topology>.json.
func TestTopologyProof(t *testing.T) {
	root := requireIntegration(t)
	n := envInt("SYNCAUDIT_PROOF_TOPOLOGY_REQUESTS", 300)
	for _, tp := range topologyProofs {
		t.Run(tp.topology, func(t *testing.T) {
			res := tp.run(t, root, n)
			if res.offOnly {
				// A run's p99 is its 3rd-slowest request of 300: one stall of
				// the shared 2-core machine moves it (README, "Proof").
				// Every variant is measured again, once; the second
				// measurement decides, and both are recorded.
				t.Logf("%s: measuring again after %q", tp.topology, res.Failures)
				first := res
				res = tp.run(t, root, n)
				res.FirstAttempt = &first
			}
			writeTopologyResult(t, root, res)
			for _, f := range res.Failures {
				t.Error(f)
			}
		})
	}
}

// run runs the topology's variants and compares; failures are collected in
// the result rather than stopping the test, so every number is recorded.
func (tp topologyProof) run(t *testing.T, root string, n int) topologyResult {
	res := topologyResult{
		Topology:    tp.topology,
		Command:     fmt.Sprintf("make tools && SYNCAUDIT_INTEGRATION=1 SYNCAUDIT_PROOF_TOPOLOGY_REQUESTS=%d go test -count=1 -v -run 'TestTopologyProof/%s' ./integration", n, tp.topology),
		Requests:    n,
		Concurrency: tp.conc,
		Endpoint:    tp.entry,
	}
	failf := func(format string, args ...any) { res.Failures = append(res.Failures, fmt.Sprintf(format, args...)) }

	syncRun := shopRun{topology: tp.topology, variant: "sync", n: n, conc: tp.conc}
	rep, _, err := analyze(filepath.Join(res.runMeasured(t, root, syncRun), "otlp.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if ep := findEndpoint(rep, tp.entry); ep != nil {
		res.SyncMs = report.LatencyAfter{P50: ep.LatencyMs.P50, P95: ep.LatencyMs.P95, P99: ep.LatencyMs.P99}
	} else {
		t.Fatalf("no endpoint %s %s in the analysis of the sync run", tp.entry.Service, tp.entry.Operation)
	}

	res.EnqueueCostMs, res.EnqueueCostSource = rep.Summary.EnqueueCostMs, rep.Summary.EnqueueCostSource
	if tp.measuredEnqueue && !measuredNATS(res.EnqueueCostSource) {
		failf("%s: enqueueCostSource %q, want \"measured: nats median of N publishes\" (the sync variant publishes an event per request)",
			tp.topology, res.EnqueueCostSource)
	}

	// measured runs the async variant deferring the given services (nil:
	// all) once and returns the entry endpoint's measured latency.
	measuredRuns := map[string]*report.LatencyAfter{}
	measure := func(deferred []string) (*report.LatencyAfter, string) {
		r := shopRun{topology: tp.topology, variant: "async", deferred: deferred, n: n, conc: tp.conc}
		if slices.Equal(deferred, tp.deferrable) {
			r.deferred = nil // the whole plan: the default of the async variant
		}
		key := r.String()
		if m, ok := measuredRuns[key]; ok {
			return m, key
		}
		arep, _, err := analyze(filepath.Join(res.runMeasured(t, root, r), "otlp.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		ep := findEndpoint(arep, tp.entry)
		if ep == nil {
			t.Fatalf("no endpoint %s %s in the analysis of %s", tp.entry.Service, tp.entry.Operation, key)
		}
		m := &report.LatencyAfter{P50: ep.LatencyMs.P50, P95: ep.LatencyMs.P95, P99: ep.LatencyMs.P99}
		measuredRuns[key] = m
		return m, key
	}

	// Which calls the analysis would make asynchronous.
	recommended := map[string]bool{}
	var cands []report.Candidate
	for _, c := range rep.Candidates {
		if c.Recommended && c.Endpoint == tp.entry {
			cands = append(cands, c)
			if c.Action == report.MakeAsync {
				recommended[c.Callee.Service] = true
				res.Recommended = append(res.Recommended, c.Callee.Service)
			}
		}
	}
	for _, s := range tp.recommend {
		if !recommended[s] {
			failf("%s: %s should be recommended (recommended: %q)", tp.topology, s, res.Recommended)
		}
	}
	for _, s := range tp.keepSync {
		if recommended[s] {
			failf("%s: %s must stay synchronous but is recommended", tp.topology, s)
		}
	}

	// The plan against the async variant that applies it.
	var plan *report.PlanEndpoint
	for i := range rep.Plan {
		if rep.Plan[i].Endpoint == tp.entry {
			plan = &rep.Plan[i]
		}
	}
	if plan == nil {
		failf("%s: no plan for %s %s", tp.topology, tp.entry.Service, tp.entry.Operation)
	} else {
		row := proofRow{Name: "plan", Changes: plan.Changes, ProjectedMs: plan.AfterMs}
		var applied, unmeasurable []string
		for _, c := range cands {
			if !slices.Contains(plan.Changes, c.Rank) {
				continue
			}
			if c.Action == report.MakeAsync && slices.Contains(tp.deferrable, c.Callee.Service) {
				applied = append(applied, c.Callee.Service)
			} else {
				unmeasurable = append(unmeasurable, fmt.Sprintf("%d %s %s", c.Rank, c.Action, c.Callee.Service))
			}
		}
		if len(applied) == 0 {
			applied = tp.deferrable
		}
		slices.SortFunc(applied, func(a, b string) int { return slices.Index(tp.deferrable, a) - slices.Index(tp.deferrable, b) })
		row.MeasuredMs, row.Measured = measure(slices.Compact(applied))
		compareRow(&row)
		if len(unmeasurable) > 0 {
			// The measured run does not apply these changes (the fixture
			// keeps them synchronous): the plan is measured without them.
			row.addProblem(fmt.Sprintf("plan changes %q have no asynchronous implementation in the fixture", unmeasurable))
		}
		res.Rows = append(res.Rows, row)
	}

	// Each recommended candidate against the async variant that applies it alone.
	for _, c := range cands {
		callee := c.Callee
		row := proofRow{
			Name:        fmt.Sprintf("candidate %d: %s %s -> %s %s (%s)", c.Rank, c.Caller.Service, c.Caller.Operation, callee.Service, callee.Operation, c.Action),
			Callee:      &callee,
			ProjectedMs: c.LatencyAfterMs,
		}
		if cv := c.SavingsCaveat; cv != nil {
			// The report says the single-candidate projection rests on an
			// assumption the traces contradict: measured and reported, not
			// asserted.
			row.NotProjectable = cv.Evidence + "; " + cv.Assumption
		}
		if c.Action != report.MakeAsync || !slices.Contains(tp.deferrable, callee.Service) {
			row.addProblem(fmt.Sprintf("cannot be measured: the fixture keeps %s synchronous", callee.Service))
		} else {
			row.MeasuredMs, row.Measured = measure([]string{callee.Service})
			compareRow(&row)
		}
		if row.NotProjectable != "" {
			row.Unasserted, row.Problem = row.Problem, ""
		}
		res.Rows = append(res.Rows, row)
	}

	t.Logf("%s %s %s, %d requests at concurrency %d: sync p50 %.1f ms p95 %.1f ms p99 %.1f ms; recommended %q; enqueue cost %.4f ms (%s)",
		tp.topology, tp.entry.Service, tp.entry.Operation, n, tp.conc, res.SyncMs.P50, res.SyncMs.P95, res.SyncMs.P99, res.Recommended,
		res.EnqueueCostMs, res.EnqueueCostSource)
	structural := len(res.Failures)
	for _, row := range res.Rows {
		t.Log(row.String())
		if row.Problem != "" {
			failf("%s %s: %s", tp.topology, row.Name, row.Problem)
			if !strings.HasPrefix(row.Problem, offPrefix) || strings.Contains(row.Problem, "; ") {
				structural++
			}
		}
	}
	res.offOnly = structural == 0 && len(res.Failures) > 0
	return res
}

// measuredNATS reports whether an enqueueCostSource says the cost was
// measured from NATS publishes ("measured: nats median of N publishes").
func measuredNATS(source string) bool {
	rest, ok := strings.CutPrefix(source, "measured: nats median of ")
	if !ok {
		return false
	}
	n, ok := strings.CutSuffix(rest, " publishes")
	v, err := strconv.Atoi(n)
	return ok && err == nil && v > 0
}

// offPrefix starts the Problem of a row whose projection misses the
// tolerance.
const offPrefix = "projection off by more than"

// compareRow fills ErrorPct and, when an error exceeds the tolerance, Problem.
func compareRow(row *proofRow) {
	m, p := row.MeasuredMs, row.ProjectedMs
	if m.P50 <= 0 || m.P95 <= 0 || m.P99 <= 0 {
		row.addProblem(fmt.Sprintf("measured latency not positive: %+v", *m))
		return
	}
	e := report.LatencyAfter{P50: errPct(p.P50, m.P50), P95: errPct(p.P95, m.P95), P99: errPct(p.P99, m.P99)}
	row.ErrorPct = &e
	if math.Abs(e.P50) > proofTolerancePct || math.Abs(e.P95) > proofTolerancePct || math.Abs(e.P99) > proofTolerancePct {
		row.addProblem(fmt.Sprintf(offPrefix+" %d%%: error p50 %+.1f%% p95 %+.1f%% p99 %+.1f%%",
			proofTolerancePct, e.P50, e.P95, e.P99))
	}
}

// addProblem appends p to the row's problems.
func (row *proofRow) addProblem(p string) {
	if row.Problem != "" {
		row.Problem += "; "
	}
	row.Problem += p
}

// errPct is (projected - measured) / measured in percent (measured > 0).
func errPct(projected, measured float64) float64 {
	return (projected - measured) / measured * 100
}

// String is the row as one log line.
func (row proofRow) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: projected p50 %.1f ms p95 %.1f ms p99 %.1f ms", row.Name, row.ProjectedMs.P50, row.ProjectedMs.P95, row.ProjectedMs.P99)
	if m := row.MeasuredMs; m != nil {
		fmt.Fprintf(&b, "; measured p50 %.1f ms p95 %.1f ms p99 %.1f ms", m.P50, m.P95, m.P99)
	}
	if e := row.ErrorPct; e != nil {
		fmt.Fprintf(&b, "; error p50 %+.1f%% p95 %+.1f%% p99 %+.1f%%", e.P50, e.P95, e.P99)
	}
	if row.Measured != "" {
		fmt.Fprintf(&b, " [%s]", row.Measured)
	}
	if row.NotProjectable != "" {
		fmt.Fprintf(&b, "; flagged not projectable (%s)", row.NotProjectable)
	}
	if row.Unasserted != "" {
		fmt.Fprintf(&b, "; not asserted: %s", row.Unasserted)
	}
	if row.Problem != "" {
		fmt.Fprintf(&b, "; FAIL: %s", row.Problem)
	}
	return b.String()
}

func findEndpoint(rep *report.Report, ref report.Ref) *report.Endpoint {
	for i := range rep.Endpoints {
		if rep.Endpoints[i].Service == ref.Service && rep.Endpoints[i].Operation == ref.Operation {
			return &rep.Endpoints[i]
		}
	}
	return nil
}

// writeTopologyResult writes out/proof-<topology>.json.
func writeTopologyResult(t *testing.T, root string, res topologyResult) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(res); err != nil {
		t.Fatalf("encode %s result: %v", res.Topology, err)
	}
	dir := filepath.Join(root, "out")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "proof-"+res.Topology+".json")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

func TestMeasuredNATS(t *testing.T) {
	tests := []struct {
		source string
		want   bool
	}{
		{"measured: nats median of 300 publishes", true},
		{"measured: kafka median of 300 publishes", false},
		{"measured: nats median of many publishes", false},
		{"default", false},
		{"flag", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := measuredNATS(tt.source); got != tt.want {
			t.Errorf("measuredNATS(%q) = %v, want %v", tt.source, got, tt.want)
		}
	}
}

func TestCompareRow(t *testing.T) {
	tests := []struct {
		name        string
		projected   report.LatencyAfter
		measured    report.LatencyAfter
		wantProblem string
	}{
		{"within", report.LatencyAfter{P50: 105, P95: 190, P99: 300}, report.LatencyAfter{P50: 100, P95: 200, P99: 300}, ""},
		{"p99 off", report.LatencyAfter{P50: 100, P95: 200, P99: 400}, report.LatencyAfter{P50: 100, P95: 200, P99: 300}, "p99 +33.3%"},
		{"nothing measured", report.LatencyAfter{P50: 1, P95: 1, P99: 1}, report.LatencyAfter{}, "not positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := tt.measured
			row := proofRow{ProjectedMs: tt.projected, MeasuredMs: &m}
			compareRow(&row)
			if (tt.wantProblem == "") != (row.Problem == "") || !strings.Contains(row.Problem, tt.wantProblem) {
				t.Errorf("problem %q, want one containing %q", row.Problem, tt.wantProblem)
			}
		})
	}
}
