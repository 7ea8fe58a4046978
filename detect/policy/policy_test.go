package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseValid(t *testing.T) {
	src := `version: 1
rules:
  - service: email
    class: critical
    reason: "  legal  "
  - service: "audit-*"
    operation: "POST /events*"
    class: Deferrable
  - caller: checkout
    service: "re:^recs-v[0-9]+$"
    class: deferrable
`
	p, err := Parse("p.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rules) != 3 {
		t.Fatalf("got %d rules", len(p.Rules))
	}
	if r := p.Rules[0]; r.Class != Critical || r.Reason != "legal" || r.Pos != "p.yaml:3:5" {
		t.Errorf("rule 0 = %+v", r)
	}
	tests := []struct {
		caller, service, op string
		want                string // rule position or "" for no match
	}{
		{"order", "email", "POST /send", "p.yaml:3:5"},
		{"order", "EMAIL", "x", "p.yaml:3:5"},
		{"order", "emails", "x", ""},
		{"order", "audit-log", "POST /events/batch", "p.yaml:6:5"},
		{"order", "audit-log", "GET /events", ""},
		{"checkout", "recs-v12", "GET /", "p.yaml:9:5"},
		{"checkout", "recs-v", "GET /", ""},
		{"cart", "recs-v1", "GET /", ""},
	}
	for _, tc := range tests {
		r, ok := p.Match(tc.caller, tc.service, tc.op)
		got := ""
		if ok {
			got = r.Pos
		}
		if got != tc.want {
			t.Errorf("Match(%q, %q, %q) = %q, want %q", tc.caller, tc.service, tc.op, got, tc.want)
		}
	}
}

func TestFirstRuleWins(t *testing.T) {
	p, err := Parse("p", []byte("rules:\n- {service: 'pay*', class: deferrable}\n- {service: payment, class: critical}\n"))
	if err != nil {
		t.Fatal(err)
	}
	r, ok := p.Match("a", "payment", "x")
	if !ok || r.Class != Deferrable {
		t.Errorf("got %v %v, want the first (deferrable) rule", r.Class, ok)
	}
	var nilPolicy *Policy
	if _, ok := nilPolicy.Match("a", "b", "c"); ok {
		t.Error("nil policy matched")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string // each error's text, in order
		cause     error
	}{
		{"unknown top key", "rulez: []\n", []string{`f.yaml:1:1: unknown key: "rulez" (want version, rules)`}, ErrUnknownKey},
		{"unknown rule key", "rules:\n  - servce: a\n    class: critical\n",
			[]string{`f.yaml:2:5: unknown key: "servce" (want service, operation, caller, class, reason)`}, ErrUnknownKey},
		{"bad class", "rules:\n  - service: a\n    class: maybe\n",
			[]string{`f.yaml:3:12: invalid value: class "maybe" (want critical or deferrable)`}, ErrBadValue},
		{"missing class", "rules:\n  - service: a\n", []string{`f.yaml:2:5: missing key: a rule needs a class (critical or deferrable)`}, ErrMissing},
		{"missing match", "rules:\n  - class: critical\n", []string{`f.yaml:2:5: missing key: a rule needs service, operation or caller`}, ErrMissing},
		{"duplicate", "rules:\n  - service: a\n    service: b\n    class: critical\n", []string{`f.yaml:3:5: duplicate key: "service"`}, ErrDuplicateKey},
		{"bad regexp", "rules:\n  - service: 're:(('\n    class: critical\n", nil, ErrBadValue},
		{"version", "version: 2\n", []string{`f.yaml:1:10: invalid value: version must be 1`}, ErrBadValue},
		{"rules not list", "rules: email\n", []string{`f.yaml:1:8: invalid value: rules must be a list, not a scalar`}, ErrBadValue},
		{"rule not mapping", "rules:\n  - email\n", nil, ErrBadValue},
		{"list top", "- a\n", nil, ErrBadValue},
		{"service list", "rules:\n  - service: [a, b]\n    class: critical\n", []string{`f.yaml:2:14: invalid value: service must be a string, not a list`}, ErrBadValue},
		{"syntax", "rules:\n  - service: [a,\n", nil, ErrSyntax},
		{"several", "rules:\n  - service: a\n    class: x\n  - operation: b\n    klass: critical\n", []string{
			`f.yaml:3:12: invalid value: class "x" (want critical or deferrable)`,
			`f.yaml:5:5: unknown key: "klass" (want service, operation, caller, class, reason)`,
		}, ErrBadValue},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Parse("f.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error; policy %+v", p)
			}
			if !errors.Is(err, tc.cause) {
				t.Errorf("error %v is not %v", err, tc.cause)
			}
			var list ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error %T is not an ErrorList", err)
			}
			for _, e := range list {
				if e.File != "f.yaml" || e.Line == 0 {
					t.Errorf("error %q has no position", e)
				}
			}
			if tc.want == nil {
				return
			}
			var got []string
			for _, e := range list {
				got = append(got, e.Error())
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestErrorListText(t *testing.T) {
	_, err := Parse("f.yaml", []byte("rules:\n  - a: 1\n  - b: 2\n  - c: 3\n"))
	if err == nil {
		t.Fatal("no error")
	}
	if got, want := err.Error(), `f.yaml:2:5: unknown key: "a" (want service, operation, caller, class, reason) (and 2 more errors)`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestEmpty(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "rules:\n", "version: 1\nrules: []\n"} {
		p, err := Parse("e", []byte(src))
		if err != nil || len(p.Rules) != 0 {
			t.Errorf("Parse(%q) = %v, %v; want no rules", src, p, err)
		}
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pat, name string
		want      bool
	}{
		{"email", "email", true},
		{"email", "Email", true},
		{"email", "email-svc", false},
		{"email*", "email-svc", true},
		{"*svc", "email-svc", true},
		{"POST /send*", "POST /send/confirm", true},
		{"e?ail", "email", true},
		{"e?ail", "eail", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{"a.b", "axb", false},
		{"re:mail", "sendmail-relay", true},
		{"re:^mail$", "sendmail", false},
		{"re:^MAIL", "mail", true},
	}
	for _, tc := range tests {
		p, err := CompilePattern(tc.pat)
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Match(tc.name); got != tc.want {
			t.Errorf("%q.Match(%q) = %v, want %v", tc.pat, tc.name, got, tc.want)
		}
	}
	if _, err := CompilePattern(""); !errors.Is(err, ErrBadValue) {
		t.Errorf("empty pattern: %v", err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(path, []byte(Example()), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if p.File != path || len(p.Rules) == 0 || !strings.HasPrefix(p.Rules[0].Pos, path+":") {
		t.Errorf("Load = %+v", p)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

// The example written by "syncaudit policy init" parses and says what it means.
func ExampleExample() {
	p, err := Parse("syncaudit-policy.yaml", []byte(Example()))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range p.Rules {
		fmt.Printf("%s: %s -> %s\n", r.Pos, r.Describe(), r.Class)
	}
	r, _ := p.Match("checkout", "audit-trail", "POST /events")
	fmt.Println(r.Class, r.Pos)
	// Output:
	// syncaudit-policy.yaml:23:5: service "email", operation "POST /send/confirmation" -> critical
	// syncaudit-policy.yaml:29:5: service "ledger" -> deferrable
	// syncaudit-policy.yaml:34:5: caller "checkout", service "audit-*" -> deferrable
	// syncaudit-policy.yaml:39:5: service "re:^recs-v[0-9]+$" -> deferrable
	// deferrable syncaudit-policy.yaml:34:5
}
