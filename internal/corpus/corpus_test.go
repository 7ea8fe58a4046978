package corpus

import (
	"fmt"
	"runtime"
	"testing"
)

// recorder is a testing.TB that records Skip and Fatal instead of acting.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skipf(format string, args ...any) {
	r.skipped = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func run(tb testing.TB) *recorder {
	r := &recorder{TB: tb}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Dir(r)
	}()
	<-done
	return r
}

// TestDirMissing: a missing corpus skips, or fails when RequireEnv is set.
func TestDirMissing(t *testing.T) {
	t.Setenv(DirEnv, t.TempDir())
	t.Setenv(RequireEnv, "") // CI sets it for the whole run
	if r := run(t); r.skipped == "" || r.failed != "" {
		t.Errorf("missing corpus: skipped %q, failed %q; want a skip", r.skipped, r.failed)
	}
	t.Setenv(RequireEnv, "1")
	if r := run(t); r.failed == "" {
		t.Errorf("missing corpus with %s=1: skipped %q; want a failure", RequireEnv, r.skipped)
	}
}
