package csr

import (
	"math"
	"slices"
)

// Path is a path as its edge ids, with its total weight.
type Path struct {
	Edges  []int32
	Weight float64
}

// KPaths finds the k shortest loopless paths from the sources of a
// shortest-path tree to any target. It runs Yen's algorithm backwards, from
// the target towards the sources over reversed edges, and every spur search
// is an A* search whose heuristic is the tree's distance from the sources:
// that distance is exact on the reversed graph, so a search only expands
// nodes on near-optimal routes and one Dijkstra serves every target.
//
// A KPaths holds scratch space of the graph's size; use one per goroutine.
type KPaths struct {
	g       *Graph
	w       []float64
	removed []bool
	t       Tree

	dist     []float64
	via      []int32 // edge by which the search reached a node
	touched  []int32
	banNode  []bool
	banEdge  []bool
	banned   []int32 // edges banned for the current spur
	heap     distHeap
	closed   []bool
	closedTo []int32
}

// NewKPaths prepares searches over g with weights w, skipping removed edges
// (nil: none), from the sources of tree t, which Dijkstra computed with the
// same w and removed.
func NewKPaths(g *Graph, w []float64, removed []bool, t Tree) *KPaths {
	k := &KPaths{g: g, w: w, removed: removed, t: t,
		dist: make([]float64, g.N), via: make([]int32, g.N),
		banNode: make([]bool, g.N), banEdge: make([]bool, g.M()), closed: make([]bool, g.N)}
	for i := range k.dist {
		k.dist[i] = math.Inf(1)
		k.via[i] = -1
	}
	return k
}

func (k *KPaths) usable(e int32) bool {
	return !k.banEdge[e] && (k.removed == nil || !k.removed[e]) && !math.IsInf(k.w[e], 1)
}

func (k *KPaths) isSource(v int32) bool { return k.t.Pred[v] < 0 && k.t.Dist[v] == 0 }

// spur searches a shortest path from v back to a source over reversed,
// unbanned edges, returning its edges in forward order from the source.
func (k *KPaths) spur(v int32) ([]int32, float64, bool) {
	defer k.reset()
	if math.IsInf(k.t.Dist[v], 1) {
		return nil, 0, false
	}
	k.heap = k.heap[:0]
	k.set(v, 0, -1)
	k.heap.push(item{k.t.Dist[v], v})
	for k.heap.Len() > 0 {
		it := k.heap.pop()
		x := it.v
		if k.closed[x] {
			continue
		}
		k.closed[x] = true
		k.closedTo = append(k.closedTo, x)
		if k.isSource(x) {
			var edges []int32
			for e := k.via[x]; e >= 0; e = k.via[k.g.Head[e]] {
				edges = append(edges, e)
			}
			return edges, k.dist[x], true
		}
		for _, e := range k.g.In(x) {
			u := k.g.Tail[e]
			if k.banNode[u] || !k.usable(e) || math.IsInf(k.t.Dist[u], 1) {
				continue
			}
			if d := k.dist[x] + k.w[e]; d < k.dist[u] {
				k.set(u, d, e)
				k.heap.push(item{d + k.t.Dist[u], u})
			}
		}
	}
	return nil, 0, false
}

func (k *KPaths) set(v int32, d float64, e int32) {
	if math.IsInf(k.dist[v], 1) {
		k.touched = append(k.touched, v)
	}
	k.dist[v], k.via[v] = d, e
}

func (k *KPaths) reset() {
	for _, v := range k.touched {
		k.dist[v], k.via[v] = math.Inf(1), -1
	}
	for _, v := range k.closedTo {
		k.closed[v] = false
	}
	k.touched, k.closedTo = k.touched[:0], k.closedTo[:0]
}

// Shortest returns up to n shortest loopless paths to target, in increasing
// weight (ties in a stable order).
func (k *KPaths) Shortest(target int32, n int) []Path {
	return k.Distinct(target, n, nil)
}

// Distinct is Shortest where paths with the same key count once: only the
// first (shortest) path of each key is returned. Callers use it to hide
// paths that differ only in steps they do not report. At most 8·n paths are
// enumerated, so fewer than n may be returned when many paths share keys.
func (k *KPaths) Distinct(target int32, n int, key func(edges []int32) string) []Path {
	first := k.t.PathTo(k.g, target)
	if n <= 0 || first == nil {
		return nil
	}
	found := []Path{{Edges: first, Weight: k.t.Dist[target]}}
	out := []Path{found[0]}
	keys := map[string]bool{}
	if key != nil {
		keys[key(first)] = true
	}
	var cands []Path
	for len(out) < n && len(found) < 8*n {
		prev := found[len(found)-1].Edges
		// Walk the previous path backwards from the target: the root is the
		// suffix prev[j:] and the spur node the node where it starts (the
		// target itself for an empty root). The source is no spur node.
		for j := len(prev); j >= 1; j-- {
			spurNode := target
			if j < len(prev) {
				spurNode = k.g.Tail[prev[j]]
			}
			root := prev[j:]
			rootW := 0.0
			for _, e := range root {
				rootW += k.w[e]
			}
			// Ban the edges by which known paths with this root leave the spur node.
			for _, p := range found {
				if len(p.Edges) > len(root) && slices.Equal(p.Edges[len(p.Edges)-len(root):], root) {
					k.ban(p.Edges[len(p.Edges)-len(root)-1])
				}
			}
			k.ban(-1)
			for _, e := range root {
				k.banNode[k.g.Head[e]] = true
			}
			edges, d, ok := k.spur(spurNode)
			for _, e := range root {
				k.banNode[k.g.Head[e]] = false
			}
			k.unban()
			if !ok {
				continue
			}
			p := Path{Edges: append(edges, root...), Weight: d + rootW}
			if !containsPath(cands, p.Edges) && !containsPath(found, p.Edges) {
				cands = append(cands, p)
			}
		}
		if len(cands) == 0 {
			break
		}
		best := 0
		for i := range cands {
			if cands[i].Weight < cands[best].Weight {
				best = i
			}
		}
		p := cands[best]
		found = append(found, p)
		cands = slices.Delete(cands, best, best+1)
		if key == nil {
			out = found
			continue
		}
		if kk := key(p.Edges); !keys[kk] {
			keys[kk] = true
			out = append(out, p)
		}
	}
	return out
}

// ban bans edge e for the current spur; ban(-1) only marks the end of the list.
func (k *KPaths) ban(e int32) {
	if e >= 0 && !k.banEdge[e] {
		k.banEdge[e] = true
		k.banned = append(k.banned, e)
	}
}

func (k *KPaths) unban() {
	for _, e := range k.banned {
		k.banEdge[e] = false
	}
	k.banned = k.banned[:0]
}

func containsPath(list []Path, edges []int32) bool {
	for _, p := range list {
		if slices.Equal(p.Edges, edges) {
			return true
		}
	}
	return false
}

// ShortestAvoiding returns the shortest path to target that uses none of the
// edges in ban, if there is one.
func (k *KPaths) ShortestAvoiding(target int32, ban []int32) (Path, bool) {
	for _, e := range ban {
		k.ban(e)
	}
	defer k.unban()
	edges, d, ok := k.spur(target)
	if !ok {
		return Path{}, false
	}
	return Path{Edges: edges, Weight: d}, true
}
