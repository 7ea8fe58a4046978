package trace

import (
	"bytes"
	"testing"
)

func TestHexRight(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []byte
		ok   bool
	}{
		{"0a1B2c3D", []byte{0x0a, 0x1b, 0x2c, 0x3d}, true}, // full width, both cases
		{"a1b", []byte{0, 0, 0x0a, 0x1b}, true},            // short: right-aligned
		{"", []byte{0, 0, 0, 0}, true},
		{"0a1B2c3g", nil, false},  // non-hex last digit
		{"g0a1B2c3", nil, false},  // non-hex first digit
		{"0a1B 2c3", nil, false},  // space
		{"0a1B2c3D0", nil, false}, // too long
		{"x1b", nil, false},
		{"0a1\xff2c3d", nil, false},
	} {
		dst := make([]byte, 4)
		ok := HexRight(dst, tc.in)
		if ok != tc.ok || ok && !bytes.Equal(dst, tc.want) {
			t.Errorf("HexRight(%q) = %x, %v; want %x, %v", tc.in, dst, ok, tc.want, tc.ok)
		}
	}
}
