package decode

import (
	"encoding/binary"

	"github.com/syncaudit/syncaudit/decode/jsontext"
)

// validObject reports whether b is exactly one valid JSON object nested at
// most maxDepth (≤ maxLineDepth) deep, with no surrounding whitespace. It
// follows the RFC 8259 grammar; as the OTLP decoder's scanner, it does not
// check that strings hold valid UTF-8. It is iterative and several times
// faster than encoding/json.Valid, which matters because Split checks one
// line per chunk on the single goroutine that reads the input.
func validObject(b []byte, maxDepth int) bool {
	if maxDepth > maxLineDepth {
		maxDepth = maxLineDepth
	}
	v := validator{b: b}
	if len(b) == 0 || b[0] != '{' || maxDepth < 1 {
		return false
	}
	var stack [maxLineDepth]byte // the open containers: '{' or '['
	stack[0], v.i = '{', 1
	depth := 1
	empty := true // the innermost container has no member yet
	for depth > 0 {
		v.ws()
		if v.i >= len(b) {
			return false
		}
		open := stack[depth-1]
		if c := b[v.i]; c == '}' && open == '{' || c == ']' && open == '[' {
			v.i++
			depth--
			empty = false
			continue
		}
		if !empty {
			if b[v.i] != ',' {
				return false
			}
			v.i++
			v.ws()
		}
		if open == '{' {
			if v.i >= len(b) || b[v.i] != '"' || !v.str() {
				return false
			}
			v.ws()
			if v.i >= len(b) || b[v.i] != ':' {
				return false
			}
			v.i++
			v.ws()
		}
		if v.i >= len(b) {
			return false
		}
		switch c := b[v.i]; c {
		case '{', '[':
			if depth == maxDepth {
				return false
			}
			stack[depth] = c
			depth++
			v.i++
			empty = true
			continue
		}
		if !v.scalar() {
			return false
		}
		empty = false
	}
	return v.i == len(b)
}

type validator struct {
	b []byte
	i int
}

func (v *validator) ws() { v.i = jsontext.SkipSpace(v.b, v.i) }

// scalar reads a string, number or literal at i.
func (v *validator) scalar() bool {
	switch c := v.b[v.i]; {
	case c == '"':
		return v.str()
	case c == '-' || '0' <= c && c <= '9':
		return v.number()
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(v.b)-v.i >= len(lit) && string(v.b[v.i:v.i+len(lit)]) == lit {
			v.i += len(lit)
			return true
		}
	}
	return false
}

// str reads a string at i (at its opening quote).
func (v *validator) str() bool {
	b := v.b
	for i := v.i + 1; i < len(b); i++ {
		// Eight bytes at a time while none is '"', '\\' or a control byte.
		for i+8 <= len(b) {
			x := binary.LittleEndian.Uint64(b[i:])
			if !jsontext.PlainWord(x) {
				break
			}
			i += 8
		}
		if i >= len(b) {
			break
		}
		switch c := b[i]; {
		case c == '"':
			v.i = i + 1
			return true
		case c < 0x20:
			return false
		case c == '\\':
			i++
			if i >= len(b) {
				return false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(b) {
					return false
				}
				for _, h := range b[i+1 : i+5] {
					if !('0' <= h && h <= '9' || 'a' <= h && h <= 'f' || 'A' <= h && h <= 'F') {
						return false
					}
				}
				i += 4
			default:
				return false
			}
		}
	}
	return false
}

func (v *validator) digits() bool {
	j := v.i
	for v.i < len(v.b) && '0' <= v.b[v.i] && v.b[v.i] <= '9' {
		v.i++
	}
	return v.i > j
}

// number reads a number at i.
func (v *validator) number() bool {
	b := v.b
	if b[v.i] == '-' {
		v.i++
	}
	if v.i < len(b) && b[v.i] == '0' {
		v.i++
	} else if !v.digits() {
		return false
	}
	if v.i < len(b) && b[v.i] == '.' {
		v.i++
		if !v.digits() {
			return false
		}
	}
	if v.i < len(b) && (b[v.i] == 'e' || b[v.i] == 'E') {
		v.i++
		if v.i < len(b) && (b[v.i] == '+' || b[v.i] == '-') {
			v.i++
		}
		if !v.digits() {
			return false
		}
	}
	return true
}

// value reads one JSON value at i (after white space), of any nesting
// depth, as encoding/json's Decoder.Token sequence would: false when it
// is not valid JSON or is cut short.
func (v *validator) value() bool {
	v.ws()
	var stack []byte // the open containers
	empty := false
	for {
		if v.i >= len(v.b) {
			return false
		}
		if len(stack) > 0 {
			open := stack[len(stack)-1]
			if c := v.b[v.i]; c == '}' && open == '{' || c == ']' && open == '[' {
				v.i++
				stack = stack[:len(stack)-1]
				empty = false
				if len(stack) == 0 {
					return true
				}
				v.ws()
				continue
			}
			if !empty {
				if v.b[v.i] != ',' {
					return false
				}
				v.i++
				v.ws()
			}
			if open == '{' {
				if v.i >= len(v.b) || v.b[v.i] != '"' || !v.str() {
					return false
				}
				v.ws()
				if v.i >= len(v.b) || v.b[v.i] != ':' {
					return false
				}
				v.i++
				v.ws()
			}
			if v.i >= len(v.b) {
				return false
			}
		}
		switch c := v.b[v.i]; c {
		case '{', '[':
			stack = append(stack, c)
			v.i++
			empty = true
			v.ws()
			continue
		}
		if !v.scalar() {
			return false
		}
		if len(stack) == 0 {
			return true
		}
		empty = false
		v.ws()
	}
}
