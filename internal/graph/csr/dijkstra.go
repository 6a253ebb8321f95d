package csr

import "math"

// Tree is a shortest-path tree: Dist[v] is the distance from the sources
// (+Inf when unreachable) and Pred[v] the last edge of a shortest path to v
// (-1 for sources and unreachable nodes).
type Tree struct {
	Dist []float64
	Pred []int32
}

// Dijkstra computes shortest paths from sources over edges of non-negative
// weight w[e]; an edge with removed[e] (when removed is not nil) or with an
// infinite weight is ignored. Ties are broken by node id, so results are
// deterministic.
func (g *Graph) Dijkstra(w []float64, removed []bool, sources ...int32) Tree {
	t := Tree{Dist: make([]float64, g.N), Pred: make([]int32, g.N)}
	for i := range t.Dist {
		t.Dist[i] = math.Inf(1)
		t.Pred[i] = -1
	}
	h := &distHeap{}
	for _, s := range sources {
		t.Dist[s] = 0
		h.push(item{0, s})
	}
	done := make([]bool, g.N)
	for h.Len() > 0 {
		it := h.pop()
		v := it.v
		if done[v] {
			continue
		}
		done[v] = true
		for _, e := range g.Out(v) {
			if removed != nil && removed[e] {
				continue
			}
			we := w[e]
			if math.IsInf(we, 1) {
				continue
			}
			u := g.Head[e]
			if d := it.d + we; d < t.Dist[u] {
				t.Dist[u] = d
				t.Pred[u] = e
				h.push(item{d, u})
			}
		}
	}
	return t
}

// PathTo returns the edges of the tree path to v, from a source; nil when v
// is unreachable or a source.
func (t Tree) PathTo(g *Graph, v int32) []int32 {
	if math.IsInf(t.Dist[v], 1) {
		return nil
	}
	var rev []int32
	for e := t.Pred[v]; e >= 0; e = t.Pred[g.Tail[e]] {
		rev = append(rev, e)
		if len(rev) > g.N {
			return nil // cycle of zero weights: cannot happen with Pred from Dijkstra
		}
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

type item struct {
	d float64
	v int32
}

// distHeap is a binary min-heap of items, typed to avoid boxing.
type distHeap []item

func (h distHeap) Len() int { return len(h) }

func (h distHeap) less(i, j int) bool {
	if h[i].d != h[j].d {
		return h[i].d < h[j].d
	}
	return h[i].v < h[j].v
}

func (h *distHeap) push(x item) {
	*h = append(*h, x)
	a := *h
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !a.less(i, p) {
			break
		}
		a[i], a[p] = a[p], a[i]
		i = p
	}
}

func (h *distHeap) pop() item {
	a := *h
	top := a[0]
	n := len(a) - 1
	a[0] = a[n]
	a = a[:n]
	i := 0
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < n && a.less(l, m) {
			m = l
		}
		if r < n && a.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		a[i], a[m] = a[m], a[i]
		i = m
	}
	*h = a
	return top
}

// Heap is scratch space for DistancesTo, reused across calls to avoid
// allocation.
type Heap struct{ h distHeap }

// DistancesTo fills dist with the distance from every node to node t under
// weights w (+Inf where t cannot be reached): Dijkstra over reversed edges.
// dist must have one entry per node; h is reused scratch space.
func (g *Graph) DistancesTo(w []float64, t int32, dist []float64, h *Heap) {
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	h.h = h.h[:0]
	dist[t] = 0
	h.h.push(item{0, t})
	for len(h.h) > 0 {
		it := h.h.pop()
		if it.d > dist[it.v] {
			continue
		}
		for _, e := range g.In(it.v) {
			we := w[e]
			if math.IsInf(we, 1) {
				continue
			}
			u := g.Tail[e]
			if d := it.d + we; d < dist[u] {
				dist[u] = d
				h.h.push(item{d, u})
			}
		}
	}
}
