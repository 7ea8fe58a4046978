package decode

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/otlp"
)

// otlpSpanLine is one OTLP/JSON line holding one span with the given span ID.
func otlpSpanLine(id int) string {
	return fmt.Sprintf(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"%016x","name":"GET /x","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000"}]}]}]}`, id+1)
}

// jsonLinesInputs are JSON-lines inputs with good lines, damaged lines,
// blank lines, CRLF, a BOM, and a last line without a newline.
func jsonLinesInputs() map[string]string {
	var many strings.Builder
	for i := range 300 {
		if i%2 == 0 {
			many.WriteString(otlpSpanLine(i) + "\n")
		} else {
			many.WriteString(`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":1}]}]}` + "\n") // truncated
		}
	}
	lines := func(ls ...string) string { return strings.Join(ls, "\n") }
	return map[string]string{
		"good":       lines(otlpSpanLine(0), otlpSpanLine(1), otlpSpanLine(2), otlpSpanLine(3)) + "\n",
		"no newline": lines(otlpSpanLine(0), otlpSpanLine(1), otlpSpanLine(2)),
		"bad lines": lines(otlpSpanLine(0), `{"resourceSpans":[{"scopeSpans":[{"spans":[{"spanId":"x"`, otlpSpanLine(1),
			`{"resourceSpans":"nope"}`, "", "   ", otlpSpanLine(2), `{}`, `[1,2]`, `{"resourceSpans":[]} trailing`, otlpSpanLine(3)) + "\n",
		"crlf":          strings.ReplaceAll(lines(otlpSpanLine(0), otlpSpanLine(1), "", otlpSpanLine(2)), "\n", "\r\n") + "\r\n",
		"bom and blank": "\xef\xbb\xbf\n\n  " + lines(otlpSpanLine(0), "  "+otlpSpanLine(1), otlpSpanLine(2)) + "\n\n\n",
		"first damaged": lines(`{"resourceSpans":[`, otlpSpanLine(0), otlpSpanLine(1)) + "\n",
		"nested line":   lines(otlpSpanLine(0), `{"resourceSpans":[],"x":`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`}`, otlpSpanLine(1)) + "\n",
		"many errors":   many.String(),
		"pretty":        "{\n  \"resourceSpans\": [\n" + otlpSpanLine(0)[len(`{"resourceSpans":[`):] + "\n",
		"jaeger":        jaegerDoc,
		"zipkin":        zipkinDoc,
	}
}

// decodeWhole is the reference: the whole decompressed input at once.
func decodeWhole(name string, data []byte) (decoder.Collect, Format, error) {
	var c decoder.Collect
	data, err := Decompress(name, data, decoder.DefaultLimits)
	if err != nil {
		return c, "", err
	}
	f, err := Bytes(name, data, Auto, decoder.DefaultLimits, &c)
	return c, f, err
}

func TestSplitMatchesWholeInput(t *testing.T) {
	for name, doc := range jsonLinesInputs() {
		for cname, data := range map[string][]byte{"plain": []byte(doc), "gzip": gz(t, []byte(doc)), "zstd": zst(t, []byte(doc))} {
			want, wantF, wantErr := decodeWhole(name, data)
			for _, size := range []int{1, 7, 300, 1 << 20} {
				var got decoder.Collect
				f, err := Read(context.Background(), ReaderInput(name, bytes.NewReader(data)), Options{ChunkBytes: size}, &got)
				where := fmt.Sprintf("%s/%s/chunk %d", name, cname, size)
				if f != wantF {
					t.Errorf("%s: format %q, want %q", where, f, wantF)
				}
				if fmt.Sprint(err) != fmt.Sprint(wantErr) {
					t.Errorf("%s: error\n%v\nwant\n%v", where, err, wantErr)
				}
				if !reflect.DeepEqual(errorPositions(err), errorPositions(wantErr)) {
					t.Errorf("%s: positions %v, want %v", where, errorPositions(err), errorPositions(wantErr))
				}
				if !reflect.DeepEqual(got.Spans, want.Spans) || !reflect.DeepEqual(got.Rejected, want.Rejected) {
					t.Errorf("%s: %d spans %v, want %d %v", where, len(got.Spans), got.Rejected, len(want.Spans), want.Rejected)
				}
			}
		}
	}
}

// errorPositions lists the positions of the *decoder.Error values in err.
func errorPositions(err error) []string {
	var list decoder.ErrorList
	if !errors.As(err, &list) {
		list = decoder.ErrorList{err}
	}
	var out []string
	for _, e := range list {
		var de *decoder.Error
		if errors.As(e, &de) {
			out = append(out, fmt.Sprintf("%d:%d@%d", de.Line, de.Column, de.Offset))
		}
	}
	return out
}

func TestSplitCutsJSONLinesOnly(t *testing.T) {
	inputs := jsonLinesInputs()
	tests := []struct {
		input string
		// chunks with ChunkBytes 1: one per line for JSON lines, one for anything else.
		want int
	}{
		{"good", 4},
		{"no newline", 3},
		{"bad lines", 6}, // only lines that are whole objects start chunks
		{"bom and blank", 2},
		{"first damaged", 1},
		{"nested line", 2}, // the deeply nested line does not start a chunk
		{"pretty", 1},
		{"jaeger", 1},
		{"zipkin", 1},
	}
	for _, tt := range tests {
		var sizes []int
		var whole []bool
		err := Split(context.Background(), ReaderInput(tt.input, strings.NewReader(inputs[tt.input])), Options{ChunkBytes: 1}, func(c *Chunk) error {
			sizes = append(sizes, c.Len())
			whole = append(whole, c.whole)
			return nil
		})
		if err != nil {
			t.Errorf("%s: %v", tt.input, err)
		}
		if len(sizes) != tt.want {
			t.Errorf("%s: %d chunks %v, want %d", tt.input, len(sizes), sizes, tt.want)
		}
		total := 0
		for _, n := range sizes {
			total += n
		}
		if n := len(strings.TrimRight(inputs[tt.input], " \n")); total < n {
			t.Errorf("%s: chunks cover %d bytes of %d", tt.input, total, n)
		}
	}
}

func TestSplitChunkSize(t *testing.T) {
	var b strings.Builder
	for i := range 2000 {
		b.WriteString(otlpSpanLine(i) + "\n")
	}
	const size = 16 << 10
	var sizes []int
	var c decoder.Collect
	j := NewJoiner("big")
	err := Split(context.Background(), ReaderInput("big", strings.NewReader(b.String())), Options{ChunkBytes: size}, func(ch *Chunk) error {
		sizes = append(sizes, ch.Len())
		_, err := ch.Decode(&c)
		j.Add(ch, err)
		return nil
	})
	if err != nil || j.Err() != nil {
		t.Fatal(err, j.Err())
	}
	if len(c.Spans) != 2000 {
		t.Errorf("%d spans, want 2000", len(c.Spans))
	}
	line := len(otlpSpanLine(0)) + 1
	for i, n := range sizes[:len(sizes)-1] {
		if n < size || n > size+line {
			t.Errorf("chunk %d: %d bytes, want %d to %d", i, n, size, size+line)
		}
	}
}

// failingReader returns data, then err.
type failingReader struct {
	data []byte
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if len(f.data) == 0 {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}

func TestSplitReadErrorKeepsCompleteLines(t *testing.T) {
	doc := otlpSpanLine(0) + "\n" + otlpSpanLine(1) + "\n" + otlpSpanLine(2)[:50]
	var c decoder.Collect
	boom := errors.New("disk on fire")
	_, err := Read(context.Background(), ReaderInput("r", &failingReader{data: []byte(doc), err: boom}), Options{}, &c)
	if !errors.Is(err, boom) || len(c.Spans) != 2 {
		t.Errorf("%d spans, err %v; want the 2 complete lines and the read error", len(c.Spans), err)
	}
	// A truncated gzip stream: the complete lines, then the gzip error.
	z := gz(t, []byte(strings.Repeat(otlpSpanLine(3)+"\n", 200)))
	c = decoder.Collect{}
	_, err = Read(context.Background(), ReaderInput("t.gz", bytes.NewReader(z[:len(z)/2])), Options{}, &c)
	var de *decoder.Error
	if !errors.As(err, &de) || !de.Binary || !strings.Contains(err.Error(), "gzip") || len(c.Spans) == 0 {
		t.Errorf("truncated gzip: %d spans, err %v", len(c.Spans), err)
	}
}

func TestSplitBounded(t *testing.T) {
	lim := decoder.Limits{MaxInputBytes: 1000, MaxMessageBytes: 1000, MaxDepth: 64}
	doc := strings.Repeat(otlpSpanLine(0)+"\n", 20)
	for name, data := range map[string][]byte{"plain": []byte(doc), "gzip": gz(t, []byte(doc)), "zstd": zst(t, []byte(doc))} {
		var c decoder.Collect
		_, err := Read(context.Background(), ReaderInput(name, bytes.NewReader(data)), Options{Limits: lim}, &c)
		if !errors.Is(err, decoder.ErrTooLarge) {
			t.Errorf("%s: err %v, want ErrTooLarge", name, err)
		}
	}
}

func TestJoinerCapsErrors(t *testing.T) {
	j := NewJoiner("f")
	for i := range 3 {
		c := &Chunk{Name: "f", Index: i, Offset: int64(i * 1000), lines: 10}
		var list decoder.ErrorList
		for k := range 60 {
			list = append(list, &decoder.Error{File: "f", Line: k + 1, Column: 1, Offset: int64(k), Err: decoder.ErrSyntax})
		}
		list = append(list, &decoder.MoreErrors{File: "f", N: 5})
		j.Add(c, list)
	}
	j.Fail(io.ErrUnexpectedEOF)
	var list decoder.ErrorList
	if !errors.As(j.Err(), &list) || len(list) != 101 {
		t.Fatalf("got %v", j.Err())
	}
	// 180 listed by the chunks + 15 more + the read error = 196; 100 listed.
	if got := list[100].Error(); got != "f: 96 more errors not listed" {
		t.Errorf("last entry %q", got)
	}
	var de *decoder.Error
	if !errors.As(list[60], &de) || de.Line != 11 || de.Offset != 1000 {
		t.Errorf("second chunk's first error at %+v, want line 11 offset 1000", de)
	}
}

// checkChunksAreLines fails when a chunk of lines Split cuts from data
// decodes differently with DecodeJSONLines (which Chunk.Decode uses) than
// with DecodeJSON (which decides for itself whether data is JSON lines).
func checkChunksAreLines(t *testing.T, name string, data []byte, chunkBytes int) {
	t.Helper()
	_ = Split(context.Background(), ReaderInput(name, bytes.NewReader(data)), Options{ChunkBytes: chunkBytes}, func(c *Chunk) error {
		if c.whole {
			return nil
		}
		var a, b decoder.Collect
		ea := otlp.DecodeJSON(name, c.data, &a, decoder.DefaultLimits)
		eb := otlp.DecodeJSONLines(name, c.data, &b, decoder.DefaultLimits)
		if !reflect.DeepEqual(a, b) || fmt.Sprint(ea) != fmt.Sprint(eb) {
			t.Errorf("%s: chunk %d at %d: DecodeJSON %d spans, %v; DecodeJSONLines %d spans, %v",
				name, c.Index, c.Offset, len(a.Spans), ea, len(b.Spans), eb)
		}
		return nil
	})
}

func TestSplitChunksAreLines(t *testing.T) {
	for name, in := range jsonLinesInputs() {
		for _, cb := range []int{1, 100, 1000, 1 << 20} {
			checkChunksAreLines(t, name, []byte(in), cb)
		}
	}
}

func FuzzSplitChunksAreLines(f *testing.F) {
	for _, in := range jsonLinesInputs() {
		f.Add([]byte(in), uint16(100))
	}
	f.Fuzz(func(t *testing.T, data []byte, cb uint16) {
		checkChunksAreLines(t, "input", data, int(cb)+1)
	})
}
