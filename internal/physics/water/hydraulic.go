package water

import (
	"errors"
	"math"

	"github.com/citadel-city/citadel/internal/physics/sparse"
)

// hydState is the hydraulic state of a simulation, in internal units.
type hydState struct {
	m           *model
	H           []float64 // node heads
	Q           []float64 // link flows
	D           []float64 // node demands: junction outflow, tank/reservoir net inflow
	demFlow     []float64 // junction demand actually delivered (PDA)
	full        []float64 // junction full (required) demand
	emFlow      []float64 // emitter flows
	S           []Status
	K           []float64 // settings
	P, Y        []float64
	X           []float64 // nodal flow excess
	aii, f      []float64
	aij         []float64
	fac         *sparse.Factor
	relax       float64
	htime       int64
	iters       int
	relErr      float64
	illCondNode int
	powQ, powY  []float64 // per-link anchors of powFlow
	// leakage flows per junction: fixed-area and variable-area parts
	qfa, qva, leakFlow []float64
	// state of the disconnected-node check
	discS         []Status
	discSeen      []bool
	discStack     []int
	discUnreached []int
}

func newHydState(m *model) *hydState {
	s := &hydState{m: m,
		H: make([]float64, m.nn), Q: make([]float64, m.nl), D: make([]float64, m.nn),
		demFlow: make([]float64, m.nn), full: make([]float64, m.nn), emFlow: make([]float64, m.nn),
		S: make([]Status, m.nl), K: make([]float64, m.nl), P: make([]float64, m.nl), Y: make([]float64, m.nl),
		X: make([]float64, m.nn), aii: make([]float64, m.nj), f: make([]float64, m.nj), aij: make([]float64, len(m.edges)),
		fac: m.sym.NewFactor(), illCondNode: -1,
		powQ: make([]float64, m.nl), powY: make([]float64, m.nl),
		qfa: make([]float64, m.nn), qva: make([]float64, m.nn), leakFlow: make([]float64, m.nn),
	}
	return s
}

// init sets the initial state as EPANET's inithyd.
func (s *hydState) init() {
	m := s.m
	s.discS = s.discS[:0]
	for i := range m.tanks {
		t := &m.tanks[i]
		t.v = t.v0
		s.H[t.node] = t.h0
		s.D[t.node] = 0
	}
	for i := range s.emFlow {
		s.emFlow[i] = 0
		if m.ke[i] > 0 {
			s.emFlow[i] = 1
		}
		s.qfa[i], s.qva[i], s.leakFlow[i] = 0, 0, 0
		if i < m.nj && m.leakCfa[i] > 0 {
			s.qfa[i] = 0.001
		}
		if i < m.nj && m.leakCva[i] > 0 {
			s.qva[i] = 0.001
		}
	}
	for k := range m.links {
		l := &m.links[k]
		s.S[k] = l.status0
		s.K[k] = l.kc
		if (l.kind == PRV || l.kind == PSV || l.kind == FCV) && l.kc != Missing {
			s.S[k] = Active
		}
		s.Q[k] = 0
		if s.S[k] <= Closed {
			s.Q[k] = qZero
		} else {
			s.initFlow(k)
		}
	}
	s.htime = 0
}

func (s *hydState) initFlow(k int) {
	l := &s.m.links[k]
	switch {
	case s.S[k] == Closed:
		s.Q[k] = qZero
	case l.kind == Pump:
		s.Q[k] = s.K[k] * s.m.pumps[l.pump].q0
	default:
		s.Q[k] = math.Pi * l.diam * l.diam / 4
	}
}

func sgn(x float64) float64 {
	if x < 0 {
		return -1
	}
	return 1
}

// headlossCoeffs computes P (inverse headloss gradient) and Y (headloss /
// gradient) of every link.
func (s *hydState) headlossCoeffs() {
	m := s.m
	for k := range m.links {
		switch m.links[k].kind {
		case CVPipe, Pipe:
			s.pipeCoeff(k)
		case Pump:
			s.pumpCoeff(k)
		case PBV:
			s.pbvCoeff(k)
		case TCV:
			km := m.links[k].km
			if s.K[k] != Missing {
				d := m.links[k].diam
				km = 0.02517 * s.K[k] / (d * d * d * d)
			}
			s.valveCoeffKm(k, km)
		case PCV:
			km := m.links[k].km
			if s.K[k] != Missing {
				km = s.pcvLoss(k, s.K[k])
			}
			s.valveCoeffKm(k, km)
		case GPV:
			s.gpvCoeff(k)
		case FCV, PRV, PSV:
			if s.K[k] == Missing {
				s.valveCoeff(k)
			} else {
				s.P[k] = 0
			}
		}
	}
}

func (s *hydState) pipeCoeff(k int) {
	m := s.m
	l := &m.links[k]
	if s.S[k] <= Closed {
		s.P[k] = 1 / cBig
		s.Y[k] = s.Q[k]
		return
	}
	if m.formula == DarcyWeisbach {
		s.dwCoeff(k)
		return
	}
	q := math.Abs(s.Q[k])
	hgrad := 0.0
	if q > 0 {
		hgrad = m.hexp * l.r * s.powFlow(k, q, m.hexp-1)
	}
	var hloss float64
	if hgrad < m.rqtol {
		hgrad = m.rqtol / m.hexp
		hloss = hgrad * q
	} else {
		hloss = hgrad * q / m.hexp
	}
	if l.km > 0 {
		hloss += l.km * q * q
		hgrad += 2 * l.km * q
	}
	hloss *= sgn(s.Q[k])
	s.P[k] = 1 / hgrad
	s.Y[k] = hloss / hgrad
}

// powFlow returns q^a for the flow of link k. Flows change little from one
// iteration (or time step) to the next, so it keeps, per link, an anchor
// q0 with q0^a computed by exp/log, and when q is within 1 % of the anchor
// (three evaluations in four on CTOWN) evaluates q^a = q0^a·exp(a·ln(q/q0))
// with short series whose truncation error is below 1e-20, so the result
// is within a few ulps of exp/log. The anchor is only ever set from
// exp/log, so no error accumulates.
func (s *hydState) powFlow(k int, q, a float64) float64 {
	if q0 := s.powQ[k]; q0 > 0 {
		x := q/q0 - 1
		if x > -1e-2 && x < 1e-2 {
			l := x * (1 - x*(1.0/2-x*(1.0/3-x*(1.0/4-x*(1.0/5-x*(1.0/6-x*(1.0/7-x*(1.0/8-x/9))))))))
			z := a * l
			return s.powY[k] * (1 + z*(1+z*(1.0/2+z*(1.0/6+z*(1.0/24+z*(1.0/120+z*(1.0/720+z/5040)))))))
		}
	}
	y := math.Exp(a * math.Log(q))
	s.powQ[k], s.powY[k] = q, y
	return y
}

// Darcy-Weisbach constants (EPANET hydcoeffs.c).
const (
	dwA1 = 3.14159265358979323850e+03  // 1000·π
	dwA2 = 1.57079632679489661930e+03  // 500·π
	dwA8 = 4.61841319859066668690e+00  // 5.74·(π/4)^0.9
	dwA9 = -8.68588963806503655300e-01 // -2/ln 10
	dwAB = 3.28895476345399058690e-03  // 5.74/4000^0.9
	dwAC = -5.14214965799093883760e-03 // AA·AB
)

func (s *hydState) dwCoeff(k int) {
	m := s.m
	l := &m.links[k]
	q := math.Abs(s.Q[k])
	r := l.r
	e := l.kc / l.diam
	vs := m.viscos * l.diam
	var hloss, hgrad float64
	if q <= dwA2*vs {
		r = 16 * math.Pi * vs * r
		hloss = s.Q[k] * (r + l.km*q)
		hgrad = r + 2*l.km*q
	} else {
		f, dfdq := frictionFactor(q, e, vs)
		r1 := f*r + l.km
		hloss = r1 * q * s.Q[k]
		hgrad = 2*r1*q + dfdq*r*q*q
	}
	s.P[k] = 1 / hgrad
	s.Y[k] = hloss / hgrad
}

// frictionFactor is the Darcy-Weisbach friction factor (Swamee-Jain above
// Re 4000, Dunlop's cubic interpolation between Re 2000 and 4000) and its
// derivative with respect to flow.
func frictionFactor(q, e, s float64) (f, dfdq float64) {
	w := q / s
	if w >= dwA1 {
		y1 := dwA8 / math.Pow(w, 0.9)
		y2 := e/3.7 + y1
		y3 := dwA9 * math.Log(y2)
		f = 1 / (y3 * y3)
		dfdq = 1.8 * f * y1 * dwA9 / y2 / y3 / q
		return
	}
	y2 := e/3.7 + dwAB
	y3 := dwA9 * math.Log(y2)
	fa := 1 / (y3 * y3)
	fb := (2 + dwAC/(y2*y3)) * fa
	r := w / dwA2
	x1 := 7*fa - fb
	x2 := 0.128 - 17*fa + 2.5*fb
	x3 := -0.128 + 13*fa - (fb + fb)
	x4 := 0.032 - 3*fa + 0.5*fb
	f = x1 + r*(x2+r*(x3+r*x4))
	dfdq = (x2 + r*(2*x3+r*3*x4)) / s / dwA2
	return
}

// curveCoeff returns the intercept and slope (internal units) of the
// segment of curve c containing flow q (internal units).
func (s *hydState) curveCoeff(c *Curve, q float64) (h0, r float64) {
	m := s.m
	q *= m.qcf
	x, y := c.X, c.Y
	n := len(x)
	if n < 2 {
		return y[0] / m.hcf, 0
	}
	k2 := 0
	for k2 < n && x[k2] < q {
		k2++
	}
	if k2 == 0 {
		k2++
	} else if k2 == n {
		k2--
	}
	k1 := k2 - 1
	r = (y[k2] - y[k1]) / (x[k2] - x[k1])
	h0 = y[k1] - r*x[k1]
	return h0 / m.hcf, r * m.qcf / m.hcf
}

func (s *hydState) pumpCoeff(k int) {
	m := s.m
	l := &m.links[k]
	setting := s.K[k]
	if s.S[k] <= Closed || setting == 0 {
		s.P[k] = 1 / cBig
		s.Y[k] = s.Q[k]
		return
	}
	q := math.Abs(s.Q[k])
	pu := &m.pumps[l.pump]
	var hloss, hgrad float64
	switch pu.ptype {
	case noCurve:
		s.P[k] = 1 / cSmall
		s.Y[k] = s.Q[k]
		return
	case customCurve:
		h0, r := s.curveCoeff(pu.hcurve, q/setting)
		hgrad = -r * setting
		hloss = -h0*setting*setting + hgrad*s.Q[k]
	default:
		h0 := setting * setting * pu.h0
		n := pu.n
		if math.Abs(n-1) < tiny {
			n = 1
		}
		r := pu.r * math.Pow(setting, 2-n)
		switch {
		case pu.ptype == constHP:
			hgrad = -r / q / q
			if hgrad > cBig {
				s.P[k] = 1 / cBig
				s.Y[k] = s.Q[k]
				return
			} else if hgrad < cSmall {
				s.P[k] = 1 / cSmall
				s.Y[k] = s.Q[k]
				return
			}
			hloss = r / s.Q[k]
		case n != 1:
			hgrad = n * r * math.Pow(q, n-1)
			if hgrad < m.rqtol {
				hgrad = m.rqtol
				hloss = h0 + hgrad*s.Q[k]
			} else {
				hloss = h0 + hgrad*s.Q[k]/n
			}
		default:
			hgrad = r
			hloss = h0 + hgrad*s.Q[k]
		}
	}
	s.P[k] = 1 / hgrad
	s.Y[k] = hloss / hgrad
}

// valveCoeff treats a valve as an open (with its minor loss) or closed link.
func (s *hydState) valveCoeff(k int) { s.valveCoeffKm(k, s.m.links[k].km) }

func (s *hydState) valveCoeffKm(k int, km float64) {
	flow := s.Q[k]
	if s.S[k] <= Closed {
		s.P[k] = 1 / cBig
		s.Y[k] = flow
		return
	}
	if km > 0 {
		q := math.Abs(flow)
		hgrad := 2 * km * q
		var hloss float64
		if hgrad < s.m.rqtol {
			hgrad = s.m.rqtol / 2
			hloss = flow * hgrad
		} else {
			hloss = flow * hgrad / 2
		}
		s.P[k] = 1 / hgrad
		s.Y[k] = hloss / hgrad
		return
	}
	s.P[k] = 1 / cSmall
	s.Y[k] = flow
}

func (s *hydState) gpvCoeff(k int) {
	if s.S[k] == Closed {
		s.valveCoeff(k)
		return
	}
	c := s.m.links[k].curve
	q := math.Max(math.Abs(s.Q[k]), tiny)
	h0, r := s.curveCoeff(c, q)
	r = math.Max(r, tiny)
	s.P[k] = 1 / r
	s.Y[k] = (h0/r + q) * sgn(s.Q[k])
}

func (s *hydState) pbvCoeff(k int) {
	l := &s.m.links[k]
	if s.K[k] == Missing || s.K[k] == 0 {
		s.valveCoeff(k)
		return
	}
	if l.km*s.Q[k]*s.Q[k] > s.K[k] {
		s.valveCoeff(k)
		return
	}
	s.P[k] = cBig
	s.Y[k] = s.K[k] * cBig
}

// pcvLoss is the minor loss coefficient of a positional control valve at
// percent-open setting x.
func (s *hydState) pcvLoss(k int, x float64) float64 {
	l := &s.m.links[k]
	kmo := l.km
	if x >= 100 {
		return kmo
	}
	if x <= 0 {
		return cBig
	}
	kvr := x
	if c := l.curve; c != nil {
		n := len(c.X)
		switch {
		case x < c.X[0]:
			kvr = x / c.X[0] * c.Y[0]
		case x > c.X[n-1]:
			kvr = (x-c.X[n-1])/(1-c.X[n-1])*(1-c.Y[n-1]) + c.Y[n-1]
		default:
			kvr = interp(c.X, c.Y, x)
		}
	}
	kvr /= 100
	kvr = math.Max(math.Min(kvr, 1), cSmall)
	return math.Min(kmo/(kvr*kvr), cBig)
}

// matrixCoeffs assembles the linearised system A·H = F.
func (s *hydState) matrixCoeffs() {
	m := s.m
	clear(s.aii)
	clear(s.aij)
	clear(s.f)
	clear(s.X)
	nj := m.nj
	// Links.
	for k := range m.links {
		p := s.P[k]
		if p == 0 {
			continue
		}
		l := &m.links[k]
		n1, n2 := l.n1, l.n2
		s.X[n1] -= s.Q[k]
		s.X[n2] += s.Q[k]
		if l.edge >= 0 {
			s.aij[l.edge] -= p
		}
		if n1 < nj {
			s.aii[n1] += p
			s.f[n1] += s.Y[k]
		} else if n2 < nj {
			s.f[n2] += p * s.H[n1]
		}
		if n2 < nj {
			s.aii[n2] += p
			s.f[n2] -= s.Y[k]
		} else if n1 < nj {
			s.f[n1] += p * s.H[n2]
		}
	}
	// Emitters.
	for i := 0; i < nj; i++ {
		if m.ke[i] == 0 {
			continue
		}
		hloss, hgrad := s.emitterHeadloss(i)
		s.aii[i] += 1 / hgrad
		s.f[i] += (hloss + m.elev[i]) / hgrad
		s.X[i] -= s.emFlow[i]
	}
	// Pressure-driven demands.
	if m.pda {
		dp := m.preq - m.pmin
		n := 1 / m.pexp
		for i := 0; i < nj; i++ {
			if s.full[i] <= 0 {
				continue
			}
			hloss, hgrad := s.demandHeadloss(i, dp, n)
			if hgrad > 0 {
				s.aii[i] += 1 / hgrad
				s.f[i] += (hloss + m.elev[i] + m.pmin) / hgrad
			}
		}
	}
	// Pipe leakage, as a pair of emitters at each junction.
	if m.hasLeak {
		for i := 0; i < nj; i++ {
			hfa, gfa, hva, gva, ok := s.leakCoeffs(i)
			if !ok {
				continue
			}
			if gfa > 0 {
				s.aii[i] += 1 / gfa
				s.f[i] += (hfa + m.elev[i]) / gfa
			}
			if gva > 0 {
				s.aii[i] += 1 / gva
				s.f[i] += (hva + m.elev[i]) / gva
			}
			s.X[i] -= s.qfa[i] + s.qva[i]
		}
	}
	// Node flow balances.
	for i := 0; i < nj; i++ {
		s.X[i] -= s.demFlow[i]
		s.f[i] += s.X[i]
	}
	// Pressure and flow control valves.
	for _, k := range m.valves {
		if s.K[k] == Missing {
			continue
		}
		switch m.links[k].kind {
		case PRV:
			s.prvCoeff(k)
		case PSV:
			s.psvCoeff(k)
		case FCV:
			s.fcvCoeff(k)
		}
	}
}

func (s *hydState) addRow(n int, a, f float64) {
	if n < s.m.nj {
		s.aii[n] += a
		s.f[n] += f
	}
}

func (s *hydState) addOff(k int, v float64) {
	if e := s.m.links[k].edge; e >= 0 {
		s.aij[e] += v
	}
}

// openValveCoeffs adds an open/closed valve to the matrix like a pipe.
func (s *hydState) openValveCoeffs(k int) {
	l := &s.m.links[k]
	s.valveCoeff(k)
	p := s.P[k]
	d := s.Y[k] - s.Q[k]
	s.addOff(k, -p)
	s.addRow(l.n1, p, d)
	s.addRow(l.n2, p, -d)
}

func (s *hydState) prvCoeff(k int) {
	m := s.m
	l := &m.links[k]
	n1, n2 := l.n1, l.n2
	hset := m.elev[n2] + s.K[k]
	if s.S[k] == Active {
		s.P[k] = 0
		s.Y[k] = s.Q[k] + s.X[n2]
		s.addRow(n2, cBig, hset*cBig)
		if s.X[n2] < 0 {
			s.addRow(n1, 0, s.X[n2])
		}
		return
	}
	s.openValveCoeffs(k)
}

func (s *hydState) psvCoeff(k int) {
	m := s.m
	l := &m.links[k]
	n1, n2 := l.n1, l.n2
	hset := m.elev[n1] + s.K[k]
	if s.S[k] == Active {
		s.P[k] = 0
		s.Y[k] = s.Q[k] - s.X[n1]
		s.addRow(n1, cBig, hset*cBig)
		if s.X[n1] > 0 {
			s.addRow(n2, 0, s.X[n1])
		}
		s.addOff(k, -1/cBig)
		s.addRow(n2, 1/cBig, 0)
		return
	}
	s.openValveCoeffs(k)
}

func (s *hydState) fcvCoeff(k int) {
	l := &s.m.links[k]
	n1, n2 := l.n1, l.n2
	q := s.K[k]
	if s.S[k] == Active {
		s.X[n1] -= q
		s.X[n2] += q
		s.Y[k] = s.Q[k] - q
		s.addRow(n1, 0, -q)
		s.addRow(n2, 0, q)
		s.P[k] = 1 / cBig
		s.addOff(k, -s.P[k])
		s.addRow(n1, s.P[k], 0)
		s.addRow(n2, s.P[k], 0)
		return
	}
	s.openValveCoeffs(k)
}

func (s *hydState) emitterHeadloss(i int) (hloss, hgrad float64) {
	m := s.m
	ke := math.Max(cSmall, m.ke[i])
	q := s.emFlow[i]
	hgrad = m.qexp * ke * math.Pow(math.Abs(q), m.qexp-1)
	if hgrad < m.rqtol {
		hgrad = m.rqtol / m.qexp
		hloss = hgrad * q
	} else {
		hloss = hgrad * q / m.qexp
	}
	if !m.emitBack {
		hloss, hgrad = lowerBarrier(q, hloss, hgrad)
	}
	return
}

func lowerBarrier(dq, hloss, hgrad float64) (float64, float64) {
	a := 1e9 * dq
	b := math.Sqrt(a*a + 1e-6)
	return hloss + (a-b)/2, hgrad + 1e9/2*(1-a/b)
}

func upperBarrier(dq, hloss, hgrad float64) (float64, float64) {
	a := 1e9 * dq
	b := math.Sqrt(a*a + 1e-6)
	return hloss + (a+b)/2, hgrad + 1e9/2*(1+a/b)
}

func (s *hydState) demandHeadloss(i int, dp, n float64) (hloss, hgrad float64) {
	d := s.demFlow[i]
	dfull := s.full[i]
	r := math.Abs(d) / dfull
	hgrad = n * dp * math.Pow(r, n-1) / dfull
	hloss = hgrad * d / n
	hloss, hgrad = lowerBarrier(d, hloss, hgrad)
	hloss, hgrad = upperBarrier(d-dfull, hloss, hgrad)
	return
}

// newFlows updates link, emitter and demand flows from the new heads and
// returns the relative flow change.
func (s *hydState) newFlows() (relerr, maxChange float64) {
	m := s.m
	var qsum, dqsum float64
	for n := m.nj; n < m.nn; n++ {
		s.D[n] = 0
	}
	for k := range m.links {
		l := &m.links[k]
		dh := s.H[l.n1] - s.H[l.n2]
		dq := s.Y[k] - s.P[k]*dh
		dq *= s.relax
		if l.kind == Pump && m.pumps[l.pump].ptype == constHP && dq > s.Q[k] {
			dq = s.Q[k] / 2
		}
		s.Q[k] -= dq
		qsum += math.Abs(s.Q[k])
		dqsum += math.Abs(dq)
		maxChange = math.Max(maxChange, math.Abs(dq))
		if s.S[k] > Closed {
			if l.n1 >= m.nj {
				s.D[l.n1] -= s.Q[k]
			}
			if l.n2 >= m.nj {
				s.D[l.n2] += s.Q[k]
			}
		}
	}
	for i := 0; i < m.nj; i++ {
		if m.ke[i] == 0 {
			continue
		}
		hloss, hgrad := s.emitterHeadloss(i)
		dh := s.H[i] - m.elev[i]
		dq := (hloss - dh) / hgrad * s.relax
		s.emFlow[i] -= dq
		qsum += math.Abs(s.emFlow[i])
		dqsum += math.Abs(dq)
		maxChange = math.Max(maxChange, math.Abs(dq))
	}
	if m.pda {
		dp := math.Max(m.preq-m.pmin, minPDiff)
		n := 1 / m.pexp
		for i := 0; i < m.nj; i++ {
			if s.full[i] <= 0 {
				continue
			}
			hloss, hgrad := s.demandHeadloss(i, dp, n)
			dh := s.H[i] - m.elev[i] - m.pmin
			dq := (hloss - dh) / hgrad * s.relax
			if math.Abs(dq) > 0.4*s.full[i] {
				dq = 0.4 * sgn(dq) * s.full[i]
			}
			s.demFlow[i] -= dq
			qsum += math.Abs(s.demFlow[i])
			dqsum += math.Abs(dq)
			maxChange = math.Max(maxChange, math.Abs(dq))
		}
	}
	if m.hasLeak {
		for i := 0; i < m.nj; i++ {
			hfa, gfa, hva, gva, ok := s.leakCoeffs(i)
			if !ok {
				continue
			}
			dh := s.H[i] - m.elev[i]
			var dqfa, dqva float64
			if gfa > 0 {
				dqfa = (hfa - dh) / gfa * s.relax
				s.qfa[i] -= dqfa
			}
			if gva > 0 {
				dqva = (hva - dh) / gva * s.relax
				s.qva[i] -= dqva
			}
			s.leakFlow[i] = s.qfa[i] + s.qva[i]
			dq := dqfa + dqva
			qsum += math.Abs(s.leakFlow[i])
			dqsum += math.Abs(dq)
			maxChange = math.Max(maxChange, math.Abs(dq))
		}
	}
	if qsum > m.hacc {
		return dqsum / qsum, maxChange
	}
	return dqsum, maxChange
}

// errIllConditioned reports a singular system at a node.
type errIllConditioned struct{ node int }

func (e *errIllConditioned) Error() string { return "ill-conditioned network equations" }

// solve runs EPANET's hydsolve: Newton iterations of the gradient method
// with the valve, pump, check-valve and pressure-control status checks.
func (s *hydState) solve() error {
	m := s.m
	nextCheck := m.checkFreq
	s.relax = 1
	maxTrials := m.maxIter
	if m.extraIter > 0 {
		maxTrials += m.extraIter
	}
	var relerr float64
	var err error
	iter := 1
	for iter <= maxTrials {
		s.headlossCoeffs()
		s.matrixCoeffs()
		err = s.fac.Factorize(s.aii, s.aij)
		if err != nil {
			var npd *sparse.NotPositiveDefiniteError
			if errors.As(err, &npd) {
				if s.badValve(npd.Row) {
					err = nil
					continue
				}
				s.illCondNode = npd.Row
				err = &errIllConditioned{node: npd.Row}
			}
			break
		}
		s.fac.Solve(s.f)
		copy(s.H[:m.nj], s.f)
		var maxChange float64
		relerr, maxChange = s.newFlows()
		s.relax = 1
		valveChange := false
		if m.dampLimit > 0 {
			if relerr <= m.dampLimit {
				s.relax = 0.6
				valveChange = s.valveStatus()
			}
		} else {
			valveChange = s.valveStatus()
		}
		if s.converged(relerr, maxChange) {
			if iter > m.maxIter {
				break
			}
			change := valveChange
			if s.linkStatus() {
				change = true
			}
			if s.pressureSwitch() {
				change = true
			}
			if !change {
				break
			}
			nextCheck = iter + m.checkFreq
		} else if iter <= m.maxCheck && iter == nextCheck {
			s.linkStatus()
			nextCheck += m.checkFreq
		}
		iter++
	}
	s.iters = iter
	s.relErr = relerr
	for i := 0; i < m.nj; i++ {
		s.D[i] = s.demFlow[i] + s.emFlow[i] + s.leakFlow[i]
	}
	return err
}

func (s *hydState) converged(relerr, maxChange float64) bool {
	m := s.m
	if relerr > m.hacc {
		return false
	}
	if m.headErrLimit > 0 && s.maxHeadError() > m.headErrLimit {
		return false
	}
	if m.flowChangeLimit > 0 && maxChange > m.flowChangeLimit {
		return false
	}
	if m.hasLeak && !s.leakConverged() {
		return false
	}
	if m.pda {
		return s.pdaConverged()
	}
	return true
}

// leakCoeffs is EPANET 2.3's findnodecoeffs: the head and gradient of the
// inverted fixed-area (h = cfa·q²) and variable-area (h = cva·q^(2/3))
// leakage laws at junction i, with a barrier against negative leakage.
func (s *hydState) leakCoeffs(i int) (hfa, gfa, hva, gva float64, ok bool) {
	m := s.m
	cfa, cva := m.leakCfa[i], m.leakCva[i]
	if cfa == 0 && cva == 0 {
		return 0, 0, 0, 0, false
	}
	eval := func(q, c, n float64) (h, g float64) {
		n = 1 / n
		g = n * c * math.Pow(math.Abs(q), n-1)
		if g < m.rqtol {
			g = m.rqtol / n
			h = g * q
		} else {
			h = g * q / n
		}
		return lowerBarrier(q, h, g)
	}
	if cfa != 0 {
		hfa, gfa = eval(s.qfa[i], cfa, 0.5)
	}
	if cva != 0 {
		hva, gva = eval(s.qva[i], cva, 1.5)
	}
	return hfa, gfa, hva, gva, true
}

// leakConverged is EPANET 2.3's leakage_hasconverged: the leakage flows
// match the FAVAD law at the current pressures.
func (s *hydState) leakConverged() bool {
	m := s.m
	const absTol, relTol = 0.0001, 0.001
	for i := 0; i < m.nj; i++ {
		cfa, cva := m.leakCfa[i], m.leakCva[i]
		if cfa == 0 && cva == 0 {
			continue
		}
		h := s.H[i] - m.elev[i]
		qref := 0.0
		if cfa > 0 {
			qref = math.Sqrt(h / cfa)
		}
		if cva > 0 {
			qref += math.Pow(h/cva, 1.5)
		}
		if math.Abs(qref-(s.qfa[i]+s.qva[i])) > absTol+relTol*qref {
			return false
		}
	}
	return true
}

func (s *hydState) maxHeadError() float64 {
	m := s.m
	s.headlossCoeffs()
	var worst float64
	for k := range m.links {
		if s.S[k] <= Closed || s.P[k] == 0 {
			continue
		}
		l := &m.links[k]
		dh := s.H[l.n1] - s.H[l.n2]
		worst = math.Max(worst, math.Abs(dh-s.Y[k]/s.P[k]))
	}
	return worst
}

func (s *hydState) pdaConverged() bool {
	m := s.m
	const qtol = 0.0001
	ok := true
	dp := m.preq - m.pmin
	for i := 0; i < m.nj; i++ {
		if s.full[i] <= 0 {
			continue
		}
		p := s.H[i] - m.elev[i]
		var q float64
		switch {
		case p <= m.pmin:
			q = 0
		case p >= m.preq:
			q = s.full[i]
		default:
			q = s.full[i] * math.Pow((p-m.pmin)/dp, m.pexp)
		}
		if math.Abs(q-s.demFlow[i]) > qtol {
			ok = false
		}
	}
	return ok
}

// badValve fixes the status of an active PRV, PSV or FCV at node n that
// makes the equations singular.
func (s *hydState) badValve(n int) bool {
	m := s.m
	for _, k := range m.valves {
		l := &m.links[k]
		if n == l.n1 || n == l.n2 {
			if (l.kind == PRV || l.kind == PSV || l.kind == FCV) && s.S[k] == Active {
				if l.kind == FCV {
					s.S[k] = XFCV
				} else {
					s.S[k] = XPressure
				}
				return true
			}
			return false
		}
	}
	return false
}

// pressureSwitch applies controls on junction pressures once a solution is
// found (EPANET's pswitch).
func (s *hydState) pressureSwitch() bool {
	m := s.m
	any := false
	for i := range m.controls {
		c := &m.controls[i]
		if c.link < 0 || c.node < 0 || c.node >= m.nj {
			continue
		}
		h := m.seen(s.H, c.node)
		reset := c.kind == LowLevel && h <= c.grade+m.htol ||
			c.kind == HiLevel && h >= c.grade-m.htol
		if !reset {
			continue
		}
		k := c.link
		l := &m.links[k]
		change := false
		switch {
		case l.kind <= Pipe:
			change = s.S[k] != c.status
		case l.kind == Pump:
			change = s.K[k] != c.setting
		default:
			change = s.K[k] != c.setting || s.K[k] == Missing && s.S[k] != c.status
		}
		if change {
			s.S[k] = c.status
			if l.kind > Pipe {
				s.K[k] = c.setting
			}
			any = true
		}
	}
	return any
}

// valveStatus updates the status of PRVs and PSVs (EPANET's valvestatus).
func (s *hydState) valveStatus() bool {
	m := s.m
	change := false
	for _, k := range m.valves {
		if s.K[k] == Missing {
			continue
		}
		l := &m.links[k]
		old := s.S[k]
		switch l.kind {
		case PRV:
			hset := m.elev[l.n2] + s.K[k]
			s.S[k] = s.prvStatus(k, old, hset, s.H[l.n1], s.H[l.n2])
		case PSV:
			hset := m.elev[l.n1] + s.K[k]
			s.S[k] = s.psvStatus(k, old, hset, s.H[l.n1], s.H[l.n2])
		default:
			continue
		}
		if s.S[k] != old {
			change = true
		}
	}
	return change
}

func (s *hydState) prvStatus(k int, st Status, hset, h1, h2 float64) Status {
	m := s.m
	htol := m.htol
	hml := m.links[k].km * s.Q[k] * s.Q[k]
	switch st {
	case Active:
		if s.Q[k] < -m.qtol {
			return Closed
		} else if h1-hml < hset-htol {
			return Open
		}
		return Active
	case Open:
		if s.Q[k] < -m.qtol {
			return Closed
		} else if h2 >= hset+htol {
			return Active
		}
		return Open
	case Closed:
		if h1 >= hset+htol && h2 < hset-htol {
			return Active
		} else if h1 < hset-htol && h1 > h2+htol {
			return Open
		}
		return Closed
	case XPressure:
		if s.Q[k] < -m.qtol {
			return Closed
		}
	}
	return st
}

func (s *hydState) psvStatus(k int, st Status, hset, h1, h2 float64) Status {
	m := s.m
	htol := m.htol
	hml := m.links[k].km * s.Q[k] * s.Q[k]
	switch st {
	case Active:
		if s.Q[k] < -m.qtol {
			return Closed
		} else if h2+hml > hset+htol {
			return Open
		}
		return Active
	case Open:
		if s.Q[k] < -m.qtol {
			return Closed
		} else if h1 < hset-htol {
			return Active
		}
		return Open
	case Closed:
		if h2 > hset+htol && h1 > h2+htol {
			return Open
		} else if h1 >= hset+htol && h1 > h2+htol {
			return Active
		}
		return Closed
	case XPressure:
		if s.Q[k] < -m.qtol {
			return Closed
		}
	}
	return st
}

func (s *hydState) cvStatus(st Status, dh, q float64) Status {
	m := s.m
	if math.Abs(dh) > m.htol {
		if dh < -m.htol || q < -m.qtol {
			return Closed
		}
		return Open
	}
	if q < -m.qtol {
		return Closed
	}
	return st
}

// linkStatus updates pumps, check valves, FCVs and links to full or empty
// tanks (EPANET's linkstatus).
func (s *hydState) linkStatus() bool {
	m := s.m
	change := false
	for k := range m.links {
		l := &m.links[k]
		dh := s.H[l.n1] - s.H[l.n2]
		old := s.S[k]
		if old == XHead || old == TempClosed {
			s.S[k] = Open
		}
		if l.kind == CVPipe {
			s.S[k] = s.cvStatus(s.S[k], dh, s.Q[k])
		}
		if l.kind == Pump && s.S[k] >= Open && s.K[k] > 0 {
			pu := &m.pumps[l.pump]
			hmax := big
			if pu.ptype != constHP {
				hmax = s.K[k] * s.K[k] * pu.hmax
			}
			if -dh > hmax+m.htol {
				s.S[k] = XHead
			} else {
				s.S[k] = Open
			}
		}
		if l.kind == FCV && s.K[k] != Missing {
			switch {
			case s.H[l.n1]-s.H[l.n2] < -m.htol:
				s.S[k] = XFCV
			case s.Q[k] < -m.qtol:
				s.S[k] = XFCV
			case old == XFCV && s.Q[k] >= s.K[k]:
				s.S[k] = Active
			default:
				s.S[k] = old
			}
		}
		if l.n1 >= m.nj || l.n2 >= m.nj {
			s.tankLinkStatus(k)
		}
		if s.S[k] != old {
			change = true
		}
	}
	return change
}

func (s *hydState) tankLinkStatus(k int) {
	m := s.m
	l := &m.links[k]
	if s.S[k] <= Closed {
		return
	}
	n1, n2 := l.n1, l.n2
	q := s.Q[k]
	if n1 < m.nj {
		n1, n2 = n2, n1
		q = -q
	}
	t := &m.tanks[n1-m.nj]
	if t.area == 0 {
		return
	}
	h := s.H[n1] - s.H[n2]
	if s.H[n1] >= t.hmax-m.htol && !t.overflow {
		if l.kind == Pump {
			if l.n2 == n1 {
				s.S[k] = TempClosed
			}
		} else if s.cvStatus(Open, h, q) == Closed {
			s.S[k] = TempClosed
		}
	}
	if s.H[n1] <= t.hmin+m.htol {
		if l.kind == Pump {
			if l.n1 == n1 {
				s.S[k] = TempClosed
			}
		} else if s.cvStatus(Closed, h, q) == Open {
			s.S[k] = TempClosed
		}
	}
}
