// Package policy reads a syncaudit policy file: the team's own word on which
// calls are critical (must stay synchronous) and which are deferrable (may be
// made asynchronous), overriding the detectors' built-in classification.
//
// Input: a YAML file. Output: a *Policy whose Match finds the rule deciding a
// call, or positioned errors (file:line:col) for everything wrong in it.
//
//	p, err := policy.Load("syncaudit-policy.yaml")
//	if err != nil {
//		return err // e.g. "policy.yaml:7:5: unknown key "servce" (want service, operation, caller, class, reason)"
//	}
//	if r, ok := p.Match("order", "email", "POST /send"); ok {
//		fmt.Println(r.Class, r.Reason, r.Pos)  // critical "legal requires it" policy.yaml:4:5
//	}
//
// # File format
//
//	version: 1          # optional; 1 is the only version
//	rules:              # a list; the first rule that matches a call decides it
//	  - service: email  # callee service pattern
//	    operation: "POST /send*"  # callee operation pattern (optional)
//	    caller: order   # calling service pattern (optional)
//	    class: critical # critical | deferrable (required)
//	    reason: confirmation must be sent before we answer  # optional, shown in reports
//
// A rule needs at least one of service, operation and caller; the fields it
// gives must all match. Unknown keys, duplicate keys, wrong types and
// invalid patterns are errors; every error in the file is reported, in file
// order.
//
// # Patterns
//
// A pattern is a glob: "*" matches any run of characters ("/" included), "?"
// exactly one, and "\" makes the next character literal; the glob must match
// the whole name. A pattern starting with "re:" is instead an RE2 regular
// expression (https://golang.org/s/re2syntax) that matches anywhere in the
// name unless anchored with ^ and $. Both kinds ignore case. Globs were
// chosen as the default because service and operation names are short and
// mostly matched exactly or by prefix ("ledger", "audit-*", "POST /events*");
// regular expressions are there for the rest.
package policy

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Class is what a rule says about the calls it matches.
type Class uint8

// Classes.
const (
	// Critical calls must stay synchronous: they are never recommended for
	// asynchronous execution, whatever their savings.
	Critical Class = iota + 1
	// Deferrable calls may be made asynchronous: the caller does not need
	// their result or their success before it answers.
	Deferrable
)

// String returns "critical" or "deferrable" ("" for the zero Class).
func (c Class) String() string {
	switch c {
	case Critical:
		return "critical"
	case Deferrable:
		return "deferrable"
	}
	return ""
}

// Pattern matches a service or operation name: a glob, or a regular
// expression when written with the "re:" prefix (see the package doc).
// The zero Pattern matches every name.
type Pattern struct {
	// Source is the pattern as written in the file.
	Source string
	re     *regexp.Regexp
}

// CompilePattern compiles a glob, or a regular expression prefixed "re:".
func CompilePattern(src string) (Pattern, error) {
	var expr string
	if rest, ok := strings.CutPrefix(src, "re:"); ok {
		if rest == "" {
			return Pattern{}, fmt.Errorf("%w: empty regular expression", ErrBadValue)
		}
		expr = "(?i)" + rest
	} else {
		if src == "" {
			return Pattern{}, fmt.Errorf("%w: empty pattern", ErrBadValue)
		}
		expr = globToRegexp(src)
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return Pattern{}, fmt.Errorf("%w: pattern %q: %v", ErrBadValue, src, err)
	}
	return Pattern{Source: src, re: re}, nil
}

// globToRegexp translates a glob into an anchored, case-insensitive RE2
// expression: "*" → ".*", "?" → ".", "\x" → literal x.
func globToRegexp(g string) string {
	var b strings.Builder
	b.WriteString("(?is)^")
	for i := 0; i < len(g); i++ {
		switch c := g[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '\\':
			if i+1 < len(g) {
				i++
			}
			b.WriteString(regexp.QuoteMeta(g[i : i+1]))
		default:
			b.WriteString(regexp.QuoteMeta(g[i : i+1]))
		}
	}
	b.WriteString("$")
	return b.String()
}

// Match reports whether name matches p. The zero Pattern matches everything.
func (p Pattern) Match(name string) bool {
	if p.re == nil {
		return true
	}
	return p.re.MatchString(name)
}

// IsZero reports whether p is the zero Pattern (absent from its rule).
func (p Pattern) IsZero() bool { return p.re == nil }

// Rule is one entry of the policy's rules list.
type Rule struct {
	// Service matches the callee service; Operation the callee operation;
	// Caller the calling service. Absent fields are zero Patterns and match
	// everything.
	Service, Operation, Caller Pattern
	Class                      Class
	// Reason is the team's explanation, shown in reports; may be empty.
	Reason string
	// Pos is where the rule starts: "file:line:col".
	Pos string
}

// Matches reports whether the rule applies to a call from service caller to
// service's operation.
func (r *Rule) Matches(caller, service, operation string) bool {
	return r.Service.Match(service) && r.Operation.Match(operation) && r.Caller.Match(caller)
}

// Describe returns a short description of what the rule matches, such as
// `service "email", operation "POST /send*"`.
func (r *Rule) Describe() string {
	var parts []string
	for _, f := range [...]struct {
		key string
		p   Pattern
	}{{"caller", r.Caller}, {"service", r.Service}, {"operation", r.Operation}} {
		if !f.p.IsZero() {
			parts = append(parts, f.key+" "+strconv.Quote(f.p.Source))
		}
	}
	return strings.Join(parts, ", ")
}

// Policy is a parsed policy file. A nil *Policy has no rules.
type Policy struct {
	// File is the name the policy was loaded from.
	File  string
	Rules []Rule
}

// Match returns the first rule matching a call from service caller to
// service's operation.
func (p *Policy) Match(caller, service, operation string) (Rule, bool) {
	if p == nil {
		return Rule{}, false
	}
	for i := range p.Rules {
		if p.Rules[i].Matches(caller, service, operation) {
			return p.Rules[i], true
		}
	}
	return Rule{}, false
}

// Sentinel causes of an Error; test them with errors.Is.
var (
	// ErrSyntax: the file is not valid YAML.
	ErrSyntax = errors.New("invalid YAML")
	// ErrUnknownKey: a mapping holds a key the format does not define.
	ErrUnknownKey = errors.New("unknown key")
	// ErrDuplicateKey: a key appears twice in one mapping.
	ErrDuplicateKey = errors.New("duplicate key")
	// ErrBadValue: a value has the wrong type or an invalid content.
	ErrBadValue = errors.New("invalid value")
	// ErrMissing: a required key is absent.
	ErrMissing = errors.New("missing key")
)

// Error is one problem in a policy file, at a position.
type Error struct {
	File   string
	Line   int // 1-based; 0 when unknown
	Column int // 1-based; 0 when unknown
	Err    error
}

// Error returns "file:line:col: message", leaving out unknown parts.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

// Unwrap returns the cause, which wraps one of the Err* sentinels.
func (e *Error) Unwrap() error { return e.Err }

// ErrorList is every Error found in a file, in file order.
type ErrorList []*Error

// Error returns the first error and how many more there are.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0], len(l)-1)
}

// Unwrap returns the errors, so errors.Is and errors.As see each of them.
func (l ErrorList) Unwrap() []error {
	out := make([]error, len(l))
	for i, e := range l {
		out[i] = e
	}
	return out
}

// Load reads and parses the policy file at path.
func Load(path string) (*Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy: %w", err)
	}
	return Parse(path, data)
}

// Parse parses policy file content; name is used in positions. On error it
// returns an ErrorList.
func Parse(name string, data []byte) (*Policy, error) {
	p := &parser{file: name}
	pol := &Policy{File: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		p.syntax(err)
		return nil, p.errs
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return pol, nil // an empty file (or only comments): no rules
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root, ErrBadValue, "the policy must be a mapping with a rules list, not %s", kindName(root))
		return nil, p.errs
	}
	p.mapping(root, []string{"version", "rules"}, func(key string, k, v *yaml.Node) {
		switch key {
		case "version":
			if n, err := strconv.Atoi(v.Value); v.Kind != yaml.ScalarNode || err != nil || n != 1 {
				p.errorf(v, ErrBadValue, "version must be 1")
			}
		case "rules":
			if v.Kind != yaml.SequenceNode {
				if !isNull(v) {
					p.errorf(v, ErrBadValue, "rules must be a list, not %s", kindName(v))
				}
				return
			}
			for _, item := range v.Content {
				if r, ok := p.rule(item); ok {
					pol.Rules = append(pol.Rules, r)
				}
			}
		}
	})
	if len(p.errs) > 0 {
		return nil, p.errs
	}
	return pol, nil
}

// parser collects errors while walking the YAML node tree. The tree is at
// most three levels deep here (policy → rules → rule), so the walk is direct.
type parser struct {
	file string
	errs ErrorList
}

// syntax turns a YAML decoding error into positioned Errors.
func (p *parser) syntax(err error) {
	var te *yaml.TypeError
	msgs := []string{err.Error()}
	if errors.As(err, &te) {
		msgs = te.Errors
	}
	for _, m := range msgs {
		e := &Error{File: p.file}
		m = strings.TrimPrefix(m, "yaml: ")
		// "line 3: did not find expected key"
		if rest, ok := strings.CutPrefix(m, "line "); ok {
			if num, msg, ok := strings.Cut(rest, ": "); ok {
				if line, err := strconv.Atoi(num); err == nil {
					e.Line, m = line, msg
				}
			}
		}
		e.Err = fmt.Errorf("%w: %s", ErrSyntax, m)
		p.errs = append(p.errs, e)
	}
}

func (p *parser) errorf(n *yaml.Node, cause error, format string, args ...any) {
	p.errs = append(p.errs, &Error{
		File: p.file, Line: n.Line, Column: n.Column,
		Err: fmt.Errorf("%w: %s", cause, fmt.Sprintf(format, args...)),
	})
}

// mapping calls f for each known key of mapping node m, reporting unknown
// and duplicate keys.
func (p *parser) mapping(m *yaml.Node, known []string, f func(key string, k, v *yaml.Node)) {
	seen := make(map[string]bool, len(known))
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			p.errorf(k, ErrUnknownKey, "keys must be names")
			continue
		}
		if !contains(known, key) {
			p.errorf(k, ErrUnknownKey, "%q (want %s)", key, strings.Join(known, ", "))
			continue
		}
		if seen[key] {
			p.errorf(k, ErrDuplicateKey, "%q", key)
			continue
		}
		seen[key] = true
		f(key, k, v)
	}
}

var ruleKeys = []string{"service", "operation", "caller", "class", "reason"}

// rule parses one item of the rules list.
func (p *parser) rule(n *yaml.Node) (Rule, bool) {
	r := Rule{Pos: fmt.Sprintf("%s:%d:%d", p.file, n.Line, n.Column)}
	if n.Kind != yaml.MappingNode {
		p.errorf(n, ErrBadValue, "a rule must be a mapping (service, operation, caller, class, reason), not %s", kindName(n))
		return r, false
	}
	before := len(p.errs)
	p.mapping(n, ruleKeys, func(key string, k, v *yaml.Node) {
		s, ok := p.scalar(key, v)
		if !ok {
			return
		}
		switch key {
		case "service", "operation", "caller":
			pat, err := CompilePattern(s)
			if err != nil {
				p.errs = append(p.errs, &Error{File: p.file, Line: v.Line, Column: v.Column, Err: fmt.Errorf("%s: %w", key, err)})
				return
			}
			switch key {
			case "service":
				r.Service = pat
			case "operation":
				r.Operation = pat
			default:
				r.Caller = pat
			}
		case "class":
			switch strings.ToLower(s) {
			case "critical":
				r.Class = Critical
			case "deferrable":
				r.Class = Deferrable
			default:
				p.errorf(v, ErrBadValue, "class %q (want critical or deferrable)", s)
				r.Class = 0
				return
			}
		case "reason":
			r.Reason = strings.TrimSpace(s)
		}
	})
	if len(p.errs) > before {
		return r, false
	}
	if r.Service.IsZero() && r.Operation.IsZero() && r.Caller.IsZero() {
		p.errorf(n, ErrMissing, "a rule needs service, operation or caller")
	}
	if r.Class == 0 {
		p.errorf(n, ErrMissing, "a rule needs a class (critical or deferrable)")
	}
	return r, len(p.errs) == before
}

// scalar returns v's value when it is a string-like scalar.
func (p *parser) scalar(key string, v *yaml.Node) (string, bool) {
	if v.Kind != yaml.ScalarNode || isNull(v) {
		p.errorf(v, ErrBadValue, "%s must be a string, not %s", key, kindName(v))
		return "", false
	}
	return v.Value, true
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if isNull(n) {
			return "null"
		}
		return "a scalar"
	}
	return "empty"
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// Example returns a commented example policy file, as written by
// "syncaudit policy init". It parses without error.
func Example() string { return example }

const example = `# syncaudit policy: your team's word on which calls must stay synchronous.
#
# syncaudit classifies each call from its names and attributes (payment,
# auth, inventory... are critical; email, analytics, audit logs... may be
# deferred) and from what the traces show. The rules below override that.
#
# Each rule matches calls by
#   service:   the called service
#   operation: the called operation ("POST /send", "payments.Payments/Charge")
#   caller:    the calling service
# (give at least one; all given must match) and says
#   class:     critical   - never recommend making it asynchronous
#              deferrable - the caller does not need it to answer
#   reason:    shown next to the recommendation (optional)
#
# Patterns are globs ("*" any characters, "?" one character, "\" escapes)
# matched against the whole name, or RE2 regular expressions when prefixed
# with "re:" (matched anywhere unless anchored). Case is ignored.
# The first rule that matches a call decides it.
version: 1
rules:
  # The legal team requires the order confirmation to be sent before we answer.
  - service: email
    operation: "POST /send/confirmation"
    class: critical
    reason: confirmation must be sent before the order is acknowledged

  # Ledger entries are reconciled nightly; nobody waits for them.
  - service: ledger
    class: deferrable
    reason: entries are reconciled nightly

  # Everything the checkout sends to any audit-* service can be queued.
  - caller: checkout
    service: "audit-*"
    class: deferrable

  # Any versioned recommendations service (recs-v1, recs-v2, ...).
  - service: "re:^recs-v[0-9]+$"
    class: deferrable
    reason: recommendations are optional on this page
`
