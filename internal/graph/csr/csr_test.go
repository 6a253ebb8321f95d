package csr

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/path"
	"gonum.org/v1/gonum/graph/simple"
)

// randomGraph makes a random simple digraph (no parallel edges, no loops)
// with positive weights.
func randomGraph(r *rand.Rand, n, m int) (*Graph, []float64) {
	type pair struct{ a, b int32 }
	seen := map[pair]bool{}
	var tail, head []int32
	var w []float64
	for len(tail) < m {
		a, b := int32(r.IntN(n)), int32(r.IntN(n))
		if a == b || seen[pair{a, b}] {
			continue
		}
		seen[pair{a, b}] = true
		tail, head = append(tail, a), append(head, b)
		w = append(w, 0.1+float64(r.IntN(20))/7)
	}
	g, err := Build(n, tail, head)
	if err != nil {
		panic(err)
	}
	return g, w
}

func gonumGraph(g *Graph, w []float64) *simple.WeightedDirectedGraph {
	gg := simple.NewWeightedDirectedGraph(0, math.Inf(1))
	for v := range g.N {
		gg.AddNode(simple.Node(v))
	}
	for e := range g.M() {
		gg.SetWeightedEdge(gg.NewWeightedEdge(simple.Node(g.Tail[e]), simple.Node(g.Head[e]), w[e]))
	}
	return gg
}

func TestDijkstraMatchesGonum(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		n := 5 + r.IntN(40)
		g, w := randomGraph(r, n, n+r.IntN(3*n))
		tree := g.Dijkstra(w, nil, 0)
		ref := path.DijkstraFrom(simple.Node(0), gonumGraph(g, w))
		for v := range n {
			want := ref.WeightTo(int64(v))
			if got := tree.Dist[v]; math.Abs(got-want) > 1e-9 && !(math.IsInf(got, 1) && math.IsInf(want, 1)) {
				t.Fatalf("trial %d: dist to %d = %g, gonum says %g", trial, v, got, want)
			}
			if p := tree.PathTo(g, int32(v)); p != nil {
				sum := 0.0
				for _, e := range p {
					sum += w[e]
				}
				if math.Abs(sum-tree.Dist[v]) > 1e-9 {
					t.Fatalf("trial %d: path to %d weighs %g, dist %g", trial, v, sum, tree.Dist[v])
				}
			}
		}
	}
}

func TestKShortestMatchesYen(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const k = 6
	for trial := range 60 {
		n := 5 + r.IntN(25)
		g, w := randomGraph(r, n, n+r.IntN(4*n))
		tree := g.Dijkstra(w, nil, 0)
		kp := NewKPaths(g, w, nil, tree)
		gg := gonumGraph(g, w)
		for v := 1; v < n; v++ {
			got := kp.Shortest(int32(v), k)
			ref := path.YenKShortestPaths(gg, k, math.Inf(1), simple.Node(0), simple.Node(v))
			var want []float64
			for _, p := range ref {
				want = append(want, pathWeight(gg, p))
			}
			var have []float64
			for _, p := range got {
				have = append(have, p.Weight)
				checkPath(t, g, w, p, int32(v))
			}
			if len(have) != len(want) {
				t.Fatalf("trial %d node %d: %d paths, Yen finds %d (%v vs %v)", trial, v, len(have), len(want), have, want)
			}
			for i := range have {
				if math.Abs(have[i]-want[i]) > 1e-9 {
					t.Fatalf("trial %d node %d: path %d weighs %g, Yen's %g", trial, v, i, have[i], want[i])
				}
			}
		}
	}
}

func pathWeight(g *simple.WeightedDirectedGraph, p []graph.Node) float64 {
	sum := 0.0
	for i := 1; i < len(p); i++ {
		w, _ := g.Weight(p[i-1].ID(), p[i].ID())
		sum += w
	}
	return sum
}

func checkPath(t *testing.T, g *Graph, w []float64, p Path, target int32) {
	t.Helper()
	sum := 0.0
	seen := map[int32]bool{}
	for i, e := range p.Edges {
		if i > 0 && g.Tail[e] != g.Head[p.Edges[i-1]] {
			t.Fatalf("path %v is not connected at %d", p.Edges, i)
		}
		if seen[g.Tail[e]] {
			t.Fatalf("path %v repeats node %d", p.Edges, g.Tail[e])
		}
		seen[g.Tail[e]] = true
		sum += w[e]
	}
	if g.Head[p.Edges[len(p.Edges)-1]] != target {
		t.Fatalf("path %v does not end at %d", p.Edges, target)
	}
	if math.Abs(sum-p.Weight) > 1e-9 {
		t.Fatalf("path weight %g, edges sum to %g", p.Weight, sum)
	}
}

// bruteMinCut tries every subset of the finite-capacity edges.
func bruteMinCut(g *Graph, capacity []float64, s, t int32) float64 {
	var finite []int
	for e, c := range capacity {
		if !math.IsInf(c, 1) {
			finite = append(finite, e)
		}
	}
	best := math.Inf(1)
	removed := make([]bool, g.M())
	w := make([]float64, g.M())
	for e := range w {
		w[e] = 1
	}
	for mask := 0; mask < 1<<len(finite); mask++ {
		cost := 0.0
		for i, e := range finite {
			removed[e] = mask&(1<<i) != 0
			if removed[e] {
				cost += capacity[e]
			}
		}
		if cost >= best {
			continue
		}
		if math.IsInf(g.Dijkstra(w, removed, s).Dist[t], 1) {
			best = cost
		}
	}
	return best
}

func TestMinCutMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 300 {
		n := 4 + r.IntN(7)
		g, _ := randomGraph(r, n, n+r.IntN(2*n))
		capacity := make([]float64, g.M())
		finite := 0
		for e := range capacity {
			// At most 12 cuttable edges keep the brute force at 4096 subsets.
			if r.IntN(4) == 0 || finite == 12 {
				capacity[e] = math.Inf(1)
			} else {
				capacity[e] = float64(1 + r.IntN(9))
				finite++
			}
		}
		s, tt := int32(0), int32(n-1)
		val, cut := g.MinCut(capacity, nil, s, tt)
		want := bruteMinCut(g, capacity, s, tt)
		if val != want {
			t.Fatalf("trial %d: min cut %g, brute force %g", trial, val, want)
		}
		if math.IsInf(val, 1) {
			continue
		}
		// The returned edges must form a cut of that value.
		removed := make([]bool, g.M())
		sum := 0.0
		for _, e := range cut {
			removed[e] = true
			sum += capacity[e]
		}
		if sum != val {
			t.Fatalf("trial %d: cut edges sum to %g, value %g", trial, sum, val)
		}
		w := slices.Repeat([]float64{1}, g.M())
		if !math.IsInf(g.Dijkstra(w, removed, s).Dist[tt], 1) {
			t.Fatalf("trial %d: removing the cut %v leaves a path", trial, cut)
		}
	}
}

func BenchmarkDijkstra1M(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	g, w := randomGraph(r, 1_000_000, 3_000_000)
	b.ResetTimer()
	for b.Loop() {
		g.Dijkstra(w, nil, 0)
	}
}

func TestDistancesToMatchesReverse(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	var h Heap
	for range 30 {
		n := 5 + r.IntN(30)
		g, w := randomGraph(r, n, n+r.IntN(3*n))
		target := int32(r.IntN(n))
		dist := make([]float64, n)
		g.DistancesTo(w, target, dist, &h)
		for v := range n {
			want := g.Dijkstra(w, nil, int32(v)).Dist[target]
			if dist[v] != want && math.Abs(dist[v]-want) > 1e-9 {
				t.Fatalf("distance %d→%d = %v, forward Dijkstra says %v", v, target, dist[v], want)
			}
		}
	}
}
