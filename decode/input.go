package decode

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Input is one named source of trace data.
type Input struct {
	// Name is the path as given (or "-" / "<stdin>"), used in messages.
	Name string
	open func() (io.ReadCloser, error)
}

// Open opens the input for reading.
func (in Input) Open() (io.ReadCloser, error) { return in.open() }

// FileInput returns an Input for a file path.
func FileInput(path string) Input {
	return Input{Name: path, open: func() (io.ReadCloser, error) { return os.Open(path) }}
}

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
