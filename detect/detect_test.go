package detect

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/syncaudit/syncaudit/calls"
	"github.com/syncaudit/syncaudit/detect/policy"
	"github.com/syncaudit/syncaudit/trace"
)

// The seed's order example: payment 100 ms, email 500 ms, analytics 50 ms.
const (
	seedSequential = `
order: POST /order 0 650
  -> payment: POST /charge 0 100
  -> email: POST /send 100 600
  -> analytics: POST /track 600 650
`
	// email runs alongside payment; analytics waits for email.
	seedParallel = `
order: POST /order 0 550
  -> payment: POST /charge 0 100
  -> email: POST /send 0 500
  -> analytics: POST /track 500 550
`
)

// free is the options of the worked examples: no enqueue cost.
var free = Options{MinConfidence: DefaultMinConfidence}

func TestSeedExamples(t *testing.T) {
	tests := []struct {
		name, desc  string
		callee      string
		wantSavings msSav
		wantAfter   msLat
		wantConf    float64
	}{
		{"sequential email", seedSequential, "email POST /send",
			msSav{Mean: 500, P50: 500, P95: 500, P99: 500, Total: 500}, msLat{P50: 150, P95: 150, P99: 150}, 0.60}, // 0.50 (service name only) + 0.10 write
		{"sequential analytics", seedSequential, "analytics POST /track",
			msSav{Mean: 50, P50: 50, P95: 50, P99: 50, Total: 50}, msLat{P50: 600, P95: 600, P99: 600}, 0.80},
		{"email alongside payment", seedParallel, "email POST /send",
			msSav{Mean: 400, P50: 400, P95: 400, P99: 400, Total: 400}, msLat{P50: 150, P95: 150, P99: 150}, 0.60},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runDesc(t, free, tc.desc)
			f := find(res, "make-async", tc.callee)
			if f == nil {
				t.Fatalf("no make-async finding for %s in %v", tc.callee, res.Findings)
			}
			if savMs(f.Savings) != tc.wantSavings {
				t.Errorf("savings = %+v, want %+v", f.Savings, tc.wantSavings)
			}
			if latMs(f.LatencyAfter) != tc.wantAfter {
				t.Errorf("latency after = %+v, want %+v", f.LatencyAfter, tc.wantAfter)
			}
			if f.Confidence != tc.wantConf || !f.Recommended {
				t.Errorf("confidence = %v (recommended %v), want %v", f.Confidence, f.Recommended, tc.wantConf)
			}
			if f.Calls != 1 || f.Traces != 1 {
				t.Errorf("calls, traces = %d, %d; want 1, 1", f.Calls, f.Traces)
			}
			if f.Endpoint.String() != "order POST /order" || f.Caller.String() != "order POST /order" {
				t.Errorf("endpoint %v caller %v", f.Endpoint, f.Caller)
			}
			if find(res, "make-async", "payment POST /charge") != nil {
				t.Error("payment (critical) reported as make-async")
			}
		})
	}
}

func TestSeedRankingAndPlan(t *testing.T) {
	res := runDesc(t, free, seedSequential)
	var got []string
	for _, f := range res.Findings {
		got = append(got, f.Callee.String())
	}
	if want := []string{"email POST /send", "analytics POST /track"}; !slices.Equal(got, want) {
		t.Fatalf("ranking = %q, want %q", got, want)
	}
	email := res.Findings[0]
	if email.Rank != 1 || res.Findings[1].Rank != 2 {
		t.Errorf("ranks %d, %d", email.Rank, res.Findings[1].Rank)
	}
	wantReasons := []string{
		`category: notification (service "email")`,
		`write: changes state (POST) in 1 of 1 calls`,
	}
	if !slices.Equal(email.Reasons, wantReasons) {
		t.Errorf("reasons = %q, want %q", email.Reasons, wantReasons)
	}
	if want := "publish an event to a queue instead of calling email POST /send"; email.Fix != want {
		t.Errorf("fix = %q, want %q", email.Fix, want)
	}
	if email.Share != 500.0/650 {
		t.Errorf("share = %v, want %v", email.Share, 500.0/650)
	}
	want := []PlanEndpoint{{
		Endpoint: calls.Endpoint{Service: "order", Operation: "POST /order"},
		Changes:  []int{1, 2},
		Before:   Latency{P50: 650 * time.Millisecond, P95: 650 * time.Millisecond, P99: 650 * time.Millisecond},
		After:    Latency{P50: 100 * time.Millisecond, P95: 100 * time.Millisecond, P99: 100 * time.Millisecond}, // payment only: savings are not added
	}}
	if !reflect.DeepEqual(res.Plan, want) {
		t.Errorf("plan = %+v, want %+v", res.Plan, want)
	}
}

func TestEnqueueCost(t *testing.T) {
	for _, tc := range []struct {
		cost time.Duration
		want float64
	}{{0, 500}, {time.Millisecond, 499}, {10 * time.Millisecond, 490}} {
		res := runDesc(t, Options{EnqueueCost: tc.cost, MinConfidence: 0.5}, seedSequential)
		if f := find(res, "make-async", "email POST /send"); f == nil || savMs(f.Savings).Mean != tc.want {
			t.Errorf("cost %v: email finding %+v, want mean saving %v", tc.cost, f, tc.want)
		}
	}
	// Detaching a call shorter than the enqueue cost saves nothing: dropped.
	res := runDesc(t, Options{EnqueueCost: 60 * time.Millisecond, MinConfidence: 0.5}, seedSequential)
	if f := find(res, "make-async", "analytics POST /track"); f != nil {
		t.Errorf("analytics (50 ms) kept with a 60 ms enqueue cost: %+v", f.Savings)
	}
}

func TestLoopOfThree(t *testing.T) {
	desc := `
order: POST /order 0 1700
  -> payment: POST /charge 0 100
  -> email: POST /send 100 600
  -> email: POST /send 600 1100
  -> email: POST /send 1100 1600
  -> ledger: POST /entries 1600 1700
`
	for _, tc := range []struct {
		cost time.Duration
		want float64
	}{{0, 1500}, {time.Millisecond, 1497}} {
		res := runDesc(t, Options{EnqueueCost: tc.cost, MinConfidence: 0.5}, desc)
		f := find(res, "make-async", "email POST /send")
		if f == nil {
			t.Fatal("no email finding")
		}
		if f.Calls != 3 || f.Traces != 1 || savMs(f.Savings).Mean != tc.want || savMs(f.Savings).Total != tc.want {
			t.Errorf("cost %v: calls %d traces %d savings %+v; want 3, 1, %v", tc.cost, f.Calls, f.Traces, f.Savings, tc.want)
		}
		if len(f.Sites) != 1 || f.Savings.Count != 1 {
			t.Errorf("sites = %+v, savings %+v, want one request", f.Sites, f.Savings)
		}
		if want := "publish events to a queue instead of calling email POST /send (up to 3 times per request)"; f.Fix != want {
			t.Errorf("fix = %q", f.Fix)
		}
	}
}

func TestUntracedThirdParty(t *testing.T) {
	res := runDesc(t, free, `
order: POST /order 0 400
  -> payment: POST /charge 0 100
  -> x: POST 100 300 !untraced server.address=api.mailgun.net url.full=https://api.mailgun.net/v3/example.com/messages?x=1 http.request.method=POST
  -> x: POST 300 400 !untraced peer.service=sendgrid http.request.method=POST
`)
	for _, tc := range []struct {
		callee, reason string
		saving         float64
	}{
		{"api.mailgun.net POST /v3/example.com/messages", `category: notification (url "https://api.mailgun.net/v3/example.com/messages")`, 200},
		{"sendgrid POST", `category: notification (service "sendgrid")`, 100},
	} {
		f := find(res, "make-async", tc.callee)
		if f == nil {
			var got []string
			for _, f := range res.Findings {
				got = append(got, f.Callee.String())
			}
			t.Fatalf("no finding for %q; findings: %q", tc.callee, got)
		}
		if f.Reasons[0] != tc.reason || savMs(f.Savings).Mean != tc.saving || !f.Recommended {
			t.Errorf("%s: reasons %q, saving %v, recommended %v", tc.callee, f.Reasons, savMs(f.Savings).Mean, f.Recommended)
		}
	}
}

func TestFailuresTolerated(t *testing.T) {
	ok := `
web: GET /page 0 300
  -> svc-a: POST /x 0 100
  -> svc-b: POST /y 100 250
  -> svc-c: GET /z 250 300
`
	failing := strings.Replace(ok, "POST /y 100 250", "POST /y 100 250 !err", 1)
	descs := append(repeat(7, ok), repeat(3, failing)...)
	res := runDesc(t, free, descs...)
	b := find(res, "make-async", "svc-b POST /y")
	if b == nil {
		t.Fatal("no svc-b finding")
	}
	if want := "failures tolerated: failed in 3 of 10 calls while the request still succeeded"; b.Reasons[0] != want {
		t.Errorf("first reason = %q, want %q", b.Reasons[0], want)
	}
	if b.Confidence != 0.65 || !b.Recommended {
		t.Errorf("svc-b confidence %v recommended %v; want 0.65, true", b.Confidence, b.Recommended)
	}
	if b.Calls != 10 || b.Traces != 10 || savMs(b.Savings).Total != 1500 {
		t.Errorf("svc-b calls %d traces %d savings %+v", b.Calls, b.Traces, b.Savings)
	}
	// svc-a never fails: a neutral write is not enough.
	a := find(res, "make-async", "svc-a POST /x")
	if a == nil || a.Recommended || a.Confidence != 0.3 {
		t.Errorf("svc-a = %+v, want confidence 0.3, not recommended", a)
	}

	// When the request fails with the call, that counts against it.
	failedRoot := strings.Replace(failing, "GET /page 0 300", "GET /page 0 300 !err", 1)
	res = runDesc(t, free, append(repeat(7, ok), repeat(3, failedRoot)...)...)
	b = find(res, "make-async", "svc-b POST /y")
	if b == nil || b.Recommended || !slices.Contains(b.Reasons, "failures propagate: the request failed in 3 of the 3 calls that failed") {
		t.Errorf("svc-b with propagated failures = %+v", b)
	}
}

func TestPolicyOverrides(t *testing.T) {
	desc := `
order: POST /order 0 900
  -> payment: POST /charge 0 100
  -> email: POST /send 100 600
  -> ledger: POST /entries 600 800
  -> warehouse: POST /reserve 800 900
`
	pol, err := policy.Parse("p.yaml", []byte(`rules:
  - service: email
    class: critical
    reason: legal wants the mail sent first
  - service: ledger
    class: deferrable
    reason: reconciled nightly
`))
	if err != nil {
		t.Fatal(err)
	}
	// Without the policy: email recommended, ledger neutral and not.
	res := runDesc(t, free, desc)
	if f := find(res, "make-async", "email POST /send"); f == nil || !f.Recommended {
		t.Errorf("without policy, email = %+v", f)
	}
	if f := find(res, "make-async", "ledger POST /entries"); f == nil || f.Recommended {
		t.Errorf("without policy, ledger = %+v", f)
	}

	opt := free
	opt.Policy = pol
	res = runDesc(t, opt, desc)
	if f := find(res, "make-async", "email POST /send"); f != nil {
		t.Errorf("email marked critical by policy still reported: %+v", f)
	}
	f := find(res, "make-async", "ledger POST /entries")
	if f == nil || !f.Recommended || f.Confidence != 0.9 {
		t.Fatalf("ledger with policy = %+v", f)
	}
	if want := `policy: deferrable (rule at p.yaml:5:5: "reconciled nightly")`; f.Reasons[0] != want {
		t.Errorf("reason = %q, want %q", f.Reasons[0], want)
	}
	for _, p := range res.Plan {
		for _, r := range p.Changes {
			if res.Findings[r-1].Callee.Service == "email" {
				t.Error("email in the plan")
			}
		}
	}
	// A deferrable rule overrides a built-in critical category.
	pol2, err := policy.Parse("q.yaml", []byte("rules:\n  - {service: warehouse, operation: 'POST /reserve', class: deferrable}\n"))
	if err != nil {
		t.Fatal(err)
	}
	opt.Policy = pol2
	res = runDesc(t, opt, desc)
	f = find(res, "make-async", "warehouse POST /reserve")
	if f == nil || !strings.HasPrefix(f.Reasons[0], `policy: deferrable (rule at q.yaml:2:5), overriding category inventory (operation "POST /reserve")`) {
		t.Errorf("warehouse with policy = %+v", f)
	}
}

func TestCriticalNeverRecommended(t *testing.T) {
	var descs []string
	for i := 0; i < 5; i++ {
		descs = append(descs, `
shop: POST /buy 0 16000
  -> auth: POST /session 0 3000
  -> inventory: POST /items 3000 6000
  -> payment: POST /charge 6000 15000
  -> fraud-notification: POST /alerts 15000 15900
  -> email: POST /send 15900 16000
`)
	}
	res := runDesc(t, Options{MinConfidence: 0}, descs...) // everything else recommended
	for _, f := range res.Findings {
		if f.Action != ActionMakeAsync {
			continue
		}
		switch f.Callee.Service {
		case "auth", "inventory", "payment", "fraud-notification":
			t.Errorf("critical %s reported: %+v", f.Callee, f)
		}
	}
	if f := find(res, "make-async", "email POST /send"); f == nil || !f.Recommended {
		t.Errorf("email = %+v", f)
	}
	if len(res.Plan) != 1 || latMs(res.Plan[0].After).P50 != 15900 {
		t.Errorf("plan = %+v, want only email detached (16000 → 15900)", res.Plan)
	}
}

func TestParallelize(t *testing.T) {
	tests := []struct {
		name       string
		desc       string
		callee     string // the callees joined with " + ", "" for no parallelize finding
		saving     float64
		conf       float64
		wantReason string
	}{
		{"two sequential GETs", `
product: GET /product 0 260
  -> catalog: GET /items/1 0 100
  -> reviews: GET /reviews 100 250
`, "catalog GET /items/{id} + reviews GET /reviews", 100, 0.7, "distinct services: each call goes to a different service"},
		{"critical reads too", `
product: GET /product 0 200
  -> inventory: GET /stock 0 100
  -> pricing: GET /price 100 200
`, "inventory GET /stock + pricing GET /price", 100, 0.7, "critical calls stay synchronous: they only start together"},
		{"already concurrent", `
product: GET /product 0 200
  -> catalog: GET /items 0 150
  -> reviews: GET /reviews 100 200
`, "", 0, 0, ""},
		{"write in between", `
product: GET /product 0 300
  -> catalog: GET /items 0 100
  -> cart: POST /cart 100 200
  -> reviews: GET /reviews 200 300
`, "", 0, 0, ""},
		{"caller works in between", `
product: GET /product 0 300
  -> catalog: GET /items 0 100
  product: render 100 200
  -> reviews: GET /reviews 200 300
`, "catalog GET /items + reviews GET /reviews", 100, 0.5,
			"work between: the caller spends over 20% of the run between the calls in 1 of 1 runs (it may use one answer to make the next call)"},
		{"repeated callee", `
product: GET /product 0 300
  -> catalog: GET /items 0 100
  -> catalog: GET /items 100 200
  -> catalog: GET /items 200 300
`, "catalog GET /items", 200, 0.6, "sequential: up to 3 calls that do not write run one after another under the same caller, in 1 run"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := runDesc(t, free, tc.desc)
			var par []Finding
			for _, f := range res.Findings {
				if f.Action == ActionParallelize {
					par = append(par, f)
				}
			}
			if tc.callee == "" {
				if len(par) != 0 {
					t.Fatalf("unexpected parallelize findings: %+v", par)
				}
				return
			}
			if len(par) != 1 {
				t.Fatalf("got %d parallelize findings: %+v", len(par), par)
			}
			f := par[0]
			var names []string
			for _, c := range f.Callees {
				names = append(names, c.String())
			}
			if got := strings.Join(names, " + "); got != tc.callee || savMs(f.Savings).Mean != tc.saving || f.Confidence != tc.conf {
				t.Errorf("got %q saving %v confidence %v; want %q %v %v", got, savMs(f.Savings).Mean, f.Confidence, tc.callee, tc.saving, tc.conf)
			}
			if !slices.Contains(f.Reasons, tc.wantReason) {
				t.Errorf("reasons %q lack %q", f.Reasons, tc.wantReason)
			}
		})
	}
}

func TestParallelizeFix(t *testing.T) {
	res := runDesc(t, free, `
product: GET /product 0 300
  -> catalog: GET /items 0 100
  -> reviews: GET /reviews 100 200
  -> stock: GET /level 200 300
`)
	f := res.Findings[0]
	if want := "call catalog GET /items, reviews GET /reviews and stock GET /level concurrently instead of one after another"; f.Action != ActionParallelize || f.Fix != want {
		t.Errorf("top finding %s %q, want parallelize %q", f.Action, f.Fix, want)
	}
	if savMs(f.Savings).Mean != 200 || len(f.Callees) != 3 {
		t.Errorf("saving %v callees %v", savMs(f.Savings).Mean, f.Callees)
	}
}

func TestAsyncElsewhereAndTail(t *testing.T) {
	res := runDesc(t, free, `
order: POST /order 0 300
  -> svc-b: POST /y 0 200
  -> svc-c: POST /z 200 300
`, `
batch: POST /run 0 100
  ~> svc-b: POST /y 0 300
`)
	b := find(res, "make-async", "svc-b POST /y")
	if b == nil {
		t.Fatal("no svc-b finding")
	}
	if want := "async elsewhere: svc-b POST /y is already called asynchronously in 1 call"; b.Reasons[0] != want {
		t.Errorf("reasons %q; want first %q", b.Reasons, want)
	}
	c := find(res, "make-async", "svc-c POST /z")
	if c == nil || !slices.Contains(c.Reasons, "tail position: the caller waits for nothing after it in 1 of 1 calls") {
		t.Errorf("svc-c = %+v", c)
	}
	if c.Confidence != 0.45 { // 0.2 neutral + 0.15 tail + 0.1 write
		t.Errorf("svc-c confidence %v", c.Confidence)
	}
}

func TestTail(t *testing.T) {
	tr := build(t, 1, `
root: GET / 0 1000
  -> a: GET /a 0 100
  -> b: GET /b 100 900
  -> c: GET /c 100 995
  -> d: GET /d 0 10
`)
	p := newPass(requests(tr), free)
	got := map[string]bool{}
	for _, c := range p.Calls(0) {
		got[c.Callee.Service] = p.Tail(0, &c)
	}
	// c ends 5 ms before the root (tolerance 50 ms) and nothing starts after
	// it; b ends while c still runs but the root goes on 100 ms after b.
	want := map[string]bool{"a": false, "b": false, "c": true, "d": false}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("tail = %v, want %v", got, want)
	}
}

func TestTop(t *testing.T) {
	res := runDesc(t, Options{MinConfidence: 0.5, Top: 1}, seedSequential)
	if len(res.Findings) != 1 || res.Findings[0].Callee.Service != "email" {
		t.Fatalf("findings = %+v", res.Findings)
	}
	if len(res.Plan) != 1 || !slices.Equal(res.Plan[0].Changes, []int{1}) || latMs(res.Plan[0].After).P50 != 150 {
		t.Errorf("plan = %+v", res.Plan)
	}
}

func TestMinConfidence(t *testing.T) {
	res := runDesc(t, Options{MinConfidence: 0.7}, seedSequential)
	for _, f := range res.Findings {
		if want := f.Confidence >= 0.7; f.Recommended != want {
			t.Errorf("%s: confidence %v recommended %v", f.Callee, f.Confidence, f.Recommended)
		}
	}
	if len(res.Plan) != 1 || !slices.Equal(res.Plan[0].Changes, []int{2}) || latMs(res.Plan[0].After).P50 != 600 {
		t.Errorf("plan = %+v, want analytics only", res.Plan)
	}
}

// mixed returns traces of several endpoints with varied timings.
func mixed(t *testing.T) []Request {
	var ts []*trace.Trace
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 40; i++ {
		a, b, c := 50+rng.IntN(100), 100+rng.IntN(400), 10+rng.IntN(60)
		err := ""
		if i%4 == 0 {
			err = "!err"
		}
		desc := `
order: POST /order 0 ` + itoa(a+b+c) + `
  -> payment: POST /charge 0 ` + itoa(a) + `
  -> email: POST /send ` + itoa(a) + " " + itoa(a+b) + ` ` + err + `
  -> analytics: POST /track ` + itoa(a+b) + " " + itoa(a+b+c)
		if i%3 == 0 {
			desc = `
product: GET /product 0 ` + itoa(a+b) + `
  -> catalog: GET /items ` + "0 " + itoa(a) + `
  -> reviews: GET /reviews ` + itoa(a) + " " + itoa(a+b)
		}
		ts = append(ts, build(t, uint64(i+1), desc))
	}
	return requests(ts...)
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestDeterministicUnderShuffle(t *testing.T) {
	reqs := mixed(t)
	first, err := Run(context.Background(), reqs, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Findings) < 3 {
		t.Fatalf("only %d findings", len(first.Findings))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for k := 0; k < 5; k++ {
		shuffled := slices.Clone(reqs)
		rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		got, err := Run(context.Background(), shuffled, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got.Findings, first.Findings) || !reflect.DeepEqual(got.Plan, first.Plan) {
			t.Fatalf("shuffle %d changed the result:\n%+v\nvs\n%+v", k, got.Findings, first.Findings)
		}
	}
	for i, f := range first.Findings {
		if f.Rank != i+1 {
			t.Errorf("finding %d has rank %d", i, f.Rank)
		}
		if i > 0 && first.Findings[i-1].Score() < f.Score() {
			t.Errorf("rank %d scores %v above rank %d's %v", f.Rank, f.Score(), f.Rank-1, first.Findings[i-1].Score())
		}
	}
}

func TestTiesBrokenByName(t *testing.T) {
	// Two identical calls under different endpoints score the same.
	res := runDesc(t, free, `
b-svc: POST /x 0 200
  -> email: POST /send 0 100
`, `
a-svc: POST /x 0 200
  -> email: POST /send 0 100
`)
	if len(res.Findings) != 2 || res.Findings[0].Endpoint.Service != "a-svc" || res.Findings[1].Endpoint.Service != "b-svc" {
		t.Errorf("findings = %+v", res.Findings)
	}
}

func TestRunErrors(t *testing.T) {
	reqs := requests(build(t, 1, seedSequential))
	bad := []Options{{EnqueueCost: -1}, {MinConfidence: 1.5}, {MinConfidence: -0.1}, {Top: -1}}
	for _, o := range bad {
		if _, err := Run(context.Background(), reqs, o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
	noop := func() DetectorState { return nil }
	for _, ds := range [][]*Detector{
		{nil},
		{{Name: "Bad Name", Doc: "x", New: noop}},
		{{Name: "x", Doc: "", New: noop}},
		{{Name: "x", Doc: "x"}},
		{{Name: "x", Doc: "x", New: noop}, {Name: "x", Doc: "x", New: noop}},
	} {
		o := free
		o.Detectors = ds
		if _, err := Run(context.Background(), reqs, o); err == nil {
			t.Errorf("detectors %+v accepted", ds)
		}
	}
}

func TestDetectorDocs(t *testing.T) {
	for _, d := range Standard() {
		title, rest, ok := strings.Cut(d.Doc, "\n\n")
		if !ok || rest == "" || title == "" || strings.HasSuffix(title, ".") || strings.ToLower(title[:1]) != title[:1] {
			t.Errorf("%s: Doc must be a lower-case title line, a blank line and paragraphs", d.Name)
		}
	}
}

func TestBadInput(t *testing.T) {
	good := build(t, 1, seedSequential)
	unlinked := &trace.Trace{Spans: []trace.Span{{Name: "x", End: 10}}}
	ep := calls.Endpoint{Service: "order", Operation: "POST /order"}
	reqs := []Request{
		{Trace: nil, Latency: 5, Endpoint: ep},
		{Trace: unlinked, Latency: 10, Endpoint: ep},
		{Trace: &trace.Trace{}, Endpoint: ep},
		{Trace: good, Root: 99, Endpoint: ep},
		{Trace: good, Root: -1, Endpoint: ep},
	}
	reqs = append(reqs, requests(good)...)
	res, err := Run(context.Background(), reqs, free)
	if err != nil {
		t.Fatal(err)
	}
	f := find(res, "make-async", "email POST /send")
	if f == nil || savMs(f.Savings).Total != 500 || f.Traces != 1 {
		t.Fatalf("email = %+v", f)
	}
	// The unusable requests still count in the endpoint's latency.
	if latMs(f.LatencyAfter).P99 != 150 || latMs(f.LatencyAfter).P50 != 0 {
		t.Errorf("latency after = %+v", f.LatencyAfter)
	}
	// Calls left nil are found by the pass.
	noCalls := requests(build(t, 2, seedSequential))
	noCalls[0].Calls = nil
	res, err = Run(context.Background(), noCalls, free)
	if err != nil || find(res, "make-async", "email POST /send") == nil {
		t.Errorf("nil Calls: %v, %+v", err, res)
	}
}

func TestCallsOfOnly(t *testing.T) {
	c := func(spans ...int32) []calls.Call {
		out := make([]calls.Call, len(spans))
		for i, s := range spans {
			out[i] = calls.Call{Span: s}
		}
		return out
	}
	spans := func(cs []calls.Call) []int32 {
		var out []int32
		for _, x := range cs {
			out = append(out, x.Span)
		}
		return out
	}
	rootOf := []int32{0, 0, 0, 0, -1, 0}
	for _, tc := range []struct {
		in   []calls.Call
		want []int32
		same bool
	}{
		{c(1, 2, 3), []int32{1, 2, 3}, true},
		{c(3, 1, 2), []int32{1, 2, 3}, false},
		{c(0, 1, 5), []int32{1, 5}, false}, // a call on the root itself
		{c(1, 4, 5), []int32{1, 5}, false}, // span 4 is not under the root
		{c(1, 9, -1), []int32{1}, false},   // out of range
		{nil, nil, true},
	} {
		got := callsOfOnly(0, tc.in, rootOf)
		if !slices.Equal(spans(got), tc.want) {
			t.Errorf("%v: %v, want %v", spans(tc.in), spans(got), tc.want)
		}
		if same := len(got) > 0 && &got[0] == &tc.in[0]; same != (tc.same && len(tc.in) > 0) {
			t.Errorf("%v: returned the input: %v", spans(tc.in), same)
		}
	}
}
