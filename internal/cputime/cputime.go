// Package cputime reads the CPU time (user + system) the process has used,
// so that benchmarks can report a per-core cost on a shared machine, where
// wall time swings with the load.
//
//	cpu0, ok0 := cputime.Now()
//	... work ...
//	if cpu1, ok1 := cputime.Now(); ok0 && ok1 { b.ReportMetric(float64(cpu1-cpu0)/n, "cpu-ns/span") }
package cputime
