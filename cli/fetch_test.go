package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/syncaudit/syncaudit/fetch"
)

// Time range of the traces in fixtures/sync (2026-11-27 09:57:38–41 UTC).
const (
	fxStart = "2026-11-27T09:57:00Z"
	fxEnd   = "2026-11-27T09:58:00Z"
)

// miniJaeger answers /api/v3/traces from fixtures/sync/apiv3.json.gz (a real
// Jaeger v2 answer) the way Jaeger's memory store does: traces with a span
// of the service starting in [min, max], at most num_traces of them.
type miniJaeger struct {
	traces map[pcommon.TraceID]ptrace.Traces
	token  string
	mu     sync.Mutex
	hits   int
}

func newMiniJaeger(t *testing.T) *httptest.Server {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "fixtures", "sync", "apiv3.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var env struct{ Result json.RawMessage }
	if err := json.NewDecoder(zr).Decode(&env); err != nil {
		t.Fatal(err)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(env.Result)
	if err != nil {
		t.Fatal(err)
	}
	m := &miniJaeger{traces: map[pcommon.TraceID]ptrace.Traces{}}
	for _, rs := range td.ResourceSpans().All() {
		id := rs.ScopeSpans().At(0).Spans().At(0).TraceID()
		dst, ok := m.traces[id]
		if !ok {
			dst = ptrace.NewTraces()
			m.traces[id] = dst
		}
		rs.CopyTo(dst.ResourceSpans().AppendEmpty())
	}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return srv
}

func (m *miniJaeger) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m.mu.Lock()
	m.hits++
	m.mu.Unlock()
	if r.URL.Path != "/api/v3/traces" {
		http.NotFound(w, r)
		return
	}
	if m.token != "" && r.Header.Get("Authorization") != "Bearer "+m.token {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	lo, err1 := time.Parse(time.RFC3339Nano, q.Get("query.start_time_min"))
	hi, err2 := time.Parse(time.RFC3339Nano, q.Get("query.start_time_max"))
	depth, err3 := strconv.Atoi(q.Get("query.num_traces"))
	if err1 != nil || err2 != nil || err3 != nil || depth <= 0 {
		http.Error(w, `{"error":{"httpCode":400,"message":"bad query"}}`, 400)
		return
	}
	svc := q.Get("query.service_name")
	out := ptrace.NewTraces()
	n := 0
	for _, td := range m.traces {
		if n == depth {
			break
		}
		match := false
		for _, rs := range td.ResourceSpans().All() {
			if v, _ := rs.Resource().Attributes().Get("service.name"); v.Str() != svc {
				continue
			}
			for _, ss := range rs.ScopeSpans().All() {
				for _, sp := range ss.Spans().All() {
					if st := sp.StartTimestamp().AsTime(); !st.Before(lo) && !st.After(hi) {
						match = true
					}
				}
			}
		}
		if match {
			n++
			for _, rs := range td.ResourceSpans().All() {
				rs.CopyTo(out.ResourceSpans().AppendEmpty())
			}
		}
	}
	if n == 0 {
		http.Error(w, `{"error":{"httpCode":404,"message":"No traces found"}}`, 404)
		return
	}
	b, _ := (&ptrace.JSONMarshaler{}).MarshalTraces(out)
	fmt.Fprintf(w, `{"result":%s}`, b)
}

func runEnv(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	ios := Test(nil, &out, &errOut)
	ios.Getenv = func(k string) string { return env[k] }
	code = Main(args, ios)
	return code, out.String(), errOut.String()
}

// TestFetchFlags: every bad combination is a usage error (exit 2) with a
// message naming the flag.
func TestFetchFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no jaeger", []string{"fetch", "--service", "order", "-o", "x"}, "--jaeger URL"},
		{"no output", []string{"fetch", "--jaeger", "http://h:16686", "--service", "order"}, "-o FILE is required"},
		{"no service", []string{"fetch", "--jaeger", "http://h:16686", "-o", "x"}, "--service is required"},
		{"since and start", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--since", "1h", "--start", fxStart}, "exclusive"},
		{"since and end", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--since", "1h", "--end", fxEnd}, "exclusive"},
		{"end without start", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--end", fxEnd}, "--end needs --start"},
		{"bad start", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--start", "yesterday"}, "RFC 3339"},
		{"bad end", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--start", fxStart, "--end", "12:00"}, "--end"},
		{"reversed", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--start", fxEnd, "--end", fxStart}, "is not before"},
		{"negative since", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--since", "-1h"}, "--since must be positive"},
		{"bad api", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--api", "v2"}, "--api"},
		{"grpc without address", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--api", "grpc"}, "--jaeger-grpc HOST:PORT"},
		{"v3 without url", []string{"fetch", "--jaeger-grpc", "h:16685", "--service", "a", "-o", "x", "--api", "v3"}, "needs --jaeger URL"},
		{"grpc with scheme", []string{"fetch", "--jaeger-grpc", "grpc://h:16685", "--service", "a", "-o", "x"}, "without a scheme"},
		{"bad url", []string{"fetch", "--jaeger", "ftp://h", "--service", "a", "-o", "x"}, "http://"},
		{"tls over http", []string{"fetch", "--jaeger", "http://h", "--grpc-tls", "--service", "a", "-o", "x"}, "--grpc-tls"},
		{"bad tag", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--tag", "error"}, "key=value"},
		{"tag twice", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--tag", "a=1", "--tag", "a=2"}, "twice"},
		{"negative limit", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--limit", "-1"}, "--limit"},
		{"zero page", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--page-size", "0"}, "--page-size"},
		{"zero timeout", []string{"fetch", "--jaeger", "http://h", "--service", "a", "-o", "x", "--timeout", "0s"}, "--timeout must be positive"},
		{"argument", []string{"fetch", "traces.json", "--jaeger", "http://h", "--service", "a", "-o", "x"}, "takes no arguments"},
		{"analyze jaeger flags without jaeger", []string{"analyze", "x.json", "--service", "order", "--since", "2h"}, "--service, --since need --jaeger"},
		{"analyze jaeger timeout", []string{"analyze", "--jaeger", "http://h", "--service", "a", "--jaeger-timeout", "-1s"}, "--jaeger-timeout must be positive"},
		{"analyze nothing", []string{"analyze"}, "or --jaeger URL"},
		{"compare", []string{"compare", "a", "b", "--jaeger", "http://h", "--service", "a"}, "unknown flag: --jaeger"},
	}
	for _, tt := range tests {
		code, _, stderr := run(t, "", tt.args...)
		if code != ExitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%s: exit %d, want %d with %q:\n%s", tt.name, code, ExitUsage, tt.want, stderr)
		}
	}
}

// TestFetchFlagsParsed maps flags to the client and query.
func TestFetchFlagsParsed(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		args  []string
		env   map[string]string
		check func(*fetch.Client, fetch.Query) string
	}{
		{[]string{"--jaeger", "http://h:16686", "--service", "order"}, nil, func(c *fetch.Client, q fetch.Query) string {
			if c.API != fetch.APIv3 || !q.Start.Equal(now.Add(-time.Hour)) || !q.End.Equal(now) || q.Limit != 1000 ||
				q.PageSize != fetch.DefaultPageSize || c.Timeout != 30*time.Second || c.Token != "" {
				return fmt.Sprintf("defaults: %+v %+v", c, q)
			}
			return ""
		}},
		{[]string{"--jaeger-grpc", "h:16685", "--service", "order", "--since", "2h", "--tag", "b=2", "--tag", "a=x=y", "--limit", "0", "--timeout", "5s"},
			map[string]string{TokenEnv: "from-env"}, func(c *fetch.Client, q fetch.Query) string {
				if c.API != fetch.APIGRPC || c.GRPCAddr != "h:16685" || !q.Start.Equal(now.Add(-2*time.Hour)) || q.Limit != 0 ||
					!reflect.DeepEqual(q.Tags, []fetch.Tag{{Key: "a", Value: "x=y"}, {Key: "b", Value: "2"}}) || c.Timeout != 5*time.Second || c.Token != "from-env" {
					return fmt.Sprintf("grpc: %+v %+v", c, q)
				}
				return ""
			}},
		{[]string{"--jaeger", "h:16686", "--api", "classic", "--service", "order", "--operation", "POST /x", "--start", fxStart, "--token", "flag"},
			map[string]string{TokenEnv: "from-env"}, func(c *fetch.Client, q fetch.Query) string {
				if c.API != fetch.APIClassic || q.Operation != "POST /x" || q.Start.Format(time.RFC3339) != fxStart || !q.End.Equal(now) || c.Token != "flag" {
					return fmt.Sprintf("classic: %+v %+v", c, q)
				}
				return ""
			}},
	}
	for _, tt := range tests {
		var got *FetchOptions
		ios := Test(nil, &bytes.Buffer{}, &bytes.Buffer{})
		ios.Getenv = func(k string) string { return tt.env[k] }
		cmd := NewCmdFetch(ios, func(o *FetchOptions) error { got = o; return nil })
		cmd.SetArgs(append(tt.args, "-o", "out.jsonl"))
		cmd.SetOut(&bytes.Buffer{})
		cmd.SetErr(&bytes.Buffer{})
		if err := cmd.Execute(); err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		c, q, err := got.jaeger.build(ios, now)
		if err != nil {
			t.Errorf("%v: %v", tt.args, err)
			continue
		}
		if msg := tt.check(c, q); msg != "" {
			t.Errorf("%v: %s", tt.args, msg)
		}
	}
}

// TestFetchCommand: fetch writes OTLP/JSON lines that analyze reads back
// to the same report as the fixture; analyze --jaeger does it in one step.
func TestFetchCommand(t *testing.T) {
	srv := newMiniJaeger(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "order.jsonl")
	code, stdout, stderr := run(t, "", "fetch", "--jaeger", srv.URL, "--service", "order", "--start", fxStart, "--end", fxEnd, "--page-size", "6", "-o", out)
	if code != ExitOK || stdout != "" || !strings.Contains(stderr, "fetched 20 trace(s), 273 span(s)") {
		t.Fatalf("fetch: exit %d\nstdout %q\nstderr %s", code, stdout, stderr)
	}
	if _, err := os.Stat(out + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("temporary file left: %v", err)
	}
	want := analyzeJSON(t, filepath.Join("..", "fixtures", "sync", "otlp.jsonl.gz"))
	if got := analyzeJSON(t, out); !reflect.DeepEqual(got, want) {
		t.Errorf("report of the fetched file differs from the fixture's")
	}
	if got := analyzeJSON(t, "--jaeger", srv.URL, "--service", "order", "--start", fxStart, "--end", fxEnd); !reflect.DeepEqual(got, want) {
		t.Errorf("analyze --jaeger differs from the fixture's report")
	}

	// -o - streams to stdout.
	code, stdout, _ = run(t, "", "fetch", "--jaeger", srv.URL, "--service", "order", "--start", fxStart, "--end", fxEnd, "-o", "-")
	if code != ExitOK || strings.Count(stdout, "\n") != 20 || !strings.HasPrefix(stdout, `{"resourceSpans":[`) {
		t.Errorf("-o -: exit %d, %d lines", code, strings.Count(stdout, "\n"))
	}

	// tree --jaeger with a trace ID, plus a file input.
	code, stdout, stderr = run(t, "", "tree", filepath.Join("testdata", "bad", "good.jsonl"), "--jaeger", srv.URL, "--service", "order",
		"--start", fxStart, "--end", fxEnd, "--trace-id", "20050f7099bc6ab4ed9571ba7c0660bd")
	if code != ExitOK || !strings.Contains(stdout, "trace 20050f7099bc6ab4ed9571ba7c0660bd") || !strings.Contains(stderr, "read 2 file(s)") {
		t.Errorf("tree --jaeger: exit %d\n%s\n%s", code, stdout, stderr)
	}
}

func analyzeJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	// Traces from Jaeger stream into the decoders: no temporary file (a
	// TMPDIR that does not exist would make one fail).
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "missing"))
	code, stdout, stderr := run(t, "", append([]string{"analyze", "-o", "json"}, args...)...)
	if code != ExitOK {
		t.Fatalf("analyze %v: exit %d\n%s", args, code, stderr)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	return map[string]any{"endpoints": rep["endpoints"], "candidates": rep["candidates"]}
}

// TestFetchExitCodes: no traces exits 5, an unreachable or refusing Jaeger
// exits 6, and no output file is created in either case.
func TestFetchExitCodes(t *testing.T) {
	srv := newMiniJaeger(t)
	authSrv := httptest.NewServer(&miniJaeger{token: "s3cret", traces: map[pcommon.TraceID]ptrace.Traces{}})
	t.Cleanup(authSrv.Close)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want []string
	}{
		{"no traces", nil, []string{"--jaeger", srv.URL, "--service", "nosuch"}, ExitNoData, []string{`Jaeger holds no traces for service "nosuch" between 2026-11-27T09:57:00Z and 2026-11-27T09:58:00Z`}},
		{"no traces in range", nil, []string{"--jaeger", srv.URL, "--service", "order", "--since", "1m"}, ExitNoData, []string{"holds no traces"}},
		{"refused", nil, []string{"--jaeger", closed, "--service", "order"}, ExitUnavailable, []string{"cannot reach Jaeger", "connection refused"}},
		{"wrong path", nil, []string{"--jaeger", srv.URL + "/jaeger", "--service", "order"}, ExitUnavailable, []string{"is this a Jaeger query URL?"}},
		{"auth", nil, []string{"--jaeger", authSrv.URL, "--service", "order"}, ExitUnavailable, []string{"HTTP 401", "--token", TokenEnv}},
		{"auth from env", map[string]string{TokenEnv: "s3cret"}, []string{"--jaeger", authSrv.URL, "--service", "order"}, ExitNoData, []string{"holds no traces"}},
	}
	for _, tt := range tests {
		out := filepath.Join(t.TempDir(), "out.jsonl")
		args := append([]string{"fetch", "-o", out}, tt.args...)
		if !slices.Contains(tt.args, "--since") {
			args = append(args, "--start", fxStart, "--end", fxEnd)
		}
		code, _, stderr := runEnv(t, tt.env, args...)
		if code != tt.code {
			t.Errorf("%s: exit %d, want %d\n%s", tt.name, code, tt.code, stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%s: stderr lacks %q:\n%s", tt.name, w, stderr)
			}
		}
		if _, err := os.Stat(out); !os.IsNotExist(err) {
			t.Errorf("%s: output file created", tt.name)
		}
		// analyze --jaeger ends the same way.
		aargs := append([]string{"analyze"}, args[3:]...)
		if code, _, stderr := runEnv(t, tt.env, aargs...); code != tt.code {
			t.Errorf("%s: analyze exit %d, want %d\n%s", tt.name, code, tt.code, stderr)
		}
	}
	// With other inputs, an empty Jaeger search is only a warning.
	code, _, stderr := run(t, "", "analyze", filepath.Join("..", "fixtures", "sync", "otlp.jsonl.gz"), "--jaeger", srv.URL, "--service", "nosuch",
		"--start", fxStart, "--end", fxEnd)
	if code != ExitOK || !strings.Contains(stderr, "warning: Jaeger holds no traces") {
		t.Errorf("analyze FILE --jaeger (empty): exit %d\n%s", code, stderr)
	}
}

func TestFetchProgress(t *testing.T) {
	var errOut bytes.Buffer
	ios := Test(nil, &bytes.Buffer{}, &errOut)
	ios.ErrTTY = true
	p := newProgress(ios)
	clock := p.start
	p.now = func() time.Time { return clock }
	p.fetched(fetch.Progress{Requests: 1, Traces: 10, Spans: 50, Covered: 0.1})
	if errOut.Len() != 0 {
		t.Fatalf("printed before the delay: %q", errOut.String())
	}
	clock = clock.Add(time.Second)
	p.fetched(fetch.Progress{Requests: 7, Traces: 300, Spans: 4000, Covered: 0.5})
	if got := errOut.String(); !strings.Contains(got, "fetching [============            ]  50% of the range, 300 traces, 4000 spans, 7 requests") {
		t.Fatalf("got %q", got)
	}
	var nilP *progress
	nilP.fetched(fetch.Progress{}) // no terminal: no-op
}
