package sim

import (
	"github.com/citadel-city/citadel/internal/graph"
	"github.com/citadel-city/citadel/internal/graph/csr"
)

// nodeHeap is reused scratch space for distanceTo.
type nodeHeap = csr.Heap

// distanceTo fills dist with the distance from every node to node t under
// the edge weights w (+Inf when t cannot be reached): Dijkstra on the
// reversed graph. h is scratch space, reused to avoid allocation.
func distanceTo(g *graph.Graph, w []float64, t int32, dist []float64, h *nodeHeap) {
	g.G.DistancesTo(w, t, dist, h)
}
