package zipkin

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/trace"
)

// corpusDir is the shared public trace corpus next to the repository
// (../shared/corpus from the repository root).
func corpusDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join("..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("trace corpus not available at %s: %v", dir, err)
	}
	return dir
}

func TestCorpus(t *testing.T) {
	dir := corpusDir(t)
	cases := []struct {
		file          string
		traces, spans int
	}{
		{"skew.json", 1, 4},
		{"messaging-kafka.json", 1, 28},
		{"messaging2.json", 1, 11},
		{"smartthings-oauth-authorization.json", 1, 175},
		{"smartthings-mobile-web-install.json", 1, 1041},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, "zipkin", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var c decoder.Collect
			if err := Decode(tc.file, data, &c, decoder.DefaultLimits); err != nil {
				t.Fatal(err)
			}
			if c.Rejected.Total() != 0 {
				t.Errorf("rejected %v", c.Rejected)
			}
			ids := map[trace.TraceID]bool{}
			for _, s := range c.Spans {
				ids[s.TraceID] = true
			}
			if len(c.Spans) != tc.spans || len(ids) != tc.traces {
				t.Errorf("decoded %d traces / %d spans, want %d / %d", len(ids), len(c.Spans), tc.traces, tc.spans)
			}

			// Independent counts from the file's own span array.
			var raw []map[string]any
			if err := json.Unmarshal(data, &raw); err != nil {
				t.Fatal(err)
			}
			var wantShared, wantNoTime, wantKinds int
			for _, s := range raw {
				if s["shared"] == true {
					wantShared++
				}
				if s["timestamp"] == nil || s["timestamp"] == 0.0 || s["duration"] == nil {
					wantNoTime++
				}
				if s["kind"] != nil {
					wantKinds++
				}
			}
			var shared, noTime, kinds int
			for _, s := range c.Spans {
				if s.Flags&trace.FlagShared != 0 {
					shared++
				}
				if s.Warnings.Has(trace.WarnMissingTimestamp) {
					noTime++
				}
				if s.Kind != trace.KindInternal {
					kinds++
				}
				if s.Service == "" {
					t.Errorf("span %s has no service", s.SpanID)
				}
			}
			if len(raw) != len(c.Spans) || shared != wantShared || noTime != wantNoTime || kinds != wantKinds {
				t.Errorf("spans/shared/missing-time/kinded = %d/%d/%d/%d, the file has %d/%d/%d/%d",
					len(c.Spans), shared, noTime, kinds, len(raw), wantShared, wantNoTime, wantKinds)
			}
		})
	}
}

func TestCorpusSniff(t *testing.T) {
	dir := corpusDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "*", "*"))
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := filepath.Dir(rel) == "zipkin"
		for _, n := range []int{4096, 300} {
			if got := Sniff(data[:min(n, len(data))]); got != want {
				t.Errorf("Sniff(%s[:%d]) = %v, want %v", rel, n, got, want)
			}
		}
	}
}

// countEmitter counts spans without keeping them.
type countEmitter struct{ spans, rejected int }

func (e *countEmitter) Emit(s []trace.Span)          { e.spans += len(s) }
func (e *countEmitter) Reject(_ trace.Reason, n int) { e.rejected += n }

func BenchmarkDecodeSmartThings(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(corpusDir(b), "zipkin", "smartthings-mobile-web-install.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var e countEmitter
	for b.Loop() {
		e = countEmitter{}
		if err := Decode("st.json", data, &e, decoder.DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(e.spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
}
