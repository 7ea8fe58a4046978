package otlp

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/decode/jsontext"
	"github.com/syncaudit/syncaudit/trace"
)

// scanner is a small validating JSON reader used to find document bounds,
// to read wrapper keys, and by the fallback decoder. It never recurses on
// input-controlled nesting: skip uses an explicit stack bounded by maxDepth.
//
// Errors are sticky: the first failure records its byte offset (relative to
// data) and moves pos to the end, so every loop terminates.
type scanner struct {
	data     []byte
	pos      int
	maxDepth int
	err      error
	errPos   int
	stack    []byte
	// surrogate is set once a string held a \u escape of a UTF-16
	// surrogate, which JSON readers decode differently when unpaired.
	surrogate bool
	// emptyKey is set once an object had a member named "", which pdata
	// reads inconsistently.
	emptyKey bool
}

// flags returns the scanner's sticky flags (surrogate, emptyKey), so a
// caller can tell whether reading a value set one.
func (s *scanner) flags() [2]bool { return [2]bool{s.surrogate, s.emptyKey} }

var errUnexpectedEOF = fmt.Errorf("%w: %w", decoder.ErrSyntax, decoder.ErrTruncated)

func newScanner(data []byte, maxDepth int) *scanner {
	return &scanner{data: data, maxDepth: maxDepth}
}

// failf records the first error at offset at.
func (s *scanner) failf(at int, sentinel error, format string, args ...any) {
	if s.err != nil {
		return
	}
	s.err = fmt.Errorf("%w: %s", sentinel, fmt.Sprintf(format, args...))
	s.errPos = at
	s.pos = len(s.data)
}

// failEOF records an unexpected end of input.
func (s *scanner) failEOF() {
	if s.err != nil {
		return
	}
	s.err = errUnexpectedEOF
	s.errPos = len(s.data)
	s.pos = len(s.data)
}

// failChar records an unexpected character at pos (or EOF).
func (s *scanner) failChar(want string) {
	if s.pos >= len(s.data) {
		s.failEOF()
		return
	}
	s.failf(s.pos, decoder.ErrSyntax, "unexpected %s, want %s", describeByte(s.data[s.pos]), want)
}

func describeByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return fmt.Sprintf("%q", rune(c))
	}
	return fmt.Sprintf("byte 0x%02x", c)
}

// ws skips JSON whitespace.
func (s *scanner) ws() {
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		if c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return
		}
		s.pos++
	}
}

// peek skips whitespace and returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// expect consumes c after optional whitespace.
func (s *scanner) expect(c byte, want string) bool {
	if s.peek() != c {
		s.failChar(want)
		return false
	}
	s.pos++
	return true
}

// str reads a string at pos (after whitespace). It returns a view into data
// when the string has no escapes, else a fresh unescaped copy, so the result
// stays valid across later calls.
func (s *scanner) str() []byte {
	if s.peek() != '"' {
		s.failChar("string")
		return nil
	}
	s.pos++
	start := s.pos
	i := start
	// Eight bytes at a time while none is '"', '\\' or a control byte.
	for ; i+8 <= len(s.data); i += 8 {
		x := binary.LittleEndian.Uint64(s.data[i:])
		if !jsontext.PlainWord(x) {
			break
		}
	}
	for ; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			return s.data[start:i]
		case c == '\\':
			return s.strEscaped(start, i)
		case c < 0x20:
			s.failf(i, decoder.ErrSyntax, "control character %s in string", describeByte(c))
			return nil
		}
	}
	s.failEOF()
	return nil
}

// strEscaped continues reading a string from its first backslash at i.
func (s *scanner) strEscaped(start, i int) []byte {
	out := make([]byte, i-start, i-start+16)
	copy(out, s.data[start:i])
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return out
		case c < 0x20:
			s.failf(i, decoder.ErrSyntax, "control character %s in string", describeByte(c))
			return nil
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		if i+1 >= len(s.data) {
			s.failEOF()
			return nil
		}
		esc := s.data[i+1]
		switch esc {
		case '"', '\\', '/':
			out = append(out, esc)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, n, ok := s.unicodeEscape(i)
			if !ok {
				return nil
			}
			out = utf8.AppendRune(out, r)
			i += n
			continue
		default:
			s.failf(i, decoder.ErrSyntax, "invalid escape %s", describeByte(esc))
			return nil
		}
		i += 2
	}
	s.failEOF()
	return nil
}

// unicodeEscape decodes \uXXXX (and a following low surrogate) at i and
// returns the rune and the number of bytes consumed.
func (s *scanner) unicodeEscape(i int) (rune, int, bool) {
	r, ok := s.hex4(i+2, i)
	if !ok {
		return 0, 0, false
	}
	if utf16.IsSurrogate(r) {
		s.surrogate = true
		if i+12 <= len(s.data) && s.data[i+6] == '\\' && s.data[i+7] == 'u' {
			r2, ok := s.hex4(i+8, i+6)
			if !ok {
				return 0, 0, false
			}
			if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
				return d, 12, true
			}
		}
		return utf8.RuneError, 6, true
	}
	return r, 6, true
}

// hex4 reads the 4 hex digits at i of the escape at esc.
func (s *scanner) hex4(i, esc int) (rune, bool) {
	if i+4 > len(s.data) {
		s.failEOF()
		return 0, false
	}
	var b [2]byte
	if !trace.HexRight(b[:], s.data[i:i+4]) {
		s.failf(esc, decoder.ErrSyntax, "invalid \\u escape")
		return 0, false
	}
	return rune(b[0])<<8 | rune(b[1]), true
}

// number reads a JSON number and returns its text.
func (s *scanner) number() []byte {
	s.ws()
	start := s.pos
	i := start
	d := s.data
	if i < len(d) && d[i] == '-' {
		i++
	}
	digits := func() bool {
		j := i
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(d) && d[i] == '0' {
		i++
	} else if !digits() {
		s.pos = i
		s.failChar("number")
		return nil
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			s.pos = i
			s.failChar("digit")
			return nil
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			s.pos = i
			s.failChar("digit")
			return nil
		}
	}
	s.pos = i
	return d[start:i]
}

// literal consumes one of true, false, null.
func (s *scanner) literal() []byte {
	s.ws()
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(s.data)-s.pos >= len(lit) && string(s.data[s.pos:s.pos+len(lit)]) == lit {
			s.pos += len(lit)
			return s.data[s.pos-len(lit) : s.pos]
		}
	}
	if rest := s.data[s.pos:]; len(rest) < 5 && len(rest) > 0 && isPrefixOfLiteral(rest) {
		s.failEOF()
		return nil
	}
	s.failChar("value")
	return nil
}

func isPrefixOfLiteral(b []byte) bool {
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(b) <= len(lit) && string(b) == lit[:len(b)] {
			return true
		}
	}
	return false
}

// null consumes a null literal if one is next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && len(s.data)-s.pos >= 4 && string(s.data[s.pos:s.pos+4]) == "null" {
		s.pos += 4
		return true
	}
	return false
}

// skip reads and validates one value of any type. depth is the nesting of
// the value's container; nesting beyond maxDepth is an error. It iterates
// with an explicit stack.
func (s *scanner) skip(depth int) {
	stack := s.stack[:0]
	defer func() { s.stack = stack[:0] }()
	for s.err == nil {
		// A value is expected here.
		switch s.peek() {
		case '{', '[':
			if depth+len(stack)+1 > s.maxDepth {
				s.failf(s.pos, decoder.ErrTooLarge, "JSON nesting deeper than %d", s.maxDepth)
				return
			}
			open := s.data[s.pos]
			s.pos++
			closer := byte('}')
			if open == '[' {
				closer = ']'
			}
			if s.peek() == closer {
				s.pos++
				break
			}
			stack = append(stack, closer)
			if closer == '}' && !s.member() {
				return
			}
			continue
		case '"':
			s.str()
		case 't', 'f', 'n':
			s.literal()
		case 0:
			s.failEOF()
			return
		default:
			s.number()
		}
		// A value ended: close containers or move to the next element.
		for s.err == nil {
			if len(stack) == 0 {
				return
			}
			top := stack[len(stack)-1]
			c := s.peek()
			if c == top {
				s.pos++
				stack = stack[:len(stack)-1]
				continue
			}
			if c != ',' {
				if top == '}' {
					s.failChar("',' or '}'")
				} else {
					s.failChar("',' or ']'")
				}
				return
			}
			s.pos++
			if top == '}' && !s.member() {
				return
			}
			break
		}
	}
}

// member reads `"key":` inside an object.
func (s *scanner) member() bool {
	if s.peek() != '"' {
		s.failChar("object key")
		return false
	}
	if len(s.str()) == 0 {
		s.emptyKey = true
	}
	return s.expect(':', "':'")
}

// object reads an object, calling f with each key while positioned at the
// member's value; f must consume the value. A null counts as an empty
// object. what names the field for type errors.
func (s *scanner) object(what string, f func(key []byte)) {
	if s.null() {
		return
	}
	if s.peek() != '{' {
		s.typeError(what, "object")
		return
	}
	s.pos++
	if s.peek() == '}' {
		s.pos++
		return
	}
	for s.err == nil {
		key := s.str()
		if len(key) == 0 {
			s.emptyKey = true
		}
		if !s.expect(':', "':'") {
			return
		}
		f(key)
		if s.err != nil {
			return
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return
		default:
			s.failChar("',' or '}'")
			return
		}
	}
}

// array reads an array, calling f positioned at each element; f must
// consume it. A null counts as an empty array.
func (s *scanner) array(what string, f func()) {
	if s.null() {
		return
	}
	if s.peek() != '[' {
		s.typeError(what, "array")
		return
	}
	s.pos++
	if s.peek() == ']' {
		s.pos++
		return
	}
	for s.err == nil {
		f()
		if s.err != nil {
			return
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return
		default:
			s.failChar("',' or ']'")
			return
		}
	}
}

// typeError reports that the value at pos is not of the wanted kind.
func (s *scanner) typeError(what, want string) {
	c := s.peek()
	if c == 0 {
		s.failEOF()
		return
	}
	got := "number"
	switch c {
	case '{':
		got = "object"
	case '[':
		got = "array"
	case '"':
		got = "string"
	case 't', 'f':
		got = "boolean"
	case 'n':
		got = "null"
	}
	if got == "number" && !(c == '-' || c >= '0' && c <= '9') {
		s.failChar("value")
		return
	}
	s.failf(s.pos, decoder.ErrType, "%s: want %s, got %s", what, want, got)
}
