package sparse

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// naiveMinDegree is the definition: eliminate, on the explicit elimination
// graph, the node of smallest degree, the smaller index on ties.
func naiveMinDegree(adj [][]int) []int {
	n := len(adj)
	nb := make([]map[int]bool, n)
	for i := range nb {
		nb[i] = map[int]bool{}
		for _, j := range adj[i] {
			nb[i][j] = true
		}
	}
	done := make([]bool, n)
	var perm []int
	for range n {
		v := -1
		for i := range n {
			if !done[i] && (v < 0 || len(nb[i]) < len(nb[v])) {
				v = i
			}
		}
		done[v] = true
		perm = append(perm, v)
		for a := range nb[v] {
			delete(nb[a], v)
			for b := range nb[v] {
				if a != b {
					nb[a][b] = true
				}
			}
		}
		nb[v] = nil
	}
	return perm
}

func TestMinDegreeOrderMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct{ n, extra int }{{1, 0}, {2, 0}, {5, 3}, {30, 10}, {60, 120}, {200, 100}, {300, 900}} {
		for trial := range 5 {
			var edges [][2]int
			for i := 1; i < tc.n; i++ {
				edges = append(edges, [2]int{i, rng.IntN(i)})
			}
			for range tc.extra {
				if i, j := rng.IntN(tc.n), rng.IntN(tc.n); i != j {
					edges = append(edges, [2]int{i, j})
				}
			}
			adj := adjacency(tc.n, edges)
			before := make([][]int, len(adj))
			for i := range adj {
				before[i] = slices.Clone(adj[i])
			}
			got, want := MinDegreeOrder(adj), naiveMinDegree(adj)
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d extra=%d trial %d: order %v, want %v", tc.n, tc.extra, trial, got, want)
			}
			for i := range adj {
				if !slices.Equal(adj[i], before[i]) {
					t.Fatalf("n=%d: MinDegreeOrder modified its input at node %d", tc.n, i)
				}
			}
		}
	}
}
