package decoder

import (
	"hash/fnv"
	"testing"
)

// TestNameHash: NameHash is FNV-1a (32 bits), the same for a string and
// its bytes.
func TestNameHash(t *testing.T) {
	for _, s := range []string{"", "GET", "POST /checkout", "payment\x00é"} {
		h := fnv.New32a()
		h.Write([]byte(s))
		if got, want := NameHash(s), h.Sum32(); got != want || NameHash([]byte(s)) != want {
			t.Errorf("NameHash(%q) = %#x (bytes %#x), want %#x", s, got, NameHash([]byte(s)), want)
		}
	}
}
