package jsontext

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"testing"
)

// maxNesting returns the deepest nesting of a valid JSON document and the
// offset of the first bracket at that depth, from encoding/json's tokens.
func maxNesting(t *testing.T, data []byte, limit int) (first int) {
	dec := json.NewDecoder(bytes.NewReader(data))
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return -1
		}
		if err != nil {
			t.Fatalf("Token on valid JSON %q: %v", data, err)
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			depth++
			if depth > limit {
				return int(dec.InputOffset()) - 1
			}
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
}

// FuzzScan checks that the byte scanners never panic, return offsets
// inside their input, and agree with encoding/json on valid JSON.
func FuzzScan(f *testing.F) {
	seeds := []string{
		``, `{}`, `[]`, `"s"`, `{"a":"[{\"}"}`, `[[[[[[]]]]]]`, `]]]}}[[`,
		`{"traceID":"1","spans":[{"spanID":"a"}]}`,
		"{\"a\":1}\n{\"b\":2}\n", "{\n  \"a\": [\n    {}\n  ]\n}\n", "[\n{}\n,\n{}\n]",
		"\xef\xbb\xbf [1]", `"\ud83d\ude00"`, `"unterminated \`, "[1]\r\n[2]\r\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, depth uint8) {
		limit := int(depth % 16)

		// TooDeep: -1 or an opening bracket; on valid JSON, exactly the
		// first bracket that encoding/json sees past the limit.
		i := TooDeep(data, limit)
		if i != -1 && (i < 0 || i >= len(data) || (data[i] != '{' && data[i] != '[')) {
			t.Fatalf("TooDeep(%q, %d) = %d", data, limit, i)
		}
		valid := json.Valid(data)
		if valid {
			if want := maxNesting(t, data, limit); i != want {
				t.Fatalf("TooDeep(%q, %d) = %d, encoding/json finds %d", data, limit, i, want)
			}
		}

		// StringEnd: past the opening quote, at most len(data), just past
		// a quote when closed; a valid literal ends where json says.
		for j := 0; j < len(data) && j < 64; j++ {
			if data[j] != '"' {
				continue
			}
			e := StringEnd(data, j)
			if e <= j || e > len(data) || (e < len(data) && data[e-1] != '"') {
				t.Fatalf("StringEnd(%q, %d) = %d", data, j, e)
			}
		}
		lit, _ := json.Marshal(string(data))
		withTail := append(lit, data...)
		if e := StringEnd(withTail, 0); e != len(lit) {
			t.Fatalf("StringEnd of literal %s = %d, want %d", lit, e, len(lit))
		}

		// IsJSONLines: true when every non-blank line (at least two) is a
		// valid object or array; false for one valid document of at most
		// 64 non-blank lines, since its first and last lines and a line
		// between any two value lines are no values.
		got := IsJSONLines(data)
		lines, values := 0, 0
		for _, line := range bytes.Split(data, []byte("\n")) {
			l := bytes.TrimSpace(line)
			if len(l) == 0 {
				continue
			}
			lines++
			if (l[0] == '{' || l[0] == '[') && json.Valid(l) {
				values++
			}
		}
		if lines >= 2 && values == lines && !got {
			t.Fatalf("IsJSONLines(%q) = false for %d valid lines", data, lines)
		}
		if valid && lines <= 64 && got {
			t.Fatalf("IsJSONLines(%q) = true for one valid document", data)
		}

		// ContainerStart never grows its input and returns an opener.
		if rest, ok := ContainerStart(data); ok && (len(rest) > len(data) || (rest[0] != '{' && rest[0] != '[')) {
			t.Fatalf("ContainerStart(%q) = %q", data, rest)
		}
		_ = SkipSpace(data, len(data)/2)
	})
}
