package text

import (
	"fmt"
	"io"
	"strings"

	"github.com/syncaudit/syncaudit/render/format"
	"github.com/syncaudit/syncaudit/report"
)

// WriteMermaid writes d as a Mermaid flowchart (left to right): one node
// per service, one edge per caller → callee operation labelled with the
// callee operation, calls per request and p95. Before the plan
// (after=false), synchronous edges are solid and already-asynchronous ones
// dashed; after it, edges the plan makes asynchronous are dashed and
// highlighted, parallelized ones thick and highlighted. The output is a
// fenced ```mermaid block, which GitHub renders.
func WriteMermaid(w io.Writer, d report.Diagram, after bool) error {
	var b strings.Builder
	b.WriteString("```mermaid\nflowchart LR\n")
	ids := map[string]string{}
	node := func(svc string) string {
		if id, ok := ids[svc]; ok {
			return id
		}
		id := fmt.Sprintf("s%d", len(ids))
		ids[svc] = id
		fmt.Fprintf(&b, "  %s[\"%s\"]\n", id, mermaidText(svc))
		return id
	}
	node(d.Endpoint.Service)
	var highlight []int
	for i, e := range d.Edges {
		from, to := node(e.Caller.Service), node(e.Callee.Service)
		label := fmt.Sprintf("%s · %s/req", e.Callee.Operation, format.PerRequest(e.CallsPerRequest))
		if !e.Async {
			label += " · p95 " + mdMs(e.P95Ms)
		}
		arrow := "-->"
		switch {
		case e.Async:
			arrow = "-.->"
			label += " · async"
		case after && e.Plan == report.MakeAsync:
			arrow = "-.->"
			label += " · async (plan)"
			highlight = append(highlight, i)
		case after && e.Plan == report.Parallelize:
			arrow = "==>"
			label += " · concurrent (plan)"
			highlight = append(highlight, i)
		}
		fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", from, arrow, mermaidText(label), to)
	}
	for _, i := range highlight {
		fmt.Fprintf(&b, "  linkStyle %d stroke:#d9480f,stroke-width:3px\n", i)
	}
	b.WriteString("```\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidText makes s safe inside a quoted Mermaid label.
func mermaidText(s string) string {
	return strings.NewReplacer(`"`, "#quot;", "\n", " ", "|", "#124;", "<", "#lt;", ">", "#gt;").Replace(s)
}
