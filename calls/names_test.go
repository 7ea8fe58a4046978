package calls

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

// TestFindWithNames: one Names cache shared by every trace of the
// fixtures (whose spans share attribute lists, as decoded) gives Find's
// calls, trace by trace, in either order.
func TestFindWithNames(t *testing.T) {
	var traces []*trace.Trace
	for _, fix := range []string{"sync", "async"} {
		for _, f := range []string{"otlp.jsonl.gz", "jaeger.json.gz"} {
			res, err := ingest.Load(context.Background(), []string{filepath.Join("..", "fixtures", fix, f)}, nil,
				ingest.Options{Repair: repair.DefaultOptions()})
			if err != nil {
				t.Fatal(err)
			}
			traces = append(traces, res.Traces...)
		}
	}
	if len(traces) < 40 {
		t.Fatalf("%d traces", len(traces))
	}
	for _, reverse := range []bool{false, true} {
		var names Names
		for k := range traces {
			i := k
			if reverse {
				i = len(traces) - 1 - k
			}
			tr := traces[i]
			if got, want := FindWith(tr, &names), Find(tr); !reflect.DeepEqual(got, want) {
				t.Fatalf("trace %s: FindWith differs from Find", tr.ID)
			}
			for s := range tr.Spans {
				if got, want := names.UsefulName(&tr.Spans[s]), UsefulName(&tr.Spans[s]); got != want {
					t.Fatalf("span %d: %q, want %q", s, got, want)
				}
			}
		}
		if len(names.m) == 0 || len(names.m) > maxNames {
			t.Errorf("%d cached names", len(names.m))
		}
	}
}
