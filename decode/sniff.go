package decode

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/syncaudit/syncaudit/decode/jaeger"
	"github.com/syncaudit/syncaudit/decode/jsontext"
	"github.com/syncaudit/syncaudit/decode/zipkin"
)

// Format names an input format.
type Format string

// Formats. Auto sniffs the content.
const (
	Auto      Format = "auto"
	OTLPJSON  Format = "otlp-json"
	OTLPProto Format = "otlp-proto"
	Jaeger    Format = "jaeger"
	Zipkin    Format = "zipkin"
)

// Formats lists the concrete formats, for help text and completion.
var Formats = []Format{OTLPJSON, OTLPProto, Jaeger, Zipkin}

// ParseFormat validates a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case Auto, OTLPJSON, OTLPProto, Jaeger, Zipkin:
		return f, nil
	case "":
		return Auto, nil
	}
	return "", fmt.Errorf("unknown format %q (want auto, otlp-json, otlp-proto, jaeger or zipkin)", s)
}

const sniffLen = 64 << 10

// otlpKeys are top-level keys that identify OTLP/JSON (or a wrapper of it).
var otlpKeys = map[string]bool{
	"resourceSpans": true, "resource_spans": true, "batches": true, "result": true, "trace": true,
}

// Sniff guesses the format of decompressed data. It returns "" when the
// content matches no supported format.
func Sniff(data []byte) Format {
	p := data
	if len(p) > sniffLen {
		p = p[:sniffLen]
	}
	p = jsontext.TrimBOM(p)
	t := p[jsontext.SkipSpace(p, 0):]
	if len(t) == 0 {
		return ""
	}
	switch t[0] {
	case '{':
		var found Format
		topKeys(t, 16, func(k string) bool {
			if k == "data" && jaeger.Sniff(t) {
				// Jaeger UI/API {"data":[traces]}: decided here, so that the
				// traces are not skipped (and checked) in search of a next key.
				found = Jaeger
			} else if k == "batches" && jaeger.Sniff(t) {
				// Jaeger api_v2 {"batches":[{"spans", "process"}]}: its
				// spans have operationName, which OTLP (Tempo) batches lack.
				found = Jaeger
			} else if otlpKeys[k] {
				found = OTLPJSON
			}
			return found == ""
		})
		if found != "" {
			return found
		}
		if jaeger.Sniff(t) {
			return Jaeger
		}
		if zipkin.Sniff(t) {
			return Zipkin
		}
		return ""
	case '[':
		if zipkin.Sniff(t) {
			return Zipkin
		}
		if jaeger.Sniff(t) {
			return Jaeger
		}
		return ""
	}
	if looksFramed(data) || (data[0] == 0x0a && len(data) > 2) {
		return OTLPProto
	}
	return ""
}

// looksFramed reports whether data starts with a plausible 4-byte
// big-endian length prefix followed by a protobuf or zstd payload.
func looksFramed(data []byte) bool {
	if len(data) < 5 {
		return false
	}
	n := binary.BigEndian.Uint32(data)
	if n == 0 || uint64(n) > uint64(len(data)-4) {
		return false
	}
	return data[4] == 0x0a || bytes.HasPrefix(data[4:], zstdMagic)
}

// topKeys calls f with up to max keys of the top-level JSON object in p,
// which may be cut short, until f returns false; it stops quietly at the
// first problem (invalid JSON, or the end of p). Keys are unquoted as
// encoding/json does. It reads only as far as the keys it hands out: a
// key's value is skipped (and checked) only when f asks for the next key.
func topKeys(p []byte, max int, f func(key string) bool) {
	v := validator{b: p}
	v.ws()
	if v.i >= len(p) || p[v.i] != '{' {
		return
	}
	v.i++
	for n := 0; n < max; n++ {
		v.ws()
		if n > 0 {
			if v.i >= len(p) || p[v.i] != ',' {
				return
			}
			v.i++
			v.ws()
		}
		start := v.i
		if v.i >= len(p) || p[v.i] != '"' || !v.str() {
			return
		}
		k, err := jsontext.Unquote(p[start:v.i])
		if err != nil {
			return
		}
		if !f(k) {
			return
		}
		v.ws()
		if v.i >= len(p) || p[v.i] != ':' {
			return
		}
		v.i++
		if !v.value() {
			return
		}
	}
}
