package cli

import (
	"fmt"
	"io"
	"strings"
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
	t, ok := p.due(done >= total)
	if !ok {
		return
	}
	p.draw(fmt.Sprintf("reading [%s] %d/%d files, %d spans, %s",
		progressBar(progressWidth*done/max(total, 1)), done, total, spans, t.Sub(p.start).Round(100*time.Millisecond)))
}

// due says whether to draw now (p.mu held): not in the first moment, and
// at most every progressInterval unless final.
func (p *progress) due(final bool) (time.Time, bool) {
	t := p.now()
	if t.Sub(p.start) < progressDelay || (t.Sub(p.last) < progressInterval && !final) {
		return t, false
	}
	p.last = t
	return t, true
}

// draw replaces the progress line with line (p.mu held).
func (p *progress) draw(line string) {
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
	p.visible = true
}

const progressWidth = 24

// progressBar is a bar of progressWidth cells, the first filled ones drawn.
func progressBar(filled int) string {
	filled = min(max(filled, 0), progressWidth)
	return strings.Repeat("=", filled) + strings.Repeat(" ", progressWidth-filled)
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
