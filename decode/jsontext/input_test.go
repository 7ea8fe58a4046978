package jsontext

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

// errorLines prints err, or each error of its decoder.ErrorList, one per
// line.
func errorLines(err error) string {
	if err == nil {
		return ""
	}
	var l decoder.ErrorList
	if !errors.As(err, &l) {
		return err.Error()
	}
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

func TestDocuments(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		lim   decoder.Limits
		docs  []string // "offset:document" passed to f
		err   error    // sentinel Documents itself returns
		after string   // Err(), one error per line
	}{
		{
			name: "one document",
			in:   "  {\"a\":1}\n",
			docs: []string{"0:  {\"a\":1}\n"},
		},
		{
			name: "byte order mark is skipped, offsets count it",
			in:   "\xef\xbb\xbf[1]",
			docs: []string{"3:[1]"},
		},
		{
			name: "JSON lines: each non-blank line with its offset",
			in:   "{\"a\":1}\n\n  \n[2]\r\n{\"b\":\n",
			docs: []string{"0:{\"a\":1}", "12:[2]\r", "17:{\"b\":"},
		},
		{
			name: "pretty-printed document is one",
			in:   "{\n  \"a\": [\n    1\n  ]\n}\n",
			docs: []string{"0:{\n  \"a\": [\n    1\n  ]\n}\n"},
		},
		{
			name:  "too deep: reported at the bracket, not passed on",
			in:    "{\"a\":[[1]]}",
			lim:   decoder.Limits{MaxDepth: 2},
			after: "f.json:1:7: input exceeds limit: JSON nested deeper than 2 levels",
		},
		{
			name:  "too deep by default",
			in:    "[1]\n" + strings.Repeat("[", 513) + strings.Repeat("]", 513) + "\n[2]",
			docs:  []string{"0:[1]", "1031:[2]"},
			after: "f.json:2:513: input exceeds limit: JSON nested deeper than 512 levels",
		},
		{
			name: "MaxInputBytes",
			in:   "[1,2,3]",
			lim:  decoder.Limits{MaxInputBytes: 6},
			err:  decoder.ErrTooLarge,
		},
		{name: "empty", in: "", err: decoder.ErrEmpty},
		{name: "blank", in: " \r\n\t", err: decoder.ErrEmpty},
		{name: "only a byte order mark", in: "\xef\xbb\xbf\n", err: decoder.ErrEmpty},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := NewInput("f.json", []byte(tc.in), tc.lim, 10)
			var docs []string
			err := in.Documents(func(r *Reader) error {
				docs = append(docs, fmt.Sprintf("%d:%s", r.base, r.Doc()))
				return nil
			})
			if !errors.Is(err, tc.err) || (err == nil) != (tc.err == nil) {
				t.Fatalf("Documents error %v, want %v", err, tc.err)
			}
			var de *decoder.Error
			if err != nil && (!errors.As(err, &de) || de.File != "f.json") {
				t.Errorf("error %#v is not a *decoder.Error for f.json", err)
			}
			if fmt.Sprintf("%q", docs) != fmt.Sprintf("%q", tc.docs) {
				t.Errorf("documents\n got  %q\n want %q", docs, tc.docs)
			}
			if got := errorLines(in.Err()); got != tc.after {
				t.Errorf("Err() =\n%s\nwant\n%s", got, tc.after)
			}
		})
	}
}

func TestErrorsAreCapped(t *testing.T) {
	var lines strings.Builder
	for range 7 {
		lines.WriteString("[1]\n")
	}
	in := NewInput("f.json", []byte(lines.String()), decoder.Limits{}, 3)
	n := 0
	if err := in.Documents(func(r *Reader) error {
		n++
		r.Report(1, errors.New("reported"))
		return r.ErrorAt(2, errors.New("returned"))
	}); err != nil {
		t.Fatal(err)
	}
	want := "f.json:1:2: reported\nf.json:1:3: returned\nf.json:2:2: reported\nf.json: 11 more errors not listed"
	err := in.Err()
	if got := errorLines(err); n != 7 || got != want {
		t.Errorf("%d documents, errors\n%s\nwant 7 and\n%s", n, got, want)
	}
	if got := errorLines(in.Err()); got != want {
		t.Errorf("second Err() differs:\n%s", got)
	}
	if NewInput("f.json", nil, decoder.Limits{}, 0).Err() != nil {
		t.Error("Err() of an Input without errors is not nil")
	}
}
