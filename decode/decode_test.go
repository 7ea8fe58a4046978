package decode

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

const otlpLine = `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},"scopeSpans":[{"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"GET /x","kind":2,"startTimeUnixNano":"1544712660000000000","endTimeUnixNano":"1544712661000000000"}]}]}]}` + "\n"

const jaegerDoc = `{"data":[{"traceID":"5b8efff798038103","spans":[{"traceID":"5b8efff798038103","spanID":"eee19b7ec3c1b174","operationName":"GET /x","references":[],"startTime":1544712660000000,"duration":1000000,"processID":"p1","tags":[]}],"processes":{"p1":{"serviceName":"svc"}}}]}`

const zipkinDoc = `[{"traceId":"5b8efff798038103","id":"eee19b7ec3c1b174","name":"get /x","timestamp":1544712660000000,"duration":1000000,"kind":"SERVER","localEndpoint":{"serviceName":"svc"}}]`

func gz(t *testing.T, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func zst(t *testing.T, b []byte) []byte {
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return enc.EncodeAll(b, nil)
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		data string
		want Format
	}{
		{"otlp", otlpLine, OTLPJSON},
		{"otlp pretty", "\n  {\n \"resourceSpans\": []}", OTLPJSON},
		{"api_v3", `{"result":{"resourceSpans":[]}}`, OTLPJSON},
		{"tempo batches", `{"batches":[]}`, OTLPJSON},
		{"tempo batches with spans", `{"batches":[{"resource":{},"scopeSpans":[{"spans":[{"traceId":"01","spanId":"02","name":"x"}]}]}]}`, OTLPJSON},
		{"jaeger api_v2 batches", `{"batches":[{"spans":[{"trace_id":"AQ==","span_id":"Ag==","operation_name":"x","start_time":"2019-12-20T07:41:44Z","duration":"1s"}],"process":{"service_name":"s"}}]}`, Jaeger},
		{"tempo trace", `{"trace":{"resourceSpans":[]}}`, OTLPJSON},
		{"bom", "\xef\xbb\xbf" + otlpLine, OTLPJSON},
		{"jaeger", jaegerDoc, Jaeger},
		{"zipkin", zipkinDoc, Zipkin},
		{"framed proto", "\x00\x00\x00\x02\x0a\x00", OTLPProto},
		{"bare proto", "\x0a\x05\x0a\x03abc", OTLPProto},
		{"png", "\x89PNG\r\n\x1a\n", ""},
		{"unknown json", `{"hello":1}`, ""},
		{"text", "hello world", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		if got := Sniff([]byte(tt.data)); got != tt.want {
			t.Errorf("%s: Sniff = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestBytesEveryFormatAndCompression(t *testing.T) {
	for name, doc := range map[string]string{"otlp": otlpLine, "jaeger": jaegerDoc, "zipkin": zipkinDoc} {
		for cname, data := range map[string][]byte{"plain": []byte(doc), "gzip": gz(t, []byte(doc)), "zstd": zst(t, []byte(doc)), "gzip+zstd": zst(t, gz(t, []byte(doc)))} {
			var c decoder.Collect
			f, err := Read(context.Background(), ReaderInput(name, bytes.NewReader(data)), Options{}, &c)
			if err != nil || len(c.Spans) != 1 {
				t.Errorf("%s/%s: format %q, %d spans, err %v", name, cname, f, len(c.Spans), err)
				continue
			}
			s := c.Spans[0]
			if s.Service != "svc" || s.SpanID.String() != "eee19b7ec3c1b174" || s.End-s.Start != 1e9 {
				t.Errorf("%s/%s: %+v", name, cname, s)
			}
		}
	}
}

func TestDecompressBounded(t *testing.T) {
	big := bytes.Repeat([]byte{' '}, 1<<20)
	lim := decoder.Limits{MaxInputBytes: 1 << 16, MaxMessageBytes: 1 << 16, MaxDepth: 64}
	for name, data := range map[string][]byte{"gzip": gz(t, big), "zstd": zst(t, big)} {
		_, err := Decompress(name, data, lim)
		if !errors.Is(err, decoder.ErrTooLarge) {
			t.Errorf("%s bomb: err %v, want ErrTooLarge", name, err)
		}
	}
	if _, err := Decompress("bad.gz", []byte{0x1f, 0x8b, 0, 0}, decoder.DefaultLimits); err == nil {
		t.Error("corrupt gzip accepted")
	}
}

func TestForcedFormat(t *testing.T) {
	var c decoder.Collect
	// Zipkin data forced through the OTLP decoder fails cleanly.
	if _, err := Bytes("z.json", []byte(zipkinDoc), OTLPJSON, decoder.DefaultLimits, &c); err == nil {
		t.Error("zipkin read as OTLP without error")
	}
	if _, err := ParseFormat("csv"); err == nil {
		t.Error("ParseFormat accepted csv")
	}
	if f, err := ParseFormat(""); err != nil || f != Auto {
		t.Errorf("ParseFormat(\"\") = %q %v", f, err)
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{"a.json", "sub/b.jsonl.gz", "sub/deeper/c.pb", "README.md", "notes.txt"} {
		p := filepath.Join(dir, f)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("x"), 0o644)
	}
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	names := func(ins []Input) string {
		var s []string
		for _, in := range ins {
			s = append(s, strings.TrimPrefix(filepath.ToSlash(in.Name), filepath.ToSlash(dir)+"/"))
		}
		return strings.Join(s, ",")
	}
	ins, errs := Expand([]string{dir}, nil)
	if got := names(ins); got != "a.json,sub/b.jsonl.gz,sub/deeper/c.pb" || len(errs) != 0 {
		t.Errorf("dir: %s, errs %v (an empty subdirectory is not an error, only an empty argument)", got, errs)
	}
	ins, errs = Expand([]string{filepath.Join(dir, "*.json"), filepath.Join(dir, "notes.txt"), filepath.Join(dir, "a.json")}, nil)
	if got := names(ins); got != "a.json,notes.txt" || len(errs) != 0 {
		t.Errorf("glob+explicit: %s %v", got, errs)
	}
	ins, errs = Expand([]string{filepath.Join(dir, "nope.json"), filepath.Join(dir, "*.zip"), empty, "-"}, strings.NewReader(""))
	if len(ins) != 1 || ins[0].Name != "<stdin>" || len(errs) != 3 {
		t.Errorf("errors: %v %v", names(ins), errs)
	}
}

// FuzzBytes: the dispatcher never panics and every error is positioned.
func FuzzBytes(f *testing.F) {
	for _, s := range []string{otlpLine, jaegerDoc, zipkinDoc, "{}", "[]", "\x00\x00\x00\x02\x0a\x00", "\x89PNG", ""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c decoder.Collect
		_, err := Bytes("fuzz", data, Auto, decoder.Limits{MaxInputBytes: 1 << 20, MaxMessageBytes: 1 << 20, MaxDepth: 64}, &c)
		if err != nil && !strings.Contains(err.Error(), "fuzz") {
			t.Errorf("error does not name the input: %v", err)
		}
	})
}

// TestUnknownJSONPosition: the error for JSON of no known format points
// at its first bracket, whatever white space surrounds it.
func TestUnknownJSONPosition(t *testing.T) {
	cases := []struct {
		in        string
		want      error
		line, col int
	}{
		{"{}", decoder.ErrNoSpans, 1, 1},
		{"  [ ]\n\n", decoder.ErrNoSpans, 1, 3},
		{"\n\t{\"a\": 1}\n", decoder.ErrUnknownFormat, 2, 2},
	}
	for _, tc := range cases {
		var c decoder.Collect
		_, err := Bytes("f.json", []byte(tc.in), Auto, decoder.DefaultLimits, &c)
		var de *decoder.Error
		if !errors.As(err, &de) || !errors.Is(err, tc.want) || de.Line != tc.line || de.Column != tc.col {
			t.Errorf("Bytes(%q): %v, want %v at %d:%d", tc.in, err, tc.want, tc.line, tc.col)
		}
	}
}
