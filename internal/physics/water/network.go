package water

// NodeKind is the kind of a node.
type NodeKind uint8

// Node kinds, in EPANET's order of storage.
const (
	Junction NodeKind = iota
	Reservoir
	Tank
)

// String returns EPANET's name of the kind.
func (k NodeKind) String() string {
	return [...]string{"JUNCTION", "RESERVOIR", "TANK"}[k]
}

// LinkKind is the kind of a link, in EPANET's LinkType order.
type LinkKind uint8

// Link kinds.
const (
	CVPipe LinkKind = iota // pipe with a check valve
	Pipe
	Pump
	PRV // pressure reducing valve
	PSV // pressure sustaining valve
	PBV // pressure breaker valve
	FCV // flow control valve
	TCV // throttle control valve
	GPV // general purpose valve
	PCV // positional control valve (EPANET 2.3)
)

var linkKindNames = [...]string{"CVPIPE", "PIPE", "PUMP", "PRV", "PSV", "PBV", "FCV", "TCV", "GPV", "PCV"}

// String returns EPANET's name of the kind.
func (k LinkKind) String() string { return linkKindNames[k] }

// IsValve reports whether k is one of the valve kinds.
func (k LinkKind) IsValve() bool { return k >= PRV }

// Status is a link status as EPANET reports it (its StatusType codes).
type Status int8

// Link status codes, equal to EPANET's StatusType values.
const (
	XHead      Status = 0 // pump closed: cannot deliver the head
	TempClosed Status = 1 // temporarily closed (e.g. flow into a full tank)
	Closed     Status = 2
	Open       Status = 3
	Active     Status = 4 // valve partly open, controlling
	XFlow      Status = 5 // pump exceeds its maximum flow
	XFCV       Status = 6 // FCV cannot supply its flow
	XPressure  Status = 7 // valve cannot supply its pressure
)

var statusNames = [...]string{"XHEAD", "TEMPCLOSED", "CLOSED", "OPEN", "ACTIVE", "XFLOW", "XFCV", "XPRESSURE"}

// String returns the status name.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "UNKNOWN"
}

// Missing marks an absent setting (a valve fixed open or closed), as
// EPANET's MISSING value.
const Missing = -1e10

// Demand is one demand category of a junction, in user flow units.
type Demand struct {
	Base     float64
	Pattern  string // "" = the default pattern
	Category string
}

// Node is a junction, reservoir or tank in user units.
type Node struct {
	ID      string
	Kind    NodeKind
	Elev    float64 // elevation; total head for a reservoir
	Demands []Demand
	Emitter float64 // emitter discharge coefficient (flow / pressure^exp), 0 = none
	// Reservoir head pattern.
	HeadPattern string
	// Tank geometry (levels above Elev).
	InitLevel, MinLevel, MaxLevel, Diameter, MinVolume float64
	VolumeCurve                                        string
	Overflow                                           bool
	// Water quality.
	InitQual float64
	Source   *Source
	Mixing   MixModel
	MixFrac  float64
	Kbulk    float64 // tank bulk reaction coefficient (Missing = global)
	Line     int     // line of the definition in the .inp file
}

// Link is a pipe, pump or valve in user units.
type Link struct {
	ID        string
	Kind      LinkKind
	From, To  string
	Length    float64
	Diameter  float64
	Roughness float64 // pipes: roughness
	MinorLoss float64
	// Setting is the valve setting (pressure, flow, loss coefficient, or
	// percent open) or the pump's initial speed; Missing when a valve's
	// status is fixed.
	Setting float64
	// Status is the initial status: Open, Closed, or Active (valves).
	Status Status
	// GPV head-loss curve or PCV valve curve.
	Curve string
	// Pump parameters.
	HeadCurve, EffCurve, SpeedPattern, PricePattern string
	Power                                           float64 // constant power (hp or kW), 0 = use the curve
	Price                                           float64 // energy price, 0 = global
	// Water quality.
	Kbulk, Kwall float64 // Missing = global
	// Pipe leakage (EPANET 2.3 FAVAD model, [LEAKAGE]): leak area in mm²
	// per 100 length units of pipe, and its growth in mm² per unit of
	// pressure head.
	LeakArea, LeakExpansion float64
	Line                    int
}

// Curve is an X-Y curve in user units.
type Curve struct {
	ID   string
	X, Y []float64
	Line int
}

// Pattern is a list of multipliers applied one per pattern time step.
type Pattern struct {
	ID      string
	Factors []float64
	Line    int
}

// ControlKind is the trigger of a simple control.
type ControlKind uint8

// Simple control triggers, as EPANET's ControlType.
const (
	LowLevel  ControlKind = iota // node level/pressure below a value
	HiLevel                      // above a value
	Timer                        // elapsed time
	TimeOfDay                    // clock time
)

// Control is one line of [CONTROLS].
type Control struct {
	Link    string
	Status  Status  // Open or Closed, or Active when a setting is given
	Setting float64 // Missing when the control sets a status only
	Kind    ControlKind
	Node    string
	Level   float64 // tank level or junction pressure, user units
	Time    int64   // seconds (Timer) or seconds after midnight (TimeOfDay)
	Enabled bool
	Line    int
}

// SourceKind is the type of a water quality source.
type SourceKind uint8

// Source kinds.
const (
	Concen SourceKind = iota
	Mass
	Setpoint
	FlowPaced
)

// Source is a water quality source at a node.
type Source struct {
	Kind     SourceKind
	Strength float64
	Pattern  string
}

// MixModel is a tank mixing model.
type MixModel uint8

// Tank mixing models.
const (
	Mix1 MixModel = iota // complete mixing
	Mix2                 // two compartments
	FIFO
	LIFO
)

// FlowUnits is the flow unit of a network; it also fixes the unit system.
type FlowUnits uint8

// Flow units, as EPANET's FlowUnitsType.
const (
	CFS FlowUnits = iota
	GPM
	MGD
	IMGD
	AFD
	LPS
	LPM
	MLD
	CMH
	CMD
	CMS
)

var flowUnitNames = [...]string{"CFS", "GPM", "MGD", "IMGD", "AFD", "LPS", "LPM", "MLD", "CMH", "CMD", "CMS"}

// String returns the unit as written in [OPTIONS].
func (u FlowUnits) String() string { return flowUnitNames[u] }

// SI reports whether the unit belongs to the metric system.
func (u FlowUnits) SI() bool { return u >= LPS }

// perCFS is the number of flow units in one cubic foot per second.
func (u FlowUnits) perCFS() float64 {
	return [...]float64{1, 448.831, 0.64632, 0.5382, 1.9837, 28.317, 1699.0, 2.4466, 101.94, 2446.6, 0.028317}[u]
}

// HeadlossFormula selects the pipe friction formula.
type HeadlossFormula uint8

// Headloss formulas.
const (
	HazenWilliams HeadlossFormula = iota
	DarcyWeisbach
	ChezyManning
)

// String returns the formula as written in [OPTIONS].
func (f HeadlossFormula) String() string { return [...]string{"H-W", "D-W", "C-M"}[f] }

// QualityMode is the kind of water quality analysis.
type QualityMode uint8

// Quality modes.
const (
	QualNone QualityMode = iota
	QualChem
	QualAge
	QualTrace
)

// String returns the mode name.
func (q QualityMode) String() string { return [...]string{"NONE", "CHEMICAL", "AGE", "TRACE"}[q] }

// PressureUnits is the unit of reported pressure.
type PressureUnits uint8

// Pressure units.
const (
	PSI PressureUnits = iota
	KPA
	Meters
	Bar
	Feet
)

// Options is the [OPTIONS] and [TIMES] section of a network.
type Options struct {
	Flow          FlowUnits
	Pressure      PressureUnits
	Headloss      HeadlossFormula
	SpecGravity   float64
	Viscosity     float64 // relative kinematic viscosity (multiplier)
	Diffusivity   float64
	Trials        int
	Accuracy      float64
	HeadError     float64
	FlowChange    float64
	ExtraTrials   int // -1 = stop if unbalanced
	DefaultPat    string
	DemandMult    float64
	EmitterExp    float64
	EmitBackflow  bool
	CheckFreq     int
	MaxCheck      int
	DampLimit     float64
	PDA           bool // pressure-driven demand
	MinPressure   float64
	ReqPressure   float64
	PressExponent float64
	Quality       QualityMode
	ChemName      string
	ChemUnits     string
	TraceNode     string
	QualTol       float64

	// Reactions.
	BulkOrder, WallOrder, TankOrder float64
	Kbulk, Kwall                    float64
	Climit, RoughCorr               float64

	// Energy.
	EnergyPrice, EnergyEffic, DemandCharge float64
	EnergyPattern, EnergyEffCurve          string

	// Times, in seconds.
	Duration, HydStep, QualStep, PatternStep, PatternStart int64
	ReportStep, ReportStart, RuleStep, StartClock          int64
	hydStepSet, reportStepSet                              bool
}

// Network is a water distribution network as read from an .inp file.
type Network struct {
	Title    []string
	Nodes    []*Node // junctions, then reservoirs, then tanks (EPANET order)
	Links    []*Link // in input order
	Curves   []*Curve
	Patterns []*Pattern
	Controls []*Control
	Rules    []*Rule
	Options  Options
	// Ignored lists sections and options read but not simulated (e.g.
	// LEAKAGE), for warnings.
	Ignored []string

	nodeIdx, linkIdx, curveIdx, patIdx map[string]int
}

// defaultOptions are EPANET's defaults.
func defaultOptions() Options {
	return Options{
		Flow: GPM, Pressure: PSI, Headloss: HazenWilliams, SpecGravity: 1, Viscosity: 1, Diffusivity: 1,
		Trials: 200, Accuracy: 0.001, ExtraTrials: -1, DefaultPat: "1", DemandMult: 1, EmitterExp: 0.5,
		EmitBackflow: true, CheckFreq: 2, MaxCheck: 10, ReqPressure: 0.1, PressExponent: 0.5,
		ChemName: "Chemical", ChemUnits: "mg/L", QualTol: Missing,
		BulkOrder: 1, WallOrder: 1, TankOrder: 1, EnergyEffic: 75,
		HydStep: 3600, PatternStep: 3600, ReportStep: 3600,
	}
}

// NodeIndex returns the index of the node with the given ID, or -1.
func (n *Network) NodeIndex(id string) int {
	if i, ok := n.nodeIdx[id]; ok {
		return i
	}
	return -1
}

// LinkIndex returns the index of the link with the given ID, or -1.
func (n *Network) LinkIndex(id string) int {
	if i, ok := n.linkIdx[id]; ok {
		return i
	}
	return -1
}

// Node returns the node with the given ID, or nil.
func (n *Network) Node(id string) *Node {
	if i := n.NodeIndex(id); i >= 0 {
		return n.Nodes[i]
	}
	return nil
}

// Link returns the link with the given ID, or nil.
func (n *Network) Link(id string) *Link {
	if i := n.LinkIndex(id); i >= 0 {
		return n.Links[i]
	}
	return nil
}

func (n *Network) curve(id string) *Curve {
	if i, ok := n.curveIdx[id]; ok {
		return n.Curves[i]
	}
	return nil
}

func (n *Network) pattern(id string) *Pattern {
	if i, ok := n.patIdx[id]; ok {
		return n.Patterns[i]
	}
	return nil
}

// Counts returns the number of junctions, reservoirs, tanks, pipes, pumps
// and valves.
func (n *Network) Counts() (junc, res, tanks, pipes, pumps, valves int) {
	for _, nd := range n.Nodes {
		switch nd.Kind {
		case Junction:
			junc++
		case Reservoir:
			res++
		default:
			tanks++
		}
	}
	for _, l := range n.Links {
		switch {
		case l.Kind <= Pipe:
			pipes++
		case l.Kind == Pump:
			pumps++
		default:
			valves++
		}
	}
	return
}

// Clone returns a deep copy of the network, so that a change to the copy
// (an attack, a what-if) leaves the original intact.
func (n *Network) Clone() *Network {
	c := *n
	c.Nodes = make([]*Node, len(n.Nodes))
	for i, nd := range n.Nodes {
		x := *nd
		x.Demands = append([]Demand(nil), nd.Demands...)
		if nd.Source != nil {
			s := *nd.Source
			x.Source = &s
		}
		c.Nodes[i] = &x
	}
	c.Links = make([]*Link, len(n.Links))
	for i, l := range n.Links {
		x := *l
		c.Links[i] = &x
	}
	c.Curves = make([]*Curve, len(n.Curves))
	for i, cv := range n.Curves {
		x := *cv
		x.X = append([]float64(nil), cv.X...)
		x.Y = append([]float64(nil), cv.Y...)
		c.Curves[i] = &x
	}
	c.Patterns = make([]*Pattern, len(n.Patterns))
	for i, p := range n.Patterns {
		x := *p
		x.Factors = append([]float64(nil), p.Factors...)
		c.Patterns[i] = &x
	}
	c.Controls = make([]*Control, len(n.Controls))
	for i, ct := range n.Controls {
		x := *ct
		c.Controls[i] = &x
	}
	c.Rules = append([]*Rule(nil), n.Rules...)
	c.Ignored = append([]string(nil), n.Ignored...)
	return &c
}

// interp linearly interpolates y(x) on a curve, holding the end values
// beyond its range, as EPANET's interp().
func interp(xs, ys []float64, x float64) float64 {
	n := len(xs)
	if n == 0 {
		return 0
	}
	if n == 1 || x <= xs[0] {
		return ys[0]
	}
	for k := 1; k < n; k++ {
		if xs[k] >= x {
			dx := xs[k] - xs[k-1]
			if dx < 1e-6 {
				return ys[k]
			}
			return ys[k] - (xs[k]-x)*(ys[k]-ys[k-1])/dx
		}
	}
	return ys[n-1]
}
