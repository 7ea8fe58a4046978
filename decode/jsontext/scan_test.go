package jsontext

import (
	"strings"
	"testing"
)

func TestSkipSpace(t *testing.T) {
	cases := []struct {
		in   string
		from int
		want int
	}{
		{"", 0, 0},
		{"x", 0, 0},
		{" \t\r\n x", 0, 5},
		{"ab  c", 2, 4},
		{"   ", 1, 3},
		{"\f x", 0, 0}, // form feed is not JSON white space
		{"\u00a0x", 0, 0},
		{"x ", 5, 5}, // past the end stays put
	}
	for _, tc := range cases {
		if got := SkipSpace([]byte(tc.in), tc.from); got != tc.want {
			t.Errorf("SkipSpace(%q, %d) = %d, want %d", tc.in, tc.from, got, tc.want)
		}
	}
	for c := range 256 {
		want := c == ' ' || c == '\t' || c == '\n' || c == '\r'
		if IsSpace(byte(c)) != want {
			t.Errorf("IsSpace(%#x) = %v", c, !want)
		}
	}
}

func TestTrimBOM(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", ""},
		{"\xef\xbb\xbf", ""},
		{"\xef\xbb\xbf{}", "{}"},
		{"\xef\xbb\xbf\xef\xbb\xbf[]", "\xef\xbb\xbf[]"}, // only one mark
		{"\xef\xbb{}", "\xef\xbb{}"},                     // a cut mark stays
		{" \xef\xbb\xbf{}", " \xef\xbb\xbf{}"},           // only at the start
	}
	for _, tc := range cases {
		if got := string(TrimBOM([]byte(tc.in))); got != tc.want {
			t.Errorf("TrimBOM(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStringEnd(t *testing.T) {
	cases := []struct {
		in   string
		at   int
		want int
	}{
		{`""`, 0, 2},
		{`"abc" tail`, 0, 5},
		{`x:"a"`, 2, 5},
		{`"a\"b"`, 0, 6},
		{`"a\\"b"`, 0, 5},
		{`"\u0022"`, 0, 8},
		{`"[{"`, 0, 4},
		{`"unclosed`, 0, 9},
		{`"ends in backslash\`, 0, 19},
		{`"`, 0, 1},
	}
	for _, tc := range cases {
		if got := StringEnd([]byte(tc.in), tc.at); got != tc.want {
			t.Errorf("StringEnd(%q, %d) = %d, want %d", tc.in, tc.at, got, tc.want)
		}
	}
}

func TestTooDeep(t *testing.T) {
	cases := []struct {
		name string
		in   string
		max  int
		want int
	}{
		{"empty", "", 0, -1},
		{"scalar at depth 0", `42`, 0, -1},
		{"object at limit", `{"a":1}`, 1, -1},
		{"object past limit", `{"a":1}`, 0, 0},
		{"nested at limit", `{"a":[{"b":[]}]}`, 4, -1},
		{"nested past limit", `{"a":[{"b":[]}]}`, 3, 11},
		{"siblings do not add up", `[[],[],[],[]]`, 2, -1},
		{"brackets in strings", `["[[[[{{{{"]`, 1, -1},
		{"escaped quote in string", `["\"[[[["]`, 1, -1},
		{"unbalanced closers ignored", `]]]]}}[[`, 2, -1},
		{"unbalanced closers do not go negative", `]]][[[`, 2, 5},
		{"unclosed string hides the rest", `["[[[[`, 1, -1},
		{"deep", strings.Repeat("[", 600) + strings.Repeat("]", 600), 512, 512},
	}
	for _, tc := range cases {
		if got := TooDeep([]byte(tc.in), tc.max); got != tc.want {
			t.Errorf("%s: TooDeep(%.40q, %d) = %d, want %d", tc.name, tc.in, tc.max, got, tc.want)
		}
	}
}

func TestIsValueLine(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{`{}`, true},
		{`  [1,2,{"a":"}"}]  `, true},
		{`{"a":1}` + "\r", true},
		{`{"a":1},`, false},
		{`{"a":1} {"b":2}`, false},
		{`[1,`, false},
		{`"s"`, false},
		{`42`, false},
		{`{`, false},
		{``, false},
	}
	for _, tc := range cases {
		if got := isValueLine([]byte(tc.in)); got != tc.want {
			t.Errorf("isValueLine(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestIsJSONLines(t *testing.T) {
	line := `{"traceId":"1","spans":[{"id":"a"}]}`
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"one line", line, false},
		{"one line with trailing newline", line + "\n\n", false},
		{"two lines", line + "\n" + line + "\n", true},
		{"arrays, CRLF, blank lines", "[1]\r\n\r\n[2]\r\n", true},
		{"a bad line in three", line + "\n{\"traceId\":\n" + line, true},
		{"half bad", line + "\n{\n" + line + "\n[", true},
		{"mostly bad", line + "\n{\n}\n[", false},
		{"pretty-printed", "{\n  \"a\": [\n    {\"b\": 1},\n    {\"c\": 2}\n  ]\n}\n", false},
		{"pretty array of objects", "[\n{}\n,\n{}\n,\n{}\n]", false},
		{"scalars per line", "1\n2\n3\n", false},
		{"blank", " \n \n", false},
		{"empty", "", false},
		{"only the first 64 lines count", strings.Repeat("x\n", 64) + strings.Repeat(line+"\n", 200), false},
	}
	for _, tc := range cases {
		if got := IsJSONLines([]byte(tc.in)); got != tc.want {
			t.Errorf("%s: IsJSONLines = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestContainerStart(t *testing.T) {
	cases := []struct {
		in   string
		rest string
		ok   bool
	}{
		{`{"a":1}`, `{"a":1}`, true},
		{" \n\t[1", "[1", true},
		{"\xef\xbb\xbf  {\"a\"", "{\"a\"", true},
		{"\xef\xbb\xbf\xef\xbb\xbf{", "", false}, // one mark only
		{`"traceID"`, "", false},
		{`42`, "", false},
		{"   ", "", false},
		{"", "", false},
		{"\x89PNG\r\n", "", false},
	}
	for _, tc := range cases {
		rest, ok := ContainerStart([]byte(tc.in))
		if ok != tc.ok || string(rest) != tc.rest {
			t.Errorf("ContainerStart(%q) = %q, %v; want %q, %v", tc.in, rest, ok, tc.rest, tc.ok)
		}
	}
}
