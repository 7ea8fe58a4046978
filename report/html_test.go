package report

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/ingest"
	"github.com/syncaudit/syncaudit/report/browser"
	"github.com/syncaudit/syncaudit/trace"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// Hostile names: each must come out inert in every renderer.
const (
	hostileScript = "<script>alert(1)</script>"
	hostilePipe   = "a|b"
	hostileBold   = "**bold**"
	hostileTick   = "`rm -rf /`"
	hostileLines  = "line one\nline two"
)

// richReport is a hand-built report with every field populated, hostile
// names among the services, operations, reasons and details, and values
// that exercise the number formats (sub-millisecond, seconds, large totals).
func richReport() *Report {
	checkout := Ref{"frontend", "POST /checkout"}
	evil := Ref{hostileScript, hostilePipe}
	r := &Report{
		SchemaVersion: SchemaVersion,
		Summary: Summary{
			Summary: ingest.Summary{
				Files: 3, FilesFailed: 1,
				Formats:       map[decode.Format]int{decode.OTLPJSON: 1, decode.Jaeger: 1, decode.Zipkin: 1},
				SpansRead:     12840,
				SpansInTraces: 12790,
				SpansRejected: 50,
				Rejected:      map[trace.Reason]int{trace.RejectDuplicate: 46, trace.RejectInvalidTraceID: 4},
				Traces:        160, PartialTraces: 2,
				Warnings: map[string]int{"clock-skew": 12, "missing-parent": 2},
			},
			Requests: 160, EnqueueCostMs: 0.5, JaegerCompat: true,
		},
		Endpoints: []Endpoint{
			{
				Service: "frontend", Operation: "POST /checkout", Traces: 120, Errors: 3,
				LatencyMs:     Percentiles{P50: 420.25, P95: 880, P99: 1210.5, Max: 1630},
				SyncLatencyMs: Percentiles{P50: 310, P95: 702.5, P99: 1001, Max: 1400},
				CriticalPath: []PathShare{
					{"payment", "charge", 150, 0.357},
					{"email", "send receipt", 120, 0.286},
					{"inventory", "reserve", 60, 0.143},
					{"frontend", "POST /checkout", 40, 0.095},
					{hostileScript, hostilePipe, 30, 0.071},
					{"recommendation", hostileBold, 20, 0.048},
				},
			},
			{
				Service: hostileScript, Operation: hostilePipe, Traces: 40, Errors: 0,
				LatencyMs:     Percentiles{P50: 0.42, P95: 8.5, P99: 12.25, Max: 30},
				SyncLatencyMs: Percentiles{P50: 0.2, P95: 6, P99: 9, Max: 25},
				CriticalPath: []PathShare{
					{"audit-log", hostileTick, 5.5, 0.65},
					{hostileScript, hostilePipe, 3, 0.35},
				},
			},
		},
		Candidates: []Candidate{
			{
				Rank: 1, Action: MakeAsync, Endpoint: checkout,
				Caller: Ref{"checkout", "POST /checkout"}, Callee: Ref{"email", "send receipt"},
				Calls: 120, Traces: 120, Confidence: 0.92, Recommended: true,
				Reasons: []string{
					"the caller's response does not depend on the result: it is sent before the call returns in 97% of requests",
					"the callee's name matches a notification pattern (email)",
				},
				SavingsMs:      Savings{Mean: 118.5, P50: 115, P95: 140, P99: 160, Total: 14220},
				Share:          0.27,
				LatencyAfterMs: LatencyAfter{P50: 305, P95: 740, P99: 1050},
				Fix:            "publish order.created to a queue instead of calling email",
			},
			{
				Rank: 2, Action: Parallelize, Endpoint: checkout,
				Caller: Ref{"checkout", "POST /checkout"}, Callee: Ref{"inventory", "reserve + shipping quote"},
				Callees: []Ref{{"inventory", "reserve"}, {"shipping", "quote"}},
				Calls:   240, Traces: 120, Confidence: 0.71, Recommended: true,
				Reasons: []string{
					"independent of payment charge: no data flows between the two calls",
					"runs after payment charge in 100% of requests",
				},
				SavingsMs:      Savings{Mean: 55, P50: 58, P95: 61, P99: 70, Total: 6600},
				Share:          0.125,
				LatencyAfterMs: LatencyAfter{P50: 362, P95: 819, P99: 1140},
				Fix:            "call inventory reserve concurrently with payment charge",
			},
			{
				Rank: 3, Action: MakeAsync, Endpoint: evil,
				Caller: evil, Callee: Ref{"audit-log", hostileTick},
				Calls: 40, Traces: 40, Confidence: 0.55, Recommended: false,
				Reasons: []string{
					"reason with " + hostileScript + " | pipe and " + hostileBold,
					hostileLines,
				},
				SavingsMs:      Savings{Mean: 0.75, P50: 0.5, P95: 4.25, P99: 6, Total: 30},
				Share:          0.3,
				LatencyAfterMs: LatencyAfter{P50: 0.3, P95: 4.5, P99: 7},
				Fix:            "emit an audit event (" + hostileTick + ") instead of a call",
			},
		},
		Plan: []PlanEndpoint{
			{Endpoint: checkout, Changes: []int{1, 2},
				BeforeMs: LatencyAfter{P50: 420.25, P95: 880, P99: 1210.5},
				AfterMs:  LatencyAfter{P50: 250, P95: 560, P99: 800}},
			{Endpoint: evil, Changes: []int{3},
				BeforeMs: LatencyAfter{P50: 0.42, P95: 8.5, P99: 12.25},
				AfterMs:  LatencyAfter{P50: 0.3, P95: 4.5, P99: 7}},
		},
		Checklist: []CheckItem{
			{ID: "sync-calls", Title: "At most a few synchronous calls per operation", Pass: false,
				Threshold: "synchronous calls per request p50 > 5",
				Evidence:  []Evidence{{Endpoint: checkout, Value: 6, Unit: "sync calls (p50)", Traces: 120, Detail: "max 9 per request"}}},
			{ID: "slow-sync-calls", Title: "No slow synchronous calls", Pass: false,
				Threshold: "call p95 > 200ms",
				Evidence: []Evidence{{Endpoint: checkout, Caller: Ref{"checkout", "POST /checkout"}, Callee: Ref{"payment", "charge"},
					Value: 310.5, Unit: "ms p95", Traces: 120, Detail: "120 call(s), p50 150.0ms"}}},
			{ID: "no-timeout", Title: "Timeouts on every synchronous call", Pass: true,
				Threshold: "a call running longer than 5s", Evidence: []Evidence{}},
			{ID: "no-circuit-breaker", Title: "Circuit breakers on synchronous calls", Pass: false,
				Threshold: "≥ 3 failures that are not faster than half the successful median",
				Evidence: []Evidence{{Endpoint: evil, Caller: evil, Callee: Ref{"audit-log", hostileTick},
					Value: 4, Unit: "failed calls", Traces: 4, Detail: "failures take " + hostileScript + " | " + hostileBold}}},
			{ID: "non-critical-on-path", Title: "Non-critical operations converted to async events", Pass: false,
				Threshold: "a recommended make-async candidate",
				Evidence: []Evidence{{Endpoint: checkout, Caller: Ref{"checkout", "POST /checkout"}, Callee: Ref{"email", "send receipt"},
					Value: 115, Unit: "ms saved (p50)", Traces: 120, Detail: "candidate #1, confidence 0.92"}}},
			{ID: "async-lag", Title: "Asynchronous work keeps up", Pass: true,
				Threshold: "publish→consume lag p95 > 1s",
				Evidence: []Evidence{{Endpoint: checkout, Caller: Ref{"checkout", "publish order.created"}, Callee: Ref{"analytics", "consume order.created"},
					Value: 95, Unit: "ms lag p95", Traces: 118, Detail: "lag p50 12.0ms, max 240.0ms"}}},
		},
		Waterfalls: []Waterfall{
			{Endpoint: checkout, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Percentile: "p95", DurationMs: 880,
				Spans: []WaterfallSpan{
					{Depth: 0, Service: "frontend", Operation: "POST /checkout", Kind: "server", StartMs: 0, DurationMs: 880, CriticalMs: 40, OnCriticalPath: true},
					{Depth: 1, Service: "checkout", Operation: "POST /checkout", Kind: "server", StartMs: 2, DurationMs: 875, CriticalMs: 15, OnCriticalPath: true},
					{Depth: 2, Service: "checkout", Operation: "GET /cart", Kind: "client", StartMs: 5, DurationMs: 30, CriticalMs: 2, OnCriticalPath: true},
					{Depth: 3, Service: "cart", Operation: "GET /cart", Kind: "server", StartMs: 6, DurationMs: 27, CriticalMs: 27, OnCriticalPath: true},
					{Depth: 2, Service: "checkout", Operation: "charge", Kind: "client", StartMs: 40, DurationMs: 380, CriticalMs: 5, OnCriticalPath: true},
					{Depth: 3, Service: "payment", Operation: "charge", Kind: "server", StartMs: 42, DurationMs: 375, CriticalMs: 300, OnCriticalPath: true},
					{Depth: 4, Service: "payment", Operation: "SELECT accounts", Kind: "client", StartMs: 60, DurationMs: 70, CriticalMs: 70, OnCriticalPath: true},
					{Depth: 4, Service: "fraud", Operation: "score", Kind: "client", StartMs: 140, DurationMs: 12, CriticalMs: 0, Error: true},
					{Depth: 2, Service: "checkout", Operation: "reserve", Kind: "client", StartMs: 425, DurationMs: 150, CriticalMs: 5, OnCriticalPath: true, Candidate: 2},
					{Depth: 3, Service: "inventory", Operation: "reserve", Kind: "server", StartMs: 427, DurationMs: 146, CriticalMs: 146, OnCriticalPath: true, Candidate: 2},
					{Depth: 2, Service: "checkout", Operation: "send receipt", Kind: "client", StartMs: 580, DurationMs: 290, CriticalMs: 5, OnCriticalPath: true, Candidate: 1},
					{Depth: 3, Service: "email", Operation: "send receipt", Kind: "server", StartMs: 582, DurationMs: 286, CriticalMs: 286, OnCriticalPath: true, Candidate: 1},
					{Depth: 3, Service: hostileScript, Operation: hostilePipe + " " + hostileLines, Kind: "internal", StartMs: 600, DurationMs: 20, CriticalMs: 0},
					{Depth: 2, Service: "checkout", Operation: "publish order.created", Kind: "producer", StartMs: 872, DurationMs: 3, CriticalMs: 0, Async: true},
					{Depth: 3, Service: "analytics", Operation: "consume order.created with a very long operation name that does not fit", Kind: "consumer", StartMs: 890, DurationMs: 180, CriticalMs: 0, Async: true},
				}},
			{Endpoint: evil, TraceID: "00f067aa0ba902b7a3ce929d0e0e4736", Percentile: "p95", DurationMs: 8.5,
				Spans: []WaterfallSpan{
					{Depth: 0, Service: hostileScript, Operation: hostilePipe, Kind: "server", StartMs: 0, DurationMs: 8.5, CriticalMs: 3, OnCriticalPath: true},
					{Depth: 1, Service: hostileScript, Operation: hostileTick, Kind: "client", StartMs: 1, DurationMs: 5.5, CriticalMs: 0.5, OnCriticalPath: true, Candidate: 3},
					{Depth: 2, Service: "audit-log", Operation: hostileTick, Kind: "server", StartMs: 1.25, DurationMs: 5, CriticalMs: 5, OnCriticalPath: true, Candidate: 3, Error: true},
				}},
		},
		Async: []AsyncFlow{
			{Endpoint: checkout, Producer: Ref{"checkout", "publish order.created"}, Consumer: Ref{"analytics", "consume order.created"},
				Count: 118, LagMs: Percentiles{P50: 12, P95: 95, P99: 180, Max: 240}},
			{Endpoint: evil, Producer: Ref{hostileScript, hostileBold}, Consumer: Ref{hostilePipe, hostileLines},
				Count: 2, LagMs: Percentiles{P50: 1500, P95: 2500, P99: 2600, Max: 2650}},
		},
	}
	r.Baseline = &BaselineDiff{
		File: "last-week.json", TolerancePct: 5,
		Endpoints: []EndpointChange{
			{Endpoint: checkout, BeforeTraces: 100, AfterTraces: 120,
				BeforeMs:    Percentiles{P50: 400, P95: 800, P99: 1100, Max: 1500},
				AfterMs:     r.Endpoints[0].LatencyMs,
				ChangePct:   Percentiles{P50: 5.0625, P95: 10, P99: 10.045, Max: 8.667},
				ProjectedMs: &LatencyAfter{P50: 260, P95: 580, P99: 820}, ProjectionErrorPct: &LatencyAfter{P50: 61.6, P95: 51.7, P99: 47.6}},
			{Endpoint: evil, BeforeTraces: 0, AfterTraces: 40, AfterMs: r.Endpoints[1].LatencyMs},
		},
		NewCandidates: []CandidateKey{r.Candidates[1].Key()},
		Resolved:      []CandidateKey{{Action: MakeAsync, Endpoint: checkout, Caller: Ref{"checkout", "POST /checkout"}, Callee: Ref{"sms", "send"}}},
		Savings:       []SavingsChange{{Candidate: r.Candidates[0].Key(), BeforeP95Ms: 120, AfterP95Ms: 140}},
		Regressions:   []string{"frontend POST /checkout latency p95 800.0ms → 880.0ms (+10.0%)", "new candidate " + hostileScript},
		Improvements:  []string{"new endpoint " + hostileScript + " " + hostilePipe + " (p95 8.5ms)"},
	}
	r.Audit = []RuleResult{
		{Rule: "savings.p95>100ms", Failed: true, Offenders: []string{"#1 make-async checkout → email send receipt saves 140.0ms at p95"}},
		{Rule: "regressions", Failed: true, Offenders: []string{"frontend POST /checkout latency p95 800.0ms → 880.0ms (+10.0%)", hostileScript + " | " + hostileBold}},
		{Rule: "syncCalls>10", Failed: false, Offenders: []string{}},
	}
	r.Endpoints[0].SyncCalls.P50, r.Endpoints[0].SyncCalls.Max = 6, 9
	r.Endpoints[0].SyncDepth.Max = 3
	r.Endpoints[1].SyncCalls.P50, r.Endpoints[1].SyncCalls.Max = 1, 2
	r.Endpoints[1].SyncDepth.Max = 2
	return r
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < max(len(gl), len(wl)); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d (run go test ./report -update if the change is intended):\ngot:  %q\nwant: %q", path, i+1, g, w)
		}
	}
	t.Fatalf("%s differs (run go test ./report -update if the change is intended)", path)
}

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		render func(w *bytes.Buffer, r *Report) error
	}{
		{"report.html.golden", func(w *bytes.Buffer, r *Report) error { return WriteHTML(w, r) }},
		{"report.md.golden", func(w *bytes.Buffer, r *Report) error { return WriteMarkdown(w, r) }},
		{"report.json.golden", func(w *bytes.Buffer, r *Report) error { return WriteJSON(w, r) }},
		{"table-tty.golden", func(w *bytes.Buffer, r *Report) error { return WriteTable(w, r, TableOptions{TTY: true}) }},
		{"table-tty-color.golden", func(w *bytes.Buffer, r *Report) error {
			return WriteTable(w, r, TableOptions{TTY: true, Color: true})
		}},
		{"table-plain.golden", func(w *bytes.Buffer, r *Report) error { return WriteTable(w, r, TableOptions{}) }},
		{"empty.html.golden", func(w *bytes.Buffer, r *Report) error { return WriteHTML(w, &Report{SchemaVersion: SchemaVersion}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := tt.render(&a, richReport()); err != nil {
				t.Fatal(err)
			}
			if err := tt.render(&b, richReport()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two renderings of the same report differ")
			}
			golden(t, tt.name, a.Bytes())
		})
	}
}

// TestHTMLEscaping checks that nothing from the traces becomes markup and
// that the page cannot reach the network.
func TestHTMLEscaping(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, richReport()); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	lower := strings.ToLower(page)
	for _, bad := range []string{"<script", "javascript:", "http://", "https://", "src=", "@import", "<iframe", "<object", "<embed", "<img", "<link rel=\"stylesheet"} {
		if strings.Contains(lower, bad) {
			i := strings.Index(lower, bad)
			t.Errorf("page contains %q: …%s…", bad, page[max(0, i-60):min(len(page), i+60)])
		}
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;",
		`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:;`,
		"**bold**", "a|b", "`rm -rf /`", // plain text in HTML: no Markdown processing
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// url( may only reference the in-page hatch pattern.
	for _, m := range regexp.MustCompile(`url\([^)]*\)`).FindAllString(page, -1) {
		if m != "url(#hatch)" {
			t.Errorf("page references %s", m)
		}
	}
}

// TestMarkdownEscaping checks that every Markdown table row keeps its
// column count and that no raw HTML survives.
func TestMarkdownEscaping(t *testing.T) {
	var b bytes.Buffer
	if err := WriteMarkdown(&b, richReport()); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	if strings.Contains(md, "<script") {
		t.Error("markdown contains a raw <script")
	}
	lines := strings.Split(md, "\n")
	tables := 0
	for i := 0; i < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "|") {
			continue
		}
		tables++
		want := cells(lines[i])
		j := i
		for ; j < len(lines) && strings.HasPrefix(lines[j], "|"); j++ {
			if got := cells(lines[j]); got != want {
				t.Errorf("line %d has %d cells, its table's header has %d: %q", j+1, got, want, lines[j])
			}
		}
		if j < len(lines) && lines[j] != "" {
			t.Errorf("line %d continues a table without a leading pipe: %q", j+1, lines[j])
		}
		i = j
	}
	if tables < 5 {
		t.Errorf("found %d tables, want at least 5", tables)
	}
	for _, want := range []string{"&lt;script&gt;alert", `a\|b`, `\*\*bold\*\*`, "\\`rm -rf /\\`", "line one line two"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

// cells counts the unescaped pipes of a Markdown table line.
func cells(line string) int {
	n := 0
	for i := 0; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case '|':
			n++
		}
	}
	return n
}

func TestTablePlainKeepsColumns(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, richReport(), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	var want int
	for i, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if strings.HasPrefix(line, "# ") {
			want = -1
			continue
		}
		n := strings.Count(line, "\t")
		if want == -1 {
			want = n
		} else if n != want {
			t.Errorf("line %d has %d tabs, its header %d: %q", i+1, n, want, line)
		}
	}
}

// TestJSONRoundTrip checks that WriteJSON loses nothing.
func TestJSONRoundTrip(t *testing.T) {
	in := richReport()
	var b bytes.Buffer
	if err := WriteJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	var out Report
	if err := json.Unmarshal(b.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, &out) {
		t.Errorf("round trip changed the report:\n in: %+v\nout: %+v", in, &out)
	}
}

func TestWriteHTMLNil(t *testing.T) {
	if err := WriteHTML(&bytes.Buffer{}, nil); err == nil {
		t.Error("WriteHTML(nil) = nil error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }

func TestWriteHTMLWriteError(t *testing.T) {
	if err := WriteHTML(failWriter{}, richReport()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

// TestHTMLOddValues renders values the pipeline should never produce
// (NaN, infinities, negatives, absurd depths, many callees, huge traces)
// and checks that the page stays well-formed SVG.
func TestHTMLOddValues(t *testing.T) {
	r := richReport()
	nan, inf := math.NaN(), math.Inf(1)
	r.Endpoints[0].LatencyMs = Percentiles{P50: nan, P95: inf, P99: -5, Max: math.Inf(-1)}
	r.Candidates[0].Confidence = 7
	r.Plan[0].AfterMs.P95 = 2 * r.Plan[0].BeforeMs.P95 // a regression
	var many []PathShare
	for i := range 40 {
		many = append(many, PathShare{fmt.Sprintf("svc-%02d", i), "op", 1, 0.025})
	}
	r.Endpoints[1].CriticalPath = many
	var deep []WaterfallSpan
	for i := range 400 {
		deep = append(deep, WaterfallSpan{Depth: i, Service: "s", Operation: strings.Repeat("x", 300), StartMs: float64(i), DurationMs: nan})
	}
	r.Waterfalls[1].Spans = deep
	var b bytes.Buffer
	if err := WriteHTML(&b, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"NaN", "Inf", "e+", `="-`} {
		if strings.Contains(page, bad) {
			i := strings.Index(page, bad)
			t.Errorf("page contains %q: …%s…", bad, page[max(0, i-80):min(len(page), i+40)])
		}
	}
	if !strings.Contains(page, "28 more callee(s)") {
		t.Error("page does not say how many callees were not drawn")
	}
	if !strings.Contains(page, "n-bad") {
		t.Error("a regression in the plan is not marked")
	}
	if strings.Contains(page, "</tspan> "+strings.Repeat("x", 100)) {
		t.Error("long operation names are not shortened in the waterfall")
	}
}

func TestAxis(t *testing.T) {
	tests := []struct {
		max     float64
		ticks   int
		percent bool
		want    []string
	}{
		{880, 5, false, []string{"0", "200ms", "400ms", "600ms", "800ms", "1000ms"}},
		{1070, 8, false, []string{"0", "200ms", "400ms", "600ms", "800ms", "1000ms", "1200ms"}},
		{8.5, 5, false, []string{"0", "2ms", "4ms", "6ms", "8ms", "10ms"}},
		{0.42, 4, false, []string{"0", "0.2ms", "0.4ms", "0.6ms"}},
		{12.25, 5, false, []string{"0", "2.5ms", "5.0ms", "7.5ms", "10.0ms", "12.5ms"}},
		{2650, 5, false, []string{"0", "1s", "2s", "3s"}},
		{0.357, 4, true, []string{"0", "10%", "20%", "30%", "40%"}},
		{0, 4, false, []string{"0", "0.25ms", "0.50ms", "0.75ms", "1.00ms"}},
		{math.NaN(), 4, false, []string{"0", "0.25ms", "0.50ms", "0.75ms", "1.00ms"}},
	}
	for _, tt := range tests {
		ax := newLinearAxis(tt.max, 100, tt.ticks, tt.percent)
		var got []string
		for _, v := range ax.ticks() {
			got = append(got, ax.label(v))
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("newLinearAxis(%v, %d): ticks %q, want %q", tt.max, tt.ticks, got, tt.want)
		}
		if x := ax.x(tt.max); x > 100 || math.IsNaN(x) {
			t.Errorf("newLinearAxis(%v).x(max) = %v, outside [0, 100]", tt.max, x)
		}
	}
}

func TestFitLabel(t *testing.T) {
	tests := []struct {
		svc, op      string
		n            int
		wantS, wantO string
	}{
		{"cart", "GET /cart", 20, "cart", "GET /cart"},
		{"cart", "GET /cart/items", 12, "cart", "GET /c…"},
		{"a-very-long-service", "op", 10, "a-very-lo…", ""},
		{"svc", "line\none", 20, "svc", "line one"},
		{"日本語サービス", "操作", 6, "日本語サー…", ""},
		{"s", "op", 0, "s", ""},
	}
	for _, tt := range tests {
		s, o := fitLabel(tt.svc, tt.op, tt.n)
		if s != tt.wantS || o != tt.wantO {
			t.Errorf("fitLabel(%q, %q, %d) = %q, %q; want %q, %q", tt.svc, tt.op, tt.n, s, o, tt.wantS, tt.wantO)
		}
	}
}

func TestCompactNum(t *testing.T) {
	for v, want := range map[float64]string{6: "6", 526.282991: "526", 50.304241: "50.3", 4.256: "4.26", 0.5: "0.5", 0.104: "0.1", -12.34: "-12.3", math.Inf(1): "n/a"} {
		if got := compactNum(v); got != want {
			t.Errorf("compactNum(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestGroup(t *testing.T) {
	for n, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 12840: "12,840", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestHTMLInChromium loads the rich report in a real headless Chromium from
// 127.0.0.1 and checks what a reader would see. Install Chromium with
// scripts/install-chromium.sh; without it the test is skipped.
func TestHTMLInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the browser test in -short mode")
	}
	if _, err := browser.Find(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	rep := richReport()
	dir := t.TempDir()
	var page bytes.Buffer
	if err := WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.html"), page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	b, err := browser.Start(ctx, browser.Options{Width: 1366, Height: 900})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	p, err := b.Open(ctx, srv.URL+"/report.html")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Settle(300 * time.Millisecond)

	// Saved first, so that it is there to look at when a check fails.
	shotDir := os.Getenv("SYNCAUDIT_SCREENSHOT_DIR")
	if shotDir == "" {
		shotDir = t.TempDir()
	}
	png, err := p.Screenshot()
	if err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(shotDir, "report.png")
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, len(png))

	if pr := p.Problems(); len(pr) > 0 {
		t.Errorf("the page did not load cleanly and offline:\n%s", strings.Join(pr, "\n"))
	}
	if reqs := p.Requests(); len(reqs) != 1 {
		t.Errorf("requests = %v, want only the page itself", reqs)
	}

	eval := func(expr string, out any) {
		t.Helper()
		var err error
		switch o := out.(type) {
		case *int:
			*o, err = browser.Eval[int](p, expr)
		case *bool:
			*o, err = browser.Eval[bool](p, expr)
		case *[]string:
			*o, err = browser.Eval[[]string](p, expr)
		default:
			t.Fatalf("eval into %T", out)
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	var callees []string
	eval(`[...document.querySelectorAll("#candidates-table tbody tr")].map(r => r.querySelector(".callee").textContent + " " + r.querySelector(".callee + .op").textContent)`, &callees)
	var want []string
	for _, c := range rep.Candidates {
		want = append(want, c.Callee.Service+" "+c.Callee.Operation)
	}
	if !reflect.DeepEqual(callees, want) {
		t.Errorf("candidates table shows %q, want %q", callees, want)
	}
	var ranks []string
	eval(`[...document.querySelectorAll("#candidates-table tbody .rank")].map(e => e.textContent)`, &ranks)
	if strings.Join(ranks, ",") != "1,2,3" {
		t.Errorf("candidate ranks = %q", ranks)
	}

	// The hostile name is text: no script element exists, and an element's
	// text is exactly the name.
	var scripts int
	eval(`document.querySelectorAll("script").length`, &scripts)
	if scripts != 0 {
		t.Errorf("%d script element(s) in the DOM", scripts)
	}
	var asText bool
	eval(`[...document.querySelectorAll("#candidates-table .svc")].some(e => e.textContent === `+jsString(hostileScript)+`)`, &asText)
	if !asText {
		t.Error("the hostile service name is not rendered as text in the candidates table")
	}
	eval(`document.body.innerText.includes(`+jsString(hostileScript)+`)`, &asText)
	if !asText {
		t.Error("the hostile name is not visible in the page text")
	}
	if d := p.Dialogs(); len(d) > 0 {
		t.Errorf("dialogs opened: %q", d)
	}

	// Charts and waterfalls are drawn, one row per span, with the
	// candidate badges and hatched async bars.
	var rows, badges, asyncBars, charts int
	eval(`document.querySelectorAll("svg.wf g.row").length`, &rows)
	eval(`document.querySelectorAll("svg.wf .badge").length`, &badges)
	eval(`document.querySelectorAll("svg.wf rect.bar.async").length`, &asyncBars)
	eval(`document.querySelectorAll("svg.chart").length`, &charts)
	wantRows, wantBadges, wantAsync := 0, 0, 0
	for _, w := range rep.Waterfalls {
		for _, s := range w.Spans {
			wantRows++
			if s.Candidate > 0 {
				wantBadges++
			}
			if s.Async {
				wantAsync++
			}
		}
	}
	if rows != wantRows || badges != wantBadges || asyncBars != wantAsync {
		t.Errorf("waterfalls: %d rows, %d badges, %d async bars; want %d, %d, %d", rows, badges, asyncBars, wantRows, wantBadges, wantAsync)
	}
	if want := 2*len(rep.Endpoints) + len(rep.Plan); charts != want {
		t.Errorf("%d charts, want %d", charts, want)
	}
	// The hatch pattern resolves: the async bars are painted with it.
	var fills []string
	eval(`[...document.querySelectorAll("svg.wf rect.bar.async")].map(e => getComputedStyle(e).fill)`, &fills)
	for _, f := range fills {
		if !strings.Contains(f, "#hatch") {
			t.Errorf("async bar fill = %q, want the hatch pattern", f)
		}
	}
	// Each kind of bar is painted as the legend says (a broken rule leaves
	// SVG's default black fill).
	for _, c := range []struct{ sel, fill string }{
		{"svg.wf rect.bar:not(.crit):not(.async)", "rgb(191, 219, 254)"},
		{"svg.wf rect.bar.crit", "rgb(29, 78, 216)"},
		{".b-total", "rgb(29, 78, 216)"},
		{".b-sync", "rgb(147, 197, 253)"},
		{".b-before", "rgb(148, 163, 184)"},
		{".b-after", "rgb(22, 163, 74)"},
	} {
		var got []string
		eval(`[...new Set([...document.querySelectorAll(`+jsString(c.sel)+`)].map(e => getComputedStyle(e).fill))]`, &got)
		if len(got) != 1 || got[0] != c.fill {
			t.Errorf("%s fill = %q, want %q", c.sel, got, c.fill)
		}
	}
	var candStroke []string
	eval(`[...new Set([...document.querySelectorAll("svg.wf rect.bar.cand")].map(e => getComputedStyle(e).stroke))]`, &candStroke)
	if len(candStroke) != 1 || candStroke[0] != "rgb(234, 88, 12)" {
		t.Errorf("candidate bar stroke = %q", candStroke)
	}
	// Nothing overflows the page horizontally on a laptop screen.
	var overflow bool
	eval(`document.documentElement.scrollWidth > window.innerWidth`, &overflow)
	if overflow {
		t.Error("the page scrolls horizontally at 1366px")
	}

	// The serialized DOM (what chromium --dump-dom prints) keeps the name
	// escaped.
	dom, err := p.HTML()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dom, "<script>alert") || !strings.Contains(dom, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Error("the DOM dump does not hold the hostile name as escaped text")
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// bigReport has 50 endpoints, each with 40 callees on its critical path and
// a 400-span waterfall (the most audit draws).
func bigReport() *Report {
	r := richReport()
	r.Endpoints, r.Waterfalls = nil, nil
	for e := range 50 {
		ep := Endpoint{Service: fmt.Sprintf("svc-%02d", e), Operation: "POST /op", Traces: 1000,
			LatencyMs: Percentiles{P50: 100, P95: 300, P99: 900, Max: 2000}}
		for c := range 40 {
			ep.CriticalPath = append(ep.CriticalPath, PathShare{fmt.Sprintf("callee-%02d", c), "op", 2.5, 0.025})
		}
		r.Endpoints = append(r.Endpoints, ep)
		w := Waterfall{Endpoint: Ref{ep.Service, ep.Operation}, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Percentile: "p95", DurationMs: 300}
		for s := range 400 {
			w.Spans = append(w.Spans, WaterfallSpan{Depth: s % 7, Service: "svc", Operation: "op", Kind: "client",
				StartMs: float64(s) * 0.7, DurationMs: 20, OnCriticalPath: s%3 == 0, Async: s%11 == 0, Candidate: s % 5})
		}
		r.Waterfalls = append(r.Waterfalls, w)
	}
	return r
}

func BenchmarkWriteHTML(b *testing.B) {
	r := bigReport()
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := WriteHTML(&buf, r); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1e6, "MB/page")
}

// ExampleWriteHTML shows that names read from traces are escaped: a span
// named like a script tag is text in the page.
func ExampleWriteHTML() {
	r := &Report{SchemaVersion: SchemaVersion, Endpoints: []Endpoint{{Service: "<script>alert(1)</script>", Operation: "GET /"}}}
	var b strings.Builder
	if err := WriteHTML(&b, r); err != nil {
		fmt.Println(err)
		return
	}
	page := b.String()
	start := strings.Index(page, `<article class="card endpoint"`)
	fmt.Println(page[start : strings.Index(page[start:], "</h3>")+start+5])
	fmt.Println(strings.Contains(page, "<script"))
	// Output:
	// <article class="card endpoint" id="ep-1">
	// <h3><span class="svc">&lt;script&gt;alert(1)&lt;/script&gt;</span> <span class="op">GET /</span></h3>
	// false
}
