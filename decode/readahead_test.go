package decode

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

// TestReadAhead reads through a readAhead in small and large reads and
// compares with the input, then the error at its end.
func TestReadAhead(t *testing.T) {
	data := make([]byte, 3*readAheadBlock+12345)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	boom := errors.New("boom")
	for _, size := range []int{1, 7, 4096, readAheadBlock + 3} {
		ra := newReadAhead(io.MultiReader(bytes.NewReader(data), iotest.ErrReader(boom)))
		var got []byte
		buf := make([]byte, size)
		var err error
		for {
			var n int
			n, err = ra.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		ra.close()
		if !bytes.Equal(got, data) || !errors.Is(err, boom) {
			t.Errorf("reads of %d: %d bytes (equal %v), err %v", size, len(got), bytes.Equal(got, data), err)
		}
	}
	// Closed early, before its goroutine has read everything.
	ra := newReadAhead(bytes.NewReader(data))
	if _, err := ra.Read(make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	ra.close()
	ra.close()
}

// TestSplitGzipReadAhead: a gzip input of several read-ahead blocks gives
// the spans of the plain one, whole or truncated, and a cancelled read
// stops.
func TestSplitGzipReadAhead(t *testing.T) {
	var doc strings.Builder
	for i := 0; doc.Len() < 3*readAheadBlock; i++ {
		doc.WriteString(otlpSpanLine(i%1000) + "\n")
	}
	plain := []byte(doc.String())
	z := gz(t, plain)
	var want, got decoder.Collect
	if _, err := Read(context.Background(), ReaderInput("p", bytes.NewReader(plain)), Options{}, &want); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(context.Background(), ReaderInput("p.gz", bytes.NewReader(z)), Options{}, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Spans) != len(want.Spans) || len(want.Spans) == 0 {
		t.Fatalf("gzip: %d spans, plain %d", len(got.Spans), len(want.Spans))
	}
	got = decoder.Collect{}
	_, err := Read(context.Background(), ReaderInput("t.gz", bytes.NewReader(z[:len(z)*2/3])), Options{}, &got)
	if !strings.Contains(fmtErr(err), "gzip") || len(got.Spans) == 0 || len(got.Spans) >= len(want.Spans) {
		t.Errorf("truncated gzip: %d spans, err %v", len(got.Spans), err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	chunks := 0
	err = Split(ctx, ReaderInput("c.gz", bytes.NewReader(z)), Options{ChunkBytes: 64 << 10}, func(*Chunk) error {
		if chunks++; chunks == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
