package decode

import (
	"bytes"
	"encoding/json"
	"io"

	"path/filepath"
	"slices"
	"testing"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

// refTopKeys is the encoding/json reading of topKeys (its former
// implementation), the reference the hand-written one must agree with.
func refTopKeys(p []byte, max int) []string {
	dec := json.NewDecoder(bytes.NewReader(p))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil
	}
	var keys []string
	for len(keys) < max && dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return keys
		}
		k, ok := tok.(string)
		if !ok {
			return keys
		}
		keys = append(keys, k)
		depth := 0
		for {
			tok, err := dec.Token()
			if err != nil {
				return keys
			}
			switch tok {
			case json.Delim('{'), json.Delim('['):
				depth++
			case json.Delim('}'), json.Delim(']'):
				depth--
			}
			if depth == 0 {
				break
			}
		}
	}
	return keys
}

func allTopKeys(p []byte, max int) []string {
	var keys []string
	topKeys(p, max, func(k string) bool { keys = append(keys, k); return true })
	return keys
}

var topKeysSeeds = []string{
	`{}`, `{"a":1,"b":[1,2,{"c":null}],"d":"x\"y","e":true}`, `{"a":1`, `{"a":1,`, `{"a":[1,2`,
	`{"a":tru}`, `{"a":01}`, `{"a":1.}`, `{"a":-}`, `{"a":"\u00e9","\u0062":2}`, `{"a":"\q"}`,
	`{"a" 1}`, `{"a":1 "b":2}`, `{"a":[1,]}`, `{"a":{"b":1,}}`, `{"a":[}`, `{"a":"` + "\x01" + `"}`,
	` { "resourceSpans" : [ ] , "x" : { } } `, `{"data":[{"traceID":"1","spans":[]}],"total":0}`,
	`{"a":1e5,"b":-0.5E-3,"c":[[[[]]]],"d":{}}`, `{"\xff":1,"b":2}`, `[1]`, `{"a":12`, `{1:2}`,
}

func TestTopKeysAgreesWithEncodingJSON(t *testing.T) {
	seeds := slices.Clone(topKeysSeeds)
	files, _ := filepath.Glob("../fixtures/*/*")
	for _, f := range files {
		in := FileInput(f)
		rc, err := in.Open()
		if err != nil {
			continue
		}
		s, err := newStream(f, rc, decoder.DefaultLimits, -1)
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(s.r, sniffLen))
			seeds = append(seeds, string(b))
			s.close()
		}
		rc.Close()
	}
	for _, s := range seeds {
		for _, max := range []int{1, 2, 16} {
			for cut := range len(s) + 1 {
				if len(s) > 2000 && cut%(len(s)/40) != 0 && cut != len(s) {
					continue
				}
				p := []byte(s[:cut])
				if got, want := allTopKeys(p, max), refTopKeys(p, max); !slices.Equal(got, want) {
					t.Fatalf("topKeys(%.80q, %d) = %q, encoding/json reads %q", p, max, got, want)
				}
			}
		}
	}
}

func FuzzTopKeys(f *testing.F) {
	for _, s := range topKeysSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, p []byte) {
		if got, want := allTopKeys(p, 16), refTopKeys(p, 16); !slices.Equal(got, want) {
			t.Fatalf("topKeys(%q) = %q, encoding/json reads %q", p, got, want)
		}
	})
}
