//go:build !unix

package otlp

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
