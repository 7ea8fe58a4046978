package fetch_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/syncaudit/syncaudit/cli"
	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/fetch"
)

// integrationEnv gates the tests that start a real Jaeger.
const integrationEnv = "SYNCAUDIT_INTEGRATION"

// jaegerProc is a real Jaeger v2 (bin/jaeger, in-memory storage) on free
// loopback ports.
type jaegerProc struct {
	otlpHTTP, queryHTTP, queryGRPC string // host:port
}

func (j *jaegerProc) url() string { return "http://" + j.queryHTTP }

// startJaeger runs bin/jaeger with tools/jaeger/jaeger-local.yaml, as
// scripts/shop-run.sh does, and stops it when the test ends.
func startJaeger(t *testing.T) *jaegerProc {
	t.Helper()
	if os.Getenv(integrationEnv) != "1" {
		t.Skipf("set %s=1 to run against a real Jaeger (bin/jaeger, built by scripts/install-tools.sh --only jaeger)", integrationEnv)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, "bin", "jaeger")
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("%s=1 but %s is missing: run scripts/install-tools.sh --only jaeger (about 5 min cold)", integrationEnv, bin)
	}
	ports := freePorts(t, 5)
	j := &jaegerProc{otlpHTTP: ports[0], queryHTTP: ports[2], queryGRPC: ports[3]}
	health := ports[4]
	logPath := filepath.Join(t.TempDir(), "jaeger.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", "file:"+filepath.Join(root, "tools", "jaeger", "jaeger-local.yaml"))
	cmd.Env = append(os.Environ(),
		"JAEGER_OTLP_HTTP="+ports[0], "JAEGER_OTLP_GRPC="+ports[1],
		"JAEGER_QUERY_HTTP="+ports[2], "JAEGER_QUERY_GRPC="+ports[3], "JAEGER_HEALTH_HTTP="+health)
	cmd.Stdout, cmd.Stderr = logf, logf
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// done is closed when jaeger has exited (waitErr then holds why), so
	// that both the start-up loop and the cleanup can wait for it.
	done := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
	})
	for _, u := range []string{"http://" + health + "/status", j.url() + "/api/services"} {
		for {
			resp, err := http.Get(u)
			if err == nil {
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					break
				}
			}
			select {
			case <-done:
				log, _ := os.ReadFile(logPath)
				t.Fatalf("jaeger exited (%v):\n%s", waitErr, tail(log))
			case <-time.After(10 * time.Millisecond):
			}
			if time.Since(t0) > 20*time.Second {
				log, _ := os.ReadFile(logPath)
				t.Fatalf("jaeger not ready after 20s:\n%s", tail(log))
			}
		}
	}
	t.Logf("jaeger ready in %v", time.Since(t0).Round(time.Millisecond))
	return j
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

func freePorts(t *testing.T, n int) []string {
	var out []string
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

// openLines opens an OTLP/JSON lines file, plain or gzip-compressed (the
// committed fixtures are gzip -n -9; syncaudit fetch writes plain files),
// told apart by the gzip magic bytes as syncaudit does.
func openLines(t *testing.T, path string) io.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	br := bufio.NewReader(f)
	if magic, _ := br.Peek(2); !bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		return br
	}
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return zr
}

// fixture is a committed OTLP/JSON lines file and what it holds.
type fixture struct {
	path       string
	spans      map[string]int // spans per trace ID
	first, end time.Time      // earliest and latest span start
}

func readFixture(t *testing.T, path string) *fixture {
	t.Helper()
	fx := &fixture{path: path}
	fx.spans = spansPerTrace(t, path)
	eachLine(t, openLines(t, path), func(td ptrace.Traces) {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				spans := sss.At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					s := spans.At(k).StartTimestamp().AsTime()
					if fx.first.IsZero() || s.Before(fx.first) {
						fx.first = s
					}
					if s.After(fx.end) {
						fx.end = s
					}
				}
			}
		}
	})
	return fx
}

func eachLine(t *testing.T, r io.Reader, fn func(ptrace.Traces)) {
	t.Helper()
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 256<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(sc.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		fn(td)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// spansPerTrace counts the spans per trace ID of a file in any format
// syncaudit reads (OTLP/JSON lines from api_v3 and gRPC, Jaeger UI JSON
// lines from the classic API; plain or compressed), as decode reads it.
func spansPerTrace(t *testing.T, path string) map[string]int {
	t.Helper()
	var c decoder.Collect
	if _, err := decode.Read(t.Context(), decode.FileInput(path), decode.Options{}, &c); err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, s := range c.Spans {
		out[s.TraceID.String()]++
	}
	return out
}

// post sends each line of an OTLP/JSON lines file (plain or gzip) to the
// OTLP/HTTP receiver, uncompressed.
func post(t *testing.T, j *jaegerProc, path string) {
	t.Helper()
	sc := bufio.NewScanner(openLines(t, path))
	sc.Buffer(nil, 256<<20)
	for sc.Scan() {
		resp, err := http.Post("http://"+j.otlpHTTP+"/v1/traces", "application/json", bytes.NewReader(sc.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("POST /v1/traces: %d %s", resp.StatusCode, b)
		}
	}
}

// syncaudit runs the CLI and returns its exit code, stdout and stderr.
func syncaudit(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := cli.Main(args, cli.Test(nil, &out, &errOut))
	return code, out.String(), errOut.String()
}

// report analyses args (-o json) and returns its endpoints and candidates.
func report(t *testing.T, args ...string) (endpoints, candidates any) {
	t.Helper()
	code, out, errOut := syncaudit(append([]string{"analyze", "-o", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("analyze %v: exit %d\n%s", args, code, errOut)
	}
	var rep struct {
		Endpoints  any `json:"endpoints"`
		Candidates any `json:"candidates"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	return rep.Endpoints, rep.Candidates
}

func rfc(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// TestIntegrationJaeger feeds the committed shop fixtures to a real Jaeger
// v2 over OTLP/HTTP, reads them back over every API with `syncaudit
// fetch`, and checks that the same traces come back whole and analyse to
// the same report.
//
//	SYNCAUDIT_INTEGRATION=1 go test ./fetch -run Integration -v
func TestIntegrationJaeger(t *testing.T) {
	j := startJaeger(t)
	fixtures := map[string]*fixture{}
	for _, v := range []string{"sync", "async"} {
		fx := readFixture(t, filepath.Join("..", "fixtures", v, "otlp.jsonl.gz"))
		fixtures[v] = fx
		post(t, j, fx.path)
	}
	sync := fixtures["sync"]
	// Wait until Jaeger holds every span (its batch processor flushes
	// every 200 ms).
	t0 := time.Now()
	want := 0
	for _, fx := range fixtures {
		for _, n := range fx.spans {
			want += n
		}
	}
	all := fetch.Query{Service: "order", Start: sync.first.Add(-time.Minute), End: fixtures["async"].end.Add(time.Minute)}
	for {
		c := &fetch.Client{API: fetch.APIv3, URL: j.url()}
		var spans int
		_, err := c.Fetch(t.Context(), all, func(tr fetch.Trace) error { spans += tr.Spans; return nil })
		if err == nil && spans == want {
			break
		}
		if time.Since(t0) > 20*time.Second {
			t.Fatalf("Jaeger holds %d spans (%v), want %d", spans, err, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("all %d spans queryable %v after the POSTs", want, time.Since(t0).Round(time.Millisecond))

	dir := t.TempDir()
	apis := []struct {
		name string
		args []string
	}{
		{"v3", []string{"--jaeger", j.url()}},
		{"grpc", []string{"--jaeger-grpc", j.queryGRPC}},
		{"classic", []string{"--jaeger", j.url(), "--api", "classic"}},
	}
	for v, fx := range fixtures {
		wantEP, wantCand := report(t, fx.path)
		uiEP, uiCand := report(t, filepath.Join("..", "fixtures", v, "jaeger.json.gz"))
		for _, api := range apis {
			for _, page := range []string{"200", "3"} {
				name := fmt.Sprintf("%s/%s/page%s", v, api.name, page)
				t.Run(name, func(t *testing.T) {
					out := filepath.Join(dir, strings.ReplaceAll(name, "/", "-")+".jsonl")
					args := append([]string{"fetch", "--service", "order", "--start", rfc(fx.first), "--end", rfc(fx.end),
						"--page-size", page, "-o", out}, api.args...)
					t1 := time.Now()
					code, _, errOut := syncaudit(args...)
					if code != 0 {
						t.Fatalf("fetch: exit %d\n%s", code, errOut)
					}
					t.Logf("%s in %v", strings.TrimSpace(errOut), time.Since(t1).Round(time.Millisecond))
					if got := spansPerTrace(t, out); !reflect.DeepEqual(got, fx.spans) {
						t.Fatalf("fetched %d traces %v, want %d %v", len(got), got, len(fx.spans), fx.spans)
					}
					if page != "200" {
						return
					}
					ep, cand := report(t, out)
					if api.name == "classic" {
						// Jaeger UI JSON carries microseconds: the report
						// matches the committed UI export of the same spans.
						if !reflect.DeepEqual(ep, uiEP) || !reflect.DeepEqual(cand, uiCand) {
							t.Errorf("classic report differs from fixtures/%s/jaeger.json.gz's", v)
						}
						return
					}
					if !reflect.DeepEqual(ep, wantEP) {
						t.Errorf("endpoints differ from the fixture's:\n got %v\nwant %v", ep, wantEP)
					}
					if !reflect.DeepEqual(cand, wantCand) {
						t.Errorf("candidates differ from the fixture's:\n got %v\nwant %v", cand, wantCand)
					}
				})
			}
		}
		t.Run(v+"/analyze --jaeger", func(t *testing.T) {
			ep, cand := report(t, "--jaeger", j.url(), "--service", "order", "--start", rfc(fx.first), "--end", rfc(fx.end))
			if !reflect.DeepEqual(ep, wantEP) || !reflect.DeepEqual(cand, wantCand) {
				t.Errorf("analyze --jaeger differs from analysing %s", fx.path)
			}
		})
	}

	t.Run("limit and tag", func(t *testing.T) {
		out := filepath.Join(dir, "limit.jsonl")
		code, _, errOut := syncaudit("fetch", "--jaeger", j.url(), "--service", "order", "--start", rfc(all.Start), "--end", rfc(all.End),
			"--limit", "7", "-o", out)
		if code != 0 || len(spansPerTrace(t, out)) != 7 || !strings.Contains(errOut, "stopped at --limit 7") {
			t.Errorf("--limit 7: exit %d, %d traces\n%s", code, len(spansPerTrace(t, out)), errOut)
		}
		// The sync run has one failed checkout (payment answered 503):
		// select it by its status code attribute over each API.
		for _, api := range apis {
			out := filepath.Join(dir, "tag-"+api.name+".jsonl")
			args := append([]string{"fetch", "--service", "payment", "--tag", "http.response.status_code=503",
				"--start", rfc(sync.first), "--end", rfc(sync.end), "-o", out}, api.args...)
			code, _, errOut := syncaudit(args...)
			if code != 0 {
				t.Errorf("%s: exit %d\n%s", api.name, code, errOut)
				continue
			}
			if got := spansPerTrace(t, out); len(got) != 1 {
				t.Errorf("%s: %d traces with a 503 from payment, want 1", api.name, len(got))
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		closed := freePorts(t, 1)[0]
		tests := []struct {
			name string
			args []string
			code int
			msg  string
		}{
			{"no traces", []string{"--jaeger", j.url(), "--service", "nosuch"}, cli.ExitNoData, "holds no traces"},
			{"refused", []string{"--jaeger", "http://" + closed, "--service", "order"}, cli.ExitUnavailable, "connection refused"},
			{"grpc refused", []string{"--jaeger-grpc", closed, "--service", "order"}, cli.ExitUnavailable, "connection refused"},
			{"otlp port", []string{"--jaeger", "http://" + j.otlpHTTP, "--service", "order"}, cli.ExitUnavailable, "is this a Jaeger query URL?"},
			{"grpc on the http port", []string{"--jaeger-grpc", j.queryHTTP, "--service", "order"}, cli.ExitUnavailable, "not the HTTP port"},
			{"ui path", []string{"--jaeger", j.url() + "/search", "--service", "order"}, cli.ExitUnavailable, "is this a Jaeger query URL?"},
			{"page above max_traces", []string{"--jaeger", j.url(), "--service", "order", "--limit", "0", "--page-size", "200000"}, cli.ExitUnavailable, "lower --page-size"},
		}
		for _, tt := range tests {
			out := filepath.Join(dir, "err.jsonl")
			args := append([]string{"fetch", "--start", rfc(all.Start), "--end", rfc(all.End), "-o", out}, tt.args...)
			code, _, errOut := syncaudit(args...)
			if code != tt.code || !strings.Contains(errOut, tt.msg) {
				t.Errorf("%s: exit %d, want %d with %q:\n%s", tt.name, code, tt.code, tt.msg, errOut)
			}
			if _, err := os.Stat(out); !os.IsNotExist(err) {
				t.Errorf("%s: output file exists", tt.name)
			}
		}
	})
}
