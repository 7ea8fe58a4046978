package decode

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestValidObject(t *testing.T) {
	tests := []string{
		`{}`, `{"a":1}`, `{ "a" : [ 1 , 2.5e-3 , -0 , true , false , null , "x\u00e9\n" ] , "b" : { } }`,
		`{"a":[]}`, `{"a":[[],[{}]]}`, `{"k":"\"\\\/\b\f\n\r\t"}`, `{"a":-12.0E+5}`,
		// invalid:
		`{`, `}`, `{"a"}`, `{"a":}`, `{"a":1,}`, `{,"a":1}`, `{"a":1 "b":2}`, `{a:1}`, `{"a":01}`,
		`{"a":1.}`, `{"a":.5}`, `{"a":1e}`, `{"a":-}`, `{"a":tru}`, `{"a":nul}`, `{"a":[1,]}`, `{"a":[,1]}`,
		`{"a":[1 2]}`, `{"a":"x}`, "{\"a\":\"\x01\"}", `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"\u12g4"}`,
		`{"a":1}}`, `{"a":1} {}`, `{"a":[}`, `{"a":{]}`, `[1]`, `{"a":1`, `{"a":"\`, `{"a":+1}`,
	}
	for _, s := range tests {
		if got, want := validObject([]byte(s), 64), json.Valid([]byte(s)) && s[0] == '{'; got != want {
			t.Errorf("validObject(%q) = %v, want %v", s, got, want)
		}
	}
	deep := func(n int) string { return `{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + "}" }
	if !validObject([]byte(deep(5)), 5) || validObject([]byte(deep(6)), 5) {
		t.Error("depth limit")
	}
	if validObject([]byte(deep(100)), 1000) {
		t.Error("nesting beyond maxLineDepth accepted")
	}
}

// FuzzValidObject: the validator agrees with encoding/json on any input
// within the depth limit, and never panics.
func FuzzValidObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":[1,{"b":null}]}`, `{"a":"\u0041"}`, `{"a":1e5}`, `{`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got := validObject(b, maxLineDepth)
		if len(b) == 0 || b[0] != '{' || depthOf(b) > maxLineDepth {
			if got && len(b) > 0 && b[0] != '{' {
				t.Errorf("accepted %q", b)
			}
			return
		}
		if want := json.Valid(b) && len(bytes.TrimRight(b, " \t\r\n")) == len(b); got != want {
			t.Errorf("validObject(%q) = %v, json.Valid %v", b, got, want)
		}
	})
}

// depthOf is the bracket nesting of b outside strings (for valid JSON, its depth).
func depthOf(b []byte) int {
	d, deepest := 0, 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
		case '{', '[':
			d++
			deepest = max(deepest, d)
		case '}', ']':
			d--
		}
	}
	return deepest
}
