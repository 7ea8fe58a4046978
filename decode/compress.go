package decode

import (
	"bytes"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"

	"github.com/syncaudit/syncaudit/decode/decoder"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Decompress removes whole-input gzip or zstd compression (nested layers
// included), detected by magic bytes, with the output bounded by
// lim.MaxInputBytes. Other data is returned unchanged. The Collector's
// per-message zstd frames inside length-prefixed files are not whole-input
// compression and are left to the OTLP decoder. It reads through the same
// layers, limits and errors as Read and Split.
func Decompress(name string, data []byte, lim decoder.Limits) ([]byte, error) {
	if !bytes.HasPrefix(data, gzipMagic) && !bytes.HasPrefix(data, zstdMagic) {
		return data, nil
	}
	s, err := newStream(name, bytes.NewReader(data), lim, int64(len(data)))
	if err != nil {
		return nil, err
	}
	defer s.close()
	out, err := s.readAll(nil)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sampleBytes is how much of a compressed file EstimateSize decompresses
// to measure its ratio.
const sampleBytes = 1 << 20

// EstimateSize estimates the decompressed size of the file at path (its
// size when it is not compressed): the content size a zstd frame records,
// else the file's size times the ratio its first MiB decompresses at (JSON
// exports compress 8-20 times; a fixed guess misjudged them by 2.5 times).
// It reports false when the file cannot be read.
func EstimateSize(path string) (int64, bool) {
	f, err := os.Open(path)
	if err != nil {
		return 0, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	size := fi.Size()
	head := make([]byte, min(size, sampleBytes))
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, zstdMagic):
		var h zstd.Header
		if h.Decode(head) == nil && h.HasFCS && h.FrameContentSize > 0 {
			return int64(min(h.FrameContentSize, 1<<62)), true
		}
	case !bytes.HasPrefix(head, gzipMagic):
		return size, true
	}
	// Decompress the sample (through every layer) and scale.
	s, err := newStream(path, bytes.NewReader(head), decoder.DefaultLimits, int64(len(head)))
	if err != nil {
		return size, true
	}
	defer s.close()
	out, _ := io.Copy(io.Discard, io.LimitReader(readerOf(s), 256<<20))
	if out == 0 || len(head) == 0 {
		return size, true
	}
	return int64(float64(size) * float64(out) / float64(len(head))), true
}

// readerOf reads s as an io.Reader, stopping quietly at its first error
// (a sample cut short ends in one).
func readerOf(s *stream) io.Reader {
	return readerFunc(func(p []byte) (int, error) {
		n, err := s.read(p)
		if err != nil && n == 0 {
			return 0, io.EOF
		}
		return n, nil
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }
