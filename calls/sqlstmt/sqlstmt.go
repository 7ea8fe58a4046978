// Package sqlstmt reads what a SQL statement does, cheaply: its verb and
// the table it works on, skipping leading comments and parentheses, from
// the statement's first MaxScan bytes. It does not parse SQL.
//
// Input: a statement (db.statement / db.query.text, or a span name that
// holds one). Output: ("SELECT", "orders"), ("UPDATE", "stock"), ...
package sqlstmt

import "strings"

// MaxScan bounds how much of a statement is read to find its verb
// and table: enough for any leading comment and the table name.
const MaxScan = 4096

// IsVerb reports whether w (upper case) starts a SQL statement.
func IsVerb(w string) bool {
	switch w {
	case "SELECT", "INSERT", "UPDATE", "DELETE", "UPSERT", "MERGE", "REPLACE", "WITH", "CALL", "EXEC",
		"EXECUTE", "CREATE", "DROP", "ALTER", "TRUNCATE":
		return true
	}
	return false
}

// VerbTable returns the first word of a statement in upper case (when it
// is made of letters) and the table it names: the word after FROM for SELECT
// and DELETE, after INTO for INSERT, REPLACE, UPSERT and MERGE, and the next
// word for UPDATE. Leading comments and parentheses are skipped; only the
// first MaxScan bytes are read.
func VerbTable(stmt string) (verb, table string) {
	if len(stmt) > MaxScan {
		stmt = stmt[:MaxScan]
	}
	tok := tokenizer{s: stmt}
	w := tok.next()
	if w == "" {
		return "", ""
	}
	for i := 0; i < len(w); i++ {
		if !isLetter(w[i]) {
			return "", ""
		}
	}
	verb = strings.ToUpper(w)
	var after string
	switch verb {
	case "SELECT", "DELETE":
		after = "FROM"
	case "INSERT", "REPLACE", "UPSERT", "MERGE":
		after = "INTO"
	case "UPDATE":
		return verb, tableName(tok.nextTable())
	default:
		return verb, ""
	}
	for w := tok.next(); w != ""; w = tok.next() {
		if strings.EqualFold(w, after) {
			return verb, tableName(tok.nextTable())
		}
	}
	return verb, ""
}

// tableName strips identifier quotes from w and returns it when it looks
// like a (possibly qualified) table name, else "".
func tableName(w string) string {
	w = strings.Map(func(r rune) rune {
		if r == '`' || r == '"' || r == '[' || r == ']' {
			return -1
		}
		return r
	}, w)
	if w == "" {
		return ""
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if !isLetter(c) && !isDigit(c) && c != '_' && c != '.' && c != '$' {
			return ""
		}
	}
	return w
}

// tokenizer splits a SQL statement into words, skipping white space,
// comments and the punctuation "(),;".
type tokenizer struct{ s string }

// nextTable returns the next word, or "" when a parenthesis comes first (a
// subquery or a column list, not a table).
func (t *tokenizer) nextTable() string {
	if strings.HasPrefix(strings.TrimLeft(t.s, " \t\r\n"), "(") {
		return ""
	}
	return t.next()
}

func (t *tokenizer) next() string {
	s := t.s
	for {
		s = strings.TrimLeft(s, " \t\r\n(),;")
		switch {
		case strings.HasPrefix(s, "/*"):
			if j := strings.Index(s[2:], "*/"); j >= 0 {
				s = s[j+4:]
				continue
			}
			s = ""
		case strings.HasPrefix(s, "--"):
			if j := strings.IndexByte(s, '\n'); j >= 0 {
				s = s[j+1:]
				continue
			}
			s = ""
		}
		break
	}
	j := strings.IndexAny(s, " \t\r\n(),;")
	if j < 0 {
		j = len(s)
	}
	t.s = s[j:]
	return s[:j]
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
