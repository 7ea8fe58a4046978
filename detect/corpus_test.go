package detect

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"

	"github.com/syncaudit/syncaudit/internal/corpus"
)

// Real exports: detection runs, finds something where the data has
// sequential calls, and does not depend on request order.
func TestCorpus(t *testing.T) {
	dir := corpus.Dir(t)
	for _, file := range []string{
		"deathstarbench/traces-1695947455229.json",
		"zipkin/smartthings-mobile-web-install.json",
		"zipkin/messaging-kafka.json",
		"jaeger/otel_traces_01.json",
	} {
		t.Run(file, func(t *testing.T) {
			res, err := ingest.Load(context.Background(), []string{filepath.Join(dir, file)}, nil,
				ingest.Options{Repair: repair.DefaultOptions()})
			if err != nil {
				t.Fatal(err)
			}
			reqs := requests(res.Traces...)
			got, err := Run(context.Background(), reqs, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			rec := 0
			for _, f := range got.Findings {
				if f.Recommended {
					rec++
				}
			}
			t.Logf("%d traces, %d requests: %d findings, %d recommended, %d plan endpoints",
				len(res.Traces), len(reqs), len(got.Findings), rec, len(got.Plan))
			for _, f := range got.Findings[:min(5, len(got.Findings))] {
				t.Logf("  %d %s %s -> %s: total %.1f ms, mean %.1f ms, confidence %.2f %q",
					f.Rank, f.Action, f.Caller, f.Callee, savMs(f.Savings).Total, savMs(f.Savings).Mean, f.Confidence, f.Reasons)
			}
			slices.Reverse(reqs)
			again, err := Run(context.Background(), reqs, DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(again.Findings, got.Findings) || !reflect.DeepEqual(again.Plan, got.Plan) {
				t.Error("result depends on request order")
			}
		})
	}
}
