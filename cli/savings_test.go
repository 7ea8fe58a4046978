package cli

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"

	"github.com/syncaudit/syncaudit/report"
)

// sketchTolerance is the relative error of a histogram of 160 buckets
// (sketch.DefaultMaxSize) whose values span less than a factor 2^20: it
// holds them at scale 3 or finer, (2^(1/8)−1)/(2^(1/8)+1) ≈ 4.33 %. The
// sync fixture's savings and latencies are between 1 ms and 1 s.
const sketchTolerance = 0.0433

func analyzeReport(t *testing.T, args ...string) *report.Report {
	t.Helper()
	code, out, errOut := run(t, "", append([]string{"analyze", "-o", "json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("%v: exit %d: %s", args, code, errOut)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

// TestSavingsSketch: --savings=sketch gives the candidates of
// --savings=exact, in the same rank order, with the same counts and
// totals, and percentiles within the sketch's relative error; the rest of
// the report is the same.
func TestSavingsSketch(t *testing.T) {
	exact := analyzeReport(t, syncFixture)
	if def := analyzeReport(t, "--savings=exact", syncFixture); !reflect.DeepEqual(def, exact) {
		t.Error("--savings=exact is not the default")
	}
	sk := analyzeReport(t, "--savings=sketch", syncFixture)
	if len(exact.Candidates) == 0 || len(exact.Plan) == 0 {
		t.Fatal("no candidates or plan: the comparison would prove nothing")
	}
	if len(sk.Candidates) != len(exact.Candidates) {
		t.Fatalf("%d candidates, want %d", len(sk.Candidates), len(exact.Candidates))
	}
	var seen float64
	near := func(what string, got, want, eps float64) {
		t.Helper()
		if want != 0 {
			seen = max(seen, math.Abs(got-want)/math.Abs(want))
		}
		if math.Abs(got-want) > eps*math.Abs(want)+1e-6 {
			t.Errorf("%s = %v, want %v within %.3g", what, got, want, eps)
		}
	}
	for i, w := range exact.Candidates {
		g := sk.Candidates[i]
		name := w.Callee.Service + " " + w.Callee.Operation
		near(name+" savings p50", g.SavingsMs.P50, w.SavingsMs.P50, sketchTolerance)
		near(name+" savings p95", g.SavingsMs.P95, w.SavingsMs.P95, sketchTolerance)
		near(name+" savings p99", g.SavingsMs.P99, w.SavingsMs.P99, sketchTolerance)
		near(name+" latency after p50", g.LatencyAfterMs.P50, w.LatencyAfterMs.P50, sketchTolerance)
		near(name+" latency after p95", g.LatencyAfterMs.P95, w.LatencyAfterMs.P95, sketchTolerance)
		near(name+" latency after p99", g.LatencyAfterMs.P99, w.LatencyAfterMs.P99, sketchTolerance)
		near(name+" share", g.Share, w.Share, 1e-9)
		// Rank, counts, totals, confidence and the rest: exact.
		g.SavingsMs.P50, g.SavingsMs.P95, g.SavingsMs.P99 = w.SavingsMs.P50, w.SavingsMs.P95, w.SavingsMs.P99
		g.LatencyAfterMs, g.Share = w.LatencyAfterMs, w.Share
		if !reflect.DeepEqual(g, w) {
			t.Errorf("candidate %d:\n%+v\nwant\n%+v", i, g, w)
		}
	}
	if len(sk.Plan) != len(exact.Plan) {
		t.Fatalf("plan of %d endpoints, want %d", len(sk.Plan), len(exact.Plan))
	}
	for i, w := range exact.Plan {
		g := sk.Plan[i]
		if !reflect.DeepEqual(g.Endpoint, w.Endpoint) || !reflect.DeepEqual(g.Changes, w.Changes) {
			t.Errorf("plan %d: %+v, want %+v", i, g, w)
		}
		for _, p := range [][2]float64{
			{g.BeforeMs.P50, w.BeforeMs.P50}, {g.BeforeMs.P95, w.BeforeMs.P95}, {g.BeforeMs.P99, w.BeforeMs.P99},
			{g.AfterMs.P50, w.AfterMs.P50}, {g.AfterMs.P95, w.AfterMs.P95}, {g.AfterMs.P99, w.AfterMs.P99},
		} {
			near("plan", p[0], p[1], sketchTolerance)
		}
	}
	if seen == 0 {
		t.Error("the sketch is exact here: the comparison proves little")
	}
	t.Logf("largest relative error %.3g", seen)
	if !reflect.DeepEqual(sk.Summary, exact.Summary) || !reflect.DeepEqual(sk.Endpoints, exact.Endpoints) {
		t.Error("--savings changed the summary or the endpoints")
	}
	if code, _, errOut := run(t, "", "analyze", "--savings=approx", syncFixture); code != ExitUsage {
		t.Errorf("--savings=approx: exit %d: %s", code, errOut)
	}
}

// TestSavingsSketchPartitioned: with sketches, the report of an input
// analysed partition by partition (--memory-limit) is the report in
// memory: merged histograms are the histograms of the union.
func TestSavingsSketchPartitioned(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 100k-span input")
	}
	path := generatedOrders(t)
	code, want, errWant := run(t, "", "analyze", "-o", "json", "--savings=sketch", "--memory-limit", "off", path)
	if code != ExitOK {
		t.Fatalf("in memory: exit %d: %s", code, errWant)
	}
	code, got, errGot := run(t, "", "analyze", "-o", "json", "--savings=sketch", "--memory-limit", "64MiB", path)
	if code != ExitOK {
		t.Fatalf("partitioned: exit %d: %s", code, errGot)
	}
	if got != want {
		t.Error("--savings=sketch: the partitioned report differs from the one in memory")
	}
}
