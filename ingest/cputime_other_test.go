//go:build !unix

package ingest_test

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
