package cputime

import (
	"runtime"
	"testing"
)

// TestNowGrows: busy work shows as CPU time where the system reports it.
func TestNowGrows(t *testing.T) {
	a, ok := Now()
	if !ok {
		t.Skip("no CPU time on " + runtime.GOOS)
	}
	x := 0
	for i := range 50_000_000 {
		x += i ^ x
	}
	b, _ := Now()
	if b <= a {
		t.Errorf("CPU time %v then %v after busy work (%d)", a, b, x)
	}
}
