package ingest

import (
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/trace"
)

// Partition counts when spilling: at least minParts, at most maxParts (one
// open file each while spilling).
const (
	minParts = 16
	maxParts = 1024
)

// sink receives the spans read, in merge order: into a Grouper while they
// fit in the memory budget, then into partition files.
type sink struct {
	opt    Options
	budget int64 // bytes of grouped spans that trigger spilling; 0: never
	g      *trace.Grouper
	held   int64 // estimated bytes in g
	// inputs are estimated (estimateInputBytes) when spans first spill:
	// an input that never does is not looked at twice (10,000 stats of
	// small files took 0.1 s before the first was read); read counts the
	// decompressed bytes read so far.
	inputs []decode.Input
	read   int64
	// large is set once held passed Options.LargeBytes (OnLarge was called).
	large bool
	sp    *spiller
}

func newSink(opt Options, inputs []decode.Input) *sink {
	s := &sink{opt: opt, g: trace.NewGrouper()}
	if opt.MemoryLimit > 0 {
		s.budget = budgetFor(opt.MemoryLimit)
		s.inputs = inputs
	}
	return s
}

// maxBudget caps the spans held in memory before spilling, whatever the
// memory limit: past it, analysing partition by partition is as fast as
// in memory or nearly (3M spans: 6.2 s both ways; 10M: 21 s against 34 s,
// where a 9 GB heap spends more time faulting pages in and collecting
// than partitioning costs), and takes a fraction of the memory (1M spans
// of 26-span traces: 290-350 MB peak RSS partitioned, 930-960 MB in
// memory, for 5-9 % more time).
const maxBudget = 256 << 20

// budgetFor returns the estimated bytes of grouped spans past which a
// sink spills: a third of the memory limit, at most maxBudget.
func budgetFor(limit int64) int64 {
	return min(max(limit/3, 1), maxBudget)
}

// estimateInputBytes adds up the decompressed sizes of the input files:
// their sizes, as decode.EstimateSize estimates them for compressed names. Inputs that are not files count as
// nothing. (Compressed files used to count eight times their size: a 10M-
// span zstd export decompresses 20 times, so its partitions came out 2.5
// times too large, and analysing them took 25 % more CPU than the plain
// file's.)
func estimateInputBytes(inputs []decode.Input) int64 {
	var n int64
	for _, in := range inputs {
		if lower := strings.ToLower(in.Name); strings.HasSuffix(lower, ".gz") || strings.HasSuffix(lower, ".zst") {
			if size, ok := decode.EstimateSize(in.Name); ok {
				n += size
			}
			continue
		}
		// (Only compressed names are opened: a stat is enough for the
		// rest, and 10,000 small files are read soon enough.)
		if fi, err := os.Stat(in.Name); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}

func (s *sink) add(spans []trace.Span) error {
	if s.sp != nil {
		return s.sp.write(spans)
	}
	s.g.Add(spans...)
	if s.budget <= 0 {
		return nil
	}
	for i := range spans {
		s.held += spanBytes(&spans[i])
	}
	if large := cmp.Or(s.opt.LargeBytes, DefaultLargeBytes); s.held > large && !s.large {
		s.large = true
		if s.opt.OnLarge != nil {
			s.opt.OnLarge()
		}
	}
	if s.held <= s.budget {
		return nil
	}
	// The largest trace does not count: it is in memory whole whichever
	// partition it falls in, so spilling for it (one huge trace) only
	// costs writing and reading everything again.
	if g := s.g; g.Spans() > 0 && s.held-s.held*int64(g.Largest())/int64(g.Spans()) <= s.budget {
		return nil
	}
	// Spill: size the partitions for the whole input, as far as it can
	// be estimated from what was read, so that each holds about a quarter
	// of the budget: two are in memory at once (see pass).
	expected := s.held * 2
	if total := estimateInputBytes(s.inputs); s.read > 0 && total > s.read {
		expected = max(expected, int64(float64(s.held)*float64(total)/float64(s.read)*1.25))
	}
	n := int(min(max(expected/max(s.budget/4, 1)+1, minParts), maxParts))
	sp, err := newSpiller(s.opt.SpillDir, n)
	if err != nil {
		return err
	}
	s.sp = sp
	if s.opt.OnSpill != nil {
		s.opt.OnSpill(s.budget)
	}
	if err := s.g.Drain(sp.write); err != nil {
		return err
	}
	s.held = 0
	return nil
}

// consumed records that a chunk of n decompressed bytes was merged.
func (s *sink) consumed(n int) { s.read += int64(n) }

// pass calls f for partitions todo: without spilling, the one Grouper
// (handed over once: todo is {0}); spilled, each partition file read
// while f works on the one before (reading a partition file takes one
// core, which f would otherwise leave idle between partitions; partitions
// are sized so that two fit the memory budget). Files are kept until
// close, for later passes.
func (s *sink) pass(ctx context.Context, todo []int, f func(p *Partition, g *trace.Grouper) error) error {
	if s.sp == nil {
		g := s.g
		s.g = nil
		if g == nil {
			return errors.New("ingest: the in-memory partition was already handed over")
		}
		return f(&Partition{Index: 0, Count: 1}, g)
	}
	type loaded struct {
		g   *trace.Grouper
		err error
	}
	start := func(i int) chan loaded {
		ch := make(chan loaded, 1)
		go func() {
			g, err := s.sp.load(i, true)
			ch <- loaded{g, err}
		}()
		return ch
	}
	var next chan loaded
	if len(todo) > 0 {
		next = start(todo[0])
	}
	for k, i := range todo {
		l := <-next
		next = nil
		if l.err != nil {
			return l.err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if k+1 < len(todo) {
			next = start(todo[k+1])
		}
		if err := f(&Partition{Index: i, Count: len(s.sp.files)}, l.g); err != nil {
			if next != nil {
				<-next // let the read finish before the files go
			}
			return err
		}
	}
	return nil
}

// close removes the partition files.
func (s *sink) close() {
	if s.sp != nil {
		s.sp.remove()
	}
}

// spiller writes spans to partition files by trace ID.
type spiller struct {
	dir     string
	files   []*os.File
	writers []*spanWriter
	// counts are the spans written to each file (set by finish).
	counts []int
}

func newSpiller(dir string, n int) (*spiller, error) {
	d, err := os.MkdirTemp(dir, "syncaudit-spill-")
	if err != nil {
		return nil, fmt.Errorf("spilling spans to disk: %w", err)
	}
	sp := &spiller{dir: d}
	for i := range n {
		f, err := os.Create(filepath.Join(d, fmt.Sprintf("part-%04d.spans", i)))
		if err != nil {
			sp.remove()
			return nil, fmt.Errorf("spilling spans to disk: %w", err)
		}
		sp.files = append(sp.files, f)
		sp.writers = append(sp.writers, newSpanWriter(f))
	}
	return sp, nil
}

// partitionOf maps a trace ID to one of n partitions (a fixed hash, so the
// same input is split the same way every time).
func partitionOf(id trace.TraceID, n int) int {
	h := binary.LittleEndian.Uint64(id[:8]) ^ binary.LittleEndian.Uint64(id[8:])
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return int(h % uint64(n))
}

func (sp *spiller) write(spans []trace.Span) error {
	for i := range spans {
		p := partitionOf(spans[i].TraceID, len(sp.writers))
		if err := sp.writers[p].write(&spans[i]); err != nil {
			return fmt.Errorf("spilling spans to disk: %w", err)
		}
	}
	return nil
}

// finish flushes every partition file.
func (sp *spiller) finish() error {
	sp.counts = make([]int, len(sp.writers))
	for i, w := range sp.writers {
		if err := w.flush(); err != nil {
			return fmt.Errorf("spilling spans to disk: %w", err)
		}
		sp.counts[i] = w.spans
		sp.writers[i] = nil
	}
	return nil
}

// load reads partition i into a Grouper and, unless keep is set, deletes
// its file.
func (sp *spiller) load(i int, keep bool) (*trace.Grouper, error) {
	f := sp.files[i]
	if f == nil {
		return nil, fmt.Errorf("reading spilled spans: partition %d was already removed", i)
	}
	n := sp.counts[i]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("reading spilled spans: %w", err)
	}
	g := trace.NewGrouper()
	r := newSpanReader(f)
	batch := make([]trace.Span, 0, 1024)
	read := 0
	for {
		batch = batch[:len(batch)+1]
		err := r.read(&batch[len(batch)-1])
		if err == io.EOF {
			batch = batch[:len(batch)-1]
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading spilled spans from %s: %w", f.Name(), err)
		}
		read++
		if len(batch) == cap(batch) {
			g.Add(batch...)
			batch = batch[:0]
		}
	}
	g.Add(batch...)
	if read != n {
		return nil, fmt.Errorf("reading spilled spans from %s: %w: %d spans, wrote %d", f.Name(), errCorrupt, read, n)
	}
	if !keep {
		sp.drop(i)
	}
	return g, nil
}

// drop closes and deletes partition file i.
func (sp *spiller) drop(i int) {
	if f := sp.files[i]; f != nil {
		f.Close()
		os.Remove(f.Name())
		sp.files[i] = nil
	}
}

// remove closes and deletes the partition files (errors closing files
// that are deleted anyway do not matter).
func (sp *spiller) remove() {
	for _, f := range sp.files {
		if f != nil {
			f.Close()
		}
	}
	os.RemoveAll(sp.dir)
}
