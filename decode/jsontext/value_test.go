package jsontext

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestScalar(t *testing.T) {
	cases := []struct {
		in    string
		want  string
		valid bool
	}{
		{`"GET"`, "GET", true},
		{`"caf\u00e9 \"x\""`, `café "x"`, true},
		{`""`, "", true},
		{`200`, "200", true},
		{`200.0`, "200", true},
		{`-1.5e3`, "-1500", true},
		{`0.2`, "0.2", true},
		{`9223372036854775807`, "9223372036854775807", true},
		{`true`, "true", true},
		{`false`, "false", true},
		{`null`, "", false},
		{`{"not":"scalar"}`, "", false},
		{`[1,2]`, "", false},
	}
	for _, tc := range cases {
		v := Scalar{Text: "stale", Valid: true}
		if err := json.Unmarshal([]byte(tc.in), &v); err != nil {
			t.Errorf("Unmarshal(%s): %v", tc.in, err)
			continue
		}
		if v.Text != tc.want || v.Valid != tc.valid {
			t.Errorf("Unmarshal(%s) = %+v, want {%q %v}", tc.in, v, tc.want, tc.valid)
		}
	}
	// In a map, as Zipkin tags are decoded.
	var tags map[string]Scalar
	if err := json.Unmarshal([]byte(`{"a":"x","b":7,"c":null}`), &tags); err != nil {
		t.Fatal(err)
	}
	if tags["a"] != (Scalar{"x", true}) || tags["b"] != (Scalar{"7", true}) || tags["c"].Valid {
		t.Errorf("tags = %+v", tags)
	}
}

func TestUnquote(t *testing.T) {
	cases := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{`"plain"`, "plain", false},
		{`""`, "", false},
		{`"tab\tand \u00e9"`, "tab\tand é", false},
		{`"\ud83d\ude00"`, "😀", false},
		{"\"caf\xc3\xa9\"", "café", false},
		{"\"bad \xff utf-8\"", "bad \ufffd utf-8", false}, // replaced, as encoding/json does
		{`"bad \x escape"`, "", true},
	}
	for _, tc := range cases {
		got, err := Unquote([]byte(tc.in))
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("Unquote(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestDecimal(t *testing.T) {
	cases := []struct{ in, want string }{
		{"200", "200"},
		{"-7", "-7"},
		{"200.0", "200"},
		{"1e3", "1000"},
		{"1E3", "1000"},
		{"72.5", "72.5"},
		{"0.1", "0.1"},
		{"1e20", "100000000000000000000"},
		{"9007199254740993.0", "9007199254740992"},
		{"123456789012345678901234567890", "123456789012345678901234567890"}, // no fraction: kept as written
		{"1e400", "1e400"}, // does not parse: kept
	}
	for _, tc := range cases {
		if got := Decimal([]byte(tc.in)); got != tc.want {
			t.Errorf("Decimal(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestValueKind(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{}`, "an object"},
		{`[1]`, "an array"},
		{`"s"`, "a string"},
		{`true`, "a boolean"},
		{`false`, "a boolean"},
		{`null`, "null"},
		{`-1`, "a number"},
		{`7`, "a number"},
		{``, "nothing"},
	}
	for _, tc := range cases {
		if got := ValueKind([]byte(tc.in)); got != tc.want {
			t.Errorf("ValueKind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestMicrosToNanos(t *testing.T) {
	cases := []struct {
		in      string
		want    int64
		wantErr error
		msg     string
	}{
		{in: "0", want: 0},
		{in: "1605223981761425", want: 1605223981761425000},
		{in: "-5", want: -5000},
		{in: "1.5", want: 1500},
		{in: "0.0004", want: 0},
		{in: "0.0006", want: 1},
		{in: "1e3", want: 1000000},
		{in: "9223372036854775", want: 9223372036854775000},
		{in: "9223372036854776", wantErr: ErrOutOfRange, msg: "9223372036854776 µs is out of range"},
		{in: "-9223372036854776", wantErr: ErrOutOfRange},
		{in: "18446744073709551615", wantErr: ErrOutOfRange},
		{in: "1e300", wantErr: ErrOutOfRange},
		{in: "soon", wantErr: ErrNotNumber, msg: `"soon" is not a number`},
		{in: "", wantErr: ErrNotNumber},
		{in: "NaN", wantErr: ErrNotNumber},
		{in: "Inf", wantErr: ErrNotNumber},
		{in: "1e999", wantErr: ErrNotNumber},
	}
	for _, tc := range cases {
		got, err := MicrosToNanos(tc.in)
		if tc.wantErr == nil {
			if err != nil || got != tc.want {
				t.Errorf("MicrosToNanos(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
			continue
		}
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("MicrosToNanos(%q) = %d, %v; want an error wrapping %v", tc.in, got, err, tc.wantErr)
		} else if tc.msg != "" && err.Error() != tc.msg {
			t.Errorf("MicrosToNanos(%q) error %q, want %q", tc.in, err, tc.msg)
		}
	}
}

func TestDiscard(t *testing.T) {
	for _, in := range []string{`{"a":[1,{"b":null}]}`, `[]`, `"s"`, `1`, `null`} {
		if err := json.Unmarshal([]byte(in), &Discard{}); err != nil {
			t.Errorf("Unmarshal(%s, Discard): %v", in, err)
		}
	}
	// The value is still validated by encoding/json.
	var se *json.SyntaxError
	if err := json.Unmarshal([]byte(`{"a":}`), &Discard{}); !errors.As(err, &se) {
		t.Errorf("malformed input: error %v, want a *json.SyntaxError", err)
	}
}
