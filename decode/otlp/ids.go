package otlp

import (
	"bytes"
	"encoding/base64"

	"github.com/syncaudit/syncaudit/trace"
)

// idState classifies an ID read from JSON.
type idState uint8

const (
	idOK    idState = iota
	idEmpty         // "" or all zeros: absent
	idBad           // neither hex nor base64 of the right size
)

// parseTraceID reads a JSON trace ID: hex of 1 to 32 digits in either case
// (OTLP/JSON; shorter IDs such as 64-bit ones are left-padded), or base64
// of 16 or 8 bytes (protobuf-style JSON). A string of hex digits is always
// read as hex, so unpadded base64 that happens to be all hex digits is
// misread; padded base64 (as protobuf tooling writes it) is never hex.
func parseTraceID(b []byte) (trace.TraceID, idState) {
	var id trace.TraceID
	if len(b) == 0 {
		return id, idEmpty
	}
	if len(b) <= 2*len(id) && trace.HexRight(id[:], b) {
		return id, zeroState(id[:])
	}
	var buf [24]byte
	n, ok := decodeBase64(buf[:], b)
	switch {
	case !ok:
		return id, idBad
	case n == 16:
		copy(id[:], buf[:16])
	case n == 8:
		copy(id[8:], buf[:8])
	default:
		return id, idBad
	}
	return id, zeroState(id[:])
}

// parseSpanID reads a JSON span ID: hex of 1 to 16 digits, or base64 of 8 bytes.
func parseSpanID(b []byte) (trace.SpanID, idState) {
	var id trace.SpanID
	if len(b) == 0 {
		return id, idEmpty
	}
	if len(b) <= 2*len(id) && trace.HexRight(id[:], b) {
		return id, zeroState(id[:])
	}
	var buf [24]byte
	n, ok := decodeBase64(buf[:], b)
	if !ok || n != 8 {
		return id, idBad
	}
	copy(id[:], buf[:8])
	return id, zeroState(id[:])
}

func zeroState(b []byte) idState {
	for _, c := range b {
		if c != 0 {
			return idOK
		}
	}
	return idEmpty
}

// decodeBase64 decodes standard or URL-safe base64, padded or not, into dst.
func decodeBase64(dst, src []byte) (int, bool) {
	url := bytes.ContainsAny(src, "-_")
	padded := src[len(src)-1] == '='
	var enc *base64.Encoding
	switch {
	case url && padded:
		enc = base64.URLEncoding
	case url:
		enc = base64.RawURLEncoding
	case padded:
		enc = base64.StdEncoding
	default:
		enc = base64.RawStdEncoding
	}
	if enc.DecodedLen(len(src)) > len(dst) {
		return 0, false
	}
	n, err := enc.Decode(dst, src)
	return n, err == nil
}
