package jsontext

import "bytes"

// bom is the UTF-8 byte order mark some tools write before JSON.
const bom = "\xef\xbb\xbf"

// TrimBOM returns b without a leading UTF-8 byte order mark.
func TrimBOM(b []byte) []byte {
	if len(b) >= len(bom) && string(b[:len(bom)]) == bom {
		return b[len(bom):]
	}
	return b
}

// IsSpace reports whether c is JSON white space: space, tab, newline or
// carriage return.
func IsSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// SkipSpace returns the index of the first non-space byte of b at or after
// i, or len(b) when there is none.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// StringEnd returns the index just past the closing quote of the string
// whose opening quote is b[i], or len(b) when it is not closed. Escapes
// are skipped, not checked.
func StringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return len(b)
}

// TooDeep returns the offset of the first bracket in b that nests deeper
// than maxDepth, or -1. Brackets inside strings are ignored, and so are
// unbalanced closing brackets.
func TooDeep(b []byte, maxDepth int) int {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = StringEnd(b, i) - 1
		case '{', '[':
			depth++
			if depth > maxDepth {
				return i
			}
		case '}', ']':
			if depth > 0 {
				depth--
			}
		}
	}
	return -1
}

// isValueLine reports whether line, trimmed, is exactly one balanced JSON
// object or array.
func isValueLine(line []byte) bool {
	b := bytes.TrimSpace(line)
	if len(b) < 2 || (b[0] != '{' && b[0] != '[') {
		return false
	}
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = StringEnd(b, i) - 1
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i == len(b)-1
			}
		}
	}
	return false
}

// IsJSONLines reports whether data holds one JSON value per line: at least
// two non-blank lines, and at least half of the first 64 of them balanced
// objects or arrays on their own. Pretty-printed documents have almost no
// such lines; JSON lines with a few bad lines still qualify, so their good
// lines can be decoded.
func IsJSONLines(data []byte) bool {
	// A single line (the usual minified document) needs no scan.
	t := bytes.TrimSpace(data)
	if bytes.IndexByte(t, '\n') < 0 {
		return false
	}
	const sample = 64
	lines, values := 0, 0
	for len(data) > 0 && lines < sample {
		end := bytes.IndexByte(data, '\n')
		line := data
		if end >= 0 {
			line, data = data[:end], data[end+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		lines++
		if isValueLine(line) {
			values++
		}
	}
	return lines >= 2 && 2*values >= lines
}

// ContainerStart skips a leading UTF-8 byte order mark and white space in
// prefix (the first bytes of an input, possibly cut mid-token) and reports
// whether what follows opens a JSON object or array; rest begins there.
// Format sniffers use it before looking for their keys.
func ContainerStart(prefix []byte) (rest []byte, ok bool) {
	p := TrimBOM(prefix)
	i := SkipSpace(p, 0)
	if i >= len(p) || (p[i] != '{' && p[i] != '[') {
		return nil, false
	}
	return p[i:], true
}

// Bit tricks on eight bytes at once (lsb and msb are each byte's low and
// high bit): hasZeroByte(x) is nonzero iff some byte of x is zero, and
// (x-lsb*n)&^x&msb iff some byte is below n (n <= 0x80).
const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

func hasZeroByte(x uint64) uint64 { return (x - lsb) &^ x & msb }

// PlainWord reports whether none of the eight bytes of x (loaded
// little-endian from inside a JSON string) is '"', '\\' or a control
// byte: a scanner of string contents may step over all eight at once.
func PlainWord(x uint64) bool {
	return hasZeroByte(x^(lsb*'"'))|hasZeroByte(x^(lsb*'\\'))|(x-lsb*0x20)&^x&msb == 0
}

// ASCIIWord reports whether every byte of x is below 0x80.
func ASCIIWord(x uint64) bool { return x&msb == 0 }
