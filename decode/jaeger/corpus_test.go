package jaeger

import (
	"bytes"
	"compress/gzip"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/internal/dectest"
	"github.com/syncaudit/syncaudit/trace"
)

func decodeFile(tb testing.TB, path string) (*decoder.Collect, []byte, error) {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if bytes.HasPrefix(data, []byte{0x1f, 0x8b}) { // the repository's fixtures are gzipped
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			tb.Fatal(err)
		}
		if data, err = io.ReadAll(zr); err != nil {
			tb.Fatal(err)
		}
	}
	c := &decoder.Collect{}
	err = Decode(filepath.Base(path), data, c, decoder.DefaultLimits)
	return c, data, err
}

func traceIDs(spans []trace.Span) map[trace.TraceID]bool {
	ids := map[trace.TraceID]bool{}
	for _, s := range spans {
		ids[s.TraceID] = true
	}
	return ids
}

// checkSpans asserts what holds for every span of a well-formed file.
func checkSpans(t *testing.T, c *decoder.Collect) {
	t.Helper()
	if n := c.Rejected.Total(); n != 0 {
		t.Errorf("rejected %v", c.Rejected)
	}
	for _, s := range c.Spans {
		if s.Service == "" || s.Name == "" {
			t.Errorf("span %s has service %q, name %q", s.SpanID, s.Service, s.Name)
		}
		if !s.ParentID.IsZero() {
			t.Errorf("span %s has ParentID set; Jaeger parents are chosen by repair", s.SpanID)
		}
		if s.End < s.Start {
			t.Errorf("span %s ends before it starts", s.SpanID)
		}
	}
}

func TestCorpusCRISP(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(dectest.CorpusDir(t), "crisp", "*.json"))
	if len(files) != 25 {
		t.Fatalf("found %d CRISP cases, want 25", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, data, err := decodeFile(t, f)
			if err != nil {
				t.Fatal(err)
			}
			// Independent count: the lengths of the files' own span arrays.
			var doc struct {
				Data []struct {
					Spans []struct {
						SpanID string `json:"spanID"`
					} `json:"spans"`
				} `json:"data"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			want, nonHex := 0, 0
			for _, tr := range doc.Data {
				want += len(tr.Spans)
				for _, s := range tr.Spans {
					if _, nh, _ := trace.ParseSpanID(s.SpanID); nh {
						nonHex++
					}
				}
			}
			if len(c.Spans) != want {
				t.Errorf("decoded %d spans, the file has %d", len(c.Spans), want)
			}
			if n := len(traceIDs(c.Spans)); n != 1 {
				t.Errorf("decoded %d traces, want 1", n)
			}
			warned := 0
			for _, s := range c.Spans {
				if s.Warnings.Has(trace.WarnNonHexID) {
					warned++
				}
			}
			if warned != nonHex {
				t.Errorf("%d spans warn of non-hex IDs, %d have one", warned, nonHex)
			}
			checkSpans(t, c)
		})
	}
}

func TestCorpusFiles(t *testing.T) {
	dir := dectest.CorpusDir(t)
	cases := []struct {
		file          string
		traces, spans int
	}{
		{"deathstarbench/traces-1695947455229.json", 20, 660},
		{"jaeger-ui/traceWithSingleChildLongerThanParentAndStartsAfterParent.json", 1, 2},
		{"jaeger-ui/traceWithOverlappingChildrenLongerThanParent.json", 1, 4},
		{"jaeger-ui/spanLongerAsParent.json", 1, 8},
		{"jaeger/ui_01.json", 1, 5},
		{"jaeger/trace_success.json", 1, 2},
		{"jaeger-analytics-java/ui-trace.json", 1, 2},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			c, _, err := decodeFile(t, filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(c.Spans) != tc.spans {
				t.Errorf("decoded %d spans, want %d", len(c.Spans), tc.spans)
			}
			if n := len(traceIDs(c.Spans)); n != tc.traces {
				t.Errorf("decoded %d traces, want %d", n, tc.traces)
			}
			checkSpans(t, c)
		})
	}
}

func TestCorpusUI01CrossTraceRef(t *testing.T) {
	c, _, err := decodeFile(t, filepath.Join(dectest.CorpusDir(t), "jaeger", "ui_01.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cross, follows int
	for _, s := range c.Spans {
		for _, r := range s.Refs {
			if r.TraceID != s.TraceID {
				cross++
			}
			if r.Type == trace.RefFollowsFrom {
				follows++
			}
		}
	}
	if cross != 1 || follows != 1 {
		t.Errorf("found %d cross-trace and %d FOLLOWS_FROM refs, want 1 and 1", cross, follows)
	}
}

func TestCorpusDeathStarBench(t *testing.T) {
	path := filepath.Join(dectest.CorpusDir(t), "deathstarbench", "traces-1695947455229.json")
	c, data, err := decodeFile(t, path)
	if err != nil {
		t.Fatal(err)
	}
	// The recursive references[].span copies must not surface as spans:
	// every span once, every reference pointing at a decoded span.
	type key struct {
		t trace.TraceID
		s trace.SpanID
	}
	seen := map[key]bool{}
	for _, s := range c.Spans {
		if seen[key{s.TraceID, s.SpanID}] {
			t.Errorf("span %s/%s decoded twice", s.TraceID, s.SpanID)
		}
		seen[key{s.TraceID, s.SpanID}] = true
	}
	roots := 0
	for _, s := range c.Spans {
		if len(s.Refs) == 0 {
			roots++
		}
		if len(s.Refs) > 1 {
			t.Errorf("span %s has %d refs, the file has one per span", s.SpanID, len(s.Refs))
		}
		for _, r := range s.Refs {
			if r.Type != trace.RefChildOf || !seen[key{r.TraceID, r.SpanID}] {
				t.Errorf("span %s: ref %v is not a CHILD_OF a decoded span", s.SpanID, r)
			}
		}
	}
	if roots != 20 {
		t.Errorf("%d roots, want 20", roots)
	}

	// Memory: the nested copies are skipped, not built.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var sink dectest.CountEmitter
	if err := Decode("dsb.json", data, &sink, decoder.DefaultLimits); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 20*uint64(len(data)) {
		t.Errorf("decoding %d bytes allocated %d bytes (%.1fx), want < 20x", len(data), alloc, float64(alloc)/float64(len(data)))
	} else {
		t.Logf("decoding %d bytes allocated %d bytes (%.1fx)", len(data), alloc, float64(alloc)/float64(len(data)))
	}
}

func TestCorpusOTLPIsNotJaeger(t *testing.T) {
	c, _, err := decodeFile(t, filepath.Join(dectest.CorpusDir(t), "jaeger-ui", "otlp2jaeger-multi-in-combined.json"))
	if !errors.Is(err, decoder.ErrNoSpans) || len(c.Spans) != 0 {
		t.Errorf("got %d spans, error %v; want none and ErrNoSpans", len(c.Spans), err)
	}
}

func TestCorpusSniff(t *testing.T) {
	dir := dectest.CorpusDir(t)
	jaegerFiles := map[string]bool{
		"deathstarbench/traces-1695947455229.json":                                true,
		"jaeger-ui/traceWithSingleChildLongerThanParentAndStartsAfterParent.json": true,
		"jaeger-ui/traceWithOverlappingChildrenLongerThanParent.json":             true,
		"jaeger-ui/spanLongerAsParent.json":                                       true,
		"jaeger/ui_01.json":                                                       true,
		"jaeger/trace_success.json":                                               true,
		"jaeger-analytics-java/ui-trace.json":                                     true,
	}
	dectest.CorpusSniff(t, dir, Sniff, func(rel string) bool {
		return jaegerFiles[rel] || strings.HasPrefix(rel, "crisp/") || strings.HasPrefix(rel, "realworld/apm-server-jaeger/")
	})
}

// TestCorpusAPMServerBatches decodes the two api_v2 {"batch": …} files
// that elastic/apm-server keeps from a real HotROD run. Expectations are
// read off the files by hand: snake_case keys, base64 IDs, RFC 3339 starts
// and integer durations in nanoseconds (Go's time.Duration), the service
// from the batch's process.
func TestCorpusAPMServerBatches(t *testing.T) {
	dir := filepath.Join(dectest.CorpusDir(t), "realworld", "apm-server-jaeger")
	// "AAAAAAAAAAB74v2Y0Jc74w==" is 8 zero bytes, then 7be2fd98d0973be3.
	const traceHex = "00000000000000007be2fd98d0973be3"
	root := "7be2fd98d0973be3" // "e+L9mNCXO+M=", the driver's server span
	cases := []struct {
		file    string
		spans   int
		service string
		errors  int
	}{
		{"batch_0.json", 1, "driver", 0},
		{"batch_1.json", 14, "redis", 3},
	}
	byID := map[string]trace.Span{}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			c, _, err := decodeFile(t, filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			checkSpans(t, c)
			if len(c.Spans) != tc.spans {
				t.Errorf("decoded %d spans, want %d", len(c.Spans), tc.spans)
			}
			errs := 0
			for _, s := range c.Spans {
				if got := hex.EncodeToString(s.TraceID[:]); got != traceHex {
					t.Errorf("span %s: trace ID %s, want %s", s.SpanID, got, traceHex)
				}
				if s.Service != tc.service {
					t.Errorf("span %s: service %q, want %q (the batch's process)", s.SpanID, s.Service, tc.service)
				}
				if s.Status == trace.StatusError {
					errs++
				}
				byID[hex.EncodeToString(s.SpanID[:])] = s
			}
			if errs != tc.errors {
				t.Errorf("%d spans with status error, want %d (error=true tags)", errs, tc.errors)
			}
		})
	}

	// batch_0: the root, "Driver::findNearest", a server span without
	// references, started 2019-12-20T07:41:44.953864Z, 243417000 ns long.
	if s, ok := byID[root]; !ok {
		t.Errorf("span %s (Driver::findNearest) not decoded", root)
	} else if s.Name != "Driver::findNearest" || s.Kind != trace.KindServer || s.Refs != nil ||
		s.Start != 1576827704953864000 || s.End-s.Start != 243417000 {
		t.Errorf("root = %s", describe(s))
	}
	// batch_1: "bgnovO/WuCg=" is FindDriverIDs, a client span of the root,
	// started 2019-12-20T07:41:44.954062Z (1576827704 s since the epoch),
	// "duration": 19711000 ns = 19.711 ms (not 19711 s, as microseconds
	// would make it).
	if s, ok := byID["6e09e8bcefd6b828"]; !ok {
		t.Error("span 6e09e8bcefd6b828 (FindDriverIDs) not decoded")
	} else {
		if s.Name != "FindDriverIDs" || s.Kind != trace.KindClient || s.Status != trace.StatusUnset {
			t.Errorf("FindDriverIDs = %s", describe(s))
		}
		if s.Start != 1576827704954062000 || s.End-s.Start != 19711000 {
			t.Errorf("FindDriverIDs: start %d, duration %d ns; want 1576827704954062000, 19711000", s.Start, s.End-s.Start)
		}
		if len(s.Refs) != 1 || s.Refs[0].Type != trace.RefChildOf || hex.EncodeToString(s.Refs[0].SpanID[:]) != root ||
			hex.EncodeToString(s.Refs[0].TraceID[:]) != traceHex {
			t.Errorf("FindDriverIDs refs = %v, want child_of %s (a reference without ref_type)", s.Refs, root)
		}
	}
	// "MzKVv7Q46gM=" is the first GetDriver, with the tag
	// {"key":"error","v_type":1,"v_bool":true}; 33732000 ns long.
	if s, ok := byID["333295bfb438ea03"]; !ok {
		t.Error("span 333295bfb438ea03 (GetDriver) not decoded")
	} else if s.Name != "GetDriver" || s.Status != trace.StatusError || s.End-s.Start != 33732000 {
		t.Errorf("GetDriver = %s", describe(s))
	}
}

// BenchmarkDecodeSynthetic measures spans/s on plain query-API spans (no
// nested reference copies): 20 traces of 500 spans with 8 tags each.
func BenchmarkDecodeSynthetic(b *testing.B) {
	var doc strings.Builder
	doc.WriteString(`{"data":[`)
	for tr := range 20 {
		if tr > 0 {
			doc.WriteString(",")
		}
		fmt.Fprintf(&doc, `{"traceID":"%016x","spans":[`, tr+1)
		for i := range 500 {
			if i > 0 {
				doc.WriteString(",")
			}
			fmt.Fprintf(&doc, `{"traceID":"%016x","spanID":"%016x","flags":1,"operationName":"op-%d","references":[{"refType":"CHILD_OF","traceID":"%016x","spanID":"%016x"}],`+
				`"startTime":%d,"duration":%d,"tags":[{"key":"span.kind","type":"string","value":"client"},{"key":"http.method","type":"string","value":"GET"},`+
				`{"key":"http.url","type":"string","value":"http://svc/items/%d"},{"key":"http.status_code","type":"int64","value":200},{"key":"component","type":"string","value":"net/http"},`+
				`{"key":"peer.service","type":"string","value":"svc-%d"},{"key":"internal.span.format","type":"string","value":"proto"},{"key":"sampler.param","type":"float64","value":1}],`+
				`"logs":[],"processID":"p%d","warnings":null}`, tr+1, i+1, i%20, tr+1, i/2+1, 1700000000000000+i, 100+i, i, i%7, i%5+1)
		}
		doc.WriteString(`],"processes":{"p1":{"serviceName":"a"},"p2":{"serviceName":"b"},"p3":{"serviceName":"c"},"p4":{"serviceName":"d"},"p5":{"serviceName":"e"}},"warnings":null}`)
	}
	doc.WriteString(`],"total":0,"limit":0,"offset":0,"errors":null}`)
	if e := dectest.BenchDecode(b, []byte(doc.String()), Decode); e.Spans != 10000 {
		b.Fatalf("decoded %d spans, want 10000", e.Spans)
	}
}

func BenchmarkDecodeDeathStarBench(b *testing.B) {
	data, err := os.ReadFile(filepath.Join(dectest.CorpusDir(b), "deathstarbench", "traces-1695947455229.json"))
	if err != nil {
		b.Fatal(err)
	}
	dectest.BenchDecode(b, data, Decode)
}

// TestFixtures decodes the repository's fixtures, written by a real Jaeger v2
// query service (GET /api/traces), and checks span kinds and error statuses
// against an independent reading of the files' tags.
func TestFixtures(t *testing.T) {
	for _, variant := range []string{"sync", "async"} {
		t.Run(variant, func(t *testing.T) {
			path := filepath.Join("..", "..", "fixtures", variant, "jaeger.json.gz")
			c, data, err := decodeFile(t, path)
			if err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Data []struct {
					Spans []struct {
						Tags []struct {
							Key   string `json:"key"`
							Value any    `json:"value"`
						} `json:"tags"`
					} `json:"spans"`
				} `json:"data"`
			}
			if err := json.Unmarshal(data, &doc); err != nil {
				t.Fatal(err)
			}
			wantKinds := map[string]int{}
			wantSpans, wantErrors := 0, 0
			for _, tr := range doc.Data {
				for _, s := range tr.Spans {
					wantSpans++
					kind, failed := "unspecified", false
					for _, tag := range s.Tags {
						switch {
						case tag.Key == "span.kind":
							kind = tag.Value.(string)
						case tag.Key == "otel.status_code" && tag.Value == "ERROR",
							tag.Key == "error" && (tag.Value == true || tag.Value == "true"):
							failed = true
						}
					}
					wantKinds[kind]++
					if failed {
						wantErrors++
					}
				}
			}
			gotKinds := map[string]int{}
			gotErrors := 0
			for _, s := range c.Spans {
				gotKinds[s.Kind.String()]++
				if s.Status == trace.StatusError {
					gotErrors++
				}
			}
			if len(c.Spans) != wantSpans || len(traceIDs(c.Spans)) != len(doc.Data) {
				t.Errorf("decoded %d traces / %d spans, the file has %d / %d", len(traceIDs(c.Spans)), len(c.Spans), len(doc.Data), wantSpans)
			}
			if fmt.Sprint(gotKinds) != fmt.Sprint(wantKinds) || gotErrors != wantErrors || wantErrors == 0 {
				t.Errorf("kinds %v, %d errors; the file has %v, %d", gotKinds, gotErrors, wantKinds, wantErrors)
			}
			checkSpans(t, c)
		})
	}
}
