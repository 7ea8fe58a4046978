// Package corpus locates the shared public trace corpus (../shared/corpus
// beside the repository) for tests, and lists the trace and span counts
// recorded for each file in its SOURCES.md.
//
// Input: nothing. Output: the corpus directory (or a skip) and the table of
// expected counts.
package corpus

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir returns the corpus directory, or skips the test when it is absent.
func Dir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus")
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		t.Skipf("shared trace corpus not found at %s (it lives beside the repository): %v", dir, err)
	}
	return dir
}

// File is one corpus file with the counts SOURCES.md records.
type File struct {
	Path   string // relative to the corpus directory
	Traces int
	Spans  int
}

// Files lists every non-CRISP corpus file with its counts from SOURCES.md.
// The 25 CRISP cases (crisp/N.json) hold one trace each; their span counts
// are read from the files by the tests.
var Files = []File{
	{"deathstarbench/traces-1695947455229.json", 20, 660},
	{"jaeger-ui/traceWithSingleChildLongerThanParentAndStartsAfterParent.json", 1, 2},
	{"jaeger-ui/traceWithOverlappingChildrenLongerThanParent.json", 1, 4},
	{"jaeger-ui/spanLongerAsParent.json", 1, 8},
	{"jaeger-ui/otlp2jaeger-multi-in-combined.json", 1, 4},
	{"jaeger/ui_01.json", 1, 5},
	{"jaeger/otel_traces_01.json", 2, 4},
	{"jaeger/GetTrace.json", 1, 1},
	{"jaeger/trace_success.json", 1, 2},
	{"jaeger-analytics-java/ui-trace.json", 1, 2},
	{"opentelemetry-proto/trace.json", 1, 1},
	{"zipkin/skew.json", 1, 4},
	{"zipkin/messaging-kafka.json", 1, 28},
	{"zipkin/messaging2.json", 1, 11},
	{"zipkin/smartthings-oauth-authorization.json", 1, 175},
	{"zipkin/smartthings-mobile-web-install.json", 1, 1041},
	{"otlp2parquet/trace.json", 1, 2},
	{"otlp2parquet/traces.jsonl", 19, 19},
	{"otlp2parquet/traces.pb", 19, 19},
}
