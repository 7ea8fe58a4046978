package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestProgress(t *testing.T) {
	if newProgress(Test(nil, &bytes.Buffer{}, &bytes.Buffer{})) != nil {
		t.Fatal("progress on a non-terminal stderr")
	}
	var errOut bytes.Buffer
	ios := Test(nil, &bytes.Buffer{}, &errOut)
	ios.ErrTTY = true
	p := newProgress(ios)
	clock := p.start
	p.now = func() time.Time { return clock }
	p.files(1, 10, 100) // too early: silent
	if errOut.Len() != 0 {
		t.Fatalf("printed before the delay: %q", errOut.String())
	}
	clock = clock.Add(time.Second)
	p.files(5, 10, 5000)
	if !strings.Contains(errOut.String(), "reading [============            ] 5/10 files, 5000 spans") {
		t.Fatalf("got %q", errOut.String())
	}
	p.done()
	if !strings.HasSuffix(errOut.String(), "\r\x1b[K") {
		t.Fatalf("line not cleared: %q", errOut.String())
	}
}
