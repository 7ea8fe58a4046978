package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestParseMemoryLimit(t *testing.T) {
	avail := func() (int64, error) { return 10 << 30, nil }
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"auto", 8 << 30, false},
		{"", 8 << 30, false},
		{"off", 0, false},
		{"0", 0, false},
		{"2GiB", 2 << 30, false},
		{"2G", 2 << 30, false},
		{"1.5 GB", 1_500_000_000, false},
		{"1500MB", 1_500_000_000, false},
		{"512mib", 512 << 20, false},
		{"3000000000", 3_000_000_000, false},
		{"1MB", 0, true}, // below the minimum
		{"-1G", 0, true},
		{"lots", 0, true},
		{"2 parsecs", 0, true},
		{"1e30", 0, true},
	}
	for _, tt := range tests {
		got, err := parseMemoryLimit(tt.in, avail)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("parseMemoryLimit(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	if got, err := parseMemoryLimit("auto", func() (int64, error) { return 0, errors.New("no /proc") }); got != 0 || err != nil {
		t.Errorf("auto without /proc: %d %v, want no limit", got, err)
	}
}

func TestParseMemInfo(t *testing.T) {
	const meminfo = "MemTotal:       24684120 kB\nMemFree:        19115608 kB\nMemAvailable:   23564628 kB\n"
	if got, err := parseMemInfo(strings.NewReader(meminfo)); err != nil || got != 23564628<<10 {
		t.Errorf("got %d %v", got, err)
	}
	if _, err := parseMemInfo(strings.NewReader("MemTotal: 1 kB\n")); err == nil {
		t.Error("no MemAvailable accepted")
	}
	if _, err := parseMemInfo(strings.NewReader("MemAvailable: many kB\n")); err == nil {
		t.Error("bad number accepted")
	}
}

func TestProfileFlags(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	before := debug.SetMemoryLimit(-1)
	var ran, preRan bool
	var limitSeen int64
	gcSeen, gcLarge, gcSpill := -1, -1, -1
	root := &cobra.Command{Use: "x", SilenceUsage: true, SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error { preRan = true; return nil }}
	sub := &cobra.Command{Use: "work", RunE: func(c *cobra.Command, _ []string) error {
		ran = true
		limitSeen = debug.SetMemoryLimit(-1)
		gcSeen = debug.SetGCPercent(-1)
		debug.SetGCPercent(gcSeen)
		collectForMemory() // the input grows large
		gcLarge = debug.SetGCPercent(-1)
		debug.SetGCPercent(gcLarge)
		tightenMemoryLimit(256 << 20) // spans spill
		gcSpill = debug.SetGCPercent(-1)
		debug.SetGCPercent(gcSpill)
		if n, err := memoryLimit(c); err != nil || n != 3<<30 {
			t.Errorf("memoryLimit = %d %v", n, err)
		}
		var b bytes.Buffer
		for i := range 100000 {
			b.WriteString(strings.Repeat("x", i%7))
		}
		return nil
	}}
	root.AddCommand(sub)
	t.Setenv("GOGC", "")
	gcBefore := debug.SetGCPercent(100)
	defer debug.SetGCPercent(gcBefore)
	stop := addProfileFlags(root)
	root.SetArgs([]string{"work", "--cpuprofile", cpu, "--memprofile", mem, "--memory-limit", "3GiB"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if !ran || !preRan {
		t.Errorf("ran %v, earlier PersistentPreRunE ran %v", ran, preRan)
	}
	if limitSeen != 3<<30 { // (tightenMemoryLimit lowered it afterwards)
		t.Errorf("memory limit during the run %d, want 3GiB", limitSeen)
	}
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("memory limit after stop %d, want %d restored", got, before)
	}
	if gcSeen != gcPercentWithLimit || gcLarge != 100 || gcSpill != gcPercentWithLimit {
		t.Errorf("GC percent during the run %d, once large %d, once spans spill %d; want %d, 100, %d",
			gcSeen, gcLarge, gcSpill, gcPercentWithLimit, gcPercentWithLimit)
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("GC percent after stop %d, want 100 restored", got)
	}
	for _, f := range []string{cpu, mem} {
		b, err := os.ReadFile(f)
		if err != nil || len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: not a gzipped pprof profile (%d bytes, %v)", f, len(b), err)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("second stop: %v", err)
	}
}

func TestProfileFlagsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--memory-limit", "lots"},
		{"--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "cpu.prof")},
	} {
		root := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }, SilenceUsage: true, SilenceErrors: true}
		stop := addProfileFlags(root)
		root.SetArgs(args)
		if err := root.Execute(); err == nil {
			t.Errorf("%v: no error", args)
		}
		if err := stop(); err != nil {
			t.Errorf("%v: stop: %v", args, err)
		}
	}
}

// TestTightenMemoryLimit: once spans spill, the runtime limit comes down
// to spillHeadroom times the budget, never up.
func TestTightenMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)
	debug.SetMemoryLimit(8 << 30)
	tightenMemoryLimit(512 << 20)
	if got := debug.SetMemoryLimit(-1); got != spillHeadroom*(512<<20) {
		t.Errorf("limit %d, want %d", got, spillHeadroom*(512<<20))
	}
	debug.SetMemoryLimit(1 << 30)
	tightenMemoryLimit(512 << 20)
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Errorf("a lower limit was raised to %d", got)
	}
}
