package sparselu

import "container/heap"

// MinDegree returns a fill-reducing ordering of the pattern of A+Aᵀ by the
// minimum-degree heuristic on the explicit elimination graph: perm[k] is
// the index eliminated k-th. Ties go to the lowest index, so the ordering
// is deterministic.
func MinDegree(a *Matrix) []int {
	n := a.N
	adj := make([][]int, n)
	mark := make([]int, n)
	for i := range mark {
		mark[i] = -1
	}
	// Symmetrise the pattern, without the diagonal and duplicates.
	for j := range n {
		for p := a.ColPtr[j]; p < a.ColPtr[j+1]; p++ {
			i := a.RowIdx[p]
			if i != j {
				adj[i] = append(adj[i], j)
				adj[j] = append(adj[j], i)
			}
		}
	}
	for i := range n {
		out := adj[i][:0]
		for _, j := range adj[i] {
			if mark[j] != i {
				mark[j] = i
				out = append(out, j)
			}
		}
		adj[i] = out
	}
	for i := range mark {
		mark[i] = -1
	}
	h := &degHeap{}
	for i := range n {
		h.items = append(h.items, degItem{len(adj[i]), i})
	}
	heap.Init(h)
	done := make([]bool, n)
	perm := make([]int, 0, n)
	stamp := 0
	for len(perm) < n {
		it := heap.Pop(h).(degItem)
		v := it.node
		if done[v] || it.deg != len(adj[v]) {
			continue
		}
		done[v] = true
		perm = append(perm, v)
		nb := adj[v]
		adj[v] = nil
		// Connect the neighbours of v into a clique and drop v.
		for _, u := range nb {
			stamp++
			mark[u] = stamp
			out := adj[u][:0]
			for _, w := range adj[u] {
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
			adj[u] = out
			heap.Push(h, degItem{len(out), u})
		}
	}
	return perm
}

type degItem struct{ deg, node int }

type degHeap struct{ items []degItem }

func (h *degHeap) Len() int { return len(h.items) }
func (h *degHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if a.deg != b.deg {
		return a.deg < b.deg
	}
	return a.node < b.node
}
func (h *degHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *degHeap) Push(x any)    { h.items = append(h.items, x.(degItem)) }
func (h *degHeap) Pop() any {
	it := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return it
}
