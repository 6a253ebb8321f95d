package assess

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// WriteDOT writes the reported attack paths as a Graphviz digraph: entry
// points, the assets the paths compromise and the targets, with an edge per
// step labelled by technique and probability. Edges a fix of the minimum
// cut removes are drawn red.
func (r *Report) WriteDOT(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "// Attack paths of %s, by Citadel. Technique ids from MITRE ATT&CK®. %s\n", r.City, r.AttackNotice)
	b.WriteString("digraph attack_paths {\n  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=9];\n")
	cut := map[string]bool{}
	for _, f := range r.Fixes {
		cut[f.ID] = true
	}
	nodes := map[string]string{}
	node := func(id, label, shape, color string) string {
		if _, ok := nodes[id]; !ok {
			nodes[id] = fmt.Sprintf("  %q [label=%q, shape=%s, style=filled, fillcolor=%q];\n", id, label, shape, color)
		}
		return id
	}
	type edge struct{ from, to, label string }
	edges := map[edge]bool{}
	var order []edge
	for _, t := range r.Targets {
		tn := node("target:"+t.ID, t.ID+"\n"+t.Sector, "doubleoctagon", "#f4cccc")
		for _, p := range t.Paths {
			prev := node("attacker", "attacker", "ellipse", "#eeeeee")
			for i, s := range p.Steps {
				var cur string
				switch {
				case i == len(p.Steps)-1:
					cur = tn
				case s.Asset != "":
					cur = node("asset:"+s.Asset, s.Asset, "box", "#fff2cc")
				case s.Zone != "":
					cur = node("zone:"+s.Zone, "zone "+s.Zone, "folder", "#d9ead3")
				default:
					continue
				}
				if cur == prev {
					continue
				}
				label := fmt.Sprintf("%s %.2f", s.Technique, s.Probability)
				if cut[s.Fix] {
					label += " ✂ " + s.Fix
				}
				e := edge{prev, cur, label}
				if !edges[e] {
					edges[e] = true
					order = append(order, e)
				}
				prev = cur
			}
		}
	}
	for _, id := range sortedKeys(nodes) {
		b.WriteString(nodes[id])
	}
	for _, e := range order {
		color := "black"
		if strings.Contains(e.label, "✂") {
			color = "red"
		}
		fmt.Fprintf(&b, "  %q -> %q [label=%q, color=%s];\n", e.from, e.to, e.label, color)
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
