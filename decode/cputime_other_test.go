//go:build !unix

package decode_test

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
