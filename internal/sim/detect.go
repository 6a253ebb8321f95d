package sim

import (
	"slices"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/graph"
)

// SensorDetect is the probability that a Citadel network sensor sees one
// attempt of a technique in a zone or conduit it watches. Noisy techniques
// (scans, unauthorised commands, exploits) are likely to be seen; logins
// with valid or default credentials look like normal use. Techniques not
// listed use DefaultSensorDetect. docs/simulate.md explains the values.
var SensorDetect = map[string]float64{
	"T0846": 0.9,  // Remote System Discovery: scans
	"T0855": 0.8,  // Unauthorized Command Message: writes from a new master
	"T0866": 0.7,  // Exploitation of Remote Services: exploit signatures
	"T0836": 0.6,  // Modify Parameter: setpoint writes
	"T0831": 0.6,  // Manipulation of Control
	"T1200": 0.5,  // Hardware Additions: a new device on the network
	"T0864": 0.5,  // Transient Cyber Asset
	"T0886": 0.4,  // Remote Services
	"T0812": 0.3,  // Default Credentials
	"T0822": 0.3,  // External Remote Services
	"T0856": 0.3,  // Spoof Reporting Message
	"T0860": 0.3,  // Wireless Compromise
	"T0883": 0.2,  // Internet Accessible Device: scanning from outside
	"T0832": 0.2,  // Manipulation of View
	"T0859": 0.15, // Valid Accounts
	"T0823": 0.1,  // Graphical User Interface: looks like an operator
	"T0865": 0.05, // Spearphishing Attachment: mail is not OT traffic
}

// DefaultSensorDetect is the sensor's probability for unlisted techniques.
const DefaultSensorDetect = 0.3

// SOCDetect is the probability that the SOC notices one attempt of a
// technique on an asset that sends it its logs (logons, exploit crashes,
// endpoint alerts). Techniques not listed leave no log the SOC acts on.
var SOCDetect = map[string]float64{
	"T0866": 0.5, // exploit: crashes, EDR alerts
	"T0812": 0.4, // default-account logon
	"T0886": 0.3, // unauthenticated remote session
	"T0822": 0.3, // remote-access logon from a new place
	"T0865": 0.3, // mail gateway and endpoint alerts
	"T0864": 0.2, // a laptop bridging networks
	"T0859": 0.2, // shared-account logon
	"T0823": 0.1, // operator actions are logged, rarely reviewed
	"T0855": 0.1, // command audit log
}

// Sensors is where the city has sensors: monitored zones and conduits by
// index into the model's Zones and Conduits.
type Sensors struct {
	Zones    []bool
	Conduits []bool
}

// ModelSensors returns the sensors the model declares, plus the extra zone
// or conduit ids in add. An unknown id is a bad-input error.
func ModelSensors(g *graph.Graph, add []string) (Sensors, error) {
	c := g.City
	s := Sensors{Zones: make([]bool, len(c.Zones)), Conduits: make([]bool, len(c.Conduits))}
	for i, z := range c.Zones {
		s.Zones[i] = z.Monitored
	}
	for i, cd := range c.Conduits {
		s.Conduits[i] = cd.Monitored
	}
	var bad []string
	for _, id := range add {
		zi, ci := sensorSite(g, id)
		switch {
		case zi >= 0:
			s.Zones[zi] = true
		case ci >= 0:
			s.Conduits[ci] = true
		default:
			bad = append(bad, id)
		}
	}
	if len(bad) > 0 {
		return Sensors{}, diag.Errorf("unknown sensor site %s: a sensor goes in a zone or on a conduit, by its id in the model", strings.Join(bad, ", "))
	}
	return s, nil
}

// sensorSite returns the zone or conduit index of a sensor id (-1 when none).
func sensorSite(g *graph.Graph, id string) (zone, conduit int) {
	zone, conduit = -1, -1
	for i, z := range g.City.Zones {
		if z.ID == id {
			return i, -1
		}
	}
	for i, cd := range g.City.Conduits {
		if cd.ID == id {
			return -1, i
		}
	}
	return
}

func (s Sensors) clone() Sensors {
	return Sensors{Zones: slices.Clone(s.Zones), Conduits: slices.Clone(s.Conduits)}
}

// site is where an edge's step happens: the zones its traffic is in, the
// conduit it passes and the asset it acts on (-1 when none).
type site struct {
	zones   []int32
	conduit int32
	asset   int32
}

// edgeSites locates every attacker step of g.
func edgeSites(g *graph.Graph) []site {
	c := g.City
	zoneIdx := make(map[string]int32, len(c.Zones))
	for i, z := range c.Zones {
		zoneIdx[z.ID] = int32(i)
	}
	assetZones := make([][]int32, len(c.Assets))
	for i, a := range c.Assets {
		for _, z := range a.Zones {
			assetZones[i] = append(assetZones[i], zoneIdx[z])
		}
	}
	out := make([]site, g.G.M())
	for e := range out {
		s := site{conduit: -1, asset: -1}
		from, to := g.Nodes[g.G.Tail[e]], g.Nodes[g.G.Head[e]]
		switch g.Rule[e] {
		case graph.REntryZone:
			s.zones = []int32{to.Ref}
		case graph.RExpose:
			s.asset = to.Sub
		case graph.RPhish, graph.RLogin, graph.RExploit, graph.RCommand:
			s.asset = to.Ref
		case graph.RBridge, graph.RDiscover:
			s.zones = []int32{to.Ref}
			s.asset = from.Ref
		case graph.RConduit:
			s.conduit = from.Ref
		case graph.RExecControl, graph.RImpact:
			s.asset = from.Ref
		}
		if s.asset >= 0 && s.zones == nil {
			s.zones = assetZones[s.asset]
		}
		out[e] = s
	}
	return out
}

// socRules are the rules whose steps leave logs on the asset they act on.
func socRule(r graph.Rule) bool {
	switch r {
	case graph.RPhish, graph.RLogin, graph.RExploit, graph.RCommand, graph.RBridge, graph.RExecControl:
		return true
	}
	return false
}

// detection returns the per-edge probability that one attempt is seen,
// given the sensors: 1 − (1 − sensor)(1 − SOC).
func detection(g *graph.Graph, sites []site, s Sensors) []float64 {
	det := make([]float64, g.G.M())
	for e := range det {
		if g.Tech[e] == 0 {
			continue
		}
		tech := g.Techs[g.Tech[e]]
		st := sites[e]
		watched := st.conduit >= 0 && s.Conduits[st.conduit]
		for _, z := range st.zones {
			watched = watched || s.Zones[z]
		}
		ps := 0.0
		if watched {
			var ok bool
			if ps, ok = SensorDetect[tech]; !ok {
				ps = DefaultSensorDetect
			}
		}
		pl := 0.0
		if st.asset >= 0 && g.City.Assets[st.asset].Logs && socRule(g.Rule[e]) {
			pl = SOCDetect[tech]
		}
		det[e] = 1 - (1-ps)*(1-pl)
	}
	return det
}
