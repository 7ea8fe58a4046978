package calls

import (
	"strings"
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

// FuzzTemplatePath checks that templating never panics, drops queries and
// fragments, and is idempotent.
func FuzzTemplatePath(f *testing.F) {
	for _, s := range []string{"", "/", "/orders/123?x=1", "http://h:1/a/b#c", "/a/ord_8f3k29x/v1", "x://", "/redirect/http://x/1", "/;a=1/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, p string) {
		got := TemplatePath(p)
		if strings.ContainsAny(got, "?#") {
			t.Errorf("TemplatePath(%q) = %q keeps a query or fragment", p, got)
		}
		if again := TemplatePath(got); again != got {
			t.Errorf("TemplatePath(%q) = %q, but TemplatePath(%q) = %q", p, got, got, again)
		}
	})
}

// FuzzUsefulName checks that naming and call finding never panic on any
// name and attribute values, and never return an empty name.
func FuzzUsefulName(f *testing.F) {
	f.Add("HTTP POST", "/pay", "", "INSERT INTO t(a) VALUES (1)", "127.0.0.1:80")
	f.Add("get /a/1", "", "m", "/* x */ -- y\n", "[::1")
	f.Add("", "", "", "UPDATE (", "u@h")
	f.Fuzz(func(t *testing.T, name, path, rpcMethod, stmt, address string) {
		s := trace.Span{Name: name, Kind: trace.KindClient, Service: "a",
			Attrs: kv(urlPath, path, rpcMeth, rpcMethod, dbStmt, stmt, addr, address, urlFull, address)}
		if UsefulName(&s) == "" {
			t.Errorf("empty name for %+v", s)
		}
		tr := &trace.Trace{Spans: []trace.Span{{Service: "r"}, s}, Parent: []int32{-1, 0}}
		tr.Link()
		cs := Find(tr)
		if len(cs) != 1 || cs[0].Callee.Service == "" || cs[0].Callee.Operation == "" || cs[0].Protocol == "" {
			t.Errorf("calls %+v", cs)
		}
	})
}
