package cli

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress draws a one-line progress indicator on a terminal's stderr. It
// stays silent for the first moment (short runs print nothing) and is never
// used when stderr is not a terminal, so it never mixes into piped output.
type progress struct {
	w       io.Writer
	start   time.Time
	last    time.Time
	now     func() time.Time
	mu      sync.Mutex
	visible bool
}

const (
	progressDelay    = 500 * time.Millisecond
	progressInterval = 100 * time.Millisecond
)

func newProgress(ios *IOStreams) *progress {
	if !ios.ErrTTY {
		return nil
	}
	return &progress{w: ios.ErrOut, start: time.Now(), now: time.Now}
}

// files reports decoding progress.
func (p *progress) files(done, total, spans int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	t := p.now()
	if t.Sub(p.start) < progressDelay || (t.Sub(p.last) < progressInterval && done < total) {
		return
	}
	p.last = t
	width := 24
	filled := width * done / max(total, 1)
	bar := make([]byte, width)
	for i := range bar {
		bar[i] = ' '
		if i < filled {
			bar[i] = '='
		}
	}
	fmt.Fprintf(p.w, "\r\x1b[Kreading [%s] %d/%d files, %d spans, %s", bar, done, total, spans, t.Sub(p.start).Round(100*time.Millisecond))
	p.visible = true
}

// done clears the line.
func (p *progress) done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.visible {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.visible = false
	}
}
