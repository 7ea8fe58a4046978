package bench

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
)

// FileName is the cache file name for opt, keyed by every parameter that
// changes the output, e.g. "order-spans1000000-seed42.jsonl.gz".
func FileName(opt Options) string {
	size := fmt.Sprintf("spans%d", opt.Spans)
	if opt.Traces > 0 {
		size = fmt.Sprintf("traces%d", opt.Traces)
	}
	ext := ".jsonl"
	switch opt.Format {
	case FormatProto:
		ext = ".pb"
	case FormatJaeger:
		ext = ".json"
	}
	if opt.Gzip {
		ext += ".gz"
	}
	extra := ""
	if opt.MinBatch != 0 || opt.MaxBatch != 0 {
		extra += fmt.Sprintf("-batch%d-%d", opt.MinBatch, opt.MaxBatch)
	}
	if opt.Concurrency != 0 {
		extra += fmt.Sprintf("-c%d", opt.Concurrency)
	}
	return fmt.Sprintf("%s-%s-seed%d%s%s", opt.Shape, size, opt.Seed, extra, ext)
}

// Cached returns the path of the generated input for opt in dir,
// generating it first when it is not there. A file is written under a
// temporary name and renamed, so an interrupted run leaves no partial file.
func Cached(dir string, opt Options) (string, error) {
	path := filepath.Join(dir, FileName(opt))
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	f, err := os.CreateTemp(dir, ".gen-*")
	if err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	defer os.Remove(f.Name())
	bw := bufio.NewWriterSize(f, 1<<20)
	if _, err := Generate(bw, opt); err != nil {
		f.Close()
		return "", err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return "", fmt.Errorf("bench: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return "", fmt.Errorf("bench: writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	return path, nil
}
