// Package browser drives a real headless Chromium over the DevTools protocol
// (with chromedp) to check the pages syncaudit renders, as a person's
// browser would show them.
//
// Input: the URL of a page, normally served from 127.0.0.1 by an
// httptest.Server. Output: a *Page that recorded everything the browser saw
// while loading it — console messages and uncaught exceptions, every network
// request with its outcome (including requests a Content-Security-Policy
// blocked), and JavaScript dialogs (dismissed automatically) — and that can
// evaluate expressions in the page, dump its DOM and take a full-page PNG
// screenshot.
//
//	b, err := browser.Start(ctx, browser.Options{})
//	if errors.Is(err, browser.ErrNotFound) { /* skip */ }
//	defer b.Close()
//	p, err := b.Open(ctx, srv.URL+"/report.html")
//	defer p.Close()
//	for _, problem := range p.Problems() { … }
//	n, err := browser.Eval[int](p, `document.querySelectorAll("tr").length`)
//	png, err := p.Screenshot()
//
// Chromium is found by Find (scripts/install-chromium.sh installs Debian's).
// It runs with the flags this sandbox needs: --headless --no-sandbox
// --disable-gpu --disable-quic --no-first-run --disable-background-networking
// --disable-component-update --disable-sync and a fresh --user-data-dir, so
// the browser itself makes no connection of its own.
package browser

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// EnvChromium names the environment variable that, when set, gives the path
// of the Chromium binary to use.
const EnvChromium = "SYNCAUDIT_CHROMIUM"

// ErrNotFound is returned by Find and Start when no Chromium is installed.
var ErrNotFound = errors.New("browser: no Chromium found (install it with scripts/install-chromium.sh, or set " + EnvChromium + ")")

// Find returns the path of a Chromium binary: $SYNCAUDIT_CHROMIUM when set
// (an error if it is not an executable file), else the first of chromium,
// chromium-browser, google-chrome, google-chrome-stable and chrome on PATH,
// else /usr/bin/chromium. It returns an error wrapping ErrNotFound when none
// exists.
func Find() (string, error) {
	return find(os.Getenv(EnvChromium), exec.LookPath, "/usr/bin/chromium")
}

func find(env string, look func(string) (string, error), fallback string) (string, error) {
	if env != "" {
		if isExecutable(env) {
			return env, nil
		}
		return "", fmt.Errorf("%s=%q is not an executable file: %w", EnvChromium, env, ErrNotFound)
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome"} {
		if p, err := look(name); err == nil {
			return p, nil
		}
	}
	if isExecutable(fallback) {
		return fallback, nil
	}
	return "", ErrNotFound
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// Options configure Start.
type Options struct {
	// Exec is the Chromium binary; empty means Find.
	Exec string
	// Width and Height are the viewport in CSS pixels; 0 means 1366×900,
	// a common laptop screen.
	Width, Height int
}

// Browser is a running headless Chromium. Close it when done.
type Browser struct {
	ctx         context.Context // the browser's first tab; new tabs derive from it
	cancel      context.CancelFunc
	cancelAlloc context.CancelFunc
	width       int64
	height      int64
}

// Start launches Chromium. The browser lives until Close (or until ctx ends).
func Start(ctx context.Context, o Options) (*Browser, error) {
	exe := o.Exec
	if exe == "" {
		var err error
		if exe, err = Find(); err != nil {
			return nil, err
		}
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancel := chromedp.NewContext(allocCtx)
	// Running an empty action starts the browser and its first tab.
	if err := chromedp.Do(bctx); err != nil {
		cancel()
		cancelAlloc()
		return nil, fmt.Errorf("browser: start %s: %w", exe, err)
	}
	b := &Browser{ctx: bctx, cancel: cancel, cancelAlloc: cancelAlloc, width: 1366, height: 900}
	if o.Width > 0 && o.Height > 0 {
		b.width, b.height = int64(o.Width), int64(o.Height)
	}
	return b, nil
}

// Close stops the browser and removes its profile directory.
func (b *Browser) Close() error {
	b.cancel()
	b.cancelAlloc()
	return nil
}

// Message is one console message, uncaught exception or browser log entry.
type Message struct {
	// Level is "log", "debug", "info", "warning", "error" or "exception".
	Level string
	// Source says where a browser log entry came from ("network",
	// "security", …); empty for console calls.
	Source string
	Text   string
	URL    string
}

func (m Message) String() string {
	s := m.Level
	if m.Source != "" {
		s += "/" + m.Source
	}
	return s + ": " + m.Text
}

// Request is one network request the page made.
type Request struct {
	URL  string
	Type string // Document, Image, Stylesheet, Script, …
	// Status is the HTTP status, 0 when no response arrived.
	Status int
	// Failed is set when loading failed or was blocked; Error and Blocked
	// (e.g. "csp") say why.
	Failed  bool
	Error   string
	Blocked string
}

func (r Request) String() string {
	s := fmt.Sprintf("%s %s", r.Type, r.URL)
	if r.Status != 0 {
		s += fmt.Sprintf(" → %d", r.Status)
	}
	if r.Failed {
		s += " failed: " + r.Error
		if r.Blocked != "" {
			s += " (blocked: " + r.Blocked + ")"
		}
	}
	return s
}

// Page is one loaded tab. Its recorders keep running until Close.
type Page struct {
	ctx    context.Context
	cancel context.CancelFunc
	url    string

	mu       sync.Mutex
	console  []Message
	requests []Request
	index    map[network.RequestID]int
	dialogs  []string
}

// Open loads url in a new tab and waits for its load event. Dialogs that the
// page opens are recorded and dismissed so that loading never stalls.
func (b *Browser) Open(ctx context.Context, url string) (*Page, error) {
	tctx, cancel := chromedp.NewContext(b.ctx)
	stop := context.AfterFunc(ctx, cancel)
	p := &Page{ctx: tctx, url: url, index: map[network.RequestID]int{}}
	p.cancel = func() { stop(); cancel() }
	if err := chromedp.Listen(tctx, p.record); err != nil {
		p.cancel()
		return nil, fmt.Errorf("browser: open tab: %w", err)
	}
	if err := chromedp.Do(tctx,
		chromedp.EmulateViewport(b.width, b.height),
		chromedp.Navigate(url),
	); err != nil {
		p.cancel()
		return nil, fmt.Errorf("browser: load %s: %w", url, err)
	}
	return p, nil
}

// record runs on chromedp's reader goroutine for every event of the tab: it
// must be quick and must not issue commands itself.
func (p *Page) record(ev any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch e := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		m := Message{Level: string(e.Type), Text: argsText(e.Args)}
		if e.StackTrace != nil && len(e.StackTrace.CallFrames) > 0 {
			m.URL = e.StackTrace.CallFrames[0].URL
		}
		p.console = append(p.console, m)
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		m := Message{Level: "exception", Text: d.Text, URL: d.URL}
		if d.Exception != nil && d.Exception.Description != "" {
			m.Text += " " + d.Exception.Description
		}
		p.console = append(p.console, m)
	case *log.EventEntryAdded:
		en := e.Entry
		level := string(en.Level)
		if level == "verbose" {
			level = "debug"
		}
		p.console = append(p.console, Message{Level: level, Source: string(en.Source), Text: en.Text, URL: en.URL})
	case *network.EventRequestWillBeSent:
		if e.Request == nil {
			return
		}
		if i, ok := p.index[e.RequestID]; ok && e.RedirectResponse != nil {
			p.requests[i].Status = int(e.RedirectResponse.Status)
		}
		p.index[e.RequestID] = len(p.requests)
		p.requests = append(p.requests, Request{URL: e.Request.URL, Type: string(e.Type)})
	case *network.EventResponseReceived:
		if i, ok := p.index[e.RequestID]; ok && e.Response != nil {
			p.requests[i].Status = int(e.Response.Status)
		}
	case *network.EventLoadingFailed:
		i, ok := p.index[e.RequestID]
		if !ok {
			i = len(p.requests)
			p.index[e.RequestID] = i
			p.requests = append(p.requests, Request{URL: "(unknown)", Type: string(e.Type)})
		}
		p.requests[i].Failed, p.requests[i].Error, p.requests[i].Blocked = true, e.ErrorText, string(e.BlockedReason)
	case *page.EventJavascriptDialogOpening:
		p.dialogs = append(p.dialogs, string(e.Type)+": "+e.Message)
		// Commands may not run on this goroutine: dismiss from another.
		go func() {
			_, _ = chromedp.Call(p.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}()
	}
}

// argsText renders console.log arguments as DevTools prints them, roughly.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		if a == nil {
			continue
		}
		if len(a.Value) > 0 {
			var s string
			if json.Unmarshal(a.Value, &s) == nil {
				parts = append(parts, s)
				continue
			}
			parts = append(parts, string(a.Value))
			continue
		}
		parts = append(parts, a.Description)
	}
	return strings.Join(parts, " ")
}

// Close closes the tab.
func (p *Page) Close() { p.cancel() }

// URL is the address the page was opened at.
func (p *Page) URL() string { return p.url }

// Console returns the console messages, exceptions and log entries so far.
func (p *Page) Console() []Message {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Message(nil), p.console...)
}

// Requests returns every request made so far, the page's own document first.
func (p *Page) Requests() []Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Request(nil), p.requests...)
}

// Dialogs returns the JavaScript dialogs opened so far, as "type: message".
func (p *Page) Dialogs() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.dialogs...)
}

// Problems lists, in words, everything a self-contained static page should
// not show: console errors and warnings, uncaught exceptions, any request
// other than the page itself, failed or blocked requests, HTTP errors, and
// dialogs. An empty list means the page loaded cleanly and offline.
func (p *Page) Problems() []string {
	var out []string
	for _, m := range p.Console() {
		switch m.Level {
		case "error", "warning", "exception":
			out = append(out, "console "+m.String())
		}
	}
	for _, r := range p.Requests() {
		switch {
		case r.Failed:
			out = append(out, "request failed: "+r.String())
		case r.Status >= 400:
			out = append(out, "request error: "+r.String())
		case r.URL != p.url:
			out = append(out, "unexpected request: "+r.String())
		}
	}
	for _, d := range p.Dialogs() {
		out = append(out, "dialog "+d)
	}
	return out
}

// Eval evaluates a JavaScript expression in the page (DevTools evaluation
// is not subject to the page's Content-Security-Policy) and decodes its
// JSON value into T.
func Eval[T any](p *Page, expr string) (T, error) {
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		return v, fmt.Errorf("browser: eval %q: %w", expr, err)
	}
	return v, nil
}

// HTML returns the serialized DOM after loading (what chromium --dump-dom
// prints).
func (p *Page) HTML() (string, error) {
	return Eval[string](p, "document.documentElement.outerHTML")
}

// Screenshot returns a PNG of the whole page, beyond the viewport.
func (p *Page) Screenshot() ([]byte, error) {
	png, err := chromedp.Run(p.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return nil, fmt.Errorf("browser: screenshot: %w", err)
	}
	return png, nil
}

// ScreenshotOf returns a PNG of the page region from the top of the
// first element matching the CSS selector from to the bottom of the first
// matching to (the same selector for one element), the page's width.
func (p *Page) ScreenshotOf(from, to string) ([]byte, error) {
	expr := fmt.Sprintf(`(() => { const a = document.querySelector(%q), b = document.querySelector(%q);
		if (!a || !b) return [];
		const r = a.getBoundingClientRect(), s = b.getBoundingClientRect();
		return [r.top + window.scrollY, s.bottom + window.scrollY, document.documentElement.scrollWidth] })()`, from, to)
	box, err := Eval[[]float64](p, expr)
	if err != nil {
		return nil, err
	}
	if len(box) != 3 || box[1] <= box[0] {
		return nil, fmt.Errorf("browser: screenshot: no region from %s to %s", from, to)
	}
	captureBeyond, fromSurface := true, true
	r, err := chromedp.Call(p.ctx, page.CaptureScreenshot, page.CaptureScreenshotParams{
		Format:                page.CaptureScreenshotFormatPng,
		CaptureBeyondViewport: &captureBeyond,
		FromSurface:           &fromSurface,
		Clip:                  &page.Viewport{X: 0, Y: box[0], Width: box[2], Height: box[1] - box[0], Scale: 1},
	})
	if err != nil {
		return nil, fmt.Errorf("browser: screenshot from %s to %s: %w", from, to, err)
	}
	return r.Data, nil
}

// Settle waits d for late events (a failing image, a deferred console
// message) to arrive after the load event.
func (p *Page) Settle(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-p.ctx.Done():
	}
}
