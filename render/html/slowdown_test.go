package html

import (
	"bytes"
	stdhtml "html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/render/html/browser"
	"github.com/syncaudit/syncaudit/report/reporttest"
)

// TestSlowdownHTML: the "Slow dependencies" section, its link in the
// contents and its summary highlights appear with --slowdown only; the
// hostile dependency name is escaped; the output is deterministic.
func TestSlowdownHTML(t *testing.T) {
	var a, b, plain bytes.Buffer
	if err := WriteHTML(&a, reporttest.WithSlowdowns()); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&b, reporttest.WithSlowdowns()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two renderings of the same report differ")
	}
	page := a.String()
	text := stdhtml.UnescapeString(page)
	for _, want := range []string{
		`<a href="#slowdowns">Slow dependencies</a>`,
		`<section id="slowdowns">`,
		`<strong>If payment slows down +500ms:</strong> frontend POST /checkout — p95 910ms → 1410ms today (+500ms), 240ms → 740ms with the plan (+500ms).`,
		`Every synchronous call into payment takes 500ms longer.`,
		`No request calls nobody synchronously.`,
		`<span class="sub-v chg-better">no change</span>`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
	} {
		if !strings.Contains(page, want) && !strings.Contains(text, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, reporttest.HostileScript) {
		t.Error("the hostile name is not escaped")
	}
	if err := WriteHTML(&plain, reporttest.Rich()); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "slowdown") || strings.Contains(plain.String(), "b-slow") {
		t.Error("a report without slowdowns mentions them")
	}
}

// TestSlowdownInChromium loads a report with slowdowns in a real headless
// Chromium and checks what a reader sees: the section, one table row and
// two charts (today, with the plan) per endpoint, each chart with three
// percentile rows and its change noted, and nothing overflowing the page
// width. Skipped without Chromium (scripts/install-chromium.sh).
func TestSlowdownInChromium(t *testing.T) {
	rep := reporttest.WithSlowdowns()
	p := openInChromium(t, rep, 1280)
	p.Settle(300 * time.Millisecond)
	if pr := p.Problems(); len(pr) > 0 {
		t.Errorf("the page did not load cleanly and offline:\n%s", strings.Join(pr, "\n"))
	}
	if shotDir := os.Getenv("SYNCAUDIT_SCREENSHOT_DIR"); shotDir != "" {
		if png, err := p.Screenshot(); err == nil {
			_ = os.WriteFile(filepath.Join(shotDir, "slowdowns.png"), png, 0o644)
		}
	}
	evalInt := func(expr string) int {
		t.Helper()
		v, err := browser.Eval[int](p, expr)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	endpoints := 0
	for _, s := range rep.Slowdowns {
		endpoints += len(s.Endpoints)
	}
	if got := evalInt(`document.querySelectorAll("#slowdowns article.slowdown").length`); got != len(rep.Slowdowns) {
		t.Errorf("%d slowdown cards, want %d", got, len(rep.Slowdowns))
	}
	if got := evalInt(`document.querySelectorAll("#slowdowns .slowdown-table tbody tr").length`); got != endpoints {
		t.Errorf("%d table rows, want %d", got, endpoints)
	}
	if got := evalInt(`document.querySelectorAll("#slowdowns svg.chart").length`); got != 2*endpoints {
		t.Errorf("%d charts, want %d", got, 2*endpoints)
	}
	if got := evalInt(`document.querySelectorAll("#slowdowns svg.chart .b-slow").length`); got != 3*endpoints {
		t.Errorf("%d slowed bars, want %d", got, 3*endpoints)
	}
	if got := evalInt(`document.querySelectorAll("#slowdowns svg.chart .n-bad, #slowdowns svg.chart .n-good").length`); got != 6*endpoints {
		t.Errorf("%d change notes, want %d", got, 6*endpoints)
	}
	// Drawn, visible, and within the page: no horizontal overflow.
	if got := evalInt(`Math.round(document.querySelector("#slowdowns").getBoundingClientRect().height)`); got < 300 {
		t.Errorf("the section is %dpx high", got)
	}
	if got := evalInt(`document.documentElement.scrollWidth - document.documentElement.clientWidth`); got > 0 {
		t.Errorf("the page overflows by %dpx horizontally", got)
	}
	if got := evalInt(`getComputedStyle(document.querySelector("#slowdowns .b-slow")).fill === "rgb(220, 38, 38)" ? 1 : 0`); got != 1 {
		t.Error("slowed bars are not red: the conditional styles are missing")
	}
}
