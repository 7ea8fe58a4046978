package otlp

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"

	"github.com/syncaudit/syncaudit/internal/corpus"
)

func decodeFile(t *testing.T, path string) *decoder.Collect {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	c := &decoder.Collect{}
	if strings.HasSuffix(path, ".pb") {
		err = DecodeProto(path, data, c, decoder.Limits{})
	} else {
		err = DecodeJSON(path, data, c, decoder.Limits{})
	}
	if err != nil {
		t.Fatal(err)
	}
	checkEmitted(t, c.Spans)
	if c.Rejected.Total() != 0 {
		t.Errorf("rejected %v", c.Rejected)
	}
	return c
}

// TestCorpus decodes the public sample files with their known counts.
func TestCorpus(t *testing.T) {
	corpus := corpus.Dir(t)
	tests := []struct {
		file          string
		traces, spans int
	}{
		{"jaeger/otel_traces_01.json", 2, 4},
		{"jaeger/GetTrace.json", 1, 1},
		{"opentelemetry-proto/trace.json", 1, 1},
		{"jaeger-ui/otlp2jaeger-multi-in-combined.json", 1, 4},
		{"otlp2parquet/trace.json", 1, 2},
		{"otlp2parquet/traces.jsonl", 19, 19},
		{"otlp2parquet/traces.pb", 19, 19},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			c := decodeFile(t, filepath.Join(corpus, tt.file))
			if got := traceCount(c.Spans); got != tt.traces || len(c.Spans) != tt.spans {
				t.Errorf("%d traces / %d spans, want %d / %d", got, len(c.Spans), tt.traces, tt.spans)
			}
			for _, s := range c.Spans {
				if s.Name == "" || (s.Service == "" && tt.file != "jaeger/GetTrace.json") {
					t.Errorf("span without name or service: %s", dumpSpan(s))
				}
			}
		})
	}
}

// TestCorpusJSONLinesMatchesProto checks that otlp2parquet's protobuf-style
// JSON lines (base64 IDs, enum names) and its protobuf file, which hold the
// same spans, decode identically.
func TestCorpusJSONLinesMatchesProto(t *testing.T) {
	corpus := corpus.Dir(t)
	lines := decodeFile(t, filepath.Join(corpus, "otlp2parquet", "traces.jsonl"))
	pb := decodeFile(t, filepath.Join(corpus, "otlp2parquet", "traces.pb"))
	diffSpans(t, lines.Spans, pb.Spans)
}
