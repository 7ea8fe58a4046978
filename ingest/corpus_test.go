package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/internal/corpus"
	"github.com/syncaudit/syncaudit/repair"
)

func loadOne(t *testing.T, path string, compat bool) *ingest.Result {
	t.Helper()
	o := ingest.Options{Repair: repair.DefaultOptions()}
	o.Repair.JaegerCompat = compat
	res, err := ingest.Load(context.Background(), []string{path}, nil, o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func checkAccounting(t *testing.T, name string, s ingest.Summary) {
	t.Helper()
	if s.SpansInTraces+s.SpansRejected != s.SpansRead {
		t.Errorf("%s: %d in traces + %d rejected != %d read: spans were lost", name, s.SpansInTraces, s.SpansRejected, s.SpansRead)
	}
}

// TestCorpusCounts: every corpus file loads without error with the trace
// and span counts SOURCES.md records, and every span is accounted for.
func TestCorpusCounts(t *testing.T) {
	dir := corpus.Dir(t)
	for _, f := range corpus.Files {
		for _, compat := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/compat=%v", f.Path, compat), func(t *testing.T) {
				res := loadOne(t, filepath.Join(dir, f.Path), compat)
				for _, err := range res.Errors {
					t.Errorf("unexpected error: %v", err)
				}
				s := res.Summary
				if s.SpansRead != f.Spans {
					t.Errorf("spans read = %d, want %d", s.SpansRead, f.Spans)
				}
				if s.Traces != f.Traces {
					t.Errorf("traces = %d, want %d", s.Traces, f.Traces)
				}
				checkAccounting(t, f.Path, s)
				for _, tr := range res.Traces {
					if len(tr.Roots) == 0 {
						t.Errorf("trace %s has no root", tr.ID)
					}
				}
			})
		}
	}
}

// TestCorpusCRISP: the 25 CRISP cases load as one trace each with the span
// count of the file.
func TestCorpusCRISP(t *testing.T) {
	dir := corpus.Dir(t)
	for n := 1; n <= 25; n++ {
		path := filepath.Join(dir, "crisp", fmt.Sprintf("%d.json", n))
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Data []struct {
				Spans []json.RawMessage `json:"spans"`
			} `json:"data"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil || len(doc.Data) != 1 {
			t.Fatalf("%s: cannot count spans independently: %v", path, err)
		}
		want := len(doc.Data[0].Spans)
		res := loadOne(t, path, true)
		if len(res.Errors) > 0 {
			t.Errorf("%d.json: %v", n, res.Errors)
		}
		if res.Summary.SpansRead != want || res.Summary.Traces != 1 {
			t.Errorf("%d.json: read %d spans in %d traces, want %d in 1", n, res.Summary.SpansRead, res.Summary.Traces, want)
		}
		checkAccounting(t, path, res.Summary)
	}
}

// TestCorpusDirectoryOrderIndependent: loading the whole corpus as a
// directory gives the same traces as loading the files in reverse order.
func TestCorpusDirectoryOrderIndependent(t *testing.T) {
	dir := corpus.Dir(t)
	var paths []string
	for _, f := range corpus.Files {
		paths = append(paths, filepath.Join(dir, f.Path))
	}
	rev := make([]string, len(paths))
	for i, p := range paths {
		rev[len(paths)-1-i] = p
	}
	a, err := ingest.Load(context.Background(), paths, nil, ingest.Options{Repair: repair.DefaultOptions(), Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ingest.Load(context.Background(), rev, nil, ingest.Options{Repair: repair.DefaultOptions(), Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Traces) != len(b.Traces) {
		t.Fatalf("%d vs %d traces", len(a.Traces), len(b.Traces))
	}
	for i := range a.Traces {
		ta, tb := a.Traces[i], b.Traces[i]
		if ta.ID != tb.ID || len(ta.Spans) != len(tb.Spans) {
			t.Fatalf("trace %d differs: %s/%d vs %s/%d", i, ta.ID, len(ta.Spans), tb.ID, len(tb.Spans))
		}
		for k := range ta.Spans {
			if ta.Spans[k].SpanID != tb.Spans[k].SpanID || ta.Parent[k] != tb.Parent[k] || ta.Spans[k].Start != tb.Spans[k].Start {
				t.Fatalf("trace %s span %d differs", ta.ID, k)
			}
		}
	}
}
