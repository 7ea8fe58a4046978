package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/audit"
	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/repair"
	"github.com/syncaudit/syncaudit/trace"
)

func generate(t *testing.T, opt Options) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Generate(&buf, opt)
	if err != nil {
		t.Fatal(err)
	}
	if st.Bytes != int64(buf.Len()) {
		t.Errorf("Stats.Bytes %d, wrote %d", st.Bytes, buf.Len())
	}
	return buf.Bytes(), st
}

func TestGenerateDeterministic(t *testing.T) {
	opt := Options{Shape: ShapeOrder, Traces: 50, Seed: 1}
	a, _ := generate(t, opt)
	b, _ := generate(t, opt)
	if !bytes.Equal(a, b) {
		t.Error("same options, different bytes")
	}
	opt.Seed = 2
	c, _ := generate(t, opt)
	if sha256.Sum256(a) == sha256.Sum256(c) {
		t.Error("different seeds, same bytes")
	}
}

// load decodes data (any format, compressed or not) and groups it.
func load(t *testing.T, data []byte) []*trace.Trace {
	t.Helper()
	var c decoder.Collect
	if _, err := decode.Read(context.Background(), decode.ReaderInput("gen", bytes.NewReader(data)), decode.Options{}, &c); err != nil {
		t.Fatal(err)
	}
	g := trace.NewGrouper()
	g.Add(c.Spans...)
	return g.Traces()
}

func TestGenerateOrderShape(t *testing.T) {
	for _, opt := range []Options{
		{Shape: ShapeOrder, Traces: 300, Seed: 3},
		{Shape: ShapeOrder, Traces: 300, Seed: 3, Format: FormatProto},
		{Shape: ShapeOrder, Traces: 300, Seed: 3, Gzip: true},
	} {
		data, st := generate(t, opt)
		if st.Traces != 300 || st.Spans != 300*OrderSpans {
			t.Fatalf("%+v: stats %+v", opt, st)
		}
		traces := load(t, data)
		if len(traces) != 300 {
			t.Fatalf("%+v: %d traces", opt, len(traces))
		}
		for _, tr := range traces {
			if len(tr.Spans) != OrderSpans {
				t.Fatalf("trace %s: %d spans", tr.ID, len(tr.Spans))
			}
			services := map[string]int{}
			for _, s := range tr.Spans {
				services[s.Service]++
			}
			want := map[string]int{"frontend": 12, "auth": 1, "inventory": 4, "payment": 1, "email": 1, "analytics": 1, "recommendation": 5, "fulfillment": 1}
			for k, v := range want {
				if services[k] != v {
					t.Fatalf("trace %s: services %v, want %v", tr.ID, services, want)
				}
			}
		}
	}
}

// TestGenerateBatchesMixTraces: lines hold 100-500 spans and mix traces,
// as the Collector file exporter's do.
func TestGenerateBatchesMixTraces(t *testing.T) {
	data, st := generate(t, Options{Shape: ShapeOrder, Traces: 400, Seed: 4})
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines) != st.Batches || st.Batches < 400*OrderSpans/500 {
		t.Fatalf("%d lines, %d batches", len(lines), st.Batches)
	}
	for i, l := range lines {
		var c decoder.Collect
		if _, err := decode.Bytes("line", []byte(l), decode.Auto, decoder.DefaultLimits, &c); err != nil {
			t.Fatal(err)
		}
		ids := map[trace.TraceID]bool{}
		for _, s := range c.Spans {
			ids[s.TraceID] = true
		}
		if i < len(lines)-1 && (len(c.Spans) < 100 || len(c.Spans) > 500) {
			t.Errorf("line %d: %d spans", i, len(c.Spans))
		}
		if len(c.Spans) >= 100 && len(ids) < 5 {
			t.Errorf("line %d: %d spans of only %d traces", i, len(c.Spans), len(ids))
		}
	}
}

func TestGenerateWideShape(t *testing.T) {
	const k = 500
	data, st := generate(t, Options{Shape: ShapeWide, Spans: 1 + k*OrderSpans + 7, Seed: 5})
	if st.Traces != 1 || st.Spans != 1+k*OrderSpans {
		t.Fatalf("stats %+v", st)
	}
	res, err := ingest.Load(context.Background(), []string{"-"}, bytes.NewReader(data), ingest.Options{Repair: repair.DefaultOptions()})
	if err != nil || len(res.Traces) != 1 {
		t.Fatal(err, len(res.Traces))
	}
	tr := res.Traces[0]
	if len(tr.Roots) != 1 || len(tr.Children(tr.Roots[0])) != k {
		t.Fatalf("%d roots, root fan-out %d, want 1 and %d", len(tr.Roots), len(tr.Children(tr.Roots[0])), k)
	}
	// The subtrees run one after another.
	kids := tr.Children(tr.Roots[0])
	for i := 1; i < len(kids); i++ {
		if tr.Spans[kids[i]].Start < tr.Spans[kids[i-1]].End {
			t.Fatalf("subtree %d starts before %d ends", i, i-1)
		}
	}
}

// TestGeneratedOrdersAnalyse: the analysis finds what the shape holds:
// email and analytics are the asynchronous candidates, payment is critical.
func TestGeneratedOrdersAnalyse(t *testing.T) {
	data, _ := generate(t, Options{Shape: ShapeOrder, Traces: 500, Seed: 6})
	res, err := ingest.Load(context.Background(), []string{"-"}, bytes.NewReader(data), ingest.Options{Repair: repair.DefaultOptions()})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Run(context.Background(), res, audit.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Endpoints) != 1 || rep.Endpoints[0].Traces != 500 {
		t.Fatalf("endpoints %+v", rep.Endpoints)
	}
	var recommended []string
	for _, c := range rep.Candidates {
		if c.Recommended {
			recommended = append(recommended, c.Callee.Service)
		}
		if c.Callee.Service == "payment" && c.Recommended {
			t.Error("payment recommended")
		}
	}
	if len(recommended) < 2 || recommended[0] != "email" || recommended[1] != "analytics" {
		t.Errorf("recommended %v, want email, analytics first", recommended)
	}
}

func TestGenerateOptionErrors(t *testing.T) {
	for _, opt := range []Options{
		{Shape: "round"},
		{Shape: ShapeOrder},
		{Shape: ShapeWide, Spans: 10},
		{Shape: ShapeOrder, Traces: 1, Format: "csv"},
		{Shape: ShapeOrder, Traces: 1, MinBatch: 10, MaxBatch: 5},
	} {
		if _, err := Generate(io.Discard, opt); err == nil {
			t.Errorf("%+v: no error", opt)
		}
	}
}

func TestFileName(t *testing.T) {
	for _, tt := range []struct {
		opt  Options
		want string
	}{
		{Options{Shape: ShapeOrder, Spans: 1000000, Seed: 42}, "order-spans1000000-seed42.jsonl"},
		{Options{Shape: ShapeOrder, Traces: 10000, Seed: 42, Gzip: true}, "order-traces10000-seed42.jsonl.gz"},
		{Options{Shape: ShapeWide, Spans: 1001001, Seed: 1, Format: FormatProto}, "wide-spans1001001-seed1.pb"},
		{Options{Shape: ShapeOrder, Traces: 5, MinBatch: 10, MaxBatch: 20, Concurrency: 4}, "order-traces5-seed0-batch10-20-c4.jsonl"},
	} {
		if got := FileName(tt.opt); got != tt.want {
			t.Errorf("FileName(%+v) = %q, want %q", tt.opt, got, tt.want)
		}
	}
}
