package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
)

// Profiling and memory flags, shared by every command.
const (
	flagCPUProfile  = "cpuprofile"
	flagMemProfile  = "memprofile"
	flagMemoryLimit = "memory-limit"
)

// addProfileFlags registers the persistent flags --cpuprofile FILE,
// --memprofile FILE and --memory-limit SIZE on cmd, and returns the
// function that ends profiling; call it once Execute returns:
//
//	stop := addProfileFlags(root)
//	err := root.Execute()
//	if serr := stop(); err == nil { err = serr }
//
// Profiling starts before the command runs (a PersistentPreRunE, chained
// before any cmd already had). The CPU profile covers the command; the
// heap profile is written at stop, after a garbage collection, and its
// alloc_space view covers the whole run. --memory-limit sets the Go
// runtime's soft memory limit (debug.SetMemoryLimit): the garbage
// collector works harder as the heap approaches it instead of letting the
// process outgrow the machine. Its default, "auto", is 80% of the memory
// available (MemAvailable, or the cgroup limit when lower); "off" disables it.
// With a limit, and unless GOGC is set, the collector also runs less
// often (GOGC=200, gcPercentWithLimit) while the input is small (10,000
// small files: ~5 % less time); once the spans held in memory are large
// (ingest.DefaultLargeBytes, collectForMemory) it goes back to Go's default
// (GOGC=100: at 200 the 1,001,001-span trace peaked at 680-850 MB RSS
// instead of 560-600 MB, for no measurable time), and once spans spill
// it is 200 again, the tightened limit (tightenMemoryLimit) then bounding
// memory.
func addProfileFlags(cmd *cobra.Command) func() error {
	p := &profiler{}
	pf := cmd.PersistentFlags()
	pf.StringVar(&p.cpuFile, flagCPUProfile, "", "write a CPU profile (pprof) of the run to `FILE`")
	pf.StringVar(&p.memFile, flagMemProfile, "", "write a heap profile (pprof) at the end of the run to `FILE`")
	pf.StringVar(&p.limit, flagMemoryLimit, "auto", "memory `LIMIT` (e.g. 2GiB, 1500MB; auto: 80% of available memory; off): the Go runtime's soft limit; analyze spills spans to partition files past a third of it (at most 256 MiB of spans)")
	prev := cmd.PersistentPreRunE
	cmd.PersistentPreRunE = func(c *cobra.Command, args []string) error {
		if err := p.start(); err != nil {
			return err
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
	return p.stop
}

// profiler holds the flag values and the open CPU profile.
type profiler struct {
	cpuFile, memFile, limit string
	cpu                     *os.File
	started                 bool
	prevLimit               int64
	prevGC                  int // GC percent to restore
}

// gcPercentWithLimit is the GC percent set when a memory limit is (see
// addProfileFlags).
const gcPercentWithLimit = 200

func (p *profiler) start() error {
	if p.started {
		return nil
	}
	limit, err := parseMemoryLimit(p.limit, availableMemory)
	if err != nil {
		return usageErrorf("--%s: %v", flagMemoryLimit, err)
	}
	if p.cpuFile != "" {
		f, err := os.Create(p.cpuFile)
		if err != nil {
			return fmt.Errorf("--%s: %w", flagCPUProfile, err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("--%s: %w", flagCPUProfile, err)
		}
		p.cpu = f
	}
	p.started = true
	p.prevLimit = debug.SetMemoryLimit(-1)
	p.prevGC = debug.SetGCPercent(100) // read it (the run may change it)
	debug.SetGCPercent(p.prevGC)
	if limit > 0 {
		debug.SetMemoryLimit(limit)
		if os.Getenv("GOGC") == "" {
			debug.SetGCPercent(gcPercentWithLimit)
		}
	}
	return nil
}

// stop ends the CPU profile, writes the heap profile and restores the
// memory limit. It does nothing when profiling never started.
func (p *profiler) stop() error {
	if !p.started {
		return nil
	}
	p.started = false
	var errs []error
	if p.cpu != nil {
		pprof.StopCPUProfile()
		if err := p.cpu.Close(); err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", flagCPUProfile, err))
		}
		p.cpu = nil
	}
	if p.memFile != "" {
		if err := writeHeapProfile(p.memFile); err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", flagMemProfile, err))
		}
	}
	debug.SetMemoryLimit(p.prevLimit)
	debug.SetGCPercent(p.prevGC)
	return errors.Join(errs...)
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // up-to-date statistics
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// memoryLimit returns the --memory-limit of the command line in bytes
// (0: no limit), for commands that bound their own memory (ingest's
// spilling).
func memoryLimit(cmd *cobra.Command) (int64, error) {
	f := cmd.Flags().Lookup(flagMemoryLimit)
	if f == nil {
		return 0, nil
	}
	return parseMemoryLimit(f.Value.String(), availableMemory)
}

// parseMemoryLimit reads a --memory-limit value: "auto" (80% of
// available()), "off" or "0" (no limit), or a size with an optional unit
// (B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB and K, M, G, T
// in powers of 1024).
func parseMemoryLimit(s string, available func() (int64, error)) (int64, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "", "auto":
		avail, err := available()
		if err != nil || avail <= 0 {
			return 0, nil // unknown: no limit
		}
		return avail / 5 * 4, nil
	case "off", "0", "none":
		return 0, nil
	}
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') && s[i-1] != '.' {
		i--
	}
	num, unit := strings.TrimSpace(s[:i]), strings.ToLower(strings.TrimSpace(s[i:]))
	mult, ok := map[string]float64{
		"": 1, "b": 1,
		"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
		"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
		"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	}[unit]
	x, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, fmt.Errorf("%q is not a size (want e.g. 2GiB, 1500MB, auto or off)", s)
	}
	v := x * mult
	if v >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	if v > 0 && v < 64<<20 {
		return 0, fmt.Errorf("%q is below the minimum of 64MiB", s)
	}
	return int64(v), nil
}

// availableMemory is the memory this process may use: MemAvailable from
// /proc/meminfo, or the cgroup's limit when that is lower.
func availableMemory() (int64, error) {
	avail, err := memInfoAvailable("/proc/meminfo")
	if err != nil {
		return 0, err
	}
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && n < avail {
			avail = n
		}
	}
	return avail, nil
}

// memInfoAvailable reads MemAvailable (in kB) from a meminfo file.
func memInfoAvailable(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseMemInfo(f)
}

func parseMemInfo(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("meminfo: %w", err)
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, errors.New("meminfo: no MemAvailable")
}

// spillHeadroom times the spill budget is the runtime memory limit once
// spans spill (see tightenMemoryLimit).
const spillHeadroom = 3

// tightenMemoryLimit lowers the runtime's soft memory limit to
// spillHeadroom times budget when it is higher (the default, 80% of
// available memory, usually is): once spans spill, the live data is two
// partitions of a quarter of the budget each plus small per-request
// records, and a heap allowed to grow to the machine's size only costs
// page faults (10M spans: 22.8 s and 2.2 GB peak RSS with the default
// limit, 20.6 s and 1.6 GB with 1536 MiB). The profiler restores the
// previous limit when the command ends.
func tightenMemoryLimit(budget int64) {
	if limit := spillHeadroom * budget; debug.SetMemoryLimit(-1) > limit {
		debug.SetMemoryLimit(limit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercentWithLimit)
	}
}

// collectForMemory sets the collector back to Go's default pace (unless
// GOGC is set) once the spans held in memory are large (ingest.OnLarge).
func collectForMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(100)
	}
}
