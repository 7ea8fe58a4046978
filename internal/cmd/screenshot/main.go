// Command screenshot takes the README's screenshot of an HTML report: it
// loads the page in headless Chromium (render/html/browser), checks that it
// loaded cleanly and offline, measures where the section named by -until
// ends, and has Chromium's own --screenshot capture the page from the top
// down to there, -width CSS pixels wide, as a PNG no larger than -max-bytes.
//
// scripts/screenshot.sh (make screenshot) renders the bundled shop's
// report with --slowdown and runs it.
//
//	go run ./internal/cmd/screenshot -html out/shop.html -out docs/report.png
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/syncaudit/syncaudit/render/html/browser"
)

func main() {
	page := flag.String("html", "", "the HTML report `FILE`")
	out := flag.String("out", "", "the `PNG` to write")
	width := flag.Int("width", 1280, "viewport width in CSS pixels")
	until := flag.String("until", "#slowdowns", "CSS `SELECTOR` of the last element shown; empty: the whole page")
	from := flag.String("from", "", "CSS `SELECTOR` of the first element shown (with -until: that region alone, instead of the page from the top)")
	maxBytes := flag.Int("max-bytes", 500_000, "fail when the PNG is larger")
	flag.Parse()
	if *page == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	shoot := run
	if *from != "" {
		shoot = func(page, out string, width int, until string, maxBytes int) error {
			return runRegion(page, out, width, *from, until, maxBytes)
		}
	}
	if err := shoot(*page, *out, *width, *until, *maxBytes); err != nil {
		fmt.Fprintln(os.Stderr, "screenshot:", err)
		os.Exit(1)
	}
}

// serve finds Chromium and serves the report page from 127.0.0.1: its
// URL, and stop to call when done.
func serve(page string) (exe, url string, stop func(), err error) {
	if exe, err = browser.Find(); err != nil {
		return "", "", nil, err
	}
	abs, err := filepath.Abs(page)
	if err != nil {
		return "", "", nil, err
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(filepath.Dir(abs))))
	return exe, srv.URL + "/" + filepath.Base(abs), srv.Close, nil
}

func run(page, out string, width int, until string, maxBytes int) error {
	exe, url, stop, err := serve(page)
	if err != nil {
		return err
	}
	defer stop()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	height, err := measure(ctx, exe, url, width, until)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "syncaudit-screenshot-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	shot := filepath.Join(tmp, "shot.png")
	cmd := exec.CommandContext(ctx, exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--force-device-scale-factor=1", "--user-data-dir="+filepath.Join(tmp, "profile"),
		"--window-size="+strconv.Itoa(width)+","+strconv.Itoa(height), "--screenshot="+shot, url)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v\n%s", exe, err, b)
	}
	png, err := os.ReadFile(shot)
	if err != nil {
		return err
	}
	return save(out, png, maxBytes, fmt.Sprintf("%d×%d", width, height))
}

// save writes png to out unless it is larger than maxBytes, and says so;
// what describes the image.
func save(out string, png []byte, maxBytes int, what string) error {
	if len(png) > maxBytes {
		return fmt.Errorf("%s PNG of %d bytes is larger than %d", what, len(png), maxBytes)
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %s, %d bytes\n", out, what, len(png))
	return nil
}

// measure loads url and returns the page height down to the end of the
// element matching until (the whole page when until is empty), in CSS
// pixels, after checking that the page loaded without a problem.
func measure(ctx context.Context, exe, url string, width int, until string) (int, error) {
	p, done, err := openPage(ctx, exe, url, width)
	if err != nil {
		return 0, err
	}
	defer done()
	expr := "document.documentElement.scrollHeight"
	if until != "" {
		expr = fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? Math.ceil(e.getBoundingClientRect().bottom + window.scrollY) + 24 : -1 })()`, until)
	}
	h, err := browser.Eval[int](p, expr)
	if err != nil {
		return 0, err
	}
	if h <= 0 {
		return 0, errors.New("no element matches " + until + " in the page")
	}
	return h, nil
}

// runRegion captures the page from the top of the element matching from to
// the bottom of the one matching until, after checking that the page
// loaded cleanly and offline.
func runRegion(page, out string, width int, from, until string, maxBytes int) error {
	exe, url, stop, err := serve(page)
	if err != nil {
		return err
	}
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, done, err := openPage(ctx, exe, url, width)
	if err != nil {
		return err
	}
	defer done()
	png, err := p.ScreenshotOf(from, until)
	if err != nil {
		return err
	}
	return save(out, png, maxBytes, from+" to "+until)
}

// openPage opens url in headless Chromium width pixels wide and checks
// that it loaded cleanly and offline; done closes the page and the
// browser.
func openPage(ctx context.Context, exe, url string, width int) (p *browser.Page, done func(), err error) {
	b, err := browser.Start(ctx, browser.Options{Exec: exe, Width: width, Height: 900})
	if err != nil {
		return nil, nil, err
	}
	p, err = b.Open(ctx, url)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	done = func() { p.Close(); b.Close() }
	p.Settle(300 * time.Millisecond)
	if pr := p.Problems(); len(pr) > 0 {
		done()
		return nil, nil, fmt.Errorf("the page did not load cleanly and offline:\n%s", strings.Join(pr, "\n"))
	}
	return p, done, nil
}
