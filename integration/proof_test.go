package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/cli"
	"github.com/syncaudit/syncaudit/report"
)

func requireIntegration(t *testing.T) string {
	t.Helper()
	if os.Getenv("SYNCAUDIT_INTEGRATION") != "1" {
		t.Skip("integration test: set SYNCAUDIT_INTEGRATION=1 (make integration builds the real components and sets it)")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// shopRun is one run of scripts/shop-run.sh: a topology (the checkout when
// empty) in one variant, under a load of n requests from conc clients, with
// seed 42.
type shopRun struct {
	topology string
	variant  string
	// deferred is -d: the services an async scenario variant reaches
	// through NATS (empty: all its deferrable services).
	deferred []string
	n, conc  int
}

// args returns the script's arguments, without -o.
func (r shopRun) args() []string {
	var a []string
	if r.topology != "" {
		a = append(a, "-t", r.topology)
	}
	a = append(a, "-v", r.variant)
	if len(r.deferred) > 0 {
		a = append(a, "-d", strings.Join(r.deferred, ","))
	}
	return append(a, "-n", strconv.Itoa(r.n), "-c", strconv.Itoa(r.conc), "-s", "42")
}

// String is the command line that reproduces the run.
func (r shopRun) String() string {
	return "scripts/shop-run.sh " + strings.Join(r.args(), " ") + " -o DIR"
}

// runShop runs one shop variant under load through the real Collector and
// returns the directory holding its OTLP exports.
func runShop(t *testing.T, root string, r shopRun) string {
	t.Helper()
	name := strings.Join(append([]string{r.topology, r.variant}, r.deferred...), "-")
	dir := filepath.Join(t.TempDir(), strings.TrimPrefix(name, "-"))
	cmd := exec.Command(filepath.Join(root, "scripts", "shop-run.sh"), append(r.args(), "-o", dir)...)
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s: %v\n%s", r, err, out.String())
	}
	t.Logf("%s:\n%s", r, out.String())
	return dir
}

// TestProjectionHolds is the proof of the projections: the synchronous
// shop is analysed and its combined plan (email and analytics made
// asynchronous) projects the checkout latency; the asynchronous shop is then
// run under the same load and measured. Projected and actual p50 and p95
// must agree within 10%.
func TestProjectionHolds(t *testing.T) {
	root := requireIntegration(t)
	n := envInt("SYNCAUDIT_PROOF_REQUESTS", 200)
	conc := envInt("SYNCAUDIT_PROOF_CONCURRENCY", 4)
	syncDir := runShop(t, root, shopRun{variant: "sync", n: n, conc: conc})
	asyncDir := runShop(t, root, shopRun{variant: "async", n: n, conc: conc})

	var out, errOut bytes.Buffer
	code := cli.Main([]string{"compare", "-o", "json", filepath.Join(syncDir, "otlp.jsonl"), filepath.Join(asyncDir, "otlp.jsonl")},
		cli.Test(nil, &out, &errOut))
	if code != cli.ExitOK {
		t.Fatalf("compare exit %d: %s", code, errOut.String())
	}
	var c report.Comparison
	if err := json.Unmarshal(out.Bytes(), &c); err != nil {
		t.Fatal(err)
	}
	// The analysis of the sync run must recommend email and analytics and
	// nothing critical.
	rep, _, err := analyze(filepath.Join(syncDir, "otlp.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	recommended := map[string]bool{}
	for _, cand := range rep.Candidates {
		if cand.Recommended && cand.Action == report.MakeAsync {
			recommended[cand.Callee.Service] = true
		}
	}
	if !recommended["email"] || !recommended["analytics"] {
		t.Errorf("email and analytics should be recommended, got %v", recommended)
	}
	for _, crit := range []string{"payment", "auth", "inventory"} {
		if recommended[crit] {
			t.Errorf("critical %s recommended", crit)
		}
	}

	var found bool
	for _, e := range c.Endpoints {
		if e.Endpoint.Service != "order" || e.ProjectedMs == nil {
			continue
		}
		found = true
		line := fmt.Sprintf("checkout (%d requests, concurrency %d): before p50 %.1fms p95 %.1fms; projected after p50 %.1fms p95 %.1fms; measured after p50 %.1fms p95 %.1fms; error p50 %+.1f%% p95 %+.1f%%",
			n, conc, e.BeforeMs.P50, e.BeforeMs.P95, e.ProjectedMs.P50, e.ProjectedMs.P95, e.AfterMs.P50, e.AfterMs.P95,
			e.ProjectionErrorPct.P50, e.ProjectionErrorPct.P95)
		t.Log(line)
		os.MkdirAll(filepath.Join(root, "out"), 0o755)
		os.WriteFile(filepath.Join(root, "out", "proof.txt"), []byte(line+"\n"), 0o644)
		if math.Abs(e.ProjectionErrorPct.P50) > 10 || math.Abs(e.ProjectionErrorPct.P95) > 10 {
			t.Errorf("projection off by more than 10%%: %s", line)
		}
	}
	if !found {
		t.Fatalf("no projected checkout endpoint in the comparison: %s", out.String())
	}
}
