package csr

import "math"

// MinCut computes a minimum s-t cut with Dinic's max-flow algorithm over
// edge capacities capacity[e] (+Inf for edges that cannot be cut; edges with
// removed[e] are absent). It returns the cut's value and its edges: the edges
// from the source side to the sink side of the residual graph. When every
// s-t path has an uncuttable edge... that is, when some path is made only of
// infinite edges, the value is +Inf and no edges are returned.
func (g *Graph) MinCut(capacity []float64, removed []bool, s, t int32) (float64, []int32) {
	m := g.M()
	res := make([]float64, m)  // residual capacity of edge e forwards
	flow := make([]float64, m) // residual capacity of edge e backwards (its flow)
	for e := range m {
		if removed == nil || !removed[e] {
			res[e] = capacity[e]
		}
	}
	level := make([]int32, g.N)
	itOut := make([]int32, g.N)
	itIn := make([]int32, g.N)
	queue := make([]int32, 0, 1024)
	total := 0.0

	bfs := func() bool {
		for i := range level {
			level[i] = -1
		}
		level[s] = 0
		queue = append(queue[:0], s)
		for qi := 0; qi < len(queue); qi++ {
			v := queue[qi]
			for _, e := range g.Out(v) {
				if u := g.Head[e]; res[e] > 0 && level[u] < 0 {
					level[u] = level[v] + 1
					queue = append(queue, u)
				}
			}
			for _, e := range g.In(v) {
				if u := g.Tail[e]; flow[e] > 0 && level[u] < 0 {
					level[u] = level[v] + 1
					queue = append(queue, u)
				}
			}
		}
		return level[t] >= 0
	}

	var dfs func(v int32, pushed float64) float64
	dfs = func(v int32, pushed float64) float64 {
		if v == t {
			return pushed
		}
		out := g.Out(v)
		for ; itOut[v] < int32(len(out)); itOut[v]++ {
			e := out[itOut[v]]
			u := g.Head[e]
			if res[e] <= 0 || level[u] != level[v]+1 {
				continue
			}
			if f := dfs(u, math.Min(pushed, res[e])); f > 0 {
				if !math.IsInf(res[e], 1) {
					res[e] -= f
				}
				flow[e] += f
				return f
			}
		}
		in := g.In(v)
		for ; itIn[v] < int32(len(in)); itIn[v]++ {
			e := in[itIn[v]]
			u := g.Tail[e]
			if flow[e] <= 0 || level[u] != level[v]+1 {
				continue
			}
			if f := dfs(u, math.Min(pushed, flow[e])); f > 0 {
				flow[e] -= f
				if !math.IsInf(res[e], 1) {
					res[e] += f
				}
				return f
			}
		}
		return 0
	}

	for bfs() {
		clear(itOut)
		clear(itIn)
		for {
			f := dfs(s, math.Inf(1))
			if f == 0 {
				break
			}
			if math.IsInf(f, 1) {
				return math.Inf(1), nil
			}
			total += f
		}
	}
	// The source side is what the last BFS reached.
	var cut []int32
	for e := range m {
		if (removed == nil || !removed[e]) && level[g.Tail[e]] >= 0 && level[g.Head[e]] < 0 && capacity[e] > 0 {
			cut = append(cut, int32(e))
		}
	}
	return total, cut
}
