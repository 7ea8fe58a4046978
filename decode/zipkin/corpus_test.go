package zipkin

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/internal/dectest"
	"github.com/syncaudit/syncaudit/trace"
)

func TestCorpus(t *testing.T) {
	dir := dectest.CorpusDir(t)
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
	dectest.CorpusSniff(t, dectest.CorpusDir(t), Sniff, func(rel string) bool {
		return path.Dir(rel) == "zipkin" || path.Dir(rel) == "realworld/zipkin-lens"
	})
}

func BenchmarkDecodeSmartThings(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(dectest.CorpusDir(b), "zipkin", "smartthings-mobile-web-install.json"))
	if err != nil {
		b.Fatal(err)
	}
	dectest.BenchDecode(b, data, Decode)
}
