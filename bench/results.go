package bench

import (
	"bufio"
	"cmp"
	"fmt"
	"html"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Result is one measured run of scripts/bench.sh: one row of
// out/bench/results.tsv.
type Result struct {
	Date, Commit, Case string
	Spans              int
	Bytes              int64
	// Wall, User, Sys and CPU (User+Sys) are seconds.
	Wall, User, Sys, CPU float64
	MaxRSSMB             int
	SpansPerS            float64
	SpansPerCPUS         float64
	NProc                int
	// Load1 is the one-minute load average before the run: other work on
	// the machine shows up in the wall time, not in the CPU time.
	Load1 string
}

var resultColumns = []string{"date", "commit", "case", "spans", "bytes", "wall_s", "user_s", "sys_s", "cpu_s",
	"maxrss_mb", "spans_per_s", "spans_per_cpu_s", "nproc", "load1"}

// ReadResults reads results.tsv (with its header line).
func ReadResults(r io.Reader) ([]Result, error) {
	sc := bufio.NewScanner(r)
	var out []Result
	line := 0
	for sc.Scan() {
		line++
		f := strings.Split(sc.Text(), "\t")
		if line == 1 {
			if !slices.Equal(f, resultColumns) {
				return nil, fmt.Errorf("results: line 1: header %q, want %q", f, resultColumns)
			}
			continue
		}
		if len(f) != len(resultColumns) {
			return nil, fmt.Errorf("results: line %d: %d columns, want %d", line, len(f), len(resultColumns))
		}
		var (
			res  = Result{Date: f[0], Commit: f[1], Case: f[2], Load1: f[13]}
			errs []error
		)
		atoi := func(s string) int {
			n, err := strconv.Atoi(s)
			errs = append(errs, err)
			return n
		}
		atof := func(s string) float64 {
			x, err := strconv.ParseFloat(s, 64)
			errs = append(errs, err)
			return x
		}
		res.Spans = atoi(f[3])
		res.Bytes = int64(atoi(f[4]))
		res.Wall, res.User, res.Sys, res.CPU = atof(f[5]), atof(f[6]), atof(f[7]), atof(f[8])
		res.MaxRSSMB = atoi(f[9])
		res.SpansPerS, res.SpansPerCPUS = atof(f[10]), atof(f[11])
		res.NProc = atoi(f[12])
		for _, err := range errs {
			if err != nil {
				return nil, fmt.Errorf("results: line %d: %w", line, err)
			}
		}
		out = append(out, res)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	return out, nil
}

// Latest keeps the last result of each case, ordered by spans, then case.
func Latest(rs []Result) []Result {
	last := map[string]Result{}
	for _, r := range rs {
		last[r.Case] = r
	}
	out := make([]Result, 0, len(last))
	for _, r := range last {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Result) int { return cmp.Or(cmp.Compare(a.Spans, b.Spans), cmp.Compare(a.Case, b.Case)) })
	return out
}

// WriteTable writes results as a Markdown table.
func WriteTable(w io.Writer, rs []Result) error {
	var b strings.Builder
	b.WriteString("| case | spans | input | wall | CPU (user+sys) | max RSS | spans/s | spans/CPU-s | load before |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range rs {
		fmt.Fprintf(&b, "| %s | %s | %s | %.2f s | %.2f s | %s | %s | %s | %s |\n", r.Case, group(r.Spans),
			sizeMB(r.Bytes), r.Wall, r.CPU, sizeMB(int64(r.MaxRSSMB)<<20), group(int(math.Round(r.SpansPerS))),
			group(int(math.Round(r.SpansPerCPUS))), r.Load1)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// group formats n with thousands separators: 1,000,012.
func group(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + group(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func sizeMB(b int64) string {
	if b >= 10<<30 {
		return fmt.Sprintf("%.1f GB", float64(b)/(1<<30))
	}
	return fmt.Sprintf("%.0f MB", float64(b)/(1<<20))
}

// Series is one command measured at several input sizes, drawn in one colour.
type Series struct {
	Label string
	// Color is an SVG colour.
	Color   string
	Results []Result
}

// WriteScalingSVG draws wall time (solid) and CPU time (dotted) against
// spans for each series, and for each a thin dashed line through the
// origin and its smallest input's wall time: linear scaling follows it.
// The output is a self-contained SVG.
func WriteScalingSVG(w io.Writer, title string, series []Series) error {
	const (
		width, height          = 760, 440
		left, right, top, bott = 70, 30, 50, 60
	)
	maxX, maxY, points := 0.0, 0.0, 0
	for _, s := range series {
		for _, r := range s.Results {
			maxX = max(maxX, float64(r.Spans))
			maxY = max(maxY, r.Wall, r.CPU)
			points++
		}
	}
	if points == 0 {
		return fmt.Errorf("bench: no results to chart")
	}
	// Inputs are a few spans over round sizes (1,000,012): round down first.
	maxX = niceCeil(maxX / 1.001)
	maxY = niceCeil(maxY * 1.05)
	px := func(x float64) float64 { return left + x/maxX*(width-left-right) }
	py := func(y float64) float64 { return height - bott - y/maxY*(height-top-bott) }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	fmt.Fprintf(&b, `<text x="%d" y="24" font-size="15" font-weight="bold">%s</text>`+"\n", left, html.EscapeString(title))
	for i := 0; i <= 5; i++ {
		x := maxX * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>`+"\n", px(x), top, px(x), height-bott)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", px(x), height-bott+18, spansLabel(x))
		y := maxY * float64(i) / 5
		fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", left, py(y), width-right, py(y))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" text-anchor="end">%s s</text>`+"\n", left-6, py(y)+4, strconv.FormatFloat(y, 'f', -1, 64))
	}
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, height-bott, width-right, height-bott)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>`+"\n", left, top, left, height-bott)
	fmt.Fprintf(&b, `<text x="%d" y="%d" text-anchor="middle">spans (OTLP/JSON lines)</text>`+"\n", (left+width-right)/2, height-14)

	legend := 0
	for _, s := range series {
		if len(s.Results) == 0 {
			continue
		}
		rs := slices.Clone(s.Results)
		slices.SortFunc(rs, func(a, b Result) int { return cmp.Compare(a.Spans, b.Spans) })
		// Linear reference through the smallest input's wall time, clipped to the plot.
		if a := rs[0].Wall / float64(rs[0].Spans); a > 0 {
			xEnd := min(maxX, maxY/a)
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1" stroke-dasharray="6,4" opacity="0.7"/>`+"\n",
				px(0), py(0), px(xEnd), py(a*xEnd), s.Color)
		}
		for _, m := range []struct {
			name string
			dash string
			val  func(Result) float64
		}{
			{"wall", "", func(r Result) float64 { return r.Wall }},
			{"CPU (user+sys)", ` stroke-dasharray="2,3"`, func(r Result) float64 { return r.CPU }},
		} {
			var pts []string
			for _, r := range rs {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(float64(r.Spans)), py(m.val(r))))
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), s.Color, m.dash)
			for _, r := range rs {
				fmt.Fprintf(&b, `<circle cx="%.1f" cy="%.1f" r="3.5" fill="%s"><title>%s %s: %s spans, %.2f s</title></circle>`+"\n",
					px(float64(r.Spans)), py(m.val(r)), s.Color, html.EscapeString(r.Case), m.name, group(r.Spans), m.val(r))
			}
			// Label the largest input only (the table has every value).
			last := rs[len(rs)-1]
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s" text-anchor="end" font-size="11">%.1f s</text>`+"\n",
				px(float64(last.Spans))-7, py(m.val(last))-6, s.Color, m.val(last))
			ly := top + 6 + 17*legend
			legend++
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", left+12, ly, left+40, ly, s.Color, m.dash)
			fmt.Fprintf(&b, `<text x="%d" y="%d">%s — %s</text>`+"\n", left+46, ly+4, html.EscapeString(s.Label), m.name)
		}
	}
	ly := top + 6 + 17*legend
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="gray" stroke-dasharray="6,4"/>`+"\n", left+12, ly, left+40, ly)
	fmt.Fprintf(&b, `<text x="%d" y="%d">linear from the smallest input (wall)</text>`+"\n", left+46, ly+4)
	b.WriteString("</svg>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// niceCeil rounds x up to 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power
// of ten (values that divide into five round grid steps).
func niceCeil(x float64) float64 {
	if x <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func spansLabel(x float64) string {
	switch {
	case x == 0:
		return "0"
	case x >= 1e6:
		return strconv.FormatFloat(x/1e6, 'f', -1, 64) + "M"
	case x >= 1e3:
		return strconv.FormatFloat(x/1e3, 'f', -1, 64) + "k"
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}
