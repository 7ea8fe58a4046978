package html

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

	"github.com/syncaudit/syncaudit/render/html/browser"
	"github.com/syncaudit/syncaudit/report"
	"github.com/syncaudit/syncaudit/report/reporttest"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func TestGolden(t *testing.T) {
	tests := []struct {
		name   string
		render func(w *bytes.Buffer, r *report.Report) error
	}{
		{"report.html.golden", func(w *bytes.Buffer, r *report.Report) error { return WriteHTML(w, r) }},
		{"empty.html.golden", func(w *bytes.Buffer, r *report.Report) error {
			return WriteHTML(w, &report.Report{SchemaVersion: report.SchemaVersion})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := tt.render(&a, reporttest.Rich()); err != nil {
				t.Fatal(err)
			}
			if err := tt.render(&b, reporttest.Rich()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two renderings of the same report differ")
			}
			reporttest.Golden(t, tt.name, a.Bytes(), *update)
		})
	}
}

// TestHTMLEscaping checks that nothing from the traces becomes markup and
// that the page cannot reach the network.
func TestHTMLEscaping(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTML(&b, reporttest.Rich()); err != nil {
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

func TestWriteHTMLNil(t *testing.T) {
	if err := WriteHTML(&bytes.Buffer{}, nil); err == nil {
		t.Error("WriteHTML(nil) = nil error")
	}
}

func TestWriteHTMLWriteError(t *testing.T) {
	if err := WriteHTML(failWriter{}, reporttest.Rich()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("err = %v, want the writer's error", err)
	}
}

// TestHTMLOddValues renders values the pipeline should never produce
// (NaN, infinities, negatives, absurd depths, many callees, huge traces)
// and checks that the page stays well-formed SVG.
func TestHTMLOddValues(t *testing.T) {
	r := reporttest.Rich()
	nan, inf := math.NaN(), math.Inf(1)
	r.Endpoints[0].LatencyMs = report.Percentiles{P50: nan, P95: inf, P99: -5, Max: math.Inf(-1)}
	r.Candidates[0].Confidence = 7
	r.Plan[0].AfterMs.P95 = 2 * r.Plan[0].BeforeMs.P95 // a regression
	var many []report.PathShare
	for i := range 40 {
		many = append(many, report.PathShare{Service: fmt.Sprintf("svc-%02d", i), Operation: "op", MeanMs: 1, Share: 0.025})
	}
	r.Endpoints[1].CriticalPath = many
	var deep []report.WaterfallSpan
	for i := range 400 {
		deep = append(deep, report.WaterfallSpan{Depth: i, Service: "s", Operation: strings.Repeat("x", 300), StartMs: float64(i), DurationMs: nan})
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

// openInChromium renders rep, serves it from 127.0.0.1 and opens it in a
// real headless Chromium window width pixels wide; the test is skipped in
// -short mode or without Chromium (scripts/install-chromium.sh). The page
// and the browser close with the test.
func openInChromium(t *testing.T, rep *report.Report, width int) *browser.Page {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the browser test in -short mode")
	}
	if _, err := browser.Find(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	dir := t.TempDir()
	var page bytes.Buffer
	if err := WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "report.html"), page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	t.Cleanup(cancel)
	b, err := browser.Start(ctx, browser.Options{Width: width, Height: 900})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	p, err := b.Open(ctx, srv.URL+"/report.html")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

// TestHTMLInChromium loads the rich report in a real headless Chromium from
// 127.0.0.1 and checks what a reader would see. Install Chromium with
// scripts/install-chromium.sh; without it the test is skipped.
func TestHTMLInChromium(t *testing.T) {
	rep := reporttest.Rich()
	p := openInChromium(t, rep, 1366)
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
	eval(`[...document.querySelectorAll("#candidates-table .svc")].some(e => e.textContent === `+jsString(reporttest.HostileScript)+`)`, &asText)
	if !asText {
		t.Error("the hostile service name is not rendered as text in the candidates table")
	}
	eval(`document.body.innerText.includes(`+jsString(reporttest.HostileScript)+`)`, &asText)
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
	wantDeps, wantEdges, wantPlan, wantAsyncEdges := 0, 0, 0, 0
	for _, d := range rep.Diagrams {
		wantDeps++
		wantEdges += len(d.Edges)
		after := false
		for _, e := range d.Edges {
			if e.Plan != "" {
				wantPlan++
				after = true
			}
			if e.Async {
				wantAsyncEdges++
			}
		}
		if after { // drawn again with the plan
			wantDeps++
			wantEdges += len(d.Edges)
			for _, e := range d.Edges {
				if e.Async || e.Plan == report.MakeAsync {
					wantAsyncEdges++
				}
			}
		}
	}
	if want := 2*len(rep.Endpoints) + len(rep.Plan) + wantDeps; charts != want {
		t.Errorf("%d charts, want %d", charts, want)
	}
	// Dependency diagrams: one per endpoint, and one after the plan when it
	// changes an edge; async edges dashed, plan edges highlighted in
	// orange, every edge with its arrowhead.
	var deps, edges, heads, planEdges, dashed int
	eval(`document.querySelectorAll("svg.dep-graph").length`, &deps)
	eval(`document.querySelectorAll("svg.dep-graph g.dep path").length`, &edges)
	eval(`document.querySelectorAll("svg.dep-graph g.dep polygon").length`, &heads)
	eval(`[...document.querySelectorAll("svg.dep-graph g.dep.plan path")].filter(e => getComputedStyle(e).stroke === "rgb(217, 72, 15)").length`, &planEdges)
	eval(`[...document.querySelectorAll("svg.dep-graph g.dep path")].filter(e => getComputedStyle(e).strokeDasharray !== "none").length`, &dashed)
	if deps != wantDeps || edges != wantEdges || heads != wantEdges || planEdges != wantPlan || dashed != wantAsyncEdges {
		t.Errorf("dependency diagrams: %d svgs, %d edges, %d arrowheads, %d highlighted, %d dashed; want %d, %d, %d, %d, %d",
			deps, edges, heads, planEdges, dashed, wantDeps, wantEdges, wantEdges, wantPlan, wantAsyncEdges)
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

func BenchmarkWriteHTML(b *testing.B) {
	r := reporttest.Big()
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
	r := &report.Report{SchemaVersion: report.SchemaVersion, Endpoints: []report.Endpoint{{Service: "<script>alert(1)</script>", Operation: "GET /"}}}
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

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, fmt.Errorf("disk full") }
