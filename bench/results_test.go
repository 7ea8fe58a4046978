package bench

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

const resultsTSV = "date\tcommit\tcase\tspans\tbytes\twall_s\tuser_s\tsys_s\tcpu_s\tmaxrss_mb\tspans_per_s\tspans_per_cpu_s\tnproc\tload1\n" +
	"2026-01-01T00:00:00Z\tabc\torder-1m\t1000012\t787752428\t4.00\t7.00\t1.00\t8.00\t900\t250003\t125002\t2\t0.10\n" +
	"2026-01-01T00:01:00Z\tabc\torder-3m\t3000004\t2363257284\t12.00\t21.00\t3.00\t24.00\t2500\t250000\t125000\t2\t0.50\n" +
	"2026-01-01T00:02:00Z\tabc\torder-1m\t1000012\t787752428\t3.50\t6.50\t1.00\t7.50\t880\t285718\t133335\t2\t0.20\n"

func TestReadResultsLatest(t *testing.T) {
	rs, err := ReadResults(strings.NewReader(resultsTSV))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 || rs[2].Wall != 3.5 || rs[1].Bytes != 2363257284 || rs[0].NProc != 2 {
		t.Fatalf("%+v", rs)
	}
	l := Latest(rs)
	if len(l) != 2 || l[0].Case != "order-1m" || l[0].Wall != 3.5 || l[1].Case != "order-3m" {
		t.Fatalf("latest %+v", l)
	}
	var md bytes.Buffer
	if err := WriteTable(&md, l); err != nil {
		t.Fatal(err)
	}
	want := "| order-1m | 1,000,012 | 751 MB | 3.50 s | 7.50 s | 880 MB | 285,718 | 133,335 | 0.20 |\n"
	if !strings.Contains(md.String(), want) {
		t.Errorf("table:\n%s\nwant row\n%s", md.String(), want)
	}
	for _, bad := range []string{"x\ty\n", strings.Replace(resultsTSV, "\t4.00\t", "\tfour\t", 1), strings.Replace(resultsTSV, "\t0.10\n", "\n", 1)} {
		if _, err := ReadResults(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestWriteScalingSVG(t *testing.T) {
	rs, _ := ReadResults(strings.NewReader(resultsTSV))
	var buf bytes.Buffer
	series := []Series{{Label: "analyze", Color: "#1f77b4", Results: Latest(rs)}, {Label: "empty", Color: "red"}}
	if err := WriteScalingSVG(&buf, "a <title> & more", series); err != nil {
		t.Fatal(err)
	}
	// Well-formed XML, one point per case and series.
	dec := xml.NewDecoder(&buf)
	circles := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "circle" {
			circles++
		}
	}
	if circles != 4 {
		t.Errorf("%d points, want 4", circles)
	}
	if err := WriteScalingSVG(io.Discard, "", []Series{{Label: "none"}}); err == nil {
		t.Error("no results: no error")
	}
}

func TestNiceCeilAndLabels(t *testing.T) {
	for _, tt := range []struct{ in, want float64 }{{0, 1}, {0.7, 0.8}, {3, 3}, {3.5, 4}, {11, 15}, {124.7, 150}, {10_000_000, 10_000_000}, {10_000_001, 15_000_000}} {
		if got := niceCeil(tt.in); got != tt.want {
			t.Errorf("niceCeil(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := spansLabel(2e6) + spansLabel(5e5) + group(1234567); got != "2M500k1,234,567" {
		t.Errorf("labels %q", got)
	}
}
