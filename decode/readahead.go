package decode

import (
	"io"
	"sync"
)

// readAheadBlock is the size of the blocks a readAhead fills, and
// readAheadBlocks how many it fills ahead of its reader.
const (
	readAheadBlock  = 1 << 20
	readAheadBlocks = 4
)

// raPool recycles read-ahead blocks between inputs (many small .gz files).
var raPool = sync.Pool{New: func() any { b := make([]byte, readAheadBlock); return &b }}

// readAhead reads r in a goroutine of its own, up to readAheadBlocks
// blocks ahead of its Read calls: a gzip stream (which decompresses on
// one core only) is then decompressed while the splitter cuts and the
// workers decode what was decompressed before. Read returns the bytes in
// order and then r's error, exactly as reading r would. close stops the
// goroutine at its next block; it does not wait for a Read of r in
// progress to return.
type readAhead struct {
	full chan raBlock
	free chan *[]byte
	done chan struct{}
	once sync.Once
	blk  *[]byte // the block being read from
	cur  []byte  // its unread part
	err  error   // r's error, once cur is read
}

type raBlock struct {
	b   *[]byte
	n   int
	err error
}

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{
		full: make(chan raBlock, readAheadBlocks),
		free: make(chan *[]byte, readAheadBlocks+1),
		done: make(chan struct{}),
	}
	go ra.run(r)
	return ra
}

func (ra *readAhead) run(r io.Reader) {
	for {
		var b *[]byte
		select {
		case b = <-ra.free:
		default:
			b = raPool.Get().(*[]byte)
		}
		n, err := io.ReadFull(r, *b)
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		select {
		case ra.full <- raBlock{b, n, err}:
		case <-ra.done:
			raPool.Put(b)
			return
		}
		if err != nil {
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.err != nil {
			return 0, ra.err
		}
		if ra.blk != nil {
			select {
			case ra.free <- ra.blk:
			default:
				raPool.Put(ra.blk)
			}
			ra.blk = nil
		}
		blk := <-ra.full
		ra.blk, ra.cur, ra.err = blk.b, (*blk.b)[:blk.n], blk.err
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// close stops the goroutine; the reader must not be read afterwards.
func (ra *readAhead) close() {
	ra.once.Do(func() {
		close(ra.done)
		if ra.blk != nil {
			raPool.Put(ra.blk)
			ra.blk = nil
		}
	})
}
