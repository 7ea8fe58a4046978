package otlp

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/trace"
)

// jsonSeeds are the inline documents of the tests.
func jsonSeeds(tb testing.TB) []string {
	good := compact(tb, canonJSON)
	return []string{
		canonJSON, good, jaegerTranslatedJSON,
		string(protobufStyleJSON(tb, []byte(canonJSON))),
		`{"result":` + good + `}`, `{"trace":` + good + `}`,
		strings.Replace(good, `{"resourceSpans":`, `{"batches":`, 1),
		strings.NewReplacer(`"scopeSpans"`, `"instrumentationLibrarySpans"`, `"scope"`, `"instrumentationLibrary"`).Replace(good),
		good + "\n" + good + "\n", good + "\n{}\n[1]\n",
		"", "{}", "null", "[]", "\x89PNG\r\n\x1a\n", good[:100], good + " x",
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":5}]}]}]}`,
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0000000000abcdef","spanId":"AAAAAAAAAAI=","parentSpanId":"zz"}]}]}]}`,
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"a\ud83d\ude00\u0041\n"}]}]}]}`,
		`{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"a","value":{"arrayValue":{"values":[[[[[`,
	}
}

// FuzzDecodeJSON checks that DecodeJSON never panics, emits only spans
// with IDs, and returns positioned errors inside the input.
func FuzzDecodeJSON(f *testing.F) {
	for _, s := range jsonSeeds(f) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &decoder.Collect{}
		err := DecodeJSON("f.json", data, c, decoder.Limits{MaxDepth: 64})
		checkEmitted(t, c.Spans)
		checkErrors(t, err, len(data), false)
	})
}

// FuzzDecodeProto checks DecodeProto the same way, with small limits so
// that hostile lengths and zstd frames hit them.
func FuzzDecodeProto(f *testing.F) {
	td := canonTraces(f)
	msg := marshalProto(f, td)
	f.Add(msg)
	f.Add(frame(msg))
	f.Add(concat(frame(msg), frame(zstdCompress(f, msg))))
	f.Add(frame([]byte(compact(f, canonJSON))))
	f.Add(frame(zstdCompress(f, make([]byte, 1<<16))))
	f.Add([]byte{0x7f, 0xff, 0xff, 0xff, 0x0a, 0x01})
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add(frame(nil))
	f.Add(msg[:len(msg)/2])
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &decoder.Collect{}
		err := DecodeProto("f.pb", data, c, decoder.Limits{MaxMessageBytes: 1 << 20, MaxInputBytes: 4 << 20, MaxDepth: 64})
		checkEmitted(t, c.Spans)
		checkErrors(t, err, len(data), true)
	})
}

// checkErrors checks that every error is a positioned *decoder.Error
// (summaries of omitted errors aside) within the input.
func checkErrors(t *testing.T, err error, n int, binary bool) {
	t.Helper()
	if err == nil {
		return
	}
	errs := []error{err}
	var list decoder.ErrorList
	if errors.As(err, &list) {
		errs = list
	}
	for _, e := range errs {
		var pe *decoder.Error
		if !errors.As(e, &pe) {
			if strings.Contains(e.Error(), "more errors not listed") {
				continue
			}
			t.Fatalf("error %v is not a *decoder.Error", e)
		}
		if pe.Binary != binary || pe.Offset < 0 || pe.Offset > int64(n) || (!binary && (pe.Line < 1 || pe.Column < 1)) {
			t.Fatalf("bad position in %#v", pe)
		}
	}
}

// FuzzScanner checks the validating skipper against encoding/json.
func FuzzScanner(f *testing.F) {
	for _, s := range jsonSeeds(f) {
		f.Add([]byte(s))
	}
	for _, s := range scannerCases {
		f.Add([]byte(s.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := newScanner(data, 10000)
		s.skip(0)
		if s.err == nil {
			s.ws()
			if s.pos != len(data) {
				s.failChar("end")
			}
		}
		if valid := json.Valid(data); valid != (s.err == nil) {
			t.Fatalf("json.Valid=%v, scanner error %v at %d", valid, s.err, s.errPos)
		}
		if s.err != nil && (s.errPos < 0 || s.errPos > len(data)) {
			t.Fatalf("error offset %d outside input of %d bytes", s.errPos, len(data))
		}
	})
}

var scannerCases = []struct {
	in  string
	err int // offset of the error, -1 if valid
}{
	{`0`, -1}, {`-0.5e+10`, -1}, {`1E3`, -1}, {`"a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"`, -1},
	{`[true,false,null,{},[],{"a":[{"b":"c"}]}]`, -1}, {" \t\r\n[ 1 , 2 ]\n", -1},
	{`01`, 1}, {`-`, 1}, {`1.`, 2}, {`1e`, 2}, {`.5`, 0}, {`tru`, 3}, {`trux`, 0}, {`nul `, 0},
	{`"abc`, 4}, {`"a\x"`, 2}, {`"\u12g4"`, 1}, {"\"a\x01\"", 2}, {`[1,]`, 3}, {`[1 2]`, 3},
	{`{"a" 1}`, 5}, {`{"a":1,}`, 7}, {`{1:2}`, 1}, {`{"a":1`, 6}, {`[`, 1}, {`]`, 0}, {`}`, 0},
	{`"\ud800"`, -1}, {`"\ud800\u0041"`, -1}, {"\"\xff\"", -1},
}

// TestScanner checks the skipper's validation and error offsets.
func TestScanner(t *testing.T) {
	for _, tt := range scannerCases {
		s := newScanner([]byte(tt.in), 100)
		s.skip(0)
		if s.err == nil {
			s.ws()
			if s.pos != len(tt.in) {
				s.failChar("end")
			}
		}
		got := -1
		if s.err != nil {
			got = s.errPos
		}
		if got != tt.err {
			t.Errorf("%q: error at %d (%v), want %d", tt.in, got, s.err, tt.err)
		}
		if valid := json.Valid([]byte(tt.in)); valid != (got < 0) {
			t.Errorf("%q: json.Valid=%v", tt.in, valid)
		}
	}
	// Strings with escapes come back unescaped and without aliasing.
	s := newScanner([]byte(`"a\u00e9\ud83d\ude00\n" "plain"`), 10)
	if got := string(s.str()); got != "aé😀\n" {
		t.Errorf("unescaped %q", got)
	}
	if got := string(s.str()); got != "plain" {
		t.Errorf("plain %q", got)
	}
}

// TestParseIDs covers the ID forms read from JSON.
func TestParseIDs(t *testing.T) {
	tests := []struct {
		in    string
		trace trace.TraceID
		tst   idState
		span  trace.SpanID
		sst   idState
	}{
		{"", trace.TraceID{}, idEmpty, trace.SpanID{}, idEmpty},
		{"0", trace.TraceID{}, idEmpty, trace.SpanID{}, idEmpty},
		{"1", trace.TraceID{15: 1}, idOK, trace.SpanID{7: 1}, idOK},
		{"ABCdef", trace.TraceID{13: 0xab, 14: 0xcd, 15: 0xef}, idOK, trace.SpanID{5: 0xab, 6: 0xcd, 7: 0xef}, idOK},
		{"00000000000000000000000000000001", trace.TraceID{15: 1}, idOK, trace.SpanID{}, idBad},
		{"AAAAAAAAAAAAAAAAAAAAAQ==", trace.TraceID{15: 1}, idOK, trace.SpanID{}, idBad},
		{"AAAAAAAAAAAAAAAAAAAAAA==", trace.TraceID{}, idEmpty, trace.SpanID{}, idBad},
		{"AAAAAAAAAAE=", trace.TraceID{15: 1}, idOK, trace.SpanID{7: 1}, idOK},
		{"AAAAAAAAAAE", trace.TraceID{10: 0xa, 11: 0xaa, 12: 0xaa, 13: 0xaa, 14: 0xaa, 15: 0xae}, idOK,
			trace.SpanID{2: 0xa, 3: 0xaa, 4: 0xaa, 5: 0xaa, 6: 0xaa, 7: 0xae}, idOK}, // all hex digits: read as hex
		{"//////////8=", trace.TraceID{8: 0xff, 9: 0xff, 10: 0xff, 11: 0xff, 12: 0xff, 13: 0xff, 14: 0xff, 15: 0xff}, idOK,
			trace.SpanID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, idOK},
		{"AAA=", trace.TraceID{}, idBad, trace.SpanID{}, idBad},
		{"not an id", trace.TraceID{}, idBad, trace.SpanID{}, idBad},
		{"0123456789abcdef0123456789abcdef0", trace.TraceID{}, idBad, trace.SpanID{}, idBad},
	}
	for _, tt := range tests {
		tid, tst := parseTraceID([]byte(tt.in))
		sid, sst := parseSpanID([]byte(tt.in))
		if tst != tt.tst || (tst == idOK && tid != tt.trace) {
			t.Errorf("trace %q: %s %d, want %s %d", tt.in, tid, tst, tt.trace, tt.tst)
		}
		if sst != tt.sst || (sst == idOK && sid != tt.span) {
			t.Errorf("span %q: %s %d, want %s %d", tt.in, sid, sst, tt.span, tt.sst)
		}
	}
}
