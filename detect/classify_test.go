package detect

import (
	"slices"
	"testing"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect/policy"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"email", []string{"email"}},
		{"emailaddress-validator", []string{"emailaddress", "validator"}},
		{"sendEmail", []string{"send", "email"}},
		{"SMTPRelay", []string{"smtp", "relay"}},
		{"oauth2-proxy", []string{"oauth", "2", "proxy"}},
		{"emailservice", []string{"emailservice", "email", "service"}},
		{"notificationsenderservice", []string{"notificationsenderservice", "notification", "sender", "service"}},
		{"influxdb", []string{"influxdb", "influx", "db"}},
		{"adservice", []string{"adservice"}}, // "ad" is too short to split off
		{"hipstershop.EmailService/SendOrderConfirmation", []string{"hipstershop", "email", "service", "send", "order", "confirmation"}},
		{"POST /v1/audit_logs?x=1", []string{"post", "v", "1", "audit", "logs", "x", "1"}},
		{"", nil},
		{"--//", nil},
	}
	for _, tc := range tests {
		if got := splitWords(tc.in, nil); !slices.Equal(got, tc.want) {
			t.Errorf("splitWords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name     string
		desc     string // one call under the root
		lean     Lean
		category string
		reason   string
	}{
		{"email service", "-> email: POST /send 0 10", Deferrable, "notification", `category: notification (service "email")`},
		{"run-together name", "-> emailservice: POST /send 0 10", Deferrable, "notification", `category: notification (service "emailservice")`},
		{"not a substring", "-> emailaddress-validator: POST /check 0 10", Critical, "validation",
			`category: validation (service "emailaddress-validator")`},
		{"no match", "-> mailroom-x: GET /x 0 10", Neutral, "", ""},
		{"plural", "-> notifications: POST /x 0 10", Deferrable, "notification", `category: notification (service "notifications")`},
		{"critical wins", "-> fraud-notification: POST /x 0 10", Critical, "validation",
			`category: validation (service "fraud-notification"), which outweighs notification (service "fraud-notification")`},
		{"critical in the operation wins", "-> email: POST /payment-receipt 0 10", Critical, "payment",
			`category: payment (operation "POST /payment-receipt"), which outweighs notification (service "email")`},
		{"operation", "-> gateway: POST /v1/track 0 10", Deferrable, "analytics", `category: analytics (operation "POST /v1/track")`},
		{"auth", "-> identity: POST /login 0 10", Critical, "authentication", `category: authentication (service "identity")`},
		{"inventory", "-> stock-keeper: GET /levels 0 10", Critical, "inventory", `category: inventory (service "stock-keeper")`},
		{"pricing", "-> quotes: GET /x 0 10", Critical, "pricing", `category: pricing (service "quotes")`},
		{"billing is critical", "-> billing: POST /x 0 10", Critical, "payment", `category: payment (service "billing")`},
		{"media", "-> img: POST /thumbnails 0 10", Deferrable, "media processing", `category: media processing (operation "POST /thumbnails")`},
		{"cache warming", "-> cache: POST /prefetch 0 10", Deferrable, "cache warming", `category: cache warming (operation "POST /prefetch")`},
		{"reporting", "-> dwh-loader: POST /x 0 10", Deferrable, "reporting", `category: reporting (service "dwh-loader")`},
		{"audit log", "-> x: POST /audit 0 10", Deferrable, "logging", `category: logging (operation "POST /audit")`},
		{"rpc method", "-> x: hipstershop.EmailService/SendOrderConfirmation 0 10", Deferrable, "notification",
			`category: notification (operation "hipstershop.EmailService/SendOrderConfirmation")`},
		{"elasticsearch write", "-> x: POST 0 10 !untraced db.system=elasticsearch", Deferrable, "search indexing",
			`category: search indexing (service "elasticsearch")`},
		{"elasticsearch bulk", "-> x: bulk 0 10 !untraced db.system=elasticsearch db.operation=bulk", Deferrable, "search indexing",
			`category: search indexing (service "elasticsearch")`},
		{"elasticsearch read", "-> x: GET 0 10 !untraced db.system=elasticsearch", Neutral, "", ""},
		{"elasticsearch search", "-> x: search 0 10 !untraced db.system=elasticsearch db.operation=search", Neutral, "", ""},
		{"index", "-> search: PUT /products/_doc/1 0 10 url.path=/reindex", Deferrable, "search indexing", `category: search indexing (url "/reindex")`},
		{"sql table", "-> x: INSERT 0 10 !untraced db.system=postgresql db.query.text=INSERT_INTO_audit_log_(a)_VALUES_(1)", Deferrable, "logging",
			`category: logging (operation "INSERT audit")`},
		{"messaging destination", "-> x: send 0 10 !untraced messaging.system=kafka messaging.destination.name=email-requests", Deferrable, "notification",
			`category: notification (messaging.destination "email-requests")`},
		{"server address", "-> x: POST 0 10 !untraced server.address=hooks.slack.com", Deferrable, "notification",
			`category: notification (service "hooks.slack.com")`},
		{"url", "-> x: POST 0 10 !untraced url.full=https://api.example.com/v2/sms/send?to=1", Deferrable, "notification",
			`category: notification (operation "POST /v2/sms/send")`},
	}
	cl := NewClassifier(nil)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := build(t, 1, "root: GET / 0 100\n  "+tc.desc)
			cs := calls.Find(tr)
			if len(cs) != 1 {
				t.Fatalf("%d calls", len(cs))
			}
			got := cl.Classify(tr, &cs[0])
			if got.Lean != tc.lean || got.Category != tc.category || got.Reason() != tc.reason {
				t.Errorf("got %v %q %q; want %v %q %q", got.Lean, got.Category, got.Reason(), tc.lean, tc.category, tc.reason)
			}
		})
	}
}

func TestClassifyPolicy(t *testing.T) {
	pol, err := policy.Parse("p.yaml", []byte(`rules:
  - {service: email, class: critical, reason: legal}
  - {service: payment, operation: "POST /tip", class: deferrable}
  - {caller: batch, service: "*", class: deferrable}
`))
	if err != nil {
		t.Fatal(err)
	}
	cl := NewClassifier(pol)
	tests := []struct {
		root, call string
		lean       Lean
		reason     string
	}{
		{"order", "-> email: POST /send 0 10", Critical, `policy: critical (rule at p.yaml:2:5: "legal"), overriding category notification (service "email")`},
		{"order", "-> payment: POST /tip 0 10", Deferrable, `policy: deferrable (rule at p.yaml:3:5), overriding category payment (service "payment")`},
		{"order", "-> payment: POST /charge 0 10", Critical, `category: payment (service "payment")`},
		{"batch", "-> analytics: POST /x 0 10", Deferrable, `policy: deferrable (rule at p.yaml:4:5)`},
	}
	for _, tc := range tests {
		tr := build(t, 1, tc.root+": GET / 0 100\n  "+tc.call)
		cs := calls.Find(tr)
		got := cl.Classify(tr, &cs[0])
		if got.Lean != tc.lean || got.Reason() != tc.reason {
			t.Errorf("%s: got %v %q; want %v %q", tc.call, got.Lean, got.Reason(), tc.lean, tc.reason)
		}
	}
}

func TestAccessOf(t *testing.T) {
	tests := []struct {
		desc string
		want Access
		how  string
	}{
		{"-> a: GET /x 0 10", Read, "GET"},
		{"-> a: POST /x 0 10", Write, "POST"},
		{"-> a: DELETE /x 0 10", Write, "DELETE"},
		{"-> a: SELECT 0 10 !untraced db.system=mysql db.query.text=SELECT_1", Read, "SELECT"},
		{"-> a: UPDATE 0 10 !untraced db.system=mysql db.query.text=UPDATE_t_SET_a=1", Write, "UPDATE"},
		{"-> a: HGETALL 0 10 !untraced db.system=redis db.operation=HGETALL", Read, "HGETALL"},
		{"-> a: GETDEL 0 10 !untraced db.system=redis db.operation=GETDEL", Write, "GETDEL"},
		{"-> a: shop.Cart/GetCart 0 10 !untraced rpc.system=grpc rpc.service=shop.Cart rpc.method=GetCart", Read, "rpc GetCart"},
		{"-> a: shop.Email/SendOrderConfirmation 0 10 !untraced rpc.system=grpc rpc.method=SendOrderConfirmation", Write, "rpc SendOrderConfirmation"},
		{"-> a: shop.Email/Settle 0 10 !untraced rpc.system=grpc rpc.method=Settle", Unknown, ""},
		{"-> a: shop.X/Getaway 0 10 !untraced rpc.system=grpc rpc.method=Getaway", Unknown, ""},
		{"-> a: publish 0 10 !producer messaging.system=kafka", Write, "publish"},
		{"-> a: do-something 0 10", Unknown, ""},
	}
	for _, tc := range tests {
		tr := build(t, 1, "root: GET / 0 100\n  "+tc.desc)
		cs := calls.Find(tr)
		if len(cs) != 1 {
			t.Fatalf("%s: %d calls", tc.desc, len(cs))
		}
		acc, how := AccessOf(tr, &cs[0])
		if acc != tc.want || how != tc.how {
			t.Errorf("%s: got %v %q, want %v %q", tc.desc, acc, how, tc.want, tc.how)
		}
	}
}

func TestStatementTable(t *testing.T) {
	for _, tc := range []struct{ stmt, want string }{
		{"INSERT INTO audit_log (a) VALUES (1)", "audit_log"},
		{"select * from `orders` where id = ?", "orders"},
		{"  UPDATE\t\"users\" SET a=1", "users"},
		{"CREATE TABLE [events](id int)", "events"},
		{"SELECT 1", ""},
		{"DELETE FROM", ""},
		{"", ""},
		{"FROM;;(x)", "x"},
	} {
		if got := statementTable(tc.stmt); got != tc.want {
			t.Errorf("statementTable(%q) = %q, want %q", tc.stmt, got, tc.want)
		}
	}
}

// TestPassClassifyCache: the cached classification (by attribute-list
// identity, then by text) equals the classifier's, also when spans share
// one attribute list but differ in what else the class depends on.
func TestPassClassifyCache(t *testing.T) {
	tr := build(t, 1, `shop: POST /checkout 0 900
  -> email: POST /send 0 100 http.request.method=POST server.address=mail
  -> payment: POST /send 100 200 http.request.method=POST server.address=mail
  -> email: GET /send 200 300 http.request.method=GET server.address=mail
  -> audit: INSERT 300 400 !untraced db.system=postgresql db.query.text=INSERT_INTO_audit_log_(a)_VALUES_(1)
  -> audit: INSERT 400 500 !untraced db.system=postgresql db.query.text=INSERT_INTO_payments_(a)_VALUES_(1)`)
	// Share the first call span's attributes with the others where equal,
	// as decoder.AttrSets does.
	for i := range tr.Spans {
		for j := range i {
			if slices.Equal(tr.Spans[i].Attrs, tr.Spans[j].Attrs) && len(tr.Spans[i].Attrs) > 0 {
				tr.Spans[i].Attrs = tr.Spans[j].Attrs
				break
			}
		}
	}
	p := newPass(requests(tr), DefaultOptions())
	cs := p.Calls(0)
	if len(cs) < 5 {
		t.Fatalf("%d calls, want 5", len(cs))
	}
	for round := range 2 { // the second round reads the caches
		for k := range cs {
			c := &cs[k]
			got, want := p.Classify(0, c), p.classifier.Classify(tr, c)
			if got != want {
				t.Errorf("round %d, call to %v: %+v, want %+v", round, c.Callee, got, want)
			}
		}
	}
}
