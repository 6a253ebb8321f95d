package water

import (
	"fmt"
	"math"
	"slices"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/physics/sparse"
)

// EPANET's constants.
const (
	mPerFt    = 0.3048
	psiPerFt  = 0.4333
	kpaPerPsi = 6.895
	barPerPsi = 0.068948
	kwPerHP   = 0.7457
	viscos0   = 1.1e-5 // kinematic viscosity of water at 20 °C, ft²/s
	qZero     = 1e-6   // flow equivalent to zero, cfs
	cBig      = 1e8
	cSmall    = 1e-6
	tiny      = 1e-6
	big       = 1e10
	minPDiff  = 0.1
)

// Pump curve types.
const (
	constHP = iota
	powerFunc
	customCurve
	noCurve
)

type tankData struct {
	node              int
	area              float64 // 0 for a reservoir
	hmin, hmax, h0    float64
	vmin, vmax, v0, v float64
	vcurve            *Curve
	pat               int // head pattern of a reservoir, -1 none
	overflow          bool
}

type linkData struct {
	kind         LinkKind
	n1, n2       int
	length, diam float64
	kc           float64 // roughness (pipes) or initial setting
	km           float64 // minor loss coefficient (Q² basis)
	r            float64 // resistance
	status0      Status
	pump, valve  int // index in pumps / valves, -1
	edge         int // index of the matrix edge, -1 if an end is fixed-grade
	curve        *Curve
}

type pumpData struct {
	link           int
	ptype          int
	h0, r, n       float64 // head loss = h0 + r q^n (h0 < 0)
	q0, qmax, hmax float64
	hcurve, ecurve *Curve
	upat, epat     int
	ecost          float64
}

type demandData struct {
	base float64
	pat  int
}

type controlData struct {
	link, node int
	kind       ControlKind
	grade      float64
	time       int64
	status     Status
	setting    float64
}

// model is a network compiled into EPANET's internal units (ft, cfs, s).
type model struct {
	net              *Network
	nn, nj, nl       int
	elev             []float64
	demands          [][]demandData
	ke               []float64
	tanks            []tankData // index t ↔ node nj+t
	links            []linkData
	pumps            []pumpData
	valves           []int
	patterns         [][]float64
	controls         []controlData
	rules            []ruleData
	edges            [][2]int
	sym              *sparse.Symbolic
	bias             []float64 // level or pressure bias the controls see, per node (internal units)
	qual             *qualModel
	openAdj          [][]int   // links at each node, for connectivity checks
	leakCfa, leakCva []float64 // per junction: inverted FAVAD leakage coefficients (EPANET 2.3)
	hasLeak          bool
	// options
	hexp, qexp, hacc, htol, qtol, rqtol, viscos, spgrav, dmult float64
	maxIter, extraIter, checkFreq, maxCheck                    int
	dampLimit, headErrLimit, flowChangeLimit                   float64
	formula                                                    HeadlossFormula
	pda                                                        bool
	pmin, preq, pexp                                           float64
	emitBack                                                   bool
	epump, ecost                                               float64
	epat                                                       int
	// unit conversion factors (user units per internal unit)
	qcf, hcf, pcf, dcf float64
	// times
	dur, hstep, pstep, pstart, rstep, rstart, rulestep, tstart, qstep int64
}

func (m *model) patIndex(id string) int {
	if id == "" {
		return -1
	}
	if i, ok := m.net.patIdx[id]; ok {
		return i
	}
	return -1
}

// compile converts a parsed network into the solver's model.
func compile(net *Network) (*model, error) { return compileWith(net, nil) }

// compileWith compiles net, reusing prev's matrix analysis when the
// junction-to-junction edges are the same.
func compileWith(net *Network, prev *model) (*model, error) {
	o := &net.Options
	m := &model{net: net, nn: len(net.Nodes), nl: len(net.Links)}
	for _, n := range net.Nodes {
		if n.Kind == Junction {
			m.nj++
		}
	}
	// Units.
	m.qcf = o.Flow.perCFS()
	if o.Flow.SI() {
		m.hcf = mPerFt
		m.dcf = 1000 * mPerFt
		switch o.Pressure {
		case KPA:
			m.pcf = kpaPerPsi * psiPerFt * o.SpecGravity
		case Bar:
			m.pcf = barPerPsi * psiPerFt * o.SpecGravity
		default: // METERS, and PSI which EPANET turns into METERS for SI flows
			m.pcf = mPerFt * o.SpecGravity
		}
	} else {
		m.hcf = 1
		m.dcf = 12
		m.pcf = psiPerFt * o.SpecGravity
		if o.Pressure == Feet {
			m.pcf = o.SpecGravity
		}
	}
	vcf := m.hcf * m.hcf * m.hcf
	m.formula = o.Headloss
	m.hexp = 2
	if o.Headloss == HazenWilliams {
		m.hexp = 1.852
	}
	m.qexp = 1 / o.EmitterExp
	m.hacc, m.htol, m.qtol, m.rqtol = o.Accuracy, 0.0005, 0.0001, 1e-7
	m.maxIter, m.extraIter, m.checkFreq, m.maxCheck = o.Trials, o.ExtraTrials, o.CheckFreq, o.MaxCheck
	m.dampLimit = o.DampLimit
	m.headErrLimit = o.HeadError / m.hcf
	m.flowChangeLimit = o.FlowChange / m.qcf
	m.spgrav = o.SpecGravity
	m.dmult = o.DemandMult
	switch {
	case o.Viscosity > 1e-3:
		m.viscos = o.Viscosity * viscos0
	case o.Flow.SI():
		m.viscos = o.Viscosity / (mPerFt * mPerFt)
	default:
		m.viscos = o.Viscosity
	}
	m.pda = o.PDA
	m.pmin, m.preq, m.pexp = o.MinPressure/m.pcf, o.ReqPressure/m.pcf, o.PressExponent
	if m.pda && m.preq-m.pmin < minPDiff {
		m.preq = m.pmin + minPDiff
	}
	m.emitBack = o.EmitBackflow
	m.epump, m.ecost = o.EnergyEffic, o.EnergyPrice
	m.dur, m.hstep, m.pstep, m.pstart = o.Duration, o.HydStep, o.PatternStep, o.PatternStart
	m.rstep, m.rstart, m.rulestep, m.tstart = o.ReportStep, o.ReportStart, o.RuleStep, o.StartClock
	m.qstep = max(1, o.QualStep)

	// Patterns.
	for _, p := range net.Patterns {
		m.patterns = append(m.patterns, p.Factors)
	}
	defPat := m.patIndex(o.DefaultPat)
	m.epat = m.patIndex(o.EnergyPattern)

	// Nodes.
	m.elev = make([]float64, m.nn)
	m.demands = make([][]demandData, m.nj)
	m.ke = make([]float64, m.nn)
	for i, n := range net.Nodes {
		m.elev[i] = n.Elev / m.hcf
		if n.Kind == Junction {
			for _, d := range n.Demands {
				pat := defPat
				if d.Pattern != "" {
					pat = m.patIndex(d.Pattern)
				}
				m.demands[i] = append(m.demands[i], demandData{base: d.Base / m.qcf, pat: pat})
			}
			if n.Emitter > 0 {
				m.ke[i] = math.Pow(m.qcf, m.qexp) / m.pcf / math.Pow(n.Emitter, m.qexp)
			}
			continue
		}
		t := tankData{node: i, pat: -1}
		if n.Kind == Reservoir {
			t.pat = m.patIndex(n.HeadPattern)
			t.h0 = m.elev[i]
			m.tanks = append(m.tanks, t)
			continue
		}
		// Volumes in user units first, as EPANET.
		area := math.Pi * n.Diameter * n.Diameter / 4
		vmin := area * n.MinLevel
		if n.MinVolume > 0 {
			vmin = n.MinVolume
		}
		v0 := vmin + area*(n.InitLevel-n.MinLevel)
		vmax := vmin + area*(n.MaxLevel-n.MinLevel)
		diam := n.Diameter
		if n.VolumeCurve != "" {
			c := net.curve(n.VolumeCurve)
			t.vcurve = c
			vmin = interp(c.X, c.Y, n.MinLevel)
			vmax = interp(c.X, c.Y, n.MaxLevel)
			v0 = interp(c.X, c.Y, n.InitLevel)
			k := len(c.X) - 1
			a := 0.0
			if k > 0 {
				a = (c.Y[k] - c.Y[0]) / (c.X[k] - c.X[0])
			}
			diam = math.Sqrt(4 * a / math.Pi)
		}
		t.h0 = m.elev[i] + n.InitLevel/m.hcf
		t.hmin = m.elev[i] + n.MinLevel/m.hcf
		t.hmax = m.elev[i] + n.MaxLevel/m.hcf
		t.area = math.Pi * (diam / m.hcf) * (diam / m.hcf) / 4
		t.vmin, t.vmax, t.v0 = vmin/vcf, vmax/vcf, v0/vcf
		t.v = t.v0
		t.overflow = n.Overflow
		m.tanks = append(m.tanks, t)
	}

	// Links.
	m.links = make([]linkData, m.nl)
	for k, l := range net.Links {
		ld := linkData{kind: l.Kind, n1: net.NodeIndex(l.From), n2: net.NodeIndex(l.To), pump: -1, valve: -1, edge: -1, status0: l.Status}
		switch {
		case l.Kind <= Pipe:
			ld.kc = l.Roughness
			if m.formula == DarcyWeisbach {
				ld.kc /= 1000 * m.hcf
			}
			ld.diam = l.Diameter / m.dcf
			ld.length = l.Length / m.hcf
			ld.km = 0.02517 * l.MinorLoss / math.Pow(ld.diam, 4)
			switch m.formula {
			case HazenWilliams:
				ld.r = 4.727 * ld.length / math.Pow(ld.kc, m.hexp) / math.Pow(ld.diam, 4.871)
			case DarcyWeisbach:
				a := math.Pi * ld.diam * ld.diam / 4
				ld.r = ld.length / 2 / 32.2 / ld.diam / (a * a)
			case ChezyManning:
				x := 4 * ld.kc / (1.49 * math.Pi * ld.diam * ld.diam)
				ld.r = x * x * math.Pow(ld.diam/4, -1.333) * ld.length
			}
			if l.Status == Closed {
				ld.status0 = Closed
			} else {
				ld.status0 = Open
			}
		case l.Kind == Pump:
			ld.kc = l.Setting
			ld.r = cBig
			pd, err := m.pump(l)
			if err != nil {
				return nil, &diag.Diagnostic{File: "", Line: l.Line, Msg: fmt.Sprintf("pump %s: %v", l.ID, err)}
			}
			pd.link = k
			ld.pump = len(m.pumps)
			m.pumps = append(m.pumps, pd)
			if l.Status == Closed {
				ld.status0 = Closed
			} else {
				ld.status0 = Open
			}
		default:
			ld.diam = l.Diameter / m.dcf
			ld.km = 0.02517 * l.MinorLoss / math.Pow(ld.diam, 4)
			ld.kc = l.Setting
			if l.Setting != Missing {
				switch l.Kind {
				case FCV:
					ld.kc = l.Setting / m.qcf
				case PRV, PSV, PBV:
					ld.kc = l.Setting / m.pcf
				}
			}
			if l.Kind == GPV {
				ld.curve = net.curve(l.Curve)
			}
			if l.Kind == PCV && l.Curve != "" {
				ld.curve = net.curve(l.Curve)
			}
			ld.r = cSmall
			ld.valve = len(m.valves)
			m.valves = append(m.valves, k)
		}
		if ld.n1 < m.nj && ld.n2 < m.nj {
			ld.edge = len(m.edges)
			m.edges = append(m.edges, [2]int{ld.n1, ld.n2})
		}
		m.links[k] = ld
	}

	// Controls.
	for _, c := range net.Controls {
		cd := controlData{link: net.LinkIndex(c.Link), node: -1, kind: c.Kind, time: c.Time, status: c.Status, setting: c.Setting}
		if !c.Enabled {
			continue
		}
		if c.Node != "" {
			cd.node = net.NodeIndex(c.Node)
			if cd.node >= m.nj {
				cd.grade = m.elev[cd.node] + c.Level/m.hcf
			} else {
				cd.grade = m.elev[cd.node] + c.Level/m.pcf
			}
		}
		if c.Setting != Missing {
			switch m.links[cd.link].kind {
			case PRV, PSV, PBV:
				cd.setting = c.Setting / m.pcf
			case FCV:
				cd.setting = c.Setting / m.qcf
			}
		}
		m.controls = append(m.controls, cd)
	}
	m.compileLeakage()
	if err := m.compileRules(); err != nil {
		return nil, err
	}
	m.compileQuality()

	if prev != nil && prev.nj == m.nj && slices.Equal(prev.edges, m.edges) {
		m.sym = prev.sym
		return m, nil
	}
	sym, err := sparse.Analyze(m.nj, m.edges, sparse.MinDegree)
	if err != nil {
		return nil, fmt.Errorf("analyse network matrix: %w", err)
	}
	m.sym = sym
	return m, nil
}

// fitPump classifies a head curve: a single point or three points starting
// at zero flow give EPANET's power function h = a + b·q^c; other curves are
// used piecewise-linearly.
func fitPump(c *Curve) (pumpData, error) {
	var pd pumpData
	n := len(c.X)
	var h0, h1, h2, q1, q2 float64
	switch {
	case n == 1:
		pd.ptype = powerFunc
		q1, h1 = c.X[0], c.Y[0]
		h0, q2, h2 = 1.33334*h1, 2*q1, 0
	case n == 3 && c.X[0] == 0:
		pd.ptype = powerFunc
		h0, q1, h1, q2, h2 = c.Y[0], c.X[1], c.Y[1], c.X[2], c.Y[2]
	default:
		pd.ptype = customCurve
		for k := 1; k < n; k++ {
			if c.Y[k] >= c.Y[k-1] {
				return pd, fmt.Errorf("head curve %s must decrease with flow", c.ID)
			}
		}
		pd.qmax = c.X[n-1]
		pd.q0 = (c.X[0] + pd.qmax) / 2
		pd.hmax = c.Y[0]
		return pd, nil
	}
	if h0 < tiny || h0-h1 < tiny || h1-h2 < tiny || q1 < tiny || q2-q1 < tiny {
		return pd, fmt.Errorf("head curve %s cannot be fitted by a power function", c.ID)
	}
	a := h0
	h4, h5 := h0-h1, h0-h2
	cc := math.Log(h5/h4) / math.Log(q2/q1)
	if cc <= 0 || cc > 20 {
		return pd, fmt.Errorf("head curve %s cannot be fitted by a power function", c.ID)
	}
	b := -h4 / math.Pow(q1, cc)
	if b >= 0 {
		return pd, fmt.Errorf("head curve %s cannot be fitted by a power function", c.ID)
	}
	pd.h0, pd.r, pd.n = -a, -b, cc
	pd.q0 = q1
	pd.qmax = math.Pow(-a/b, 1/cc)
	pd.hmax = h0
	return pd, nil
}

func (m *model) pump(l *Link) (pumpData, error) {
	pd := pumpData{upat: m.patIndex(l.SpeedPattern), epat: m.patIndex(l.PricePattern), ecost: l.Price}
	if l.EffCurve != "" {
		pd.ecurve = m.net.curve(l.EffCurve)
	}
	if l.Power > 0 && l.HeadCurve == "" {
		pd.ptype = constHP
		p := l.Power
		if m.net.Options.Flow.SI() {
			p /= kwPerHP
		}
		pd.r = -8.814 * p
		pd.n = -1
		pd.hmax, pd.qmax, pd.q0 = big, big, 1
		return pd, nil
	}
	c := m.net.curve(l.HeadCurve)
	if c == nil || len(c.X) == 0 {
		return pd, fmt.Errorf("undefined head curve %q", l.HeadCurve)
	}
	f, err := fitPump(c)
	if err != nil {
		return pd, err
	}
	f.upat, f.epat, f.ecost, f.ecurve = pd.upat, pd.epat, pd.ecost, pd.ecurve
	f.hcurve = c
	if f.ptype == powerFunc {
		f.h0 /= m.hcf
		f.r *= math.Pow(m.qcf, f.n) / m.hcf
	}
	f.q0 /= m.qcf
	f.qmax /= m.qcf
	f.hmax /= m.hcf
	return f, nil
}

// tankVolume returns the volume of tank t at head h.
func (m *model) tankVolume(t *tankData, h float64) float64 {
	if t.vcurve == nil {
		return t.vmin + (h-t.hmin)*t.area
	}
	y := (h - m.elev[t.node]) * m.hcf
	return interp(t.vcurve.X, t.vcurve.Y, y) / (m.hcf * m.hcf * m.hcf)
}

// tankGrade returns the head of tank t holding volume v.
func (m *model) tankGrade(t *tankData, v float64) float64 {
	if t.vcurve == nil {
		return t.hmin + (v-t.vmin)/t.area
	}
	y := interp(t.vcurve.Y, t.vcurve.X, v*m.hcf*m.hcf*m.hcf)
	return m.elev[t.node] + y/m.hcf
}

// compileLeakage sums the FAVAD leak coefficients of the pipes at each
// junction (half a pipe per end; a whole pipe at a junction whose other
// end is a tank or reservoir) and inverts them, as EPANET 2.3's
// leakage_init: leak flow = Co·L·(A0 + m·h)·√h, Co = 0.6·√(2g).
func (m *model) compileLeakage() {
	m.leakCfa = make([]float64, m.nj)
	m.leakCva = make([]float64, m.nj)
	m.hasLeak = false
	const cOrif = 4.8149866e-6 // 0.6·√(2g) in ft^0.5/s, times 1e-6 for mm²
	for k, l := range m.net.Links {
		if l.Kind > Pipe || l.LeakArea == 0 && l.LeakExpansion == 0 {
			continue
		}
		ld := &m.links[k]
		if ld.n1 >= m.nj && ld.n2 >= m.nj {
			continue
		}
		cArea := cOrif * l.LeakArea / (mPerFt * mPerFt)
		cExp := cOrif * l.LeakExpansion
		length := ld.length * m.hcf / 100
		if ld.n1 < m.nj && ld.n2 < m.nj {
			length *= 0.5
		}
		m.hasLeak = true
		for _, n := range []int{ld.n1, ld.n2} {
			if n < m.nj {
				m.leakCfa[n] += cArea * length
				m.leakCva[n] += cExp * length
			}
		}
	}
	for i := 0; i < m.nj; i++ {
		if c := m.leakCfa[i]; c > 0 {
			m.leakCfa[i] = 1 / (c * c)
		}
		if c := m.leakCva[i]; c > 0 {
			m.leakCva[i] = 1 / math.Pow(c, 2.0/3.0)
		}
	}
}
