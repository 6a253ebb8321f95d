// Package csr is a compact directed graph in compressed sparse row form with
// int32 node and edge ids, and the algorithms the attack graph needs at city
// scale: shortest paths (Dijkstra), the k shortest loopless paths to any node
// from one shortest-path tree (the recursive enumeration algorithm of
// Jiménez and Marzal), and minimum cuts (Dinic's max-flow).
//
// A Graph is immutable once built; per-query state (weights, capacities,
// removed edges) is passed in slices indexed by edge id, so one graph serves
// many concurrent queries.
package csr

import "fmt"

// Graph is a directed multigraph. Edge e goes from Tail[e] to Head[e]; the
// out-edges of node v are OutEdges[OutOff[v]:OutOff[v+1]] and its in-edges
// InEdges[InOff[v]:InOff[v+1]], both as edge ids.
type Graph struct {
	N        int
	Tail     []int32
	Head     []int32
	OutOff   []int32
	OutEdges []int32
	InOff    []int32
	InEdges  []int32
}

// Build makes a graph of n nodes from the edges (tail[e], head[e]). Edge ids
// are the indexes into tail and head.
func Build(n int, tail, head []int32) (*Graph, error) {
	if len(tail) != len(head) {
		return nil, fmt.Errorf("csr: %d tails but %d heads", len(tail), len(head))
	}
	for e := range tail {
		if tail[e] < 0 || int(tail[e]) >= n || head[e] < 0 || int(head[e]) >= n {
			return nil, fmt.Errorf("csr: edge %d (%d→%d) outside %d nodes", e, tail[e], head[e], n)
		}
	}
	g := &Graph{N: n, Tail: tail, Head: head}
	g.OutOff, g.OutEdges = bucket(n, tail)
	g.InOff, g.InEdges = bucket(n, head)
	return g, nil
}

// bucket groups edge ids by key with a counting sort, keeping edge order.
func bucket(n int, key []int32) (off, edges []int32) {
	off = make([]int32, n+1)
	for _, k := range key {
		off[k+1]++
	}
	for v := range n {
		off[v+1] += off[v]
	}
	next := make([]int32, n)
	copy(next, off[:n])
	edges = make([]int32, len(key))
	for e, k := range key {
		edges[next[k]] = int32(e)
		next[k]++
	}
	return off, edges
}

// M is the number of edges.
func (g *Graph) M() int { return len(g.Tail) }

// Out returns the out-edge ids of v.
func (g *Graph) Out(v int32) []int32 { return g.OutEdges[g.OutOff[v]:g.OutOff[v+1]] }

// In returns the in-edge ids of v.
func (g *Graph) In(v int32) []int32 { return g.InEdges[g.InOff[v]:g.InOff[v+1]] }
