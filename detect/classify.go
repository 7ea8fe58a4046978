package detect

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect/policy"
	"github.com/syncaudit/syncaudit/trace"
)

// Lean is what a call's names say about whether it may be made asynchronous.
type Lean int8

// Leans.
const (
	// Neutral: nothing in the names says either way.
	Neutral Lean = iota
	// Deferrable: a background task (notification, analytics, logging,
	// reporting, search indexing, cache warming, media processing) or a
	// policy rule marking it deferrable.
	Deferrable
	// Critical: the caller needs the answer before it can go on
	// (authentication, payment, inventory, validation, pricing), or a policy
	// rule marks it critical. Critical calls are never recommended for
	// asynchronous execution.
	Critical
)

// String returns "neutral", "deferrable" or "critical".
func (l Lean) String() string {
	switch l {
	case Deferrable:
		return "deferrable"
	case Critical:
		return "critical"
	}
	return "neutral"
}

// Class is the classification of a call.
type Class struct {
	Lean Lean
	// Category is the built-in category that decided the lean
	// ("notification", "payment", ...), or "" for none.
	Category string
	// Source says where the category's word was found, such as
	// `service "email"` or `url "https://api.mailgun.net/v3/messages"`.
	Source string
	// Outweighed is a deferrable category that also matched but lost to a
	// critical one (same format as Category + Source), or "". For a
	// neutral call it is the deferrable category an ambiguous word of a
	// name suggested without a second signal (see Classifier), in the
	// same format: the classification did not count it.
	Outweighed string
	// Builtin is the lean of the built-in categories alone, before any
	// policy rule.
	Builtin Lean
	// Rule is the policy rule that decided the lean, when Policy is true.
	Rule   policy.Rule
	Policy bool
}

// Reason is the classification as a reason string:
//
//	category: notification (service "email")
//	category: payment (operation "POST /charge"), which outweighs notification (service "email")
//	policy: critical (rule at policy.yaml:3:5: "legal requires it")
//
// It is "" for a neutral call with no policy rule.
func (c Class) Reason() string {
	if c.Policy {
		s := fmt.Sprintf("policy: %s (rule at %s", c.Rule.Class, c.Rule.Pos)
		if c.Rule.Reason != "" {
			s += ": " + strconv.Quote(c.Rule.Reason)
		}
		s += ")"
		if c.Category != "" && c.Builtin != c.Lean {
			s += fmt.Sprintf(", overriding category %s (%s)", c.Category, c.Source)
		}
		return s
	}
	if c.Category == "" {
		return "" // neutral: Ambiguous says what was not counted
	}
	s := fmt.Sprintf("category: %s (%s)", c.Category, c.Source)
	if c.Outweighed != "" {
		s += ", which outweighs " + c.Outweighed
	}
	return s
}

// Ambiguous returns, for a neutral call, the deferrable category that
// only an ambiguous word of a name suggested (`reporting (service
// "warehouse")`), which the classification did not count; "" otherwise.
func (c Class) Ambiguous() string {
	if c.Lean != Neutral || c.Category != "" || c.Policy {
		return ""
	}
	return c.Outweighed
}

// NameOnly reports whether the class's category was found in a name only
// (the callee service, peer.service, server.address or rpc.service): a
// weaker signal than an operation, route or attribute (see MakeAsync).
func (c Class) NameOnly() bool {
	label, _, _ := strings.Cut(c.Source, " ")
	return c.Category != "" && nameLabels[label]
}

// nameLabels are the sources that name the callee rather than the call.
var nameLabels = map[string]bool{"service": true, "peer.service": true, "server.address": true, "rpc.service": true}

// ambiguousWords are deferrable words that name something else as often
// as the background task: a "warehouse" stores stock as often as data, a
// "report" may be a user-facing document, an "index" a page, an "audit"
// a compliance check the caller waits for, an "export" a download, and
// "tracking" a shipment's. Found in a name only (the callee service,
// peer.service, server.address, rpc.service), they need a second signal
// before they count: a word of a deferrable category in the operation,
// route or an attribute. Plural forms are included.
var ambiguousWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range [...]string{"warehouse", "report", "index", "audit", "export", "track", "tracking"} {
		for _, form := range [...]string{w, w + "s", w + "es"} {
			m[form] = true
		}
	}
	return m
}()

// category is one built-in category: the words that name it.
type category struct {
	name  string
	lean  Lean
	words []string
	// writeOnly: the words count only for calls that change state (see
	// AccessOf): an Elasticsearch query is a read; an Elasticsearch index
	// request is search indexing.
	writeOnly bool
}

// categoryAuth is the authentication and authorization category: a call
// of it guards the calls after it (see Parallelize).
const categoryAuth = "authentication"

// categories lists the built-in categories, critical ones first. The words
// come from the anti-pattern's lists: what must stay synchronous (auth,
// payment, inventory, validation, pricing) and what can happen later
// (notifications, analytics, logging, reporting, search indexing, cache
// warming, media processing), plus common product names for each.
func categories() []category {
	return []category{
		{name: categoryAuth, lean: Critical, words: []string{
			"auth", "authn", "authz", "authenticate", "authentication", "authorize", "authorise",
			"authorization", "authorisation", "login", "logon", "signin", "token", "session", "oauth",
			"oidc", "sso", "jwt", "verify", "verification", "permission", "acl", "rbac", "iam",
			"credential", "password", "identity", "keycloak", "okta"}},
		{name: "payment", lean: Critical, words: []string{
			"payment", "pay", "charge", "billing", "bill", "invoice", "checkout", "refund", "stripe",
			"braintree", "adyen", "paypal", "wallet"}},
		{name: "inventory", lean: Critical, words: []string{
			"inventory", "stock", "reservation", "reserve", "availability"}},
		{name: "validation", lean: Critical, words: []string{
			"validate", "validation", "validator", "fraud", "antifraud", "risk", "kyc", "aml", "captcha",
			"sanction", "compliance", "security"}},
		{name: "pricing", lean: Critical, words: []string{
			"price", "pricing", "quote", "tax", "currency", "discount", "coupon"}},

		{name: "notification", lean: Deferrable, words: []string{
			"email", "mail", "mailer", "smtp", "sms", "push", "notify", "notification", "notifier",
			"webhook", "alert", "sendgrid", "mailgun", "mailchimp", "postmark", "twilio", "slack",
			"apns", "fcm"}},
		{name: "analytics", lean: Deferrable, words: []string{
			"analytics", "tracking", "track", "tracker", "metric", "telemetry", "eventlog",
			"clickstream", "beacon", "statsd", "mixpanel", "amplitude", "datadog", "influxdb"}},
		{name: "logging", lean: Deferrable, words: []string{
			"log", "logging", "logger", "audit", "auditlog", "syslog", "sentry", "loki", "fluentd",
			"logstash", "splunk"}},
		{name: "reporting", lean: Deferrable, words: []string{
			"report", "reporting", "warehouse", "etl", "export", "exporter", "bigquery", "snowflake",
			"redshift", "clickhouse", "datalake", "dwh"}},
		{name: "search indexing", lean: Deferrable, words: []string{
			"index", "indexing", "indexer", "reindex"}},
		{name: "search indexing", lean: Deferrable, writeOnly: true, words: []string{
			"elasticsearch", "opensearch", "solr", "algolia", "meilisearch", "typesense"}},
		{name: "cache warming", lean: Deferrable, words: []string{
			"warm", "warming", "warmer", "warmup", "prewarm", "prefetch", "preload"}},
		{name: "media processing", lean: Deferrable, words: []string{
			"image", "thumbnail", "thumb", "resize", "resizer", "resizing", "pdf", "transcode",
			"transcoding", "transcoder", "video", "ffmpeg", "media"}},
	}
}

// Classifier classifies calls by their names and attributes and by a
// policy. It is safe for concurrent use once built.
//
// # Built-in classification
//
// The text of each source below is split into words: at every character
// that is not an ASCII letter or digit, between a lower-case and an
// upper-case letter ("sendEmail"), at the end of an acronym ("SMTPRelay"),
// and between letters and digits ("oauth2"); known compound suffixes are
// split off run-together names ("emailservice" → "email", "service"). A
// category matches when one of its words, or that word plus "s" or "es",
// equals a whole word: "emailaddress-validator" is "emailaddress" and
// "validator" (validation, critical), never "email".
//
// Sources, in order: the callee service, the callee operation, the call
// span's name, peer.service, server.address, rpc.service, rpc.method,
// http.route, url.path, url.full (without its query), db.system, the table
// of db.query.text, db.operation and messaging.destination, read from the
// call span and then the callee's server span.
//
// Precedence: when both a critical and a deferrable category match, in the
// same source or in different ones, the call is critical
// ("fraud-notification" is validation, "session-analytics" is
// authentication). A wrong "make it asynchronous" on a payment or login path
// costs far more than a missed saving, and a policy rule settles any such
// case. Among critical categories, the first source in the order above
// decides, then the first category in the built-in list. Among deferrable
// ones, a match in the operation, span name, route or an attribute (what
// the call does) wins over a match in a name (the callee service,
// peer.service, server.address, rpc.service: what the callee is called),
// then the first source decides; a category found in a name only weighs
// less in the make-async confidence (Class.NameOnly).
//
// Ambiguous words ("warehouse", "report", "index", "audit", "export",
// "track", "tracking": see ambiguousWords) found in a name only do not
// count: a "warehouse" service that picks stock is not reporting. They
// count when a deferrable word is also found in the operation, route or
// an attribute (which then decides); otherwise the call is neutral and
// Class.Ambiguous keeps what the word suggested, for the reasons.
type Classifier struct {
	policy *policy.Policy
	words  map[string]int // word (and plural forms) → index in cats
	cats   []category
	// writeOnly holds words of writeOnly categories, kept apart because the
	// same word may belong to a regular category too.
	writeOnly map[string]int
}

// NewClassifier returns a classifier using the built-in categories and p
// (nil for none). Policy rules override the built-in categories.
func NewClassifier(p *policy.Policy) *Classifier {
	c := &Classifier{policy: p, cats: categories(), words: map[string]int{}, writeOnly: map[string]int{}}
	for i, cat := range c.cats {
		m := c.words
		if cat.writeOnly {
			m = c.writeOnly
		}
		for _, w := range cat.words {
			for _, form := range [...]string{w, w + "s", w + "es"} {
				if _, dup := m[form]; !dup {
					m[form] = i
				}
			}
		}
	}
	return c
}

// source is one named text a call is classified from.
type source struct {
	label, text string
}

// sources appends the texts of call c in t to out, in precedence order.
func sources(t *trace.Trace, c *calls.Call, out []source) []source {
	add := func(label, text string) {
		if text == "" {
			return
		}
		for _, s := range out {
			if s.text == text {
				return // the same text under an earlier label
			}
		}
		out = append(out, source{label, text})
	}
	add("service", c.Callee.Service)
	add("operation", c.Callee.Operation)
	var spans [2]*trace.Span
	n := int32(len(t.Spans))
	if c.Span >= 0 && c.Span < n {
		spans[0] = &t.Spans[c.Span]
		add("span", spans[0].Name)
	}
	if c.Server >= 0 && c.Server < n && c.Server != c.Span {
		spans[1] = &t.Spans[c.Server]
	}
	for _, s := range spans {
		if s == nil {
			continue
		}
		// One pass over the span's few kept attributes instead of a Get
		// per key: this runs for every call.
		var v [attrSources]string
		for _, a := range s.Attrs {
			if i := sourceIndex[a.Key]; i > 0 && v[i-1] == "" {
				v[i-1] = a.Value
			}
		}
		add("peer.service", v[0])
		add("server.address", v[1])
		add("rpc.service", v[2])
		add("rpc.method", v[3])
		add("route", v[4])
		add("url", v[5])
		u := v[6]
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			u = u[:i]
		}
		add("url", u)
		add("db.system", v[7])
		if v[8] != "" {
			add("db.table", statementTable(v[8]))
		}
		add("db.operation", v[9])
		add("messaging.destination", v[10])
	}
	return out
}

// attrSources is the number of attributes sources reads; sourceIndex maps
// each one's key to its position in sources' order, plus one (0: not read).
const attrSources = 11

var sourceIndex = func() (ix [256]uint8) {
	for i, k := range [attrSources]trace.AttrKey{trace.AttrPeerService, trace.AttrServerAddress,
		trace.AttrRPCService, trace.AttrRPCMethod, trace.AttrHTTPRoute, trace.AttrURLPath,
		trace.AttrURLFull, trace.AttrDBSystem, trace.AttrDBStatement, trace.AttrDBOperation,
		trace.AttrMessagingDestination} {
		ix[k] = uint8(i + 1)
	}
	return ix
}()

// statementTable returns the table a SQL statement works on: the word after
// INTO, UPDATE, FROM or TABLE among its first words. Only the table is
// classified: the rest of a statement (column names, values) says little
// about the call and would match words by accident.
func statementTable(stmt string) string {
	const maxScan = 1024
	if len(stmt) > maxScan {
		stmt = stmt[:maxScan]
	}
	sep := func(c byte) bool {
		return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' || c == ',' || c == ';'
	}
	// Walk the fields without collecting them: this runs for every
	// database call.
	next := func(i int) (field string, end int) {
		for i < len(stmt) && sep(stmt[i]) {
			i++
		}
		j := i
		for j < len(stmt) && !sep(stmt[j]) {
			j++
		}
		return stmt[i:j], j
	}
	f, i := next(0)
	for f != "" {
		var g string
		g, i = next(i)
		if g == "" {
			break
		}
		for _, kw := range [...]string{"INTO", "UPDATE", "FROM", "TABLE"} {
			if strings.EqualFold(f, kw) {
				return strings.Trim(g, "`\"[]")
			}
		}
		f = g
	}
	return ""
}

// match is one category found in one source.
type match struct {
	cat    int
	source source
}

// Classify returns the class of call c of trace t. Policy rules (matched on
// the caller service and the callee service and operation) win over the
// built-in categories; see Classifier for those.
func (cl *Classifier) Classify(t *trace.Trace, c *calls.Call) Class {
	crit, deferr, ambiguous := cl.builtin(t, c)
	var cls Class
	switch {
	case crit != nil:
		cls = Class{Lean: Critical, Category: cl.cats[crit.cat].name, Source: crit.source.describe()}
		if deferr != nil {
			cls.Outweighed = cl.cats[deferr.cat].name + " (" + deferr.source.describe() + ")"
		}
	case deferr != nil:
		cls = Class{Lean: Deferrable, Category: cl.cats[deferr.cat].name, Source: deferr.source.describe()}
	case ambiguous != nil:
		cls.Outweighed = cl.cats[ambiguous.cat].name + " (" + ambiguous.source.describe() + ")"
	}
	cls.Builtin = cls.Lean
	if r, ok := cl.policy.Match(c.Caller.Service, c.Callee.Service, c.Callee.Operation); ok {
		cls.Policy, cls.Rule = true, r
		cls.Outweighed = ""
		switch r.Class {
		case policy.Critical:
			cls.Lean = Critical
		default:
			cls.Lean = Deferrable
		}
	}
	return cls
}

// builtin returns the first critical match and the deciding deferrable
// one (see Classifier: a match in an operation, route or attribute before
// one in a name), and, when no deferrable match counts, the first
// ambiguous word of a name that was not counted.
func (cl *Classifier) builtin(t *trace.Trace, c *calls.Call) (crit, deferr, ambiguous *match) {
	acc, _ := AccessOf(t, c)
	write := acc == Write
	var buf []string
	var inName, inCall *match
	for _, src := range sources(t, c, nil) {
		buf = splitWords(src.text, buf[:0])
		name := nameLabels[src.label]
		for _, w := range buf {
			i, ok := cl.words[w]
			if !ok {
				if i, ok = cl.writeOnly[w]; ok && !write {
					ok = false
				}
			}
			if !ok {
				continue
			}
			m := &match{cat: i, source: src}
			switch cl.cats[i].lean {
			case Critical:
				if crit == nil {
					crit = m
				}
			case Deferrable:
				switch {
				case !name:
					if inCall == nil {
						inCall = m
					}
				case ambiguousWords[w]:
					if ambiguous == nil {
						ambiguous = m
					}
				case inName == nil:
					inName = m
				}
			}
		}
		if crit != nil {
			break
		}
	}
	deferr = cmp.Or(inCall, inName)
	if deferr != nil {
		ambiguous = nil
	}
	return crit, deferr, ambiguous
}

func (s source) describe() string { return s.label + " " + strconv.Quote(s.text) }

// splitWords appends the lower-case words of s to buf (see Classifier).
func splitWords(s string, buf []string) []string {
	const maxScan = 1024
	if len(s) > maxScan {
		s = s[:maxScan]
	}
	start := -1
	flush := func(end int) {
		if start >= 0 && end > start {
			buf = splitCompound(strings.ToLower(s[start:end]), buf)
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		cls := charClass(c)
		if cls == 0 {
			flush(i)
			continue
		}
		if start < 0 {
			start = i
			continue
		}
		prev := charClass(s[i-1])
		switch {
		case prev != cls && (prev == classDigit || cls == classDigit):
			flush(i) // letters ↔ digits
			start = i
		case prev == classLower && cls == classUpper:
			flush(i) // sendEmail
			start = i
		case prev == classUpper && cls == classUpper && i+1 < len(s) && charClass(s[i+1]) == classLower:
			flush(i) // SMTPRelay: the last capital starts the next word
			start = i
		}
	}
	flush(len(s))
	return buf
}

const (
	classLower = 1 + iota
	classUpper
	classDigit
)

func charClass(c byte) int {
	switch {
	case 'a' <= c && c <= 'z':
		return classLower
	case 'A' <= c && c <= 'Z':
		return classUpper
	case '0' <= c && c <= '9':
		return classDigit
	}
	return 0
}

// splitCompound appends w to buf and, when it ends with known compound
// suffixes, its parts: run-together service names still match
// ("emailservice" → "emailservice", "email", "service"; "imageprocessor" →
// "image", "processor"), and so do names that end like one ("influxdb").
// Each remainder keeps at least three letters.
func splitCompound(w string, buf []string) []string {
	buf = append(buf, w)
	var tail []string
	for changed := true; changed; {
		changed = false
		for _, suf := range [...]string{
			"service", "svc", "srv", "server", "api", "client", "worker", "manager", "handler", "gateway",
			"proxy", "sender", "processor", "provider", "adapter", "consumer", "producer", "job", "queue",
			"store", "db",
		} {
			if len(w) >= len(suf)+3 && strings.HasSuffix(w, suf) {
				tail = append(tail, suf)
				w = w[:len(w)-len(suf)]
				changed = true
				break
			}
		}
	}
	if len(tail) == 0 {
		return buf
	}
	buf = append(buf, w)
	for i := len(tail) - 1; i >= 0; i-- {
		buf = append(buf, tail[i])
	}
	return buf
}
