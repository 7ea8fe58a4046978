package calls

import (
	"testing"

	"github.com/syncaudit/syncaudit/trace"
)

func TestTemplatePath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"/", "/"},
		{"/orders", "/orders"},
		{"/orders/", "/orders/"},
		{"/orders/123", "/orders/{id}"},
		{"/orders/123/items/4", "/orders/{id}/items/{id}"},
		{"/a/12345678901234567890", "/a/{id}"},
		{"/users/3f2504e0-4f89-11d3-9a0c-0305E82C3301/cart", "/users/{id}/cart"},
		{"/users/3f2504e0-4f89-11d3-9a0c-0305e82c330", "/users/{id}"},      // not a UUID, but an id with separators
		{"/a/b-c-deadbeef", "/a/b-c-deadbeef"},                             // no digit in the last part
		{"/devices/8da0d44a-fc10-4716-abc4-XXXXXXXXXXXX", "/devices/{id}"}, // masked UUID
		{"/traces/4bf92f3577b34da6a3ce929d0e0e4736", "/traces/{id}"},
		{"/blobs/0123456789abcdef", "/blobs/{id}"},
		{"/blobs/DEADBEEF00112233", "/blobs/{id}"},
		{"/x/abc123", "/x/abc123"},
		{"/orders/ord_8f3k29x", "/orders/{id}"},
		{"/orders/a8f3k29xq", "/orders/{id}"},
		{"/api/v1/travel2service/trips/left", "/api/v1/travel2service/trips/left"}, // one digit in a word (TrainTicket)
		{"/callback/oauth2callback", "/callback/oauth2callback"},
		{"/invoices/INV-2024-0042", "/invoices/{id}"},
		{"/reports/2024-01-15", "/reports/{id}"},
		{"/orders?id=5&x=1", "/orders"},
		{"/search?q=1#frag", "/search"},
		{"/page#section-2", "/page"},
		{"/orders/12?x=1", "/orders/{id}"},
		{"http://127.0.0.1:4321/pay", "/pay"},
		{"https://api.example.com/v1/orders/42?expand=items", "/v1/orders/{id}"},
		{"https://api.example.com", "/"},
		{"https://api.example.com?x=1", "/"},
		{"/api/v1/orders/42", "/api/v1/orders/{id}"},
		{"/apis/apps/v1beta1/deployments", "/apis/apps/v1beta1/deployments"},
		{"/api-v2/orders", "/api-v2/orders"},
		{"/oauth2/callback", "/oauth2/callback"},
		{"/s3/buckets", "/s3/buckets"},
		{"/hash/sha256", "/hash/sha256"},
		{"/orders/{id}", "/orders/{id}"},
		{"/orders/:id", "/orders/:id"},
		{"/files/report-2024.pdf", "/files/report-2024.pdf"},
		{"/cart;jsessionid=ABC123/items/9", "/cart/items/{id}"},
		{"/redirect/http://x/1", "/redirect/http://x/{id}"},
		{"orders/7", "orders/{id}"},
	}
	for _, tc := range tests {
		if got := TemplatePath(tc.in); got != tc.want {
			t.Errorf("TemplatePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestUsefulName(t *testing.T) {
	tests := []struct {
		name string
		span trace.Span
		want string
	}{
		{"route", trace.Span{Name: "POST /checkout"}, "POST /checkout"},
		{"envoy host:port", trace.Span{Name: "reviews.default.svc.cluster.local:9080/*"}, "reviews.default.svc.cluster.local"},
		{"envoy host:port path", trace.Span{Name: "ratings:9080/ratings/0"}, "ratings /ratings/{id}"},
		{"envoy bare host:port", trace.Span{Name: "Details:9080"}, "details"},
		{"not host:port", trace.Span{Name: "Cache::get"}, "Cache::get"},
		{"not host:port either", trace.Span{Name: "redis:GET"}, "redis:GET"},
		{"bare with path", trace.Span{Name: "POST", Attrs: kv(urlPath, "/pay")}, "POST /pay"},
		{"old otel client", trace.Span{Name: "HTTP POST", Attrs: kv(urlFull, "http://127.0.0.1:4321/pay")}, "POST /pay"},
		{"route wins", trace.Span{Name: "GET", Attrs: kv(route, "/orders/{id}", urlPath, "/orders/7")}, "GET /orders/{id}"},
		{"method attr wins", trace.Span{Name: "HTTP", Attrs: kv(method, "put", urlPath, "/a/1")}, "PUT /a/{id}"},
		{"lower case", trace.Span{Name: "get", Attrs: kv(urlPath, "/x")}, "GET /x"},
		{"bare without path", trace.Span{Name: "HTTP GET"}, "GET"},
		{"unknown method", trace.Span{Name: "HTTP"}, "HTTP"},
		{"path in name", trace.Span{Name: "get /orders/123?x=1"}, "GET /orders/{id}"},
		{"url in name", trace.Span{Name: "GET http://h/orders/123"}, "GET /orders/{id}"},
		{"path as name", trace.Span{Name: "/orders/123", Attrs: kv(method, "GET")}, "GET /orders/{id}"},
		{"path as name no method", trace.Span{Name: "/orders/123"}, "/orders/{id}"},
		{"sleuth path name", trace.Span{Name: "http:/orders/123", Attrs: kv(method, "POST")}, "POST /orders/{id}"},
		{"url is not a sleuth name", trace.Span{Name: "http://h/orders/1"}, "http://h/orders/1"},
		{"relative path in name", trace.Span{Name: "PUT installedapps/42/configs"}, "PUT installedapps/{id}/configs"},
		{"method and words", trace.Span{Name: "GET user profile"}, "GET user profile"},
		{"grpc", trace.Span{Name: "Charge", Attrs: kv(rpcSvc, "payments.v1.Payments", rpcMeth, "Charge")}, "payments.v1.Payments/Charge"},
		{"rpc method only", trace.Span{Name: "x", Attrs: kv(rpcMeth, "Charge")}, "Charge"},
		{"db statement", trace.Span{Name: "postgresql.query", Attrs: kv(dbSys, "postgresql", dbStmt, "select id from \"shop\".\"orders\" where id = $1")}, "SELECT shop.orders"},
		{"db update", trace.Span{Name: "query", Attrs: kv(dbStmt, "UPDATE `orders` SET x = 1")}, "UPDATE orders"},
		{"db insert", trace.Span{Name: "q", Attrs: kv(dbStmt, "insert into orders(id) values (1)")}, "INSERT orders"},
		{"db subquery", trace.Span{Name: "q", Attrs: kv(dbStmt, "SELECT * FROM (SELECT 1) AS t")}, "SELECT"},
		{"db op attr", trace.Span{Name: "SELECT shop.orders", Attrs: kv(dbSys, "postgresql", dbOp, "SELECT")}, "SELECT shop.orders"},
		{"db op and statement", trace.Span{Name: "x", Attrs: kv(dbOp, "SELECT", dbStmt, "SELECT a FROM items")}, "SELECT items"},
		{"db statement as name", trace.Span{Name: "SELECT * FROM orders WHERE id = 5", Attrs: kv(dbSys, "mysql")}, "SELECT orders"},
		{"db no operation", trace.Span{Name: "query", Attrs: kv(dbSys, "mysql")}, "query"},
		{"mongo", trace.Span{Name: "orders.find", Attrs: kv(dbSys, "mongodb", dbOp, "find", dbStmt, `{"find":"orders"}`)}, "find"},
		{"messaging", trace.Span{Name: "orders publish", Attrs: kv(msgDest, "orders")}, "orders publish"},
		{"messaging empty name", trace.Span{Attrs: kv(msgOp, "send", msgDest, "orders")}, "send orders"},
		{"empty", trace.Span{}, "<unnamed>"},
		{"plain", trace.Span{Name: "render"}, "render"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := UsefulName(&tc.span); got != tc.want {
				t.Errorf("UsefulName = %q, want %q", got, tc.want)
			}
		})
	}
	if got := UsefulName(nil); got != "<unnamed>" {
		t.Errorf("UsefulName(nil) = %q", got)
	}
}

func TestServiceFromAttrs(t *testing.T) {
	tests := []struct {
		name  string
		attrs trace.Attrs
		want  string
	}{
		{"peer.service first", kv(peer, "stripe", addr, "api.stripe.com", dbSys, "x"), "stripe"},
		{"db namespace", kv(dbSys, "postgresql", dbNS, "orders", addr, "db1"), "postgresql/orders"},
		{"db host", kv(dbSys, "redis", addr, "Cache.Internal:6379"), "redis@cache.internal"},
		{"db system", kv(dbSys, "sqlite"), "sqlite"},
		{"messaging", kv(msgSys, "kafka", msgDest, "orders", addr, "broker:9092"), "kafka:orders"},
		{"messaging no system", kv(msgDest, "orders"), "messaging:orders"},
		{"messaging system only", kv(msgSys, "sqs", addr, "sqs.aws"), "sqs"},
		{"address", kv(addr, "api.github.com:443", rpcSvc, "x"), "api.github.com"},
		{"ipv6 address", kv(addr, "[2001:db8::1]:443"), "2001:db8::1"},
		{"bare ipv6", kv(addr, "2001:db8::1"), "2001:db8::1"},
		{"url address", kv(addr, "https://h.example:8080/x"), "h.example"},
		{"url.full host", kv(urlFull, "https://u@svc.local:80/p?q"), "svc.local"},
		{"rpc.service", kv(rpcSvc, "payments.v1.Payments"), "payments.v1.Payments"},
		{"a url name beats an IP address", kv(addr, "10.0.3.7:8080", urlFull, "http://inventory.svc:8080/x"), "inventory.svc"},
		{"rpc.service beats an IP address", kv(addr, "10.0.3.7:50051", rpcSvc, "hipstershop.CartService"), "hipstershop.CartService"},
		{"an IP as the last resort", kv(addr, "10.0.3.7:8080"), "10.0.3.7"},
		{"nothing", nil, Unknown},
		{"not a url", kv(urlFull, "/relative/path"), Unknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := serviceFromAttrs(&trace.Span{Attrs: tc.attrs}); got != tc.want {
				t.Errorf("serviceFromAttrs = %q, want %q", got, tc.want)
			}
		})
	}
}
