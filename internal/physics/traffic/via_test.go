package traffic

import "testing"

// TestRequestThroughWaitingTurn: a left turn that waits inside the junction
// crosses two internal lanes, and netconvert lists only the second in the
// junction's intLanes. Its right of way must still come from the request
// matrix, not from the coarse geometric fallback.
func TestRequestThroughWaitingTurn(t *testing.T) {
	j := &Junction{ID: "J", IntLanes: []string{":J_0_0", ":J_13_0"},
		Requests: []Request{{Index: 0, Response: "00", Foes: "00"}, {Index: 1, Response: "00", Foes: "00"}}}
	n := &Net{edgeByID: map[string]*Edge{"west": {ID: "west", To: "J"}, "east": {ID: "east", To: "J"}},
		juncByID: map[string]*Junction{"J": j}, viaNext: map[string]string{":J_4_0": ":J_13_0"}}
	straight := &Connection{From: "west", To: "x", Via: ":J_0_0", Dir: "s"}
	left := &Connection{From: "east", To: "y", Via: ":J_4_0", Dir: "l"}
	// The matrix says the two do not conflict; geometry alone would say they do.
	if foe, _ := n.foes(straight, left); foe {
		t.Fatal("foes from geometry: the waiting turn's request row was not found")
	}
	j.Requests[0].Foes, j.Requests[0].Response = "10", "10"
	if foe, yield := n.foes(straight, left); !foe || !yield {
		t.Fatalf("foe %v yield %v, want both from the request matrix", foe, yield)
	}
	if i := n.requestIndex(j, ":J_9_0"); i != -1 {
		t.Fatalf("unknown internal lane found at %d", i)
	}
}
