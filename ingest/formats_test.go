package ingest_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// treeShape prints a trace's repaired tree with times at microsecond
// precision (what every format keeps).
func treeShape(t *trace.Trace) string {
	var b strings.Builder
	for _, r := range t.Roots {
		for _, i := range t.Preorder(r, nil) {
			s := &t.Spans[i]
			parent := "-"
			if p := t.Parent[i]; p >= 0 {
				parent = t.Spans[p].SpanID.String()
			}
			fmt.Fprintf(&b, "%s<%s %s|%s|%s|%d|%d|%v|%v\n", s.SpanID, parent, s.Service, s.Name, s.Kind,
				s.Start/1000, (s.End-s.Start)/1000, s.Async(), s.IsError())
		}
	}
	return b.String()
}

// TestSameTraceEveryFormat: the shop's traces, exported by the real
// Collector (OTLP JSON lines and length-prefixed protobuf) and read back
// from the real Jaeger v2 (UI JSON and api_v3), give the same trees. The
// files are committed gzip-compressed, so this also reads through gzip.
func TestSameTraceEveryFormat(t *testing.T) {
	for _, variant := range []string{"sync", "async"} {
		dir := filepath.Join("..", "fixtures", variant)
		var want map[trace.TraceID]string
		for _, f := range []string{"otlp.jsonl.gz", "otlp.pb.gz", "jaeger.json.gz", "apiv3.json.gz"} {
			res, err := ingest.Load(context.Background(), []string{filepath.Join(dir, f)}, nil, ingest.Options{Repair: repair.DefaultOptions()})
			if err != nil || len(res.Errors) > 0 {
				t.Fatalf("%s/%s: %v %v", variant, f, err, res.Errors)
			}
			if len(res.Traces) == 0 {
				t.Fatalf("%s/%s: no traces", variant, f)
			}
			got := map[trace.TraceID]string{}
			for _, tr := range res.Traces {
				got[tr.ID] = treeShape(tr)
			}
			if want == nil {
				want = got
				continue
			}
			if len(got) != len(want) {
				t.Errorf("%s/%s: %d traces, want %d", variant, f, len(got), len(want))
			}
			for id, w := range want {
				if got[id] != w {
					t.Errorf("%s/%s: trace %s differs:\n got:\n%s\nwant:\n%s", variant, f, id, got[id], w)
					break
				}
			}
		}
	}
}
