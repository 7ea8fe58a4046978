package calls

import "testing"

func TestKeyCompare(t *testing.T) {
	a, b := Endpoint{"a", "x"}, Endpoint{"b", "x"}
	ay := Endpoint{"a", "y"}
	tests := []struct {
		x, y Key
		want int
	}{
		{Key{a, a, a}, Key{a, a, a}, 0},
		{Key{a, b, b}, Key{b, a, a}, -1},  // endpoint first
		{Key{a, ay, a}, Key{a, b, a}, -1}, // then caller, service before operation
		{Key{a, a, b}, Key{a, a, ay}, 1},  // then callee
		{Key{a, a, ay}, Key{a, a, a}, 1},
	}
	for _, tt := range tests {
		if got := tt.x.Compare(tt.y); got != tt.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", tt.x, tt.y, got, tt.want)
		}
		if got := tt.y.Compare(tt.x); got != -tt.want {
			t.Errorf("%v.Compare(%v) = %d, want %d", tt.y, tt.x, got, -tt.want)
		}
	}
}
