package decode

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

// TestPreloadReadsAsTheFile checks that a preloaded file decodes exactly
// as the file itself does: spans, format, errors and their positions,
// whatever the format and compression, and that only files up to the
// size given are preloaded.
func TestPreloadReadsAsTheFile(t *testing.T) {
	dir := t.TempDir()
	lines := strings.Repeat(otlpLine, 3)
	tests := []struct {
		name    string
		data    []byte
		preload bool
	}{
		{"lines.jsonl", []byte(lines), true},
		{"jaeger.json", []byte(jaegerDoc), true},
		{"zipkin.json", []byte(zipkinDoc), true},
		{"lines.jsonl.gz", gz(t, []byte(lines)), true},
		{"jaeger.json.zst", zst(t, []byte(jaegerDoc)), true},
		{"empty.json", nil, true},
		{"bad.jsonl", []byte(otlpLine + "{\"resourceSpans\": [1,\n" + otlpLine), true},
		{"big.jsonl", []byte(strings.Repeat(otlpLine, 20)), false},
	}
	const max = 4 << 10
	for _, tt := range tests {
		path := filepath.Join(dir, tt.name)
		if err := os.WriteFile(path, tt.data, 0o644); err != nil {
			t.Fatal(err)
		}
		in := FileInput(path)
		pre := in.Preload(max)
		if isMem := pre.path == ""; isMem != tt.preload {
			t.Errorf("%s: preloaded %v, want %v", tt.name, isMem, tt.preload)
		}
		var want, got decoder.Collect
		wantF, wantErr := Read(context.Background(), in, Options{}, &want)
		gotF, gotErr := Read(context.Background(), pre, Options{}, &got)
		if gotF != wantF || fmt.Sprint(gotErr) != fmt.Sprint(wantErr) ||
			!reflect.DeepEqual(errorPositions(gotErr), errorPositions(wantErr)) {
			t.Errorf("%s: preloaded %q %v, file %q %v", tt.name, gotF, gotErr, wantF, wantErr)
		}
		if !reflect.DeepEqual(got.Spans, want.Spans) || !reflect.DeepEqual(got.Rejected, want.Rejected) {
			t.Errorf("%s: preloaded %d spans, file %d", tt.name, len(got.Spans), len(want.Spans))
		}
		if tt.preload {
			if _, err := pre.Open(); err == nil {
				t.Errorf("%s: a preloaded input opened twice", tt.name)
			}
		}
	}
	// A missing file is left to fail where it is read, with its message.
	missing := FileInput(filepath.Join(dir, "missing.json"))
	_, err := Read(context.Background(), missing.Preload(max), Options{}, &decoder.Collect{})
	if err == nil || !strings.Contains(err.Error(), "missing.json") {
		t.Errorf("missing file: %v", err)
	}
}

// TestEstimateSize: plain files count their size; a zstd file with its
// content size recorded counts that; gzip and zstd without it count their
// size times the ratio of their first MiB, within a few percent here.
func TestEstimateSize(t *testing.T) {
	dir := t.TempDir()
	plain := []byte(strings.Repeat(otlpLine, 20000)) // ~6 MB
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	var streamed bytes.Buffer // no content size in the frame header
	zw, err := zstd.NewWriter(&streamed)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(plain)
	zw.Close()
	for _, tc := range []struct {
		name  string
		data  []byte
		exact bool
	}{
		{"plain.jsonl", plain, true},
		{"fcs.jsonl.zst", enc.EncodeAll(plain, nil), true},
		{"stream.jsonl.zst", streamed.Bytes(), false},
		{"plain.jsonl.gz", gz(t, plain), false},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		got, ok := EstimateSize(path)
		want := int64(len(plain))
		switch {
		case !ok:
			t.Errorf("%s: not estimated", tc.name)
		case tc.exact && got != want:
			t.Errorf("%s: %d, want exactly %d", tc.name, got, want)
		case got < want*9/10 || got > want*11/10:
			t.Errorf("%s: %d, want about %d", tc.name, got, want)
		}
	}
	if _, ok := EstimateSize(filepath.Join(dir, "missing")); ok {
		t.Error("a missing file estimated")
	}
}

// TestPreloadedBuffersReused: a preloaded buffer goes back to its pool
// once decoded and is filled with the next file; no span decoded from it
// may change then (the decoders keep no views of their input). Every
// format is decoded from a buffer, the buffer refilled with other bytes,
// and the spans compared with a copy made before.
func TestPreloadedBuffersReused(t *testing.T) {
	dir := t.TempDir()
	docs := map[string]string{"a.jsonl": strings.Repeat(otlpLine, 3), "b.json": jaegerDoc, "c.json": zipkinDoc}
	for name, doc := range docs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name := range docs {
		var c decoder.Collect
		if _, err := Read(context.Background(), FileInput(filepath.Join(dir, name)).Preload(1<<20), Options{}, &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := fmt.Sprintf("%+v", c.Spans)
		for range 4 { // refill the pooled buffers with other bytes
			b := getPreloadBuf(len(docs[name]) + 1)
			for i := range b {
				b[i] = 'x'
			}
			putPreloadBuf(b)
		}
		if got := fmt.Sprintf("%+v", c.Spans); got != want {
			t.Errorf("%s: spans changed once the buffer was reused:\n%s\nwant\n%s", name, got, want)
		}
	}
}
