package trace

import (
	"encoding/hex"
	"errors"
	"hash/fnv"
)

// TraceID is a 128-bit trace identifier. 64-bit IDs occupy the low 8 bytes.
type TraceID [16]byte

// SpanID is a 64-bit span identifier.
type SpanID [8]byte

// IsZero reports whether the ID is all zeros (absent).
func (id TraceID) IsZero() bool { return id == TraceID{} }

// IsZero reports whether the ID is all zeros (absent).
func (id SpanID) IsZero() bool { return id == SpanID{} }

// String returns the 32-character lowercase hex form.
func (id TraceID) String() string { return hex.EncodeToString(id[:]) }

// String returns the 16-character lowercase hex form.
func (id SpanID) String() string { return hex.EncodeToString(id[:]) }

// ErrInvalidID is returned for IDs that are empty, too long, or all zeros.
var ErrInvalidID = errors.New("invalid id")

// ParseTraceID parses a hex trace ID of 1 to 32 characters, in either case.
// Shorter IDs (64-bit IDs, unpadded Jaeger IDs) are left-padded with zeros.
// An empty, all-zero or over-long ID is ErrInvalidID. A non-hex ID (CRISP's
// "A", "trace1") is hashed to a stable ID and reported with nonHex=true, so
// callers can warn.
func ParseTraceID(s string) (id TraceID, nonHex bool, err error) {
	if len(s) == 0 || len(s) > 32 {
		return id, false, ErrInvalidID
	}
	if !HexRight(id[:], s) {
		h := fnv.New128a()
		h.Write([]byte(s))
		copy(id[:], h.Sum(nil))
		return id, true, nil
	}
	if id.IsZero() {
		return id, false, ErrInvalidID
	}
	return id, false, nil
}

// ParseSpanID parses a hex span ID of 1 to 16 characters, in either case,
// left-padding short IDs. Non-hex IDs are hashed (nonHex=true); empty,
// all-zero or over-long IDs are ErrInvalidID.
func ParseSpanID(s string) (id SpanID, nonHex bool, err error) {
	if len(s) == 0 || len(s) > 16 {
		if len(s) > 16 && !isHex(s) {
			return hashSpanID(s), true, nil
		}
		return id, false, ErrInvalidID
	}
	if !HexRight(id[:], s) {
		return hashSpanID(s), true, nil
	}
	if id.IsZero() {
		return id, false, ErrInvalidID
	}
	return id, false, nil
}

func hashSpanID(s string) SpanID {
	var id SpanID
	h := fnv.New64a()
	h.Write([]byte(s))
	copy(id[:], h.Sum(nil))
	return id
}

// TraceIDFromBytes converts an 8- or 16-byte binary ID (protobuf, base64 JSON).
func TraceIDFromBytes(b []byte) (TraceID, error) {
	var id TraceID
	switch len(b) {
	case 16:
		copy(id[:], b)
	case 8:
		copy(id[8:], b)
	default:
		return id, ErrInvalidID
	}
	if id.IsZero() {
		return id, ErrInvalidID
	}
	return id, nil
}

// SpanIDFromBytes converts an 8-byte binary span ID.
func SpanIDFromBytes(b []byte) (SpanID, error) {
	var id SpanID
	if len(b) != 8 {
		return id, ErrInvalidID
	}
	copy(id[:], b)
	if id.IsZero() {
		return id, ErrInvalidID
	}
	return id, nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if unhex(s[i]) > 15 {
			return false
		}
	}
	return true
}

// HexRight decodes the hex digits s (either case) into dst right-aligned,
// zero-padding on the left, so that unpadded and 64-bit IDs land where a
// full-width ID would. It reports false, leaving dst unspecified, when s is
// longer than 2*len(dst) or holds a non-hex character.
func HexRight[S ~string | ~[]byte](dst []byte, s S) bool {
	if len(s) > 2*len(dst) {
		return false
	}
	if len(s) == 2*len(dst) {
		// Full width, the usual case: one table lookup per digit, one
		// check at the end (a non-hex digit sets the 0x10 bit).
		var bad byte
		for i := range dst {
			hi, lo := hexVal[s[2*i]], hexVal[s[2*i+1]]
			bad |= hi | lo
			dst[i] = hi<<4 | lo&15
		}
		return bad&0x10 == 0
	}
	for i := range dst {
		dst[i] = 0
	}
	j := len(dst) - 1
	for i := len(s); i > 0; i -= 2 {
		lo := unhex(s[i-1])
		if lo > 15 {
			return false
		}
		var hi byte
		if i >= 2 {
			hi = unhex(s[i-2])
			if hi > 15 {
				return false
			}
		}
		dst[j] = hi<<4 | lo
		j--
	}
	return true
}

// hexVal maps a hex digit to its value and anything else to 0x10.
var hexVal = func() (t [256]byte) {
	for c := range t {
		t[c] = 0x10
		if v := unhex(byte(c)); v <= 15 {
			t[c] = v
		}
	}
	return t
}()

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 255
}
