package syncauditconnector

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/plog"

	"github.com/syncaudit/syncaudit/cli"
	"github.com/syncaudit/syncaudit/report"
)

// TestStateThroughFileExport: the state records, written as the file
// exporter writes logs (OTLP/JSON, one document per line), are read by
// `syncaudit analyze --state` into the candidates detect finds on the
// same spans.
func TestStateThroughFileExport(t *testing.T) {
	cfg := testConfig()
	h := newHarness(t, cfg)
	for i, td := range fixtureTraces(t) {
		h.feed(td)
		if i%5 == 4 {
			h.c.tick(context.Background(), h.advance(time.Minute)) // several intervals
		}
	}
	h.c.tick(context.Background(), h.advance(time.Minute))
	var buf bytes.Buffer
	var m plog.JSONMarshaler
	for _, ld := range h.logs.AllLogs() {
		b, err := m.MarshalLogs(ld)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	if !bytes.Contains(buf.Bytes(), []byte(`"eventName":"syncaudit.state"`)) || !bytes.Contains(buf.Bytes(), []byte(`"bytesValue":`)) {
		t.Fatalf("unexpected OTLP/JSON: %.300s", buf.String())
	}
	file := filepath.Join(t.TempDir(), "states.jsonl")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	if code := cli.Main([]string{"analyze", "--state", "-o", "json", file}, cli.Test(nil, &out, &errOut)); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var rep report.Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	want, nreq := wantFindings(t)
	if rep.Summary.Requests != nreq || len(rep.Candidates) != len(want.Findings) {
		t.Fatalf("%d requests, %d candidates; want %d, %d", rep.Summary.Requests, len(rep.Candidates), nreq, len(want.Findings))
	}
	for i, f := range want.Findings {
		c := rep.Candidates[i]
		if c.Rank != f.Rank || string(c.Action) != f.Action || c.Callee.Service != f.Callee.Service || c.Calls != f.Calls || c.Traces != f.Traces {
			t.Errorf("candidate %d: %+v, want %+v", i, c, f)
		}
	}
}
