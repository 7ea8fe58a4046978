package otlp

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/trace"
)

// repoRoot returns the repository root (the directory holding go.mod).
func repoRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Skip("repository root not found")
		}
		dir = parent
	}
}

// readGzip returns the gunzipped contents of path, skipping when absent.
func readGzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not present", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if _, err := b.ReadFrom(zr); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// readLines returns the first n lines of path, but no more lines than fit
// in maxBytes, skipping when path is absent.
func readLines(t *testing.T, path string, n, maxBytes int) []byte {
	t.Helper()
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("%s not present", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b bytes.Buffer
	r := bufio.NewReaderSize(f, 1<<20)
	for i := 0; i < n; i++ {
		line, err := r.ReadBytes('\n')
		if b.Len()+len(line) > maxBytes {
			break
		}
		b.Write(line)
		if err != nil {
			break
		}
	}
	return b.Bytes()
}

// decodeBoth decodes data with the strict own reader first and with pdata
// first and checks that spans (in order, all fields), rejections and
// errors are identical. It returns the spans.
func decodeBoth(t testing.TB, data []byte) []trace.Span {
	t.Helper()
	fast, ref := &decoder.Collect{}, &decoder.Collect{}
	lim := decoder.Limits{MaxDepth: 64}
	errFast := decodeJSON("in.json", data, fast, lim, false)
	errRef := decodeJSON("in.json", data, ref, lim, true)
	if (errFast == nil) != (errRef == nil) || errFast != nil && errFast.Error() != errRef.Error() {
		t.Fatalf("errors differ:\n own first   %v\n pdata first %v", errFast, errRef)
	}
	if !reflect.DeepEqual(fast.Rejected, ref.Rejected) {
		t.Fatalf("rejections differ: own first %v, pdata first %v", fast.Rejected, ref.Rejected)
	}
	if len(fast.Spans) != len(ref.Spans) {
		t.Fatalf("own first gave %d spans, pdata first %d", len(fast.Spans), len(ref.Spans))
	}
	for i := range fast.Spans {
		if !reflect.DeepEqual(fast.Spans[i], ref.Spans[i]) {
			t.Fatalf("span %d:\n own first   %s\n pdata first %s", i, dumpSpan(fast.Spans[i]), dumpSpan(ref.Spans[i]))
		}
	}
	return fast.Spans
}

// strictShare returns the number of non-blank lines of data and how many
// of them the strict read decides by itself.
func strictShare(data []byte) (lines, decided int) {
	for line := range bytes.Lines(data) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		lines++
		c := newConverter(&decoder.Collect{}, nil)
		if readStrict(bytes.TrimRight(line, "\r\n"), c, decoder.DefaultLimits.MaxDepth) {
			decided++
		}
	}
	return lines, decided
}

// TestStrictMatchesPdata checks, on generated and real JSON lines, that the
// strict own read decides every line and that decoding gives exactly what
// the pdata-first path gives, and that pdata and the own reader agree on
// each line read alone.
func TestStrictMatchesPdata(t *testing.T) {
	root := repoRoot(t)
	inputs := []struct {
		name string
		data func(t *testing.T) []byte
	}{
		{"bench", func(t *testing.T) []byte { return jsonLines(t, genTraces(benchSpans, 100)) }},
		{"fixtures/sync", func(t *testing.T) []byte {
			return readGzip(t, filepath.Join(root, "fixtures", "sync", "otlp.jsonl.gz"))
		}},
		{"fixtures/async", func(t *testing.T) []byte {
			return readGzip(t, filepath.Join(root, "fixtures", "async", "otlp.jsonl.gz"))
		}},
		// 50,000 lines is the whole file (3,304 lines of about 300 spans,
		// 750 MiB); 64 MiB of it keeps the package test time small.
		{"order-spans1000000", func(t *testing.T) []byte {
			return readLines(t, filepath.Join(root, "out", "bench", "order-spans1000000-seed42.jsonl"), 50000, 64<<20)
		}},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			data := in.data(t)
			spans := decodeBoth(t, data)
			if len(spans) == 0 {
				t.Fatal("no spans")
			}
			lines, decided := strictShare(data)
			if decided != lines {
				t.Errorf("strict read decided %d of %d lines", decided, lines)
			}
			// Each line on its own (the first 2000): the own reader and
			// pdata agree.
			n := 0
			for line := range bytes.Lines(data) {
				if n++; n > 2000 {
					break
				}
				line = bytes.TrimRight(line, "\r\n")
				if len(line) == 0 {
					continue
				}
				viaPdata := &decoder.Collect{}
				d := docDecoder{conv: newConverter(viaPdata, nil), lim: normLimits(decoder.Limits{}), pdataFirst: true}
				if _, err := d.decode(line); err != nil {
					t.Fatal(err)
				}
				d.conv.flush()
				own := &decoder.Collect{}
				conv := newConverter(own, nil)
				if _, err := decodeFallback(line, conv, 512); err != nil {
					t.Fatal(err)
				}
				conv.flush()
				if !reflect.DeepEqual(own.Spans, viaPdata.Spans) || !reflect.DeepEqual(own.Rejected, viaPdata.Rejected) {
					t.Fatalf("line %.80q: own reader and pdata differ", line)
				}
			}
		})
	}
}

// TestStrictUndecided checks that constructs pdata may read differently
// are left to pdata, and that all inputs decode as with pdata first.
func TestStrictUndecided(t *testing.T) {
	sp := func(members string) string {
		return `{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeSpans":[{"spans":[{"traceId":"00000000000000000000000000000001","spanId":"0000000000000002"` + members + `}]}]}]}`
	}
	tests := []struct {
		name    string
		doc     string
		decided bool
	}{
		{"plain", sp(`,"name":"a","kind":2,"startTimeUnixNano":"1","endTimeUnixNano":2`), true},
		{"repeated name", sp(`,"name":"a","name":"b"`), false},
		{"repeated trace id", sp(`,"traceId":"00000000000000000000000000000003"`), false},
		{"snake case", sp(`,"parent_span_id":"0000000000000001"`), false},
		{"kind name", sp(`,"kind":"SPAN_KIND_CLIENT"`), false},
		{"kind out of range", sp(`,"kind":9`), false},
		{"status name", sp(`,"status":{"code":"STATUS_CODE_ERROR"}`), false},
		{"status number", sp(`,"status":{"code":2,"message":"m"}`), true},
		{"leading zero time", sp(`,"startTimeUnixNano":"012"`), false},
		{"surrogate", sp(`,"name":"\ud83d\ude00"`), false},
		{"other escape", sp(`,"name":"a\n\u0041"`), true},
		{"double attribute", sp(`,"attributes":[{"key":"http.status_code","value":{"doubleValue":1.5e2}}]`), false},
		{"integral double", sp(`,"attributes":[{"key":"http.status_code","value":{"doubleValue":503}}]`), true},
		{"int attribute", sp(`,"attributes":[{"key":"http.status_code","value":{"intValue":"503"}}]`), true},
		{"int leading zero", sp(`,"attributes":[{"key":"http.status_code","value":{"intValue":"0503"}}]`), false},
		{"snake case value", sp(`,"attributes":[{"key":"http.status_code","value":{"int_value":"503"}}]`), false},
		{"snake case time", sp(`,"start_time_unix_nano":"5"`), false},
		{"two value kinds", sp(`,"attributes":[{"key":"http.method","value":{"stringValue":"GET","intValue":1}}]`), false},
		{"ignored attribute", sp(`,"attributes":[{"key":"x","value":{"kvlistValue":{"values":[]}}}]`), true},
		{"repeated key", sp(`,"attributes":[{"key":"a","key":"http.method","value":{"stringValue":"GET"}}]`), false},
		{"repeated link ref type", sp(`,"links":[{"traceId":"00000000000000000000000000000001","spanId":"0000000000000009","attributes":[{"key":"opentracing.ref_type","value":{"stringValue":"child_of"}},{"key":"opentracing.ref_type","value":{"stringValue":"follows_from"}}]}]`), false},
		{"wrapper", `{"result":` + sp(``) + `}`, false},
		{"batches", strings.Replace(sp(``), "resourceSpans", "batches", 1), false},
		{"repeated resourceSpans", strings.Replace(sp(``), `{"resourceSpans":`, `{"resourceSpans":[],"resourceSpans":`, 1), false},
		{"two service names", strings.Replace(sp(``), `}}]}`, `}},{"key":"service.name","value":{"stringValue":"t"}}]}`, 1), false},
		{"empty member name", sp(`,"":[{}]`), false},
		{"trailing garbage", sp(``) + ` x`, false},
		{"base64 ids", `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"AAAAAAAAAAAAAAAAAAAAAQ==","spanId":"AAAAAAAAAAI="}]}]}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newConverter(&decoder.Collect{}, nil)
			if got := readStrict([]byte(tt.doc), c, 64); got != tt.decided {
				t.Errorf("readStrict = %v, want %v", got, tt.decided)
			}
			if !tt.decided && (len(c.spans) != 0 || c.resourceSpans != 0) {
				t.Errorf("undecided read left %d spans, %d resourceSpans", len(c.spans), c.resourceSpans)
			}
			decodeBoth(t, []byte(tt.doc))
		})
	}
}

// TestStrictBatches checks that a document read tentatively is emitted in
// the same batches as before holding began.
func TestStrictBatches(t *testing.T) {
	// One document of 60 resourceSpans with 50 spans each.
	line := jsonLines(t, genTraces(3000, 3000))
	var fast, ref countingEmitter
	if err := decodeJSON("x", line, &fast, decoder.Limits{}, false); err != nil {
		t.Fatal(err)
	}
	if err := decodeJSON("x", line, &ref, decoder.Limits{}, true); err != nil {
		t.Fatal(err)
	}
	if fast != ref {
		t.Errorf("own first %+v, pdata first %+v", fast, ref)
	}
}

// FuzzDecodeJSONMatchesPdata checks that the strict own read never changes
// the result: DecodeJSON gives what the pdata-first path gives.
func FuzzDecodeJSONMatchesPdata(f *testing.F) {
	for _, s := range jsonSeeds(f) {
		f.Add([]byte(s))
	}
	f.Add([]byte(jaegerTranslatedJSON))
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeBoth(t, data)
	})
}

// TestAttrMemo: spans of one name whose attribute arrays alternate
// between variants with the error, otel.status_code and span.kind hints
// decode exactly as with pdata first, and repeated arrays are recalled
// rather than read; spans of another name cycle through more variants
// than the memo keeps (memoWays) and still decode exactly.
func TestAttrMemo(t *testing.T) {
	variants := []string{
		`[{"key":"http.request.method","value":{"stringValue":"POST"}},{"key":"url.full","value":{"stringValue":"http://a/x"}}]`,
		`[{"key":"http.request.method","value":{"stringValue":"POST"}},{"key":"url.full","value":{"stringValue":"http://b/x"}}]`,
		`[{"key":"error","value":{"boolValue":true}}]`,
		`[{"key":"otel.status_code","value":{"stringValue":"ERROR"}},{"key":"span.kind","value":{"stringValue":"client"}}]`,
		`[ {"key":"server.address","value":{"stringValue":"c"}} ]`,
		`[]`,
		`[{"key":"http.request.method","value":{"stringValue":"POST"}}]`,
	}
	var b bytes.Buffer
	for line := range 40 {
		b.WriteString(`{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"s"}}]},"scopeSpans":[{"spans":[`)
		for i := range 6 {
			if i > 0 {
				b.WriteByte(',')
			}
			v := variants[(line*7+i*3)%len(variants)]
			fmt.Fprintf(&b, `{"traceId":"%032x","spanId":"%016x","name":"POST","kind":3,"startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":%s,"status":{}}`, line+1, i+1, v)
		}
		for i := range memoWays + 2 {
			v := fmt.Sprintf(`[{"key":"url.full","value":{"stringValue":"http://a/%d"}}]`, i)
			fmt.Fprintf(&b, `,{"traceId":"%032x","spanId":"%016x","name":"GET","kind":3,"startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":%s}`, line+1, i+7, v)
		}
		b.WriteString("]}]}]}\n")
	}
	spans := decodeBoth(t, b.Bytes())
	if want := 40 * (6 + memoWays + 2); len(spans) != want {
		t.Fatalf("%d spans, want %d", len(spans), want)
	}
	// The memo is used: one converter reading all lines recalls arrays.
	c := newConverter(&decoder.Collect{}, nil)
	for line := range bytes.Lines(b.Bytes()) {
		if doc := bytes.TrimRight(line, "\n"); !readStrict(doc, c, 64) {
			t.Fatalf("strict read gave up on %.80q", doc)
		}
	}
	if c.memo.recalled < 200 {
		t.Errorf("%d of the 240 POST arrays recalled, want all but the first few", c.memo.recalled)
	}
}

// TestResourceMemo: resources repeated across batches, more distinct
// ones than the memo keeps, with and without service.name, decode as with
// pdata first, and repeated ones are recalled rather than read.
func TestResourceMemo(t *testing.T) {
	var b bytes.Buffer
	for line := range 60 {
		svc := line % (resourceWays + 3)
		res := fmt.Sprintf(`{"attributes":[{"key":"service.name","value":{"stringValue":"svc-%d"}},{"key":"host.name","value":{"stringValue":"h"}}]}`, svc)
		if svc == 0 {
			res = `{"attributes":[{"key":"host.name","value":{"stringValue":"h"}}]}` // no service name
		}
		if line%2 == 0 {
			svc = 1 // every other line repeats one resource
			res = `{"attributes":[{"key":"service.name","value":{"stringValue":"svc-1"}}]}`
		}
		fmt.Fprintf(&b, `{"resourceSpans":[{"resource":%s,"scopeSpans":[{"spans":[{"traceId":"%032x","spanId":"%016x","name":"op","startTimeUnixNano":"1","endTimeUnixNano":"2"}]}]}]}`+"\n", res, line+1, line+1)
	}
	spans := decodeBoth(t, b.Bytes())
	if len(spans) != 60 || spans[0].Service != "svc-1" {
		t.Fatalf("%d spans, first of %q", len(spans), spans[0].Service)
	}
	c := newConverter(&decoder.Collect{}, nil)
	for line := range bytes.Lines(b.Bytes()) {
		if doc := bytes.TrimRight(line, "\n"); !readStrict(doc, c, 64) {
			t.Fatalf("strict read gave up on %.80q", doc)
		}
	}
	if c.resMemo.recalled < 29 {
		t.Errorf("%d resources recalled, want at least the 29 repeats", c.resMemo.recalled)
	}
}
