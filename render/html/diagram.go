package html

import (
	"fmt"
	"strconv"

	"github.com/syncaudit/syncaudit/render/format"
	"github.com/syncaudit/syncaudit/report"
)

// depView is one endpoint's dependency diagram, drawn before and after
// the combined plan.
type depView struct {
	ID       string
	Endpoint report.Ref
	Omitted  int
	Before   depGraph
	After    *depGraph // nil when the plan changes no edge
}

// depGraph is the geometry of one inline SVG call graph: services in
// columns by call depth from the endpoint's service, edges as curves
// labelled with the callee operation, calls per request and p95.
type depGraph struct {
	W, H, Label string
	Nodes       []depNode
	Edges       []depEdge
}

type depNode struct {
	X, Y, W, H, TX, TY string
	Text, Title        string
	Entry              bool
}

type depEdge struct {
	D, Head, LX, LY string // curve, arrowhead polygon points, label position
	Class, Label    string
	Title           string
}

// Geometry of the dependency diagrams (SVG user units).
const (
	depColW  = 340.0
	depNodeW = 150.0
	depNodeH = 30.0
	depRowH  = 78.0
	depPad   = 16.0
	depChars = 44 // label room under a node, in characters (11px text)
)

func newDepView(i int, d report.Diagram) depView {
	v := depView{ID: "dep-" + strconv.Itoa(i+1), Endpoint: d.Endpoint, Omitted: d.Omitted,
		Before: newDepGraph(d, false)}
	for _, e := range d.Edges {
		if e.Plan != "" {
			g := newDepGraph(d, true)
			v.After = &g
			break
		}
	}
	return v
}

func newDepGraph(d report.Diagram, after bool) depGraph {
	// Columns: breadth-first depth of each service from the entry
	// service, following the edges in their (ranked) order.
	col := map[string]int{d.Endpoint.Service: 0}
	order := []string{d.Endpoint.Service}
	for changed := true; changed; {
		changed = false
		for _, e := range d.Edges {
			c, ok := col[e.Caller.Service]
			if !ok {
				continue
			}
			if _, seen := col[e.Callee.Service]; !seen {
				col[e.Callee.Service] = c + 1
				order = append(order, e.Callee.Service)
				changed = true
			}
		}
	}
	for _, e := range d.Edges { // callers not reachable from the entry
		for _, s := range [...]string{e.Caller.Service, e.Callee.Service} {
			if _, ok := col[s]; !ok {
				col[s] = 0
				order = append(order, s)
			}
		}
	}
	rows := map[int]int{}
	pos := map[string][2]float64{}
	maxCol, maxRow := 0, 0
	g := depGraph{Label: "Call graph of " + refText(d.Endpoint)}
	if after {
		g.Label += " after the plan"
	}
	for _, s := range order {
		c := col[s]
		r := rows[c]
		rows[c]++
		maxCol, maxRow = max(maxCol, c), max(maxRow, r)
		x, y := depPad+float64(c)*depColW, depPad+float64(r)*depRowH
		pos[s] = [2]float64{x, y}
		text, _ := fitLabel(s, "", 20)
		g.Nodes = append(g.Nodes, depNode{X: svgNum(x), Y: svgNum(y), W: svgNum(depNodeW), H: svgNum(depNodeH),
			TX: svgNum(x + depNodeW/2), TY: svgNum(y + depNodeH/2 + 4), Text: text, Title: s, Entry: s == d.Endpoint.Service})
	}
	pair := map[[2]string]int{}
	into := map[string]int{}
	for _, e := range d.Edges {
		a, b := pos[e.Caller.Service], pos[e.Callee.Service]
		k := pair[[2]string{e.Caller.Service, e.Callee.Service}]
		pair[[2]string{e.Caller.Service, e.Callee.Service}]++
		// The numbers first: a long operation name is what gets cut.
		label := format.PerRequest(e.CallsPerRequest) + "/req"
		if !e.Async {
			label += " · p95 " + msText(e.P95Ms)
		}
		cls := "dep"
		switch {
		case e.Async:
			cls, label = "dep async", label+" · async"
		case after && e.Plan == report.MakeAsync:
			cls, label = "dep async plan", label+" · async (plan)"
		case after && e.Plan == report.Parallelize:
			cls, label = "dep plan", label+" · concurrent (plan)"
		}
		label += " · " + e.Callee.Operation
		var path, head string
		var lx, ly float64
		off := float64(k) * 12
		if e.Caller.Service != e.Callee.Service {
			off = float64(into[e.Callee.Service]) * 12 // labels under one box stack
			into[e.Callee.Service]++
		}
		if e.Caller.Service == e.Callee.Service {
			// A service calling itself: a loop above the node.
			x0, y0 := a[0]+depNodeW*0.7, a[1]
			path = fmt.Sprintf("M%s %s C%s %s %s %s %s %s", svgNum(x0), svgNum(y0), svgNum(x0), svgNum(y0-26-off),
				svgNum(x0+40), svgNum(y0-26-off), svgNum(x0+30), svgNum(y0))
			head = arrowHead(x0+30, y0, 0, 1)
			lx, ly = x0+44, y0-14-off
		} else {
			x0, y0 := a[0]+depNodeW, a[1]+depNodeH/2
			x1, y1 := b[0], b[1]+depNodeH/2
			mx := (x0 + x1) / 2
			path = fmt.Sprintf("M%s %s C%s %s %s %s %s %s", svgNum(x0), svgNum(y0), svgNum(mx), svgNum(y0), svgNum(mx), svgNum(y1), svgNum(x1), svgNum(y1))
			dir := 1.0 // the curve ends along its last control segment
			if x1 < mx {
				dir = -1
			}
			head = arrowHead(x1, y1, dir, 0)
			// The label sits under the callee's box: it names the
			// callee's operation, and no edge crosses there.
			lx, ly = b[0]+2, b[1]+depNodeH+13+off
		}
		short := label
		if r := []rune(short); len(r) > depChars {
			short = string(r[:depChars-1]) + "…"
		}
		g.Edges = append(g.Edges, depEdge{D: path, Head: head, LX: svgNum(lx), LY: svgNum(ly), Class: cls, Label: short,
			Title: fmt.Sprintf("%s → %s %s", refText(e.Caller), e.Callee.Service, label)})
	}
	g.W = svgNum(2*depPad + float64(maxCol)*depColW + depNodeW + 150)
	extra := 0
	for _, n := range into {
		extra = max(extra, n)
	}
	g.H = svgNum(2*depPad + float64(maxRow)*depRowH + depNodeH + 12 + float64(extra)*12)
	return g
}

// arrowHead returns the points of a small triangle with its tip at (x, y)
// pointing along (dx, dy), a unit axis direction. Drawn as a polygon, not
// an SVG marker: the page references nothing by url() but its hatch.
func arrowHead(x, y, dx, dy float64) string {
	const l, w = 8.0, 4.0
	bx, by := x-dx*l, y-dy*l
	return fmt.Sprintf("%s,%s %s,%s %s,%s", svgNum(x), svgNum(y),
		svgNum(bx-dy*w), svgNum(by+dx*w), svgNum(bx+dy*w), svgNum(by-dx*w))
}
