package audit_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/syncaudit/syncaudit/critpath"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/internal/corpus"
	"github.com/syncaudit/syncaudit/repair"
)

// crispExpected reads the "testing" key of a CRISP case: the expected
// exclusive critical-path time (µs) per "[service] operation".
func crispExpected(t *testing.T, path string) map[string]int64 {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Testing json.RawMessage `json:"testing"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var list []map[string]int64
	if json.Unmarshal(doc.Testing, &list) == nil && len(list) > 0 {
		return list[0]
	}
	var obj struct {
		OpTimeExclusive map[string]int64 `json:"opTimeExclusive"`
	}
	if err := json.Unmarshal(doc.Testing, &obj); err != nil || obj.OpTimeExclusive == nil {
		t.Fatalf("%s: no expected result: %v", path, err)
	}
	return obj.OpTimeExclusive
}

// TestCRISPSuite runs CRISP's 25 critical-path cases through the real
// pipeline (Jaeger decoder, --jaeger-compat repair, critical path) and
// compares the exclusive critical-path time per operation.
func TestCRISPSuite(t *testing.T) {
	dir := corpus.Dir(t)
	for n := 1; n <= 25; n++ {
		t.Run(fmt.Sprintf("case%d", n), func(t *testing.T) {
			path := filepath.Join(dir, "crisp", fmt.Sprintf("%d.json", n))
			want := crispExpected(t, path)
			o := ingest.Options{Repair: repair.DefaultOptions()}
			o.Repair.JaegerCompat = true
			res, err := ingest.Load(context.Background(), []string{path}, nil, o)
			if err != nil || len(res.Errors) > 0 || len(res.Traces) != 1 {
				t.Fatalf("load: %v %v (%d traces)", err, res.Errors, len(res.Traces))
			}
			tr := res.Traces[0]
			p := critpath.Compute(tr)
			got := map[string]int64{}
			for i := range tr.Spans {
				if p.OnPath[i] {
					s := &tr.Spans[i]
					got[fmt.Sprintf("[%s] %s", s.Service, s.Name)] += p.Self[i] / 1000
				}
			}
			for k, w := range want {
				if got[k] != w {
					t.Errorf("%s: got %dµs, want %dµs", k, got[k], w)
				}
			}
			for k, g := range got {
				if _, ok := want[k]; !ok && g != 0 {
					t.Errorf("%s: got %dµs, CRISP has none", k, g)
				}
			}
		})
	}
}
