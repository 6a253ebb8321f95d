package water

import (
	"math"
	"sort"

	"github.com/citadel-city/citadel/internal/diag"
)

// SetLinkStatus opens or closes a link at the start of the simulation: a
// pump switched on or off, a valve or pipe opened or closed. A valve's
// status then stays fixed (its setting is dropped), as EPANET's [STATUS].
func (n *Network) SetLinkStatus(id string, open bool) error {
	l := n.Link(id)
	if l == nil {
		return diag.Errorf("no link %q", id)
	}
	if l.Kind == CVPipe {
		return diag.Errorf("link %s is a check-valve pipe; its status follows the flow", id)
	}
	if open {
		l.Status = Open
		if l.Kind == Pump {
			l.Setting = 1
		}
	} else {
		l.Status = Closed
		if l.Kind == Pump {
			l.Setting = 0
		}
	}
	if l.Kind.IsValve() && l.Kind != GPV {
		l.Setting = Missing
	}
	return nil
}

// SetLinkSetting sets a pump's relative speed or a valve's setting
// (pressure for PRV/PSV/PBV, flow for FCV, loss coefficient for TCV,
// percent open for PCV), in the network's units.
func (n *Network) SetLinkSetting(id string, v float64) error {
	l := n.Link(id)
	if l == nil {
		return diag.Errorf("no link %q", id)
	}
	switch {
	case l.Kind == Pump:
		if v < 0 {
			return diag.Errorf("pump %s: negative speed %g", id, v)
		}
		l.Setting = v
		l.Status = Open
		if v == 0 {
			l.Status = Closed
		}
	case l.Kind.IsValve() && l.Kind != GPV:
		l.Setting = v
		l.Status = Active
	default:
		return diag.Errorf("link %s (%v) takes no setting", id, l.Kind)
	}
	return nil
}

// SetControlLevel changes the trigger level (tank level or junction
// pressure, network units) of simple control i (0-based, [CONTROLS] order).
func (n *Network) SetControlLevel(i int, level float64) error {
	if i < 0 || i >= len(n.Controls) {
		return diag.Errorf("no control %d (the network has %d)", i, len(n.Controls))
	}
	c := n.Controls[i]
	if c.Node == "" {
		return diag.Errorf("control %d is time-based", i)
	}
	c.Level = level
	return nil
}

// SetControlEnabled enables or disables simple control i.
func (n *Network) SetControlEnabled(i int, on bool) error {
	if i < 0 || i >= len(n.Controls) {
		return diag.Errorf("no control %d (the network has %d)", i, len(n.Controls))
	}
	n.Controls[i].Enabled = on
	return nil
}

// SetSourceStrength sets the strength of the water quality source (e.g. a
// chlorine booster dose) at a node, creating a CONCEN source if none.
func (n *Network) SetSourceStrength(node string, v float64) error {
	nd := n.Node(node)
	if nd == nil {
		return diag.Errorf("no node %q", node)
	}
	if nd.Source == nil {
		nd.Source = &Source{Kind: Concen}
	}
	nd.Source.Strength = v
	return nil
}

// Reload recompiles the simulator after its network (or a clone with the
// same nodes and links) was changed, reusing the analysed matrix structure
// when the topology is unchanged.
func (sim *Simulator) Reload(net *Network) error {
	old := sim.m
	m, err := compileWith(net, old)
	if err != nil {
		return err
	}
	sim.m = m
	if m.sym == old.sym && m.nn == old.nn && m.nl == old.nl {
		sim.s.m = m
	} else {
		sim.s = newHydState(m)
	}
	sim.q = newQualState(m)
	return nil
}

// Network returns the network the simulator was compiled from.
func (sim *Simulator) Network() *Network { return sim.m.net }

// setBias installs the level biases of RunOptions.
func (m *model) setBias(bias map[string]float64) error {
	if len(bias) == 0 {
		m.bias = nil
		return nil
	}
	m.bias = make([]float64, m.nn)
	for id, b := range bias {
		i := m.net.NodeIndex(id)
		if i < 0 {
			return diag.Errorf("level bias: no node %q", id)
		}
		if i >= m.nj {
			m.bias[i] = b / m.hcf
		} else {
			m.bias[i] = b / m.pcf
		}
	}
	return nil
}

// seen is the head of node n as the controls and rules see it.
func (m *model) seen(h []float64, n int) float64 {
	if m.bias == nil {
		return h[n]
	}
	return h[n] + m.bias[n]
}

// NodeDeficit is the service shortfall at one junction.
type NodeDeficit struct {
	Node string `json:"node"`
	// HoursBelow is the time spent below the service pressure.
	HoursBelow float64 `json:"hours_below"`
	// Deficit integrates the pressure shortfall over time (pressure
	// units × hours).
	Deficit float64 `json:"deficit"`
	// DemandShare is the node's share of the network's total base demand,
	// a proxy for the population it serves.
	DemandShare float64 `json:"demand_share"`
}

// Impact measures the physical effect of a run, for attack scoring.
type Impact struct {
	ServicePressure float64       `json:"service_pressure"`
	Nodes           []NodeDeficit `json:"nodes_below_service"`
	// PopulationShare is the share of base demand at nodes that fell below
	// the service pressure at some reporting period.
	PopulationShare float64     `json:"population_share"`
	TankEvents      []TankEvent `json:"tank_events"`
	EnergyKWh       float64     `json:"energy_kwh"`
	EnergyCost      float64     `json:"energy_cost"`
}

// Impact computes service-pressure deficits (pressure below
// servicePressure, network units) per junction over the reporting periods,
// the share of demand affected, tanks empty or full, and pump energy.
func (r *Results) Impact(servicePressure float64) *Impact {
	net := r.Net
	imp := &Impact{ServicePressure: servicePressure, Nodes: []NodeDeficit{}}
	total := 0.0
	base := make([]float64, len(net.Nodes))
	for i, n := range net.Nodes {
		for _, d := range n.Demands {
			if d.Base > 0 {
				base[i] += d.Base
			}
		}
		total += base[i]
	}
	dt := float64(net.Options.ReportStep) / 3600
	if len(r.Periods) <= 1 {
		dt = 1
	}
	for i, n := range net.Nodes {
		if n.Kind != Junction {
			continue
		}
		var nd NodeDeficit
		for _, sn := range r.Periods {
			if p := sn.Pressure[i]; p < servicePressure {
				nd.HoursBelow += dt
				nd.Deficit += (servicePressure - p) * dt
			}
		}
		if nd.HoursBelow > 0 {
			nd.Node = n.ID
			if total > 0 {
				nd.DemandShare = base[i] / total
			}
			imp.PopulationShare += nd.DemandShare
			imp.Nodes = append(imp.Nodes, nd)
		}
	}
	sort.SliceStable(imp.Nodes, func(a, b int) bool { return imp.Nodes[a].Deficit > imp.Nodes[b].Deficit })
	s := r.Summarize()
	imp.TankEvents = s.TankEvents
	imp.EnergyKWh, imp.EnergyCost = s.TotalKWh, s.TotalCost
	return imp
}

// NodeSeries returns the values of one node quantity ("demand", "head",
// "pressure" or "quality") over the reporting periods.
func (r *Results) NodeSeries(id, quantity string) ([]float64, error) {
	i := r.Net.NodeIndex(id)
	if i < 0 {
		return nil, diag.Errorf("no node %q", id)
	}
	var at func(*Snapshot) float64
	switch quantity {
	case "demand":
		at = func(sn *Snapshot) float64 { return sn.Demand[i] }
	case "head":
		at = func(sn *Snapshot) float64 { return sn.Head[i] }
	case "pressure":
		at = func(sn *Snapshot) float64 { return sn.Pressure[i] }
	case "quality":
		at = func(sn *Snapshot) float64 { return sn.Quality[i] }
	default:
		return nil, diag.Errorf("unknown node quantity %q", quantity)
	}
	return r.series(at), nil
}

// LinkSeries returns the values of one link quantity ("flow", "velocity",
// "headloss", "setting", "status") over the reporting periods.
func (r *Results) LinkSeries(id, quantity string) ([]float64, error) {
	k := r.Net.LinkIndex(id)
	if k < 0 {
		return nil, diag.Errorf("no link %q", id)
	}
	var at func(*Snapshot) float64
	switch quantity {
	case "flow":
		at = func(sn *Snapshot) float64 { return sn.Flow[k] }
	case "velocity":
		at = func(sn *Snapshot) float64 { return sn.Velocity[k] }
	case "headloss":
		at = func(sn *Snapshot) float64 { return sn.Headloss[k] }
	case "setting":
		at = func(sn *Snapshot) float64 { return sn.Setting[k] }
	case "status":
		at = func(sn *Snapshot) float64 { return float64(sn.Status[k]) }
	default:
		return nil, diag.Errorf("unknown link quantity %q", quantity)
	}
	return r.series(at), nil
}

// series evaluates at on every reporting period.
func (r *Results) series(at func(*Snapshot) float64) []float64 {
	out := make([]float64, len(r.Periods))
	for p := range r.Periods {
		out[p] = at(&r.Periods[p])
	}
	return out
}

// QualityDeficit is the time a junction's water quality spent below a
// threshold (e.g. a chlorine residual below the safe level).
type QualityDeficit struct {
	Node        string  `json:"node"`
	HoursBelow  float64 `json:"hours_below"`
	Min         float64 `json:"min"`
	DemandShare float64 `json:"demand_share"`
}

// QualityBelow lists the junctions whose quality (network quality units)
// fell below threshold at some reporting period while they had demand, worst
// first, and the share of base demand they serve. It needs a chemical
// quality analysis; for other modes it returns an error.
func (r *Results) QualityBelow(threshold float64) ([]QualityDeficit, float64, error) {
	net := r.Net
	if net.Options.Quality != QualChem {
		return nil, 0, diag.Errorf("the network has no chemical quality analysis (quality %v)", net.Options.Quality)
	}
	dt := float64(net.Options.ReportStep) / 3600
	total := 0.0
	base := make([]float64, len(net.Nodes))
	for i, n := range net.Nodes {
		for _, d := range n.Demands {
			if d.Base > 0 {
				base[i] += d.Base
			}
		}
		total += base[i]
	}
	var out []QualityDeficit
	share := 0.0
	for i, n := range net.Nodes {
		if n.Kind != Junction {
			continue
		}
		qd := QualityDeficit{Node: n.ID, Min: math.Inf(1)}
		for _, sn := range r.Periods {
			if sn.Demand[i] <= 0 {
				continue
			}
			if c := sn.Quality[i]; c < threshold {
				qd.HoursBelow += dt
				qd.Min = math.Min(qd.Min, c)
			}
		}
		if qd.HoursBelow > 0 {
			if total > 0 {
				qd.DemandShare = base[i] / total
			}
			share += qd.DemandShare
			out = append(out, qd)
		}
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].HoursBelow > out[b].HoursBelow })
	return out, share, nil
}
