package cli

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"
)

// writeShape writes one OTLP/JSON line per span of a synthetic trace: a
// chain (each span the parent of the next, alternating services) or a
// fan-out (every span a child of the root, run one after another).
func writeShape(t *testing.T, n int, chain bool) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shape.jsonl")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	const t0 = int64(1_700_000_000_000_000_000)
	for i := 0; i < n; i++ {
		parent := ""
		start, end := t0+int64(i)*1000, t0+int64(2*n-i)*1000
		if i > 0 {
			p := i - 1
			if !chain {
				p = 0
				start, end = t0+int64(i)*1000, t0+int64(i)*1000+900
			}
			parent = fmt.Sprintf(`,"parentSpanId":"%016x"`, p+1)
		} else if !chain {
			end = t0 + int64(n+1)*1000
		}
		svc := []string{"gateway", "order"}[i%2]
		kind := 2
		if chain && i%2 == 1 || !chain && i > 0 {
			kind = 3
		}
		fmt.Fprintf(w, `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"%s"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"%016x"%s,"name":"op%d","kind":%d,"startTimeUnixNano":"%d","endTimeUnixNano":"%d"}]}]}]}`+"\n",
			svc, i+1, parent, i%7, kind, start, end)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// TestDeepAndWideEndToEnd runs the whole pipeline (decode, repair, critical
// path, calls, what-if, detection, every renderer) on a 100,000-deep chain
// and a 200,000-wide fan-out with a 1 MiB stack: nothing may recurse, and
// the run must stay far from quadratic.
func TestDeepAndWideEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("large inputs")
	}
	defer debug.SetMaxStack(debug.SetMaxStack(1 << 20))
	for _, tc := range []struct {
		name  string
		n     int
		chain bool
	}{{"chain-100k", 100_000, true}, {"fanout-200k", 200_000, false}} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeShape(t, tc.n, tc.chain)
			for _, args := range [][]string{
				{"tree", path},
				{"analyze", "-o", "json", path},
				{"analyze", "-o", "html", path},
			} {
				var out, errOut bytes.Buffer
				start := time.Now()
				code := Main(args, Test(nil, &out, &errOut))
				if code != ExitOK {
					t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
				}
				if !strings.Contains(errOut.String(), fmt.Sprintf("%d in 1 trace(s)", tc.n)) {
					t.Errorf("%v: not every span in the trace: %s", args, errOut.String())
				}
				if d := time.Since(start); d > 60*time.Second {
					t.Errorf("%v took %v", args, d)
				}
				if args[0] == "tree" && tc.chain {
					// Indentation is capped, so output stays linear in the spans.
					if out.Len() > 200*tc.n {
						t.Errorf("tree output %d bytes for %d spans", out.Len(), tc.n)
					}
				}
			}
		})
	}
}
