package decode

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Input is one named source of trace data.
type Input struct {
	// Name is the path as given (or "-" / "<stdin>"), used in messages.
	Name string
	open func() (io.ReadCloser, error)
	// path is the file's path, for a file input.
	path string
}

// Open opens the input for reading.
func (in Input) Open() (io.ReadCloser, error) { return in.open() }

// FileInput returns an Input for a file path.
func FileInput(path string) Input {
	return Input{Name: path, path: path, open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

// Preload reads a file input of at most maxBytes into memory and returns
// an Input that reads those bytes (as a regular file of that size, for
// Split's buffer sizing). Anything else — not a file, larger, or a file
// that cannot be opened or read — is returned as it is, to be opened
// (and its error reported) when read. Many small files (a trace per
// file) are preloaded on several goroutines ahead of the reader: opening
// and reading a file costs tens of microseconds of system calls, which
// add up when 10,000 are read one after another.
//
// A preloaded Input is read once: its buffer is reused for another file
// once Split's chunk of it is decoded, and opening it again is an error.
func (in Input) Preload(maxBytes int64) Input {
	if in.path == "" {
		return in
	}
	f, err := os.Open(in.path)
	if err != nil {
		return in
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > maxBytes {
		return in
	}
	// One byte more than the size, so the end is seen by the read that fills it.
	buf := getPreloadBuf(int(fi.Size()) + 1)
	n, err := io.ReadFull(f, buf)
	if err != io.ErrUnexpectedEOF && err != io.EOF {
		putPreloadBuf(buf)
		return in // an error, or the file grew
	}
	data := buf[:n]
	var opened atomic.Bool
	return Input{Name: in.Name, open: func() (io.ReadCloser, error) {
		if !opened.CompareAndSwap(false, true) {
			return nil, errors.New("preloaded input opened twice")
		}
		return &memFile{Reader: bytes.NewReader(data), data: data, info: fi}, nil
	}}
}

// memFile is a preloaded file: its bytes, and a Stat that gives their
// size. Split takes data as its buffer when it needs no decompressing,
// and gives it back to the pool once decoded (see Chunk.Decode).
type memFile struct {
	*bytes.Reader
	data []byte
	info fs.FileInfo
}

// Preloaded files' buffers are pooled by size class, powers of two from
// 4 KiB to 2 MiB (Preload reads at most maxBytes+1), so that 10,000 small
// files do not allocate their 300 MB afresh: a buffer goes back once its
// file is decoded.
const (
	minPreloadShift = 12
	preloadClasses  = 10
)

var preloadPools [preloadClasses]sync.Pool

// preloadClass returns the class of a buffer of n bytes, or -1 when none
// holds it.
func preloadClass(n int) int {
	c := max(bits.Len(uint(n-1)), minPreloadShift) - minPreloadShift
	if n <= 0 || c >= preloadClasses {
		return -1
	}
	return c
}

func getPreloadBuf(n int) []byte {
	c := preloadClass(n)
	if c < 0 {
		return make([]byte, n)
	}
	if b, ok := preloadPools[c].Get().(*[]byte); ok {
		return (*b)[:n]
	}
	return make([]byte, n, 1<<(c+minPreloadShift))
}

// putPreloadBuf gives b back; b must not be used afterwards.
func putPreloadBuf(b []byte) {
	if c := preloadClass(cap(b)); c >= 0 && cap(b) == 1<<(c+minPreloadShift) {
		b = b[:0]
		preloadPools[c].Put(&b)
	}
}

// Close does not give the buffer back: read as a Reader (a compressed
// file), it may still be read by a decompressor's read-ahead goroutine
// after Split returns.
func (m *memFile) Close() error { return nil }

func (m *memFile) Stat() (fs.FileInfo, error) { return sizedInfo{m.info, int64(len(m.data))}, nil }

// sizedInfo is a FileInfo with the size of the bytes read.
type sizedInfo struct {
	fs.FileInfo
	size int64
}

func (s sizedInfo) Size() int64 { return s.size }

// ReaderInput returns an Input that reads r once (stdin, tests).
func ReaderInput(name string, r io.Reader) Input {
	return Input{Name: name, open: func() (io.ReadCloser, error) { return io.NopCloser(r), nil }}
}

// traceExts are the file name endings read when a directory is searched.
// Files named explicitly are read whatever their name.
var traceExts = []string{".json", ".jsonl", ".ndjson", ".pb", ".proto", ".bin", ".otlp"}

// IsTraceFileName reports whether a file found while searching a directory
// is read: a trace extension, optionally followed by .gz or .zst.
func IsTraceFileName(name string) bool {
	n := strings.ToLower(name)
	n = strings.TrimSuffix(strings.TrimSuffix(n, ".gz"), ".zst")
	for _, e := range traceExts {
		if strings.HasSuffix(n, e) {
			return true
		}
	}
	return false
}

// Expand turns command-line paths into inputs, in a deterministic order:
// each argument in turn; a directory contributes its trace files (see
// IsTraceFileName) recursively in lexical order; a pattern with glob
// metacharacters contributes its sorted matches; "-" reads stdin. An
// argument that matches nothing is an error; the other arguments are still
// expanded. The same file named twice is read once.
func Expand(paths []string, stdin io.Reader) ([]Input, []error) {
	var (
		out  []Input
		errs []error
		seen = map[string]bool{}
	)
	add := func(p string) {
		clean := filepath.Clean(p)
		if seen[clean] {
			return
		}
		seen[clean] = true
		out = append(out, FileInput(p))
	}
	for _, p := range paths {
		if p == "-" {
			if stdin == nil {
				errs = append(errs, errors.New("-: no standard input"))
				continue
			}
			out = append(out, ReaderInput("<stdin>", stdin))
			continue
		}
		matches := []string{p}
		if strings.ContainsAny(p, "*?[") {
			m, err := filepath.Glob(p)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: bad pattern: %w", p, err))
				continue
			}
			if len(m) == 0 {
				errs = append(errs, fmt.Errorf("%s: no files match", p))
				continue
			}
			slices.Sort(m)
			matches = m
		}
		for _, m := range matches {
			fi, err := os.Stat(m)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", m, unwrapPathError(err)))
				continue
			}
			if !fi.IsDir() {
				add(m)
				continue
			}
			n := len(out)
			err = filepath.WalkDir(m, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", path, unwrapPathError(err)))
					return nil
				}
				if d.Type().IsRegular() && IsTraceFileName(d.Name()) {
					add(path)
				}
				return nil
			})
			if err != nil {
				errs = append(errs, err)
			}
			if len(out) == n {
				errs = append(errs, fmt.Errorf("%s: directory holds no trace files (%s, optionally .gz/.zst)", m, strings.Join(traceExts, " ")))
			}
		}
	}
	return out, errs
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
