// Package format writes numbers and counts the same way in every
// renderer: milliseconds exact or short, percentages, totals, and sorted
// counts.
//
// Input: float64 milliseconds, fractions, count maps. Output: strings such
// as "12.3ms", "4.5%", "7.1s", "a 1, b 2".
package format

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Ms writes milliseconds with three decimals (exact enough for TSV).
func Ms(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }

// MsShort rounds to three significant digits or so: 0 decimals from
// 100 ms, 1 from 10 ms, else 2; a negative value (a change) rounds as its
// magnitude does.
func MsShort(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64) + "ms"
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64) + "ms"
	}
	return strconv.FormatFloat(v, 'f', 2, 64) + "ms"
}

// PerRequest formats a mean count per request with at most two
// decimals and no trailing zeros: "1", "0.95", "3.5"; a NaN or an
// infinity is "0".
func PerRequest(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		x = 0
	}
	s := strings.TrimRight(strings.TrimRight(strconv.FormatFloat(x, 'f', 2, 64), "0"), ".")
	if s == "" || s == "-0" {
		return "0"
	}
	return s
}

// Pct writes a fraction as a percentage with one decimal.
func Pct(v float64) string { return strconv.FormatFloat(100*v, 'f', 1, 64) + "%" }

// Total writes a total of milliseconds: seconds from 10 s, else MsShort.
func Total(ms float64) string {
	if ms >= 10000 {
		return strconv.FormatFloat(ms/1000, 'f', 1, 64) + "s"
	}
	return MsShort(ms)
}

// Count is one named count.
type Count struct {
	Name  string
	Count int
}

// SortedCounts returns m's counts sorted by name.
func SortedCounts[K ~string](m map[K]int) []Count {
	out := make([]Count, 0, len(m))
	for k, n := range m {
		out = append(out, Count{string(k), n})
	}
	slices.SortFunc(out, func(a, b Count) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// JoinCounts renders counts as "a 1, b 2" in key order (the input
// accounting's rejection reasons and repair warnings).
func JoinCounts[K ~string](m map[K]int) string {
	rows := SortedCounts(m)
	parts := make([]string, len(rows))
	for i, r := range rows {
		parts[i] = r.Name + " " + strconv.Itoa(r.Count)
	}
	return strings.Join(parts, ", ")
}
