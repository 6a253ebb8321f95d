package sparselu

// MinDegree returns a fill-reducing ordering of the pattern of A+Aᵀ by the
// minimum-degree heuristic on the explicit elimination graph: perm[k] is
// the index eliminated k-th. Nodes wait in buckets by degree, so each
// step costs the size of the clique it forms; the result is deterministic.
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
	// Degree buckets as doubly linked lists.
	head := make([]int, n+1)
	next := make([]int, n)
	prev := make([]int, n)
	for d := range head {
		head[d] = -1
	}
	insert := func(v int) {
		d := len(adj[v])
		next[v], prev[v] = head[d], -1
		if head[d] >= 0 {
			prev[head[d]] = v
		}
		head[d] = v
	}
	remove := func(v int) {
		d := len(adj[v])
		if prev[v] >= 0 {
			next[prev[v]] = next[v]
		} else {
			head[d] = next[v]
		}
		if next[v] >= 0 {
			prev[next[v]] = prev[v]
		}
	}
	for v := n - 1; v >= 0; v-- {
		insert(v)
	}
	done := make([]bool, n)
	perm := make([]int, 0, n)
	stamp := 0
	mindeg := 0
	for len(perm) < n {
		for head[mindeg] < 0 {
			mindeg++
		}
		v := head[mindeg]
		remove(v)
		done[v] = true
		perm = append(perm, v)
		nb := adj[v]
		adj[v] = nil
		// Connect the neighbours of v into a clique and drop v.
		for _, u := range nb {
			remove(u)
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
			insert(u)
			mindeg = min(mindeg, len(out))
		}
	}
	return perm
}
