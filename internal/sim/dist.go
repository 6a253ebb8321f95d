package sim

import (
	"math"

	"github.com/citadel-city/citadel/internal/graph"
)

// distanceTo fills dist with the distance from every node to node t under
// the edge weights w (+Inf when t cannot be reached): Dijkstra on the
// reversed graph. h is scratch space, reused to avoid allocation.
func distanceTo(g *graph.Graph, w []float64, t int32, dist []float64, h *nodeHeap) {
	for i := range dist {
		dist[i] = math.Inf(1)
	}
	*h = (*h)[:0]
	dist[t] = 0
	h.push(hitem{0, t})
	for len(*h) > 0 {
		it := h.pop()
		if it.d > dist[it.v] {
			continue
		}
		for _, e := range g.G.In(it.v) {
			we := w[e]
			if math.IsInf(we, 1) {
				continue
			}
			u := g.G.Tail[e]
			if d := it.d + we; d < dist[u] {
				dist[u] = d
				h.push(hitem{d, u})
			}
		}
	}
}

type hitem struct {
	d float64
	v int32
}

// nodeHeap is a binary min-heap on distance, ties by node id.
type nodeHeap []hitem

func (h nodeHeap) less(i, j int) bool {
	if h[i].d != h[j].d {
		return h[i].d < h[j].d
	}
	return h[i].v < h[j].v
}

func (h *nodeHeap) push(x hitem) {
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

func (h *nodeHeap) pop() hitem {
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
