package zipkin

import "bytes"

// Byte-level scans over raw JSON that need no decoding: nesting depth and
// JSON-lines detection. They ignore the
// contents of strings and never fail; malformed input is left for
// encoding/json to report.

var bom = []byte("\xef\xbb\xbf")

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// skipSpace returns the index of the first non-space byte of b at or after i.
func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// stringEnd returns the index just past the closing quote of the string
// whose opening quote is b[i], or len(b) when it is not closed.
func stringEnd(b []byte, i int) int {
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

// tooDeep returns the offset of the first bracket in b that nests deeper
// than max, or -1. Brackets inside strings are ignored.
func tooDeep(b []byte, max int) int {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = stringEnd(b, i) - 1
		case '{', '[':
			depth++
			if depth > max {
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
			i = stringEnd(b, i) - 1
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

// isJSONLines reports whether data holds one JSON value per line: at least
// two non-blank lines, and at least half of the first 64 of them complete
// values on their own. Pretty-printed documents have almost no such lines;
// JSON lines with a few bad lines still qualify, so their good lines can be
// decoded.
func isJSONLines(data []byte) bool {
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
