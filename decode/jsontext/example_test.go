package jsontext_test

import (
	"errors"
	"fmt"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/jsontext"
)

// A decoder reads each document with a Reader. Values of the wrong type
// are recorded and reading goes on; a broken line ends only that line.
func ExampleInput_Documents() {
	data := []byte(`[{"id":"a","start":1},{"id":"b","start":"soon"}]
[{"id":"c","start":3},{"id":
[{"id":"d","start":4}]
`)
	in := jsontext.NewInput("spans.jsonl", data, decoder.DefaultLimits, 100)
	err := in.Documents(func(r *jsontext.Reader) error {
		if err := r.Delim('['); err != nil {
			return err
		}
		for r.More() {
			var span struct {
				ID    string `json:"id"`
				Start int64  `json:"start"`
			}
			ok, err := r.Decode(&span, "span")
			if err != nil {
				return err
			}
			if ok {
				fmt.Println("span", span.ID, span.Start)
			}
		}
		if err := r.Delim(']'); err != nil {
			return err
		}
		return r.End()
	})
	if err == nil {
		err = in.Err()
	}
	var list decoder.ErrorList
	if errors.As(err, &list) {
		for _, e := range list {
			fmt.Println(e)
		}
	}
	// Output:
	// span a 1
	// span c 3
	// span d 4
	// spans.jsonl:1:47: wrong type: span: field "start": want a number, found JSON string
	// spans.jsonl:2:29: truncated input: unexpected end of JSON
}

func ExampleIsJSONLines() {
	fmt.Println(jsontext.IsJSONLines([]byte("{\"a\":1}\n{\"a\":2}\n")))
	fmt.Println(jsontext.IsJSONLines([]byte("{\n  \"a\": 1\n}\n")))
	// Output:
	// true
	// false
}
