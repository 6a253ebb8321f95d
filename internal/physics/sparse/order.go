package sparse

import "sort"

// Ordering chooses the elimination order of the unknowns.
type Ordering int

const (
	// MinDegree eliminates at each step the node of smallest degree in the
	// elimination graph (ties broken by index), as EPANET does; it keeps
	// the Cholesky factor of a pipe network nearly as sparse as the matrix.
	MinDegree Ordering = iota
	// RCM is the reverse Cuthill–McKee ordering, which minimises bandwidth.
	RCM
	// Natural keeps the input order.
	Natural
)

// String names the ordering.
func (o Ordering) String() string {
	switch o {
	case MinDegree:
		return "min-degree"
	case RCM:
		return "rcm"
	default:
		return "natural"
	}
}

// adjacency builds sorted, duplicate-free neighbour lists.
func adjacency(n int, edges [][2]int) [][]int {
	adj := make([][]int, n)
	for _, e := range edges {
		a, b := e[0], e[1]
		if a == b {
			continue
		}
		adj[a] = append(adj[a], b)
		adj[b] = append(adj[b], a)
	}
	for i := range adj {
		sort.Ints(adj[i])
		adj[i] = dedup(adj[i])
	}
	return adj
}

func dedup(s []int) []int {
	if len(s) < 2 {
		return s
	}
	w := 1
	for r := 1; r < len(s); r++ {
		if s[r] != s[w-1] {
			s[w] = s[r]
			w++
		}
	}
	return s[:w]
}

// eliminate runs the elimination game in the order chosen by ord and
// returns the order (perm[k] = node eliminated k-th) and, for each step k,
// the neighbours of perm[k] still present (the non-zero rows of column k of
// the Cholesky factor, as original node indices).
func eliminate(n int, adj [][]int, ord Ordering) (perm []int, cols [][]int) {
	nb := make([]map[int]struct{}, n)
	for i := range nb {
		nb[i] = make(map[int]struct{}, len(adj[i]))
		for _, j := range adj[i] {
			nb[i][j] = struct{}{}
		}
	}
	var fixed []int
	switch ord {
	case MinDegree:
		fixed = MinDegreeOrder(adj)
	case RCM:
		fixed = rcm(n, adj)
	default: // Natural
		fixed = make([]int, n)
		for i := range fixed {
			fixed[i] = i
		}
	}
	perm = make([]int, 0, n)
	cols = make([][]int, 0, n)
	for k := 0; k < n; k++ {
		v := fixed[k]
		col := make([]int, 0, len(nb[v]))
		for j := range nb[v] {
			col = append(col, j)
		}
		sort.Ints(col)
		for _, a := range col {
			delete(nb[a], v)
			for _, b := range col {
				if a != b {
					nb[a][b] = struct{}{}
				}
			}
		}
		nb[v] = nil
		perm = append(perm, v)
		cols = append(cols, col)
	}
	return perm, cols
}

// rcm returns the reverse Cuthill–McKee order, component by component,
// starting each from a node of minimum degree.
func rcm(n int, adj [][]int) []int {
	seen := make([]bool, n)
	order := make([]int, 0, n)
	byDeg := make([]int, n)
	for i := range byDeg {
		byDeg[i] = i
	}
	sort.SliceStable(byDeg, func(a, b int) bool { return len(adj[byDeg[a]]) < len(adj[byDeg[b]]) })
	for _, s := range byDeg {
		if seen[s] {
			continue
		}
		seen[s] = true
		queue := []int{s}
		for len(queue) > 0 {
			v := queue[0]
			queue = queue[1:]
			order = append(order, v)
			next := make([]int, 0, len(adj[v]))
			for _, w := range adj[v] {
				if !seen[w] {
					seen[w] = true
					next = append(next, w)
				}
			}
			sort.SliceStable(next, func(a, b int) bool { return len(adj[next[a]]) < len(adj[next[b]]) })
			queue = append(queue, next...)
		}
	}
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	return order
}
