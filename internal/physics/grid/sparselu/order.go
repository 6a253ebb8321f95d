package sparselu

import "github.com/citadel-city/citadel/internal/physics/sparse"

// MinDegree returns a fill-reducing ordering of the pattern of A+Aᵀ by the
// minimum-degree heuristic on the explicit elimination graph
// (sparse.MinDegreeOrder, ties broken by index): perm[k] is the index
// eliminated k-th. The result is deterministic.
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
	return sparse.MinDegreeOrder(adj)
}
