// Package dectest holds the test helpers that the JSON format decoders'
// tests share: a table-driven Decode check, a fuzz target body, corpus
// location, benchmarks and error formatting.
//
// Input: a decoder (a Func) and what the test expects of it, as Case rows,
// corpus files or fuzz inputs. Output: test failures through testing.TB;
// nothing is returned to production code, which must not import this
// package.
//
//	func TestDecode(t *testing.T) { dectest.RunDecode(t, decodeCases, Decode, describe) }
package dectest

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/internal/corpus"
	"github.com/syncaudit/syncaudit/trace"
)

// Func is a format decoder, such as jaeger.Decode.
type Func func(file string, data []byte, em decoder.Emitter, lim decoder.Limits) error

// Case is one row of a table-driven Decode test.
type Case struct {
	Name     string
	In       string
	Lim      decoder.Limits       // zero: decoder.DefaultLimits
	Want     []string             // span descriptions, in emit order
	Rejected map[trace.Reason]int // nil: none
	ErrIs    []error              // sentinels the error must wrap; nil (with ErrHas nil): no error
	ErrHas   []string             // substrings of the error text, one error per line
}

// RunDecode runs each case as a subtest: it decodes In as "f.json" and
// compares the spans, described by describe, the rejected tally and the
// error with the case.
func RunDecode(t *testing.T, cases []Case, decode Func, describe func(trace.Span) string) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			lim := tc.Lim
			if lim == (decoder.Limits{}) {
				lim = decoder.DefaultLimits
			}
			var c decoder.Collect
			err := decode("f.json", []byte(tc.In), &c, lim)
			var got []string
			for _, s := range c.Spans {
				got = append(got, describe(s))
			}
			if strings.Join(got, "\n") != strings.Join(tc.Want, "\n") {
				t.Errorf("spans:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(tc.Want, "\n      "))
			}
			if fmt.Sprint(c.Rejected) != fmt.Sprint(trace.Tally(tc.Rejected)) && !(len(c.Rejected) == 0 && len(tc.Rejected) == 0) {
				t.Errorf("rejected = %v, want %v", c.Rejected, tc.Rejected)
			}
			if tc.ErrIs == nil && tc.ErrHas == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error, want %v %q", tc.ErrIs, tc.ErrHas)
			}
			for _, s := range tc.ErrIs {
				if !errors.Is(err, s) {
					t.Errorf("error %v does not wrap %v", err, s)
				}
			}
			text := AllErrors(err)
			for _, s := range tc.ErrHas {
				if !strings.Contains(text, s) {
					t.Errorf("error text lacks %q:\n%s", s, text)
				}
			}
		})
	}
}

// AllErrors prints every error of a decoder.ErrorList, one per line, or
// the error itself.
func AllErrors(err error) string {
	var l decoder.ErrorList
	if errors.As(err, &l) {
		var b strings.Builder
		for _, e := range l {
			b.WriteString(e.Error() + "\n")
		}
		return b.String()
	}
	return err.Error()
}

// ShortID is the hex of an ID without leading zeros ("0" for zero), for
// span descriptions.
func ShortID(b []byte) string {
	if s := strings.TrimLeft(hex.EncodeToString(b), "0"); s != "" {
		return s
	}
	return "0"
}

// Fuzz seeds f with the input of each case, then runs decode on each fuzz
// input with a small depth limit and checks what holds for any input: no
// emitted span has a zero trace or span ID and each passes check; without
// an error something was read; every error is a *decoder.Error within the
// input (see CheckPositioned).
func Fuzz(f *testing.F, cases []Case, decode Func, check func(t *testing.T, s trace.Span)) {
	for _, tc := range cases {
		f.Add([]byte(tc.In))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c decoder.Collect
		err := decode("fuzz.json", data, &c, decoder.Limits{MaxDepth: 64})
		for _, s := range c.Spans {
			if s.TraceID.IsZero() || s.SpanID.IsZero() {
				t.Fatalf("emitted a span with a zero ID: %+v", s)
			}
			check(t, s)
		}
		if err == nil {
			if len(c.Spans)+c.Rejected.Total() == 0 {
				t.Fatal("no spans and no error")
			}
			return
		}
		CheckPositioned(t, err, "fuzz.json", len(data))
	})
}

// CheckPositioned asserts that err, or every error of its
// decoder.ErrorList, is a *decoder.Error for file with an offset inside an
// input of size bytes, and a line and column when positioned.
func CheckPositioned(t *testing.T, err error, file string, size int) {
	t.Helper()
	leaves := []error{err}
	var l decoder.ErrorList
	if errors.As(err, &l) {
		leaves = l
	}
	for _, e := range leaves {
		var de *decoder.Error
		if !errors.As(e, &de) {
			t.Fatalf("error %v (%T) is not a *decoder.Error", e, e)
		}
		if de.File != file || de.Offset < 0 || de.Offset > int64(size) {
			t.Fatalf("error %v: file %q offset %d outside input of %d bytes", e, de.File, de.Offset, size)
		}
		if de.Line < 0 || (de.Line > 0 && de.Column < 1) {
			t.Fatalf("error %v: line %d column %d", e, de.Line, de.Column)
		}
	}
}

// CorpusDir returns the shared public trace corpus (see corpus.Dir: it
// skips the test when the corpus is absent, or fails it when CI requires
// the corpus).
func CorpusDir(tb testing.TB) string {
	tb.Helper()
	return corpus.Dir(tb)
}

// CorpusSniff checks sniff on the first 4096 and 300 bytes of every corpus
// file below dir, at any depth: it must answer want(rel), rel being the
// file's slash-separated path below dir. Files directly in dir (the
// corpus's own SOURCES.md) are not traces and are skipped.
func CorpusSniff(t *testing.T, dir string, sniff func(prefix []byte) bool, want func(rel string) bool) {
	t.Helper()
	err := filepath.WalkDir(dir, func(f string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Dir(f) == filepath.Clean(dir) {
			return nil
		}
		rel, err := filepath.Rel(dir, f)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		w := want(rel)
		for _, n := range []int{4096, 300} {
			if got := sniff(data[:min(n, len(data))]); got != w {
				t.Errorf("Sniff(%s[:%d]) = %v, want %v", rel, n, got, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// CountEmitter is a decoder.Emitter that counts spans without keeping them.
type CountEmitter struct{ Spans, Rejected int }

// Emit counts spans.
func (e *CountEmitter) Emit(s []trace.Span) { e.Spans += len(s) }

// Reject counts rejected spans.
func (e *CountEmitter) Reject(_ trace.Reason, n int) { e.Rejected += n }

// BenchDecode measures decode on data (bytes/s, allocations and spans/s)
// and returns the counts of the last run.
func BenchDecode(b *testing.B, data []byte, decode Func) CountEmitter {
	b.Helper()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var e CountEmitter
	for b.Loop() {
		e = CountEmitter{}
		if err := decode("bench.json", data, &e, decoder.DefaultLimits); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(e.Spans)*float64(b.N)/b.Elapsed().Seconds(), "spans/s")
	return e
}
