// Package corpus locates the shared public trace corpus (../shared/corpus
// beside the repository) for tests, and lists the trace and span counts
// recorded for each file in its SOURCES.md.
//
// Input: nothing. Output: the corpus directory (or a skip) and the table of
// expected counts.
package corpus

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// RequireEnv names the environment variable that turns a missing corpus
// from a skip into a failure: .ci/run sets it, so that CI cannot pass by
// skipping every corpus test.
const RequireEnv = "SYNCAUDIT_REQUIRE_CORPUS"

// DirEnv names the environment variable that overrides where the corpus
// is looked for (default: ../shared/corpus beside the repository).
const DirEnv = "SYNCAUDIT_CORPUS"

// Dir returns the corpus directory. When it is absent, the test is
// skipped, or fails when RequireEnv is set to 1. Every test that reads the
// corpus finds it here.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := Lookup()
	if err != nil {
		if os.Getenv(RequireEnv) == "1" {
			t.Fatalf("%v (%s=1: the corpus is required)", err, RequireEnv)
		}
		t.Skipf("%v", err)
	}
	return dir
}

// Lookup returns the corpus directory, or an error saying where it was
// looked for.
func Lookup() (string, error) {
	dir := os.Getenv(DirEnv)
	if dir == "" {
		_, file, _, _ := runtime.Caller(0)
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus")
	}
	if _, err := os.Stat(filepath.Join(dir, "SOURCES.md")); err != nil {
		return "", fmt.Errorf("shared trace corpus not found at %s (it lives beside the repository): %w", dir, err)
	}
	return dir, nil
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
