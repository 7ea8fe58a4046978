package ingest

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/syncaudit/syncaudit/decode"
	"github.com/syncaudit/syncaudit/decode/decoder"
	"github.com/syncaudit/syncaudit/trace"
)

// fileResult is what one input gave, once all its chunks are decoded.
type fileResult struct {
	index    int
	format   decode.Format
	spans    int
	rejected trace.Tally
	err      error
}

// piece is a unit of the ordered merge: a decoded chunk, or the end of an
// input (last set, with the error that ended reading it, if any).
type piece struct {
	seq   int
	file  int
	chunk *decode.Chunk
	c     decoder.Collect
	fmt   decode.Format
	err   error
	last  bool
}

// decodeAll decodes inputs with a pool of workers and calls add with the
// spans of every chunk (and the chunk's size) and done with every input's
// result, both in input order and chunk order, from the calling
// goroutine. An error from add stops decoding and is returned. Large OTLP/JSON lines
// inputs are cut into chunks (decode.Split) that decode in parallel, so
// one big file uses every core; the merge order makes the result
// independent of scheduling. At most 2·workers+2 chunks are in memory at
// once.
func decodeAll(ctx context.Context, inputs []decode.Input, opt decode.Options, workers int,
	done func(*fileResult), add func([]trace.Span, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	g, gctx := errgroup.WithContext(ctx)
	inflight := 2*workers + 2
	permits := make(chan struct{}, inflight)
	jobs := make(chan *piece)
	results := make(chan *piece, inflight+workers)
	// Span buffers go back to spare once their spans are merged (copied
	// into the Grouper or written to a partition file), so each chunk
	// decodes into memory that is already allocated.
	spare := make(chan []trace.Span, inflight+workers)

	// The reader and the workers send to results; it is closed when they
	// are all done.
	canon := &attrCanon{}
	var producers sync.WaitGroup
	producers.Add(1 + workers)
	go func() {
		producers.Wait()
		close(results)
	}()

	next := preload(gctx, g, inputs, workers)
	// Reader: splits the inputs into chunks, one input after another.
	g.Go(func() error {
		defer producers.Done()
		defer close(jobs)
		seq := 0
		for i := range inputs {
			in, err := next(i)
			if err != nil {
				return err
			}
			err = decode.Split(gctx, in, opt, func(c *decode.Chunk) error {
				select {
				case permits <- struct{}{}:
				case <-gctx.Done():
					return gctx.Err()
				}
				p := &piece{seq: seq, file: i, chunk: c}
				seq++
				select {
				case jobs <- p:
					return nil
				case <-gctx.Done():
					return gctx.Err()
				}
			})
			if err != nil && !decode.IsInputError(err) {
				return err
			}
			select {
			case results <- &piece{seq: seq, file: i, err: err, last: true}:
				seq++
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	for range workers {
		g.Go(func() error {
			defer producers.Done()
			for p := range jobs {
				select {
				case buf := <-spare:
					p.c.Spans = buf
				default:
				}
				p.fmt, p.err = p.chunk.Decode(&p.c)
				canon.apply(p.c.Spans)
				select {
				case results <- p:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	var (
		nextSeq int
		waiting = map[int]*piece{}
		cur     *fileResult
		joiner  *decode.Joiner
	)
	var addErr error
	merge := func(p *piece) {
		if cur == nil || cur.index != p.file {
			cur = &fileResult{index: p.file, rejected: trace.Tally{}}
			joiner = decode.NewJoiner(inputs[p.file].Name)
		}
		if p.last {
			joiner.Fail(p.err)
			cur.err = joiner.Err()
			done(cur)
			cur = nil
			return
		}
		<-permits
		if p.fmt != "" {
			cur.format = p.fmt
		}
		joiner.Add(p.chunk, p.err)
		cur.spans += len(p.c.Spans)
		cur.rejected.Merge(p.c.Rejected)
		if addErr == nil {
			if err := add(p.c.Spans, p.chunk.Len()); err != nil {
				addErr = err
				cancel(err)
			}
		}
		// (A whole input's buffer is kept only when small: a trace per
		// file; one huge input's is not held on to.)
		if buf := p.c.Spans; cap(buf) > 0 && (!p.chunk.Whole() || cap(buf) <= maxSpareSpans) {
			clear(buf) // drop the references to strings and attributes
			select {
			case spare <- buf[:0]:
			default:
			}
		}
	}
	for p := range results {
		waiting[p.seq] = p
		for {
			q := waiting[nextSeq]
			if q == nil {
				break
			}
			delete(waiting, nextSeq)
			nextSeq++
			merge(q)
		}
	}
	if err := g.Wait(); addErr == nil && err != nil {
		return err
	}
	return addErr
}

// maxSpareSpans bounds the span buffers of whole inputs kept for reuse.
const maxSpareSpans = 4096

// Preloading: files up to preloadBytes are read into memory by
// preloaders goroutines, at most preloadAhead files ahead of the reader
// (so at most preloadAhead × preloadBytes bytes wait). Opening and reading
// a file costs tens of microseconds of system calls; for 10,000 small
// files (a trace per file) one reader doing them one after another was
// the bottleneck of the whole pipeline.
const (
	preloadBytes = 1 << 20
	preloadAhead = 64
)

// preload starts reading the inputs ahead of the reader, in the group g,
// and returns the function the reader calls for input i, in order: the
// input, preloaded (see decode.Input.Preload) or as it was. With a single
// input there is nothing to overlap, and the input is returned as is.
func preload(ctx context.Context, g *errgroup.Group, inputs []decode.Input, workers int) func(i int) (decode.Input, error) {
	if len(inputs) < 2 {
		return func(i int) (decode.Input, error) { return inputs[i], nil }
	}
	ready := make([]chan decode.Input, len(inputs))
	for i := range ready {
		ready[i] = make(chan decode.Input, 1)
	}
	window := make(chan struct{}, preloadAhead)
	todo := make(chan int)
	g.Go(func() error {
		defer close(todo)
		for i := range inputs {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			select {
			case todo <- i:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	for range max(2, workers) {
		g.Go(func() error {
			for i := range todo {
				ready[i] <- inputs[i].Preload(preloadBytes) // buffered: never blocks
			}
			return nil
		})
	}
	return func(i int) (decode.Input, error) {
		select {
		case in := <-ready[i]:
			<-window
			return in, nil
		case <-ctx.Done():
			return decode.Input{}, ctx.Err()
		}
	}
}

// attrCanon makes equal attribute lists decoded in different chunks one
// list. Each chunk's decoder shares equal lists within the chunk
// (decoder.AttrSets); apply maps each chunk's lists to one list per
// content, locking once per distinct list and chunk, not per span, so
// that later stages caching work by list identity (classification, the
// partition files' list dictionary) see one list per content.
type attrCanon struct {
	mu   sync.Mutex
	sets decoder.AttrSets
	// byID maps lists already canonicalised, by identity, to their
	// canonical list: decoders recall lists across chunks (pooled memos),
	// so a trace per file meets the same lists file after file, and a
	// lookup by address replaces hashing their content. Bounded by
	// maxByID (then emptied).
	byID map[attrListID]trace.Attrs
}

// attrListID identifies an attribute list by address and length.
type attrListID struct {
	first *trace.Attr
	n     int
}

const maxByID = 1 << 16

// apply replaces the attribute lists of spans by the canonical ones. A
// chunk whose lists rarely repeat (unique URLs, say) is left as it is
// after a few hundred spans: canonicalising it would cost a lock and a
// hash per span for nothing.
func (c *attrCanon) apply(spans []trace.Span) {
	local := map[attrListID]trace.Attrs{}
	misses := 0
	for i := range spans {
		a := spans[i].Attrs
		if len(a) == 0 {
			continue
		}
		id := attrListID{&a[0], len(a)}
		v, ok := local[id]
		if !ok {
			if misses++; misses > 256 && misses*4 > i {
				return
			}
			c.mu.Lock()
			if v, ok = c.byID[id]; !ok {
				v = c.sets.Share(a, func(x trace.Attrs) trace.Attrs { return x })
				if c.byID == nil || len(c.byID) >= maxByID {
					c.byID = make(map[attrListID]trace.Attrs)
				}
				c.byID[id] = v
			}
			c.mu.Unlock()
			local[id] = v
		}
		spans[i].Attrs = v
	}
}
