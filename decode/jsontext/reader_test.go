package jsontext

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

// read runs f on the only document of in and returns f's error and Err().
func read(t *testing.T, in string, f func(r *Reader) error) (returned, recorded string) {
	t.Helper()
	input := NewInput("f.json", []byte(in), decoder.Limits{}, 10)
	var ret error
	if err := input.Documents(func(r *Reader) error {
		ret = f(r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if ret != nil {
		var de *decoder.Error
		if !errors.As(ret, &de) {
			t.Errorf("returned error %v (%T) is not a *decoder.Error", ret, ret)
		}
	}
	return errorLines(ret), errorLines(input.Err())
}

func TestReader(t *testing.T) {
	type span struct {
		ID    string `json:"id"`
		Start int64  `json:"start"`
		Tags  []struct {
			Key string `json:"key"`
		} `json:"tags"`
	}
	// spans reads an array of spans and lists what was read.
	spans := func(got *[]string) func(r *Reader) error {
		return func(r *Reader) error {
			if err := r.Delim('['); err != nil {
				return err
			}
			for r.More() {
				if r.Peek() != '{' {
					if err := r.SkipMismatch("a span object"); err != nil {
						return err
					}
					*got = append(*got, "mismatch")
					continue
				}
				at := r.Pos()
				var s span
				ok, err := r.Decode(&s, "span")
				if err != nil {
					return err
				}
				*got = append(*got, fmt.Sprintf("%d:%v:%s", at, ok, s.ID))
			}
			if err := r.Delim(']'); err != nil {
				return err
			}
			return r.End()
		}
	}
	cases := []struct {
		name     string
		in       string
		got      []string
		returned string
		recorded string
	}{
		{
			name: "spans",
			in:   `[{"id":"a","start":1}, {"id":"b"}]`,
			got:  []string{"1:true:a", "23:true:b"},
		},
		{
			name:     "a field of the wrong type is recorded where encoding/json reports it",
			in:       "[{\"id\":\"a\"},\n {\"id\":\"b\",\"start\":\"x\"},\n {\"id\":\"c\",\"tags\":[{\"key\":5}]}]",
			got:      []string{"1:true:a", "14:false:b", "39:false:c"},
			recorded: "f.json:2:23: wrong type: span: field \"start\": want a number, found JSON string\nf.json:3:28: wrong type: span: field \"tags.key\": want a string, found JSON number",
		},
		{
			name:     "a value that is not an object is skipped and recorded",
			in:       "[{\"id\":\"a\"}, 7, \"x\", [1,[2]], {\"id\":\"b\"}]",
			got:      []string{"1:true:a", "mismatch", "mismatch", "mismatch", "30:true:b"},
			recorded: "f.json:1:14: wrong type: want a span object, found a number\nf.json:1:17: wrong type: want a span object, found a string\nf.json:1:22: wrong type: want a span object, found an array",
		},
		{
			name:     "syntax error ends the document at the offending byte",
			in:       "[{\"id\":\"a\"},\n {\"id\" \"b\"}]",
			got:      []string{"1:true:a"},
			returned: "f.json:2:8: invalid JSON: invalid character '\"' after object key",
		},
		{
			name:     "truncation is reported at the end",
			in:       "[{\"id\":\"a\"},\n {\"id\":",
			got:      []string{"1:true:a"},
			returned: "f.json:2:8: truncated input: unexpected end of JSON",
		},
		{
			name:     "wrong delimiter",
			in:       `{"id":"a"}`,
			returned: "f.json:1:2: invalid JSON: want [, found {",
		},
		{
			name:     "trailing data",
			in:       `[{"id":"a"}] x`,
			got:      []string{"1:true:a"},
			returned: "f.json:1:14: invalid JSON: invalid character 'x' after top-level value",
		},
		{
			name:     "a second value is trailing data too",
			in:       `[] []`,
			returned: "f.json:1:4: invalid JSON: invalid character '[' after top-level value",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			returned, recorded := read(t, tc.in, spans(&got))
			if fmt.Sprint(got) != fmt.Sprint(tc.got) {
				t.Errorf("read %q, want %q", got, tc.got)
			}
			if returned != tc.returned {
				t.Errorf("returned\n%s\nwant\n%s", returned, tc.returned)
			}
			if recorded != tc.recorded {
				t.Errorf("recorded\n%s\nwant\n%s", recorded, tc.recorded)
			}
		})
	}
}

func TestReaderKeysAndFormats(t *testing.T) {
	cases := []struct {
		name     string
		in       string
		f        func(r *Reader) error
		returned string
		recorded string
	}{
		{
			name: "keys and skipped values",
			in:   `{"a":{"deep":[1,{"x":null}]},"b":"keep"}`,
			f: func(r *Reader) error {
				if err := r.Delim('{'); err != nil {
					return err
				}
				var keys []string
				for r.More() {
					k, err := r.Key()
					if err != nil {
						return err
					}
					keys = append(keys, fmt.Sprintf("%s@%d=%c", k, r.Pos(), r.Peek()))
					if err := r.Skip(); err != nil {
						return err
					}
				}
				if err := r.Delim('}'); err != nil {
					return err
				}
				if r.Peek() != 0 || r.Pos() != len(r.Doc()) {
					return errors.New("not at the end")
				}
				return errors.New(strings.Join(keys, " ")) // not positioned: checked below
			},
			returned: "a@5={ b@33=\"",
		},
		{
			name: "key expected",
			in:   `{"a":1}`,
			f: func(r *Reader) error {
				if err := r.Delim('{'); err != nil {
					return err
				}
				if _, err := r.Key(); err != nil {
					return err
				}
				_, err := r.Key() // the value 1
				return err
			},
			returned: "f.json:1:7: invalid JSON: want an object key, found 1",
		},
		{
			name:     "unknown format",
			in:       ` "spans"`,
			f:        func(r *Reader) error { return r.UnknownFormat("a span array") },
			returned: "f.json:1:2: unknown trace format: want a span array, found a string",
		},
		{
			name:     "unknown format that is not JSON",
			in:       "\x89PNG",
			f:        func(r *Reader) error { return r.UnknownFormat("a span array") },
			returned: "f.json:1:1: invalid JSON: invalid character '\\u0089' looking for beginning of value",
		},
		{
			name: "a type error without a field is recorded after the opening bracket",
			in:   `{"list":{"a":1}}`,
			f: func(r *Reader) error {
				if err := r.Delim('{'); err != nil {
					return err
				}
				if _, err := r.Key(); err != nil {
					return err
				}
				var list []int
				_, err := r.Decode(&list, `"list"`)
				return err
			},
			recorded: "f.json:1:10: wrong type: \"list\": want an array, found JSON object",
		},
		{
			name: "an Unmarshaler's error is recorded at the value",
			in:   `["x", "\u00e9", 1]`,
			f: func(r *Reader) error {
				if err := r.Delim('['); err != nil {
					return err
				}
				for r.More() {
					var v failing
					if _, err := r.Decode(&v, "tag"); err != nil {
						return err
					}
				}
				return r.Delim(']')
			},
			recorded: "f.json:1:2: wrong type: tag: refused \"x\"\nf.json:1:7: wrong type: tag: refused \"é\"\nf.json:1:17: wrong type: tag: refused 1",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			input := NewInput("f.json", []byte(tc.in), decoder.Limits{}, 10)
			var returned error
			if err := input.Documents(func(r *Reader) error {
				returned = tc.f(r)
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if got := errorLines(returned); got != tc.returned {
				t.Errorf("returned\n%s\nwant\n%s", got, tc.returned)
			}
			if got := errorLines(input.Err()); got != tc.recorded {
				t.Errorf("recorded\n%s\nwant\n%s", got, tc.recorded)
			}
		})
	}
}

// failing refuses every value.
type failing struct{}

func (*failing) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(b) > 0 && b[0] == '"' {
		u, err := Unquote(b)
		if err != nil {
			return err
		}
		s = fmt.Sprintf("%q", u)
	}
	return fmt.Errorf("refused %s", s)
}

func TestTypeKind(t *testing.T) {
	var (
		i   int
		f   float64
		s   string
		b   bool
		m   map[string]int
		st  struct{}
		sl  []int
		arr [2]int
		pp  **[]int
	)
	cases := []struct {
		v    any
		want string
	}{
		{i, "a number"}, {f, "a number"}, {s, "a string"}, {b, "a boolean"},
		{m, "an object"}, {st, "an object"}, {sl, "an array"}, {arr, "an array"},
		{pp, "an array"},
	}
	for _, tc := range cases {
		if got := typeKind(reflect.TypeOf(tc.v)); got != tc.want {
			t.Errorf("typeKind(%T) = %q, want %q", tc.v, got, tc.want)
		}
	}
	if got := typeKind(nil); got != "another type" {
		t.Errorf("typeKind(nil) = %q", got)
	}
}
