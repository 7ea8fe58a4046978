package browser

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestFind(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "chromium")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "notexec")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	onPath := func(name string) (string, error) {
		if name == "google-chrome" {
			return "/opt/google-chrome", nil
		}
		return "", errors.New("not found")
	}
	nowhere := func(string) (string, error) { return "", errors.New("not found") }
	tests := []struct {
		name     string
		env      string
		look     func(string) (string, error)
		fallback string
		want     string
		wantErr  bool
	}{
		{"env wins", exe, onPath, exe, exe, false},
		{"env not executable", plain, onPath, exe, "", true},
		{"env missing file", filepath.Join(dir, "nope"), onPath, exe, "", true},
		{"path", "", onPath, exe, "/opt/google-chrome", false},
		{"fallback", "", nowhere, exe, exe, false},
		{"none", "", nowhere, filepath.Join(dir, "nope"), "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := find(tt.env, tt.look, tt.fallback)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrNotFound) {
				t.Errorf("err = %v, want it to wrap ErrNotFound", err)
			}
			if got != tt.want {
				t.Errorf("find = %q, want %q", got, tt.want)
			}
		})
	}
}

// startBrowser starts Chromium or skips the test when it is not installed.
func startBrowser(t *testing.T) (*Browser, context.Context) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the browser test in -short mode")
	}
	if _, err := Find(); err != nil {
		t.Skipf("skipping: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	b, err := Start(ctx, Options{Width: 800, Height: 600})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, ctx
}

// TestRecorders loads pages that misbehave in known ways and checks that
// each misbehaviour is reported, and that a clean page reports nothing: the
// report's browser test relies on Problems catching these.
func TestRecorders(t *testing.T) {
	b, ctx := startBrowser(t)
	var imageHits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/image.png", func(w http.ResponseWriter, r *http.Request) {
		imageHits.Add(1)
		http.NotFound(w, r)
	})
	pages := map[string]string{
		"/clean.html": `<!DOCTYPE html><html><head><link rel="icon" href="data:,"><title>clean</title></head>
<body><h1 id="h">Hello &lt;b&gt;</h1><p class="x">one</p><p class="x">two</p></body></html>`,
		"/noisy.html": `<!DOCTYPE html><html><head><link rel="icon" href="data:,"></head><body>
<img src="/image.png" alt="">
<script>console.error("boom", 42); alert("hi"); throw new Error("uncaught one");</script></body></html>`,
		"/csp.html": `<!DOCTYPE html><html><head><link rel="icon" href="data:,">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
</head><body><img src="/image.png" alt=""><script>alert("must not run")</script></body></html>`,
	}
	for path, body := range pages {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(body))
		})
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()

	t.Run("clean", func(t *testing.T) {
		p, err := b.Open(ctx, srv.URL+"/clean.html")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		p.Settle(200 * time.Millisecond)
		if pr := p.Problems(); len(pr) > 0 {
			t.Errorf("clean page has problems: %q", pr)
		}
		if n := len(p.Requests()); n != 1 {
			t.Errorf("requests = %v, want the document only", p.Requests())
		}
		texts, err := Eval[[]string](p, `[...document.querySelectorAll(".x")].map(e => e.textContent)`)
		if err != nil || strings.Join(texts, ",") != "one,two" {
			t.Errorf("Eval = %q, %v", texts, err)
		}
		h, err := p.HTML()
		if err != nil || !strings.Contains(h, "Hello &lt;b&gt;") {
			t.Errorf("HTML = %q, %v", h, err)
		}
		png, err := p.Screenshot()
		if err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
			t.Errorf("Screenshot: %d bytes, %v", len(png), err)
		}
		if _, err := Eval[int](p, `undefinedVariable.x`); err == nil {
			t.Error("Eval of a throwing expression: no error")
		}
	})

	t.Run("noisy", func(t *testing.T) {
		p, err := b.Open(ctx, srv.URL+"/noisy.html")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		p.Settle(300 * time.Millisecond)
		got := strings.Join(p.Problems(), "\n")
		t.Logf("problems:\n%s", got)
		for _, want := range []string{"console error: boom 42", "uncaught one", "dialog alert: hi", "/image.png → 404"} {
			if !strings.Contains(got, want) {
				t.Errorf("problems lack %q:\n%s", want, got)
			}
		}
	})

	t.Run("csp", func(t *testing.T) {
		before := imageHits.Load()
		p, err := b.Open(ctx, srv.URL+"/csp.html")
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		p.Settle(300 * time.Millisecond)
		if d := p.Dialogs(); len(d) > 0 {
			t.Errorf("CSP let the script run: dialogs %q", d)
		}
		if n := imageHits.Load() - before; n != 0 {
			t.Errorf("CSP let the image through: %d hits", n)
		}
		got := strings.Join(p.Problems(), "\n")
		t.Logf("problems:\n%s", got)
		if !strings.Contains(got, "blocked: csp") || !strings.Contains(got, "Content Security Policy") {
			t.Errorf("problems do not report the CSP blocks:\n%s", got)
		}
	})
}
