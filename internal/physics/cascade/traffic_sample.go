package cascade

import (
	_ "embed"
	"fmt"

	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/physics/traffic"
)

// SampleStreets names the embedded street network of the sample city for
// NewTraffic ("ctm:sample[,WINDOW]"): sample/riverton.net.xml, nine
// signalised junctions of Riverton's centre (signals market-3rd …
// river-5th; Main St, signals main-3rd, main-4th and main-5th, is the
// access route to St Mary's hospital), and sample/riverton.rou.xml, one
// evening rush hour of demand.
const SampleStreets = "sample"

// The network is built by netconvert from the hand-written node, edge and
// signal-plan files next to it; regenerate it with go generate.
//go:generate netconvert --node-files sample/riverton.nod.xml --edge-files sample/riverton.edg.xml --tllogic-files sample/riverton.tll.xml --no-turnarounds true --no-left-connections true --tls.default-type static -o sample/riverton.net.xml

var (
	//go:embed sample/riverton.net.xml
	rivertonNet []byte
	//go:embed sample/riverton.rou.xml
	rivertonRoutes []byte
)

// Ambulance trips of the sample network: from the west end of Main St to
// St Mary's at its east end, at a quarter, half and three quarters of the
// window. Their travel time, with the signals of each outage dark against
// all signals working, is the emergency-route blockage the engine reports.
const (
	sampleEVFrom = "main-west_main-3rd"
	sampleEVTo   = "main-5th_st-marys"
)

// newSampleTraffic is the ctm engine on the embedded sample network; opt
// holds the optional window.
func newSampleTraffic(c *model.City, opt []string) (*Traffic, error) {
	window, err := trafficWindow(opt)
	if err != nil {
		return nil, err
	}
	net, err := traffic.ParseNet("riverton.net.xml", rivertonNet)
	if err != nil {
		return nil, err
	}
	routes, err := traffic.ParseRoutes("riverton.rou.xml", rivertonRoutes)
	if err != nil {
		return nil, err
	}
	w := window.Seconds()
	sc := traffic.Scenario{Net: net, Routes: routes, Duration: w}
	for _, f := range []float64{0.25, 0.5, 0.75} {
		sc.Emergency = append(sc.Emergency, traffic.EmergencyTrip{From: sampleEVFrom, To: sampleEVTo, Depart: f * w})
	}
	return newTraffic(c, "riverton.net.xml", sc)
}

// emergencyNote describes the emergency trips of a run with signals dark
// against the same trips with every signal working ("" without trips).
func (t *Traffic) emergencyNote(evs []traffic.EmergencyResult) string {
	if len(evs) == 0 || len(evs) != len(t.baseEV) {
		return ""
	}
	var tt, base, free float64
	arrived := 0
	for i, ev := range evs {
		tt += ev.TravelTime
		base += t.baseEV[i].TravelTime
		free += ev.FreeFlow
		if ev.Arrived {
			arrived++
		}
	}
	n := float64(len(evs))
	return fmt.Sprintf("; emergency route %s→%s: %.0f s per trip against %.0f s with every signal working (free flow %.0f s), %d of %d trips arrived within the window",
		evs[0].From, evs[0].To, tt/n, base/n, free/n, arrived, len(evs))
}
