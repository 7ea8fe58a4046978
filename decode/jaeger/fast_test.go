package jaeger

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/internal/dectest"
	"github.com/syncaudit/syncaudit/decode/jsontext"
	"github.com/syncaudit/syncaudit/trace"
)

// slowDecode is Decode without the fast path.
func slowDecode(file string, data []byte, em decoder.Emitter, lim decoder.Limits) error {
	st := &state{file: file, em: em, in: jsontext.NewInput(file, data, lim, maxErrors), names: decoder.Interner{}, noFast: true}
	return st.run()
}

type decoded struct {
	spans    []trace.Span
	batches  int
	rejected trace.Tally
	err      string
}

type countingCollect struct {
	decoder.Collect
	batches int
}

func (c *countingCollect) Emit(s []trace.Span) { c.batches++; c.Collect.Emit(s) }

func runLim(dec func(string, []byte, decoder.Emitter, decoder.Limits) error, data []byte, lim decoder.Limits) decoded {
	var c countingCollect
	err := dec("f.json", data, &c, lim)
	d := decoded{spans: c.Spans, batches: c.batches, rejected: c.Rejected}
	if err != nil {
		d.err = err.Error()
	}
	return d
}

// checkSame fails when the fast path changes anything Decode gives for
// data: with the default limits, and with nesting limits low enough to
// reject a Jaeger document (the fast path replaces the depth check).
func checkSame(t *testing.T, name string, data []byte) {
	t.Helper()
	for _, depth := range []int{decoder.DefaultLimits.MaxDepth, 3, 6, 8} {
		lim := decoder.DefaultLimits
		lim.MaxDepth = depth
		fast, slow := runLim(Decode, data, lim), runLim(slowDecode, data, lim)
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%s: MaxDepth %d: with the fast path:\n%+v\nwithout:\n%+v", name, depth, fast, slow)
		}
	}
}

var fastSeeds = []string{
	`{"data":[{"traceID":"1","spans":[` + spanA + `],"processes":{"p1":{"serviceName":"a","tags":[]}}}],"total":0,"limit":0,"offset":0,"errors":null}`,
	`{"traceID":"1","spans":[` + spanA + `,` + spanB + `]}`,
	`[{"traceID":"1","spans":[` + spanA + `]},{"traceID":"2","spans":[]}]`,
	`{"data":[{"traceID":"1","spans":[{"traceID":"1","spanID":"2","TraceID":"3","startTime":1,"duration":2}]}]}`,
	`{"data":[{"traceID":"1","spans":[{"spanID":"2","spanID":"3","startTime":1,"duration":2}]}]}`,
	`{"data":[{"spans":[{"spanID":"2","startTime":1,"duration":2}],"traceID":"1"}]}`,
	`{"data":[{"traceID":"1","spans":[{"spanID":"2","startTime":"x","duration":2}]}]}`,
	`{"data":[{"traceID":"1","spans":[{"spanID":"2","startTime":1,"duration":2,"tags":[{"key":"span.kind","type":"string","value":"server"},{"key":"http.status_code","value":500},{"key":"error","value":true}]}]}],"errors":[{"code":1,"msg":"x"}]}`,
	`{"data":[{"traceID":"1","spans":[{"spanID":"\u0032","operationName":"caf\u00e9 \xff","startTime":1,"duration":2,"references":[{"refType":"FOLLOWS_FROM","spanID":"5"},{"refType":"bogus","spanID":"6"}]}]}]}`,
	`{"data":[{"traceID":"1","spans":[{"spanID":"2","startTime":1,"duration":2,"processID":"p1","process":null}],"processes":{"p1":{"serviceName":"a"},"p1":{"serviceName":"b"}}}]}`,
	`{"data":[{"traceID":"1","spans":[{"spanID":"2","startTime":1,"duration":2}]}]} x`,
	`{"data":[{"traceID":"1","spans":[{"spanID":"2","startTime":1,"duration":2}]}` + "\n",
	`{"data":[{"traceID":"1","spans":[{"spanID":"2","startTime":1,"duration":92233720368547758}]}]}`,
	`{"data":[{"traceID":"zz","spans":[{"spanID":"","startTime":1,"duration":2}]}]}`,
	"{\"traceID\":\"1\",\"spans\":[" + spanA + "]}\n{\"traceID\":\"2\",\"spans\":[" + spanB + "]}\n",
	// Strings that look like the start of a trace to tracesParallel's guesses.
	`[{"traceID":"1","spans":[{"spanID":"2","startTime":1,"duration":2,"operationName":"a,{","tags":[{"key":"x","value":"\",\"spans\":[]}"}]}]},{"traceID":"2","spans":[]},{"traceID":"3","spans":[` + spanB + `]}]`,
	`[{"traceID":"1","spans":[{"spanID":"2","startTime":1,"duration":2,"operationName":"x", "tags":[{"key":"k","value":", {\"spans\":[]}, {"}]}]}, {"traceID":"2","spans":[]} ,{"traceID":"3","spans":[` + spanB + `]}]`,
}

func TestFastPathSameAsSlow(t *testing.T) {
	testFastPathSameAsSlow(t)
}

// TestFastPathParallel decodes every document's traces concurrently.
func TestFastPathParallel(t *testing.T) {
	defer func(n int) { parallelBytes = n }(parallelBytes)
	parallelBytes = 0
	testFastPathSameAsSlow(t)
}

func testFastPathSameAsSlow(t *testing.T) {
	for i, s := range fastSeeds {
		checkSame(t, "seed "+string(rune('a'+i)), []byte(s))
	}
	for _, c := range decodeCases {
		checkSame(t, c.Name, []byte(c.In))
	}
	var files []string
	for _, pat := range []string{"../../fixtures/*/*.json", filepath.Join(dectest.CorpusDir(t), "*", "*.json")} {
		m, _ := filepath.Glob(pat)
		files = append(files, m...)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkSame(t, f, data)
	}
}

func FuzzFastPath(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkSame(t, "input", data)
		// And with every array of traces decoded in parallel (guesses
		// of where traces start, checked).
		defer func(n int) { parallelBytes = n }(parallelBytes)
		parallelBytes = 0
		checkSame(t, "input (parallel)", data)
	})
}
