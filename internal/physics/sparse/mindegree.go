package sparse

import "container/heap"

// MinDegreeOrder returns the minimum-degree elimination order of the
// graph with neighbour lists adj (symmetric, without self-loops or
// duplicates; it is not modified): at each step the node of smallest
// degree in the elimination graph, ties broken by the smaller index.
// perm[k] is the node eliminated k-th. Each step costs the size of the
// clique it forms, plus a heap operation per degree change.
func MinDegreeOrder(adj [][]int) []int {
	n := len(adj)
	g := make([][]int, n)
	for i := range adj {
		g[i] = append([]int(nil), adj[i]...)
	}
	// Keys deg*n+node order the heap by degree, then index; entries whose
	// degree is out of date are skipped when they surface.
	h := make(intHeap, n)
	for v := range n {
		h[v] = len(g[v])*n + v
	}
	heap.Init(&h)
	done := make([]bool, n)
	mark := make([]int, n)
	perm := make([]int, 0, n)
	stamp := 0
	for len(perm) < n {
		key := heap.Pop(&h).(int)
		v, deg := key%n, key/n
		if done[v] || deg != len(g[v]) {
			continue
		}
		done[v] = true
		perm = append(perm, v)
		nb := g[v]
		g[v] = nil
		// Connect the neighbours of v into a clique and drop v.
		for _, u := range nb {
			stamp++
			mark[u] = stamp
			out := g[u][:0]
			for _, w := range g[u] {
				if w != v && !done[w] {
					mark[w] = stamp
					out = append(out, w)
				}
			}
			for _, w := range nb {
				if mark[w] != stamp {
					mark[w] = stamp
					out = append(out, w)
				}
			}
			g[u] = out
			heap.Push(&h, len(out)*n+u)
		}
	}
	return perm
}

type intHeap []int

func (h intHeap) Len() int           { return len(h) }
func (h intHeap) Less(i, j int) bool { return h[i] < h[j] }
func (h intHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *intHeap) Push(x any)        { *h = append(*h, x.(int)) }
func (h *intHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
