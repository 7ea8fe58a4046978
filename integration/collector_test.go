package integration

// The syncaudit connector in real Collectors (bin/otelcol-syncaudit, built
// by scripts/install-tools.sh from tools/otelcol-syncaudit): a first tier
// load-balancing by trace ID in front of two second-tier instances running
// the connector, with the exact configuration files of the README
// (tools/otelcol-syncaudit/tier1.yaml, tier2.yaml; free ports, paths and
// short intervals come from the environment).

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/pmetric"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/syncaudit/syncaudit/cli"
	"github.com/syncaudit/syncaudit/report"
)

// sketchRelErr is the sketch's documented relative error for values that
// span less than a factor 2^10 (README, detect.SavingsSketch): percentiles
// of states merged by `analyze --state` may differ from the CLI's
// --savings=sketch by at most that much.
const sketchRelErr = 0.022

// collector is one running bin/otelcol-syncaudit.
type collector struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // set when done is closed
}

func collectorBinary(t *testing.T, root string) string {
	t.Helper()
	bin := filepath.Join(root, "bin", "otelcol-syncaudit")
	if b := os.Getenv("SYNCAUDIT_OTELCOL_BIN"); b != "" { // another build of the distribution
		bin = b
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s missing: build it with scripts/install-tools.sh --only otelcol-syncaudit (make integration does)", bin)
	}
	return bin
}

// freeAddr returns a 127.0.0.1 address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startCollector starts the Collector with the given config files (relative
// to root) and environment, waits until it accepts connections on ready,
// and stops it (SIGKILL) at the end of the test if it still runs.
func startCollector(t *testing.T, root, name, ready string, env []string, configs ...string) *collector {
	t.Helper()
	args := []string{}
	for _, c := range configs {
		args = append(args, "--config", "file:"+filepath.Join(root, c))
	}
	logPath := filepath.Join(t.TempDir(), name+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(collectorBinary(t, root), args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &collector{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		lf.Close()
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-c.done
		}
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("%s log (last 3000 bytes):\n%s", name, tail(b, 3000))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", ready, 200*time.Millisecond)
		if err == nil {
			conn.Close()
			return c
		}
		select {
		case <-c.done:
			b, _ := os.ReadFile(logPath)
			t.Fatalf("%s exited before listening on %s: %v\n%s", name, ready, c.err, tail(b, 3000))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not listening on %s after 30 s", name, ready)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// stop sends SIGTERM and waits for a clean exit (the connector analyses
// what it buffered and emits its last state on shutdown).
func (c *collector) stop(t *testing.T) {
	t.Helper()
	c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		if c.err != nil {
			t.Errorf("%s: exit after SIGTERM: %v", c.name, c.err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not stop within 60 s of SIGTERM", c.name)
	}
}

// kill sends SIGKILL: nothing is flushed.
func (c *collector) kill(t *testing.T) {
	t.Helper()
	syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
	<-c.done
}

func (c *collector) running() bool {
	select {
	case <-c.done:
		return false
	default:
		return true
	}
}

// rssBytes reads the resident set size of pid from /proc.
func rssBytes(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024, err
		}
	}
	return 0, errors.New("no VmRSS")
}

// tier2Env is the environment of one second-tier instance.
func tier2Env(otlp, out string, traceTimeout, interval time.Duration, maxTraces int) []string {
	return []string{
		"SYNCAUDIT_OTLP=" + otlp,
		"SYNCAUDIT_OUT=" + out,
		"SYNCAUDIT_TRACE_TIMEOUT=" + traceTimeout.String(),
		"SYNCAUDIT_INTERVAL=" + interval.String(),
		"SYNCAUDIT_MAX_TRACES=" + strconv.Itoa(maxTraces),
	}
}

// twoTier is a running first tier in front of two second-tier instances.
type twoTier struct {
	tier1, a, b    *collector
	grpc, http     string // first tier's OTLP endpoints
	outA, outB     string // second tier's output directories
	tier2A, tier2B string // second tier's OTLP endpoints
	traceTimeout   time.Duration
}

func startTwoTier(t *testing.T, root string, traceTimeout, interval time.Duration, copyTraces bool) *twoTier {
	t.Helper()
	dir := t.TempDir()
	tt := &twoTier{
		grpc: freeAddr(t), http: freeAddr(t), tier2A: freeAddr(t), tier2B: freeAddr(t),
		outA: filepath.Join(dir, "a"), outB: filepath.Join(dir, "b"), traceTimeout: traceTimeout,
	}
	configs := []string{"tools/otelcol-syncaudit/tier2.yaml"}
	if copyTraces {
		configs = append(configs, "integration/testdata/collector/tier2-copy.yaml")
	}
	tt.a = startCollector(t, root, "tier2-a", tt.tier2A, tier2Env(tt.tier2A, tt.outA, traceTimeout, interval, 50000), configs...)
	tt.b = startCollector(t, root, "tier2-b", tt.tier2B, tier2Env(tt.tier2B, tt.outB, traceTimeout, interval, 50000), configs...)
	tt.tier1 = startCollector(t, root, "tier1", tt.grpc, []string{
		"SYNCAUDIT_TIER1_GRPC=" + tt.grpc, "SYNCAUDIT_TIER1_HTTP=" + tt.http,
		"SYNCAUDIT_TIER2_A=" + tt.tier2A, "SYNCAUDIT_TIER2_B=" + tt.tier2B,
	}, "tools/otelcol-syncaudit/tier1.yaml")
	return tt
}

func (tt *twoTier) stateFiles() []string {
	return []string{filepath.Join(tt.outA, "state.jsonl"), filepath.Join(tt.outB, "state.jsonl")}
}

// loadFixture reads the bundled shop's spans (one OTLP/JSON TracesData per
// line, gzip).
func loadFixture(t *testing.T, root string) ptrace.Traces {
	t.Helper()
	td, err := readOTLPFile(filepath.Join(root, "fixtures", "sync", "otlp.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	return td
}

// readOTLPFile reads OTLP/JSON lines (gzip allowed) into one Traces.
// A torn last line (a file still being written) is ignored.
func readOTLPFile(path string) (ptrace.Traces, error) {
	all := ptrace.NewTraces()
	f, err := os.Open(path)
	if err != nil {
		return all, err
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return all, err
		}
		r = zr
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return all, err
	}
	var um ptrace.JSONUnmarshaler
	for line := range bytes.SplitSeq(data, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		td, err := um.UnmarshalTraces(line)
		if err != nil {
			continue // torn line
		}
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	return all, nil
}

// traceIDs lists the distinct trace IDs of td.
func traceIDs(td ptrace.Traces) map[pcommon.TraceID]bool {
	ids := map[pcommon.TraceID]bool{}
	forSpans(td, func(s ptrace.Span) { ids[s.TraceID()] = true })
	return ids
}

func forSpans(td ptrace.Traces, f func(ptrace.Span)) {
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, s := range ss.Spans().All() {
				f(s)
			}
		}
	}
}

// cloneTraces returns n copies of td, copy i with every trace ID replaced
// by a hash of (i, the original ID): the same shapes and durations, new
// traces. Span IDs are kept (they are unique within a trace).
func cloneTraces(td ptrace.Traces, n int, salt string) ptrace.Traces {
	out := ptrace.NewTraces()
	for i := range n {
		cp := ptrace.NewTraces()
		td.CopyTo(cp)
		forSpans(cp, func(s ptrace.Span) {
			old := s.TraceID()
			h := sha256.Sum256(fmt.Appendf(nil, "%s/%d/%x", salt, i, old[:]))
			s.SetTraceID(pcommon.TraceID(h[:16]))
		})
		cp.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out
}

// filterTraces returns the spans of td whose trace ID keep accepts.
func filterTraces(td ptrace.Traces, keep func(pcommon.TraceID) bool) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	for _, rs := range out.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			ss.Spans().RemoveIf(func(s ptrace.Span) bool { return !keep(s.TraceID()) })
		}
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool { return ss.Spans().Len() == 0 })
	}
	out.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool { return rs.ScopeSpans().Len() == 0 })
	return out
}

// splitTraces returns td as batches of about perBatch spans, each batch
// holding whole resource/scope groups cut at span boundaries.
func splitTraces(td ptrace.Traces, perBatch int) []ptrace.Traces {
	var out []ptrace.Traces
	cur := ptrace.NewTraces()
	n := 0
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			var dst ptrace.SpanSlice
			have := false // dst is a span slice of cur
			for _, s := range ss.Spans().All() {
				if n == perBatch {
					out = append(out, cur)
					cur, n, have = ptrace.NewTraces(), 0, false
				}
				if !have {
					have = true
					nrs := cur.ResourceSpans().AppendEmpty()
					rs.Resource().CopyTo(nrs.Resource())
					nss := nrs.ScopeSpans().AppendEmpty()
					ss.Scope().CopyTo(nss.Scope())
					dst = nss.Spans()
				}
				s.CopyTo(dst.AppendEmpty())
				n++
			}
		}
	}
	if n > 0 {
		out = append(out, cur)
	}
	return out
}

func writeOTLPFile(t *testing.T, path string, td ptrace.Traces) {
	t.Helper()
	var m ptrace.JSONMarshaler
	b, err := m.MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sendHTTP posts td as OTLP/HTTP protobuf.
func sendHTTP(t *testing.T, endpoint string, td ptrace.Traces) {
	t.Helper()
	body, err := ptraceotlp.NewExportRequestFromTraces(td).MarshalProto()
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post("http://"+endpoint+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("OTLP/HTTP %s: %s: %s", endpoint, resp.Status, msg)
	}
}

func grpcClient(t *testing.T, endpoint string) ptraceotlp.GRPCClient {
	t.Helper()
	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return ptraceotlp.NewGRPCClient(conn)
}

func sendGRPC(t *testing.T, client ptraceotlp.GRPCClient, td ptrace.Traces) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := client.Export(ctx, ptraceotlp.NewExportRequestFromTraces(td)); err != nil {
		t.Fatal(err)
	}
}

// analyze runs `syncaudit ARGS... -o json` in-process and decodes the
// report.
func analyze(args ...string) (*report.Report, string, error) {
	var out, errOut bytes.Buffer
	code := cli.Main(append(append([]string{"analyze"}, args...), "-o", "json"), cli.Test(nil, &out, &errOut))
	if code != cli.ExitOK {
		return nil, errOut.String(), fmt.Errorf("analyze %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
	}
	var rep report.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		return nil, errOut.String(), err
	}
	return &rep, errOut.String(), nil
}

// mergedRequests is the request count `analyze --state` reports for the
// given files now (0 while none holds a state yet).
func mergedRequests(files ...string) int {
	var present []string
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.Size() > 0 {
			present = append(present, f)
		}
	}
	if len(present) == 0 {
		return 0
	}
	rep, _, err := analyze(append([]string{"--state"}, present...)...)
	if err != nil {
		return 0 // not written yet, or a torn line
	}
	return rep.Summary.Requests
}

func waitFor(t *testing.T, what string, timeout time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// relClose reports whether got is within rel of want (relative to want).
func relClose(got, want, rel float64) bool {
	if want == 0 {
		return math.Abs(got) <= 1e-9
	}
	return math.Abs(got-want) <= rel*math.Abs(want)+1e-9
}

// compareReports checks that the report of merged states matches the CLI's
// sketch-mode report of the same traces: the same candidates (action,
// endpoint, caller, callee) in the same order with exact counts, savings
// within the sketch's relative error (totals and means exact up to
// rounding), the same plan endpoints. It returns the largest relative
// difference seen on a percentile.
func compareReports(t *testing.T, got, want *report.Report) float64 {
	t.Helper()
	if got.Summary.Requests != want.Summary.Requests {
		t.Errorf("requests: merged states %d, CLI %d", got.Summary.Requests, want.Summary.Requests)
	}
	key := func(c report.Candidate) string {
		return fmt.Sprintf("%s %s/%s %s/%s -> %s/%s", c.Action, c.Endpoint.Service, c.Endpoint.Operation,
			c.Caller.Service, c.Caller.Operation, c.Callee.Service, c.Callee.Operation)
	}
	var gk, wk []string
	for _, c := range got.Candidates {
		gk = append(gk, key(c))
	}
	for _, c := range want.Candidates {
		wk = append(wk, key(c))
	}
	if !slices.Equal(gk, wk) {
		t.Fatalf("candidates differ:\nmerged states: %q\nCLI:           %q", gk, wk)
	}
	if len(wk) == 0 {
		t.Fatal("no candidate: the comparison proves nothing")
	}
	worst := 0.0
	for i, g := range got.Candidates {
		w := want.Candidates[i]
		if g.Calls != w.Calls || g.Traces != w.Traces {
			t.Errorf("%s: calls/traces merged %d/%d, CLI %d/%d", gk[i], g.Calls, g.Traces, w.Calls, w.Traces)
		}
		if g.Recommended != w.Recommended {
			t.Errorf("%s: recommended merged %v, CLI %v", gk[i], g.Recommended, w.Recommended)
		}
		if !relClose(g.SavingsMs.Total, w.SavingsMs.Total, 1e-9) || !relClose(g.SavingsMs.Mean, w.SavingsMs.Mean, 1e-9) {
			t.Errorf("%s: saving total/mean merged %v/%v, CLI %v/%v", gk[i], g.SavingsMs.Total, g.SavingsMs.Mean, w.SavingsMs.Total, w.SavingsMs.Mean)
		}
		for _, p := range []struct {
			name      string
			got, want float64
		}{{"p50", g.SavingsMs.P50, w.SavingsMs.P50}, {"p95", g.SavingsMs.P95, w.SavingsMs.P95}, {"p99", g.SavingsMs.P99, w.SavingsMs.P99}} {
			if w := math.Abs(p.want); w > 0 {
				worst = max(worst, math.Abs(p.got-p.want)/w)
			}
			if !relClose(p.got, p.want, sketchRelErr) {
				t.Errorf("%s: saving %s merged %v, CLI %v: more than %.1f%% apart", gk[i], p.name, p.got, p.want, 100*sketchRelErr)
			}
		}
	}
	planKey := func(p []report.PlanEndpoint) []string {
		var out []string
		for _, e := range p {
			out = append(out, e.Endpoint.Service+"/"+e.Endpoint.Operation)
		}
		return out
	}
	if g, w := planKey(got.Plan), planKey(want.Plan); !slices.Equal(g, w) {
		t.Errorf("plan endpoints: merged states %q, CLI %q", g, w)
		return worst
	}
	// Each connector simulated its requests under the plan it guessed:
	// the merged plan is the CLI's, changes simulated together.
	for i, g := range got.Plan {
		w := want.Plan[i]
		if g.Estimated || !slices.Equal(g.Changes, w.Changes) {
			t.Errorf("plan of %v: changes %v estimated %v, CLI %v", g.Endpoint, g.Changes, g.Estimated, w.Changes)
		}
		for _, p := range []struct {
			name      string
			got, want float64
		}{{"after p50", g.AfterMs.P50, w.AfterMs.P50}, {"after p95", g.AfterMs.P95, w.AfterMs.P95}, {"after p99", g.AfterMs.P99, w.AfterMs.P99},
			{"before p95", g.BeforeMs.P95, w.BeforeMs.P95}} {
			if w := math.Abs(p.want); w > 0 {
				worst = max(worst, math.Abs(p.got-p.want)/w)
			}
			if !relClose(p.got, p.want, sketchRelErr) {
				t.Errorf("plan of %v: %s merged %v, CLI %v: more than %.1f%% apart", g.Endpoint, p.name, p.got, p.want, 100*sketchRelErr)
			}
		}
	}
	return worst
}

// TestCollectorTwoTier sends the bundled shop's traces through the first
// tier, lets the second tier's connectors emit their states at their
// interval, stops every Collector gracefully and checks that the merged
// states report what the CLI reports on the same traces.
func TestCollectorTwoTier(t *testing.T) {
	root := requireIntegration(t)
	tt := startTwoTier(t, root, 500*time.Millisecond, time.Second, true)
	td := loadFixture(t, root)
	total := len(traceIDs(td))
	sendHTTP(t, tt.http, td)

	// The interval flush, before any shutdown: every trace analysed and
	// its state written by one of the two instances.
	waitFor(t, "the connectors' interval states to cover every trace", 60*time.Second, func() bool {
		return mergedRequests(tt.stateFiles()...) == total
	})
	tt.tier1.stop(t)
	tt.a.stop(t)
	tt.b.stop(t)
	for _, c := range []*collector{tt.tier1, tt.a, tt.b} {
		checkLog(t, c)
	}

	// Both instances got traces (the load-balancing exporter split them by
	// trace ID) and no trace was split between them.
	recvA, err := readOTLPFile(filepath.Join(tt.outA, "traces.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	recvB, err := readOTLPFile(filepath.Join(tt.outB, "traces.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	idsA, idsB := traceIDs(recvA), traceIDs(recvB)
	t.Logf("load balancing: %d traces to instance a, %d to b (of %d)", len(idsA), len(idsB), total)
	if len(idsA) == 0 || len(idsB) == 0 || len(idsA)+len(idsB) != total {
		t.Errorf("routing: a %d traces, b %d, want both > 0 and %d in all", len(idsA), len(idsB), total)
	}
	for id := range idsA {
		if idsB[id] {
			t.Errorf("trace %s reached both instances", id)
		}
	}

	got, msg, err := analyze(append([]string{"--state"}, tt.stateFiles()...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("analyze --state: %s", strings.TrimSpace(msg))
	want, _, err := analyze("--savings=sketch", filepath.Join(root, "fixtures", "sync", "otlp.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	worst := compareReports(t, got, want)
	t.Logf("%d requests, %d candidates, %d plan endpoints; largest percentile difference %.3f%% (bound %.1f%%)",
		got.Summary.Requests, len(got.Candidates), len(got.Plan), 100*worst, 100*sketchRelErr)
}

// TestCollectorShutdownFlush stops a second-tier instance (the README's
// tier2.yaml as is) before its trace_timeout or interval: only the
// connector's shutdown can analyse the traces and write their state, and
// the file exporter must still take it.
func TestCollectorShutdownFlush(t *testing.T) {
	root := requireIntegration(t)
	addr, out := freeAddr(t), filepath.Join(t.TempDir(), "flush")
	c := startCollector(t, root, "tier2-flush", addr,
		tier2Env(addr, out, time.Minute, time.Minute, 50000), "tools/otelcol-syncaudit/tier2.yaml")
	td := loadFixture(t, root)
	sendGRPC(t, grpcClient(t, addr), td)
	c.stop(t)
	checkLog(t, c)
	got, _, err := analyze("--state", filepath.Join(out, "state.jsonl"))
	if err != nil {
		t.Fatalf("no state written on shutdown: %v", err)
	}
	want, _, err := analyze("--savings=sketch", filepath.Join(root, "fixtures", "sync", "otlp.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	compareReports(t, got, want)
}

// checkLog fails the test when the Collector's log says the connector's
// output was not consumed (an exporter already stopped, a full queue).
func checkLog(t *testing.T, c *collector) {
	t.Helper()
	b, err := os.ReadFile(c.log)
	if err != nil {
		t.Fatal(err)
	}
	for l := range strings.SplitSeq(string(b), "\n") {
		if strings.Contains(l, "not consumed") {
			t.Errorf("%s: %s", c.name, l)
		}
	}
}

// TestCollectorKillSecondTier kills one second-tier instance (SIGKILL) after
// one of its intervals was written and while it holds newer traces: the
// merged report loses exactly those traces, and equals the CLI's on the
// traces the survivor received plus those the killed instance had flushed.
func TestCollectorKillSecondTier(t *testing.T) {
	root := requireIntegration(t)
	// trace_timeout 3 s: after the second phase the killed instance holds its
	// traces for 3 s before it could analyse and emit them.
	tt := startTwoTier(t, root, 3*time.Second, time.Second, true)
	clones := cloneTraces(loadFixture(t, root), 10, "kill")
	var ordered []pcommon.TraceID
	seen := map[pcommon.TraceID]bool{}
	forSpans(clones, func(s ptrace.Span) {
		if !seen[s.TraceID()] {
			seen[s.TraceID()] = true
			ordered = append(ordered, s.TraceID())
		}
	})
	phase1 := map[pcommon.TraceID]bool{}
	for _, id := range ordered[:len(ordered)/2] {
		phase1[id] = true
	}
	client := grpcClient(t, tt.grpc)
	received := func(dir string) map[pcommon.TraceID]bool {
		td, _ := readOTLPFile(filepath.Join(dir, "traces.jsonl"))
		return traceIDs(td)
	}

	// Phase 1: wait until both instances have written states for all of it.
	sendGRPC(t, client, filterTraces(clones, func(id pcommon.TraceID) bool { return phase1[id] }))
	waitFor(t, "phase 1 states", 60*time.Second, func() bool {
		return mergedRequests(tt.stateFiles()...) == len(phase1)
	})
	b1 := received(tt.outB)
	if len(b1) == 0 {
		t.Fatal("instance b received no trace of phase 1")
	}

	// Phase 2: once both instances received it (their trace copies), kill b
	// before its trace_timeout lets it emit phase 2.
	sent2 := time.Now()
	sendGRPC(t, client, filterTraces(clones, func(id pcommon.TraceID) bool { return !phase1[id] }))
	waitFor(t, "phase 2 at the second tier", 10*time.Second, func() bool {
		a, b := received(tt.outA), received(tt.outB)
		for _, id := range ordered {
			if !a[id] && !b[id] {
				return false
			}
		}
		return true
	})
	tt.b.kill(t)
	if since := time.Since(sent2); since >= tt.traceTimeout {
		t.Fatalf("instance b killed %v after phase 2 was sent, not before its trace_timeout (%v): its state may hold phase 2", since, tt.traceTimeout)
	}
	stopA := time.Since(sent2)
	tt.tier1.stop(t)
	tt.a.stop(t)
	checkLog(t, tt.a)
	t.Logf("instance a stopped %v after phase 2 was sent (trace_timeout %v): its phase 2 state is its shutdown's", stopA.Round(time.Millisecond), tt.traceTimeout)

	recvA, recvB := received(tt.outA), received(tt.outB)
	lostB := 0
	for id := range recvB {
		if !phase1[id] {
			lostB++
		}
	}
	if lostB == 0 {
		t.Fatal("instance b received no trace of phase 2: nothing to lose")
	}
	// What b wrote before it was killed: exactly its phase 1 traces.
	if n := mergedRequests(filepath.Join(tt.outB, "state.jsonl")); n != len(b1) {
		t.Errorf("killed instance's states: %d requests, want its %d phase-1 traces", n, len(b1))
	}
	kept := func(id pcommon.TraceID) bool { return recvA[id] || (recvB[id] && phase1[id]) }
	subset := filepath.Join(t.TempDir(), "survived.jsonl")
	writeOTLPFile(t, subset, filterTraces(clones, kept))
	nKept := 0
	for _, id := range ordered {
		if kept(id) {
			nKept++
		}
	}
	got, _, err := analyze(append([]string{"--state"}, tt.stateFiles()...)...)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := analyze("--savings=sketch", subset)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d traces sent; a received %d, b %d (%d before its last flush, %d lost with it); merged report: %d requests",
		len(ordered), len(recvA), len(recvB), len(b1), lostB, got.Summary.Requests)
	if got.Summary.Requests != nKept || nKept != len(ordered)-lostB {
		t.Errorf("merged report counts %d requests, want %d (%d sent - %d lost)", got.Summary.Requests, len(ordered)-lostB, len(ordered), lostB)
	}
	worst := compareReports(t, got, want)
	t.Logf("merged report == CLI on the surviving %d traces; largest percentile difference %.3f%%", nKept, 100*worst)
}

// TestCollectorBurst sends a 50k-spans/s burst to one second-tier instance
// with a small max_traces: the Collector stays up, its memory stays
// bounded, and the connector counts what it dropped.
func TestCollectorBurst(t *testing.T) {
	root := requireIntegration(t)
	const (
		rate      = 50000 // spans per second
		maxTraces = 200
		perBatch  = 2500 // spans per export: 20 exports per second
		senders   = 8
		rssBound  = 256 << 20 // measured: flat at about 80 MB
	)
	seconds := envInt("SYNCAUDIT_BURST_SECONDS", 6)
	addr, out := freeAddr(t), filepath.Join(t.TempDir(), "burst")
	c := startCollector(t, root, "tier2-burst", addr,
		tier2Env(addr, out, time.Second, time.Second, maxTraces), "tools/otelcol-syncaudit/tier2.yaml")
	pid := c.cmd.Process.Pid
	base := loadFixture(t, root)
	copies := rate*seconds/base.SpanCount() + 1
	burst := cloneTraces(base, copies, "burst")
	batches := splitTraces(burst, perBatch)
	reqs := make([]ptraceotlp.ExportRequest, len(batches))
	for i, b := range batches {
		reqs[i] = ptraceotlp.NewExportRequestFromTraces(b)
	}
	rss0, _ := rssBytes(pid)

	// Sample RSS while sending, paced at rate.
	type sample struct {
		at  time.Duration
		rss int64
	}
	var samples []sample
	var peak atomic.Int64
	stopSampling := make(chan struct{})
	var wg sync.WaitGroup
	t0 := time.Now()
	wg.Go(func() {
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			if r, err := rssBytes(pid); err == nil {
				samples = append(samples, sample{time.Since(t0), r})
				if r > peak.Load() {
					peak.Store(r)
				}
			}
			select {
			case <-stopSampling:
				return
			case <-tk.C:
			}
		}
	})
	client := grpcClient(t, addr)
	var sent, failed atomic.Int64
	var next atomic.Int64
	start := time.Now()
	interval := time.Duration(float64(time.Second) * perBatch / rate)
	var sw sync.WaitGroup
	for range senders {
		sw.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					return
				}
				if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
					time.Sleep(d)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := client.Export(ctx, reqs[i])
				cancel()
				if err != nil {
					failed.Add(1)
					continue
				}
				sent.Add(int64(batches[i].SpanCount()))
			}
		})
	}
	sw.Wait()
	elapsed := time.Since(start)
	// Let the connector time out and analyse what it kept, then emit.
	time.Sleep(3 * time.Second)
	close(stopSampling)
	wg.Wait()
	if !c.running() {
		t.Fatalf("the Collector died during the burst: %v", c.err)
	}
	rss1, _ := rssBytes(pid)
	c.stop(t)
	checkLog(t, c)

	achieved := float64(sent.Load()) / elapsed.Seconds()
	t.Logf("burst: %d spans (%d traces) in %d exports over %v: %.0f spans/s (target %d), %d exports failed; RSS %.0f MB before, peak %.0f MB, %.0f MB after",
		sent.Load(), len(traceIDs(burst)), len(reqs), elapsed.Round(time.Millisecond), achieved, rate, failed.Load(),
		float64(rss0)/(1<<20), float64(peak.Load())/(1<<20), float64(rss1)/(1<<20))
	if failed.Load() > 0 {
		t.Errorf("%d exports failed", failed.Load())
	}
	if achieved < rate/2 {
		t.Errorf("sent %.0f spans/s, less than half the %d target: the burst proves little", achieved, rate)
	}
	if peak.Load() > rssBound {
		t.Errorf("peak RSS %d MB above the %d MB bound", peak.Load()>>20, rssBound>>20)
	}
	// Bounded, not just small: memory levels off while the spans keep
	// coming (buffering them all would grow it with every export).
	var firstHalf, secondHalf int64
	var series []string
	for i, s := range samples {
		if s.at < elapsed/2 {
			firstHalf = max(firstHalf, s.rss)
		} else if s.at <= elapsed {
			secondHalf = max(secondHalf, s.rss)
		}
		if i%10 == 0 {
			series = append(series, fmt.Sprintf("%.1fs:%dMB", s.at.Seconds(), s.rss>>20))
		}
	}
	t.Logf("RSS: peak %d MB in the burst's first half, %d MB in its second; samples %s", firstHalf>>20, secondHalf>>20, strings.Join(series, " "))
	if secondHalf > firstHalf*3/2+32<<20 {
		t.Errorf("RSS still growing: peak %d MB in the burst's second half, %d MB in its first", secondHalf>>20, firstHalf>>20)
	}

	// The connector's own metrics count the drops by reason, and the
	// traces it analysed; together they account for every span sent.
	dropped, analysed := connectorCounts(t, filepath.Join(out, "metrics.jsonl"))
	t.Logf("connector: dropped %v, analysed %d traces", dropped, analysed)
	if dropped["max_traces"] == 0 {
		t.Errorf("no span dropped for max_traces=%d", maxTraces)
	}
	if analysed == 0 || analysed >= int64(len(traceIDs(burst))) {
		t.Errorf("analysed %d traces of %d: want some, not all", analysed, len(traceIDs(burst)))
	}
	var total int64
	for _, n := range dropped {
		total += n
	}
	if total >= sent.Load() {
		t.Errorf("dropped %d spans of %d sent", total, sent.Load())
	}
	logText, _ := os.ReadFile(c.log)
	if !bytes.Contains(logText, []byte("spans dropped in the interval")) {
		t.Errorf("the Collector's log does not report the drops")
	}
	// And the states of what was kept still merge into a report.
	if _, _, err := analyze("--state", filepath.Join(out, "state.jsonl")); err != nil {
		t.Error(err)
	}
}

// connectorCounts sums, over every interval in the metrics file, the
// connector's dropped spans by reason and its analysed traces.
func connectorCounts(t *testing.T, path string) (map[string]int64, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dropped := map[string]int64{}
	var analysed int64
	var um pmetric.JSONUnmarshaler
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		md, err := um.UnmarshalMetrics(sc.Bytes())
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		for _, rm := range md.ResourceMetrics().All() {
			for _, sm := range rm.ScopeMetrics().All() {
				for _, m := range sm.Metrics().All() {
					if m.Type() != pmetric.MetricTypeSum {
						continue
					}
					for _, dp := range m.Sum().DataPoints().All() {
						switch m.Name() {
						case "syncaudit.connector.spans.dropped":
							reason, _ := dp.Attributes().Get("syncaudit.reason")
							dropped[reason.Str()] += dp.IntValue()
						case "syncaudit.connector.traces.analysed":
							analysed += dp.IntValue()
						}
					}
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return dropped, analysed
}
