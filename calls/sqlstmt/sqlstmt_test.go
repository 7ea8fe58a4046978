package sqlstmt

import (
	"fmt"
	"strings"
	"testing"
)

func TestVerbTable(t *testing.T) {
	for _, tt := range []struct {
		stmt, verb, table string
	}{
		{"SELECT * FROM orders WHERE id = $1", "SELECT", "orders"},
		{"select id from public.orders", "SELECT", "public.orders"},
		{"/* app=shop */ INSERT INTO `line_items` (a, b) VALUES (1, 2)", "INSERT", "line_items"},
		{"-- comment\nUPDATE stock SET n = n - 1", "UPDATE", "stock"},
		{"DELETE FROM \"carts\" WHERE id = 1", "DELETE", "carts"},
		{"(SELECT a FROM t1) UNION (SELECT a FROM t2)", "SELECT", "t1"},
		{"SELECT * FROM (SELECT 1) x", "SELECT", ""},
		{"UPDATE (SELECT 1)", "UPDATE", ""},
		{"MERGE INTO [dbo].[ledger] USING src", "MERGE", "dbo.ledger"},
		{"CALL refresh_stats()", "CALL", ""},
		{"BEGIN", "BEGIN", ""},
		{"", "", ""},
		{"42 FROM x", "", ""},
		{"/* unterminated", "", ""},
		{"SELECT a FROM t-1", "SELECT", ""},
	} {
		verb, table := VerbTable(tt.stmt)
		if verb != tt.verb || table != tt.table {
			t.Errorf("VerbTable(%q) = %q, %q; want %q, %q", tt.stmt, verb, table, tt.verb, tt.table)
		}
	}
}

// TestVerbTableScansPrefix: only the first MaxScan bytes are read.
func TestVerbTableScansPrefix(t *testing.T) {
	stmt := "SELECT " + strings.Repeat("a, ", MaxScan) + " FROM far_away"
	if verb, table := VerbTable(stmt); verb != "SELECT" || table != "" {
		t.Errorf("got %q, %q", verb, table)
	}
}

func TestIsVerb(t *testing.T) {
	for w, want := range map[string]bool{"SELECT": true, "WITH": true, "select": false, "GET": false, "": false} {
		if IsVerb(w) != want {
			t.Errorf("IsVerb(%q) = %v", w, !want)
		}
	}
}

func ExampleVerbTable() {
	fmt.Println(VerbTable("/* checkout */ INSERT INTO orders (id) VALUES ($1)"))
	// Output: INSERT orders
}

// FuzzVerbTable: never panics; the verb is upper-case letters; the table
// has no identifier quotes.
func FuzzVerbTable(f *testing.F) {
	for _, s := range []string{"SELECT * FROM t", "/* x */ INSERT INTO `a`.`b` VALUES", "--\nUPDATE", "/*", "(((", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stmt string) {
		verb, table := VerbTable(stmt)
		if verb != strings.ToUpper(verb) {
			t.Errorf("verb %q not upper case", verb)
		}
		if strings.ContainsAny(table, "`\"[]") {
			t.Errorf("table %q keeps quotes", table)
		}
	})
}
