package water

import (
	"context"
	"fmt"
	"math"
	"strings"
)

// round is EPANET's ROUND macro.
func round(x float64) int64 {
	if x >= 0 {
		return int64(x + 0.5)
	}
	return int64(x - 0.5)
}

func (m *model) patFactor(pat int, p int64) float64 {
	if pat < 0 {
		return 1
	}
	f := m.patterns[pat]
	return f[p%int64(len(f))]
}

// demands sets junction demands, reservoir heads and pump speeds for the
// current pattern period.
func (s *hydState) demands() {
	m := s.m
	p := (s.htime + m.pstart) / m.pstep
	for i := 0; i < m.nj; i++ {
		sum := 0.0
		for _, d := range m.demands[i] {
			sum += d.base * m.patFactor(d.pat, p) * m.dmult
		}
		s.full[i] = sum
		s.demFlow[i] = sum
	}
	for i := range m.tanks {
		t := &m.tanks[i]
		if t.area == 0 && t.pat >= 0 {
			s.H[t.node] = m.elev[t.node] * m.patFactor(t.pat, p)
		}
	}
	for i := range m.pumps {
		pu := &m.pumps[i]
		if pu.upat >= 0 {
			s.setSetting(pu.link, m.patFactor(pu.upat, p))
		}
	}
}

// setSetting is EPANET's setlinksetting.
func (s *hydState) setSetting(k int, v float64) {
	l := &s.m.links[k]
	switch l.kind {
	case Pump:
		s.K[k] = v
		if v > 0 && s.S[k] <= Closed {
			s.resetPumpFlow(k)
			s.S[k] = Open
		}
		if v == 0 && s.S[k] > Closed {
			s.S[k] = Closed
		}
	case FCV:
		s.K[k] = v
		s.S[k] = Active
	default:
		if s.K[k] == Missing && s.S[k] <= Closed {
			s.S[k] = Open
		}
		s.K[k] = v
	}
}

// setStatus is EPANET's setlinkstatus.
func (s *hydState) setStatus(k int, open bool) {
	l := &s.m.links[k]
	if open {
		if l.kind == Pump {
			s.K[k] = 1
			if s.S[k] == Closed {
				s.resetPumpFlow(k)
			}
		}
		if l.kind > Pump && l.kind != GPV {
			s.K[k] = Missing
		}
		s.S[k] = Open
		return
	}
	if l.kind == Pump {
		s.K[k] = 0
	}
	if l.kind > Pump && l.kind != GPV {
		s.K[k] = Missing
	}
	s.S[k] = Closed
}

func (s *hydState) resetPumpFlow(k int) {
	pu := &s.m.pumps[s.m.links[k].pump]
	if pu.ptype == constHP {
		s.Q[k] = pu.q0
	}
}

// controls applies simple controls on tank levels and times (EPANET's
// controls); junction-pressure controls act inside the solver.
func (s *hydState) controls() int {
	m := s.m
	n := 0
	for i := range m.controls {
		c := &m.controls[i]
		if c.link < 0 {
			continue
		}
		k := c.link
		reset := false
		if c.node >= m.nj {
			t := &m.tanks[c.node-m.nj]
			h := m.seen(s.H, c.node)
			vplus := math.Abs(s.D[c.node])
			v1 := m.tankVolume(t, h)
			v2 := m.tankVolume(t, c.grade)
			if c.kind == LowLevel && v1 <= v2+vplus || c.kind == HiLevel && v1 >= v2-vplus {
				reset = true
			}
		}
		if c.kind == Timer && c.time == s.htime {
			reset = true
		}
		if c.kind == TimeOfDay && (s.htime+m.tstart)%86400 == c.time {
			reset = true
		}
		if !reset {
			continue
		}
		s1 := Open
		if s.S[k] <= Closed {
			s1 = Closed
		}
		s2 := c.status
		k1 := s.K[k]
		k2 := k1
		if m.links[k].kind > Pipe {
			k2 = c.setting
		}
		if m.links[k].kind == Pump && s1 == Closed && s2 == Open {
			s.resetPumpFlow(k)
		}
		if s1 != s2 || k1 != k2 {
			s.S[k] = s2
			s.K[k] = k2
			n++
		}
	}
	return n
}

// timestep returns the length of the next hydraulic step, shortened for
// pattern and report times, tanks filling or draining and controls, and
// advances tank levels (EPANET's timestep).
func (s *hydState) timestep(rtime int64) int64 {
	m := s.m
	tstep := m.hstep
	n := (s.htime+m.pstart)/m.pstep + 1
	if t := n*m.pstep - s.htime; t > 0 && t < tstep {
		tstep = t
	}
	if t := rtime - s.htime; t > 0 && t < tstep {
		tstep = t
	}
	s.tankTimestep(&tstep)
	s.controlTimestep(&tstep)
	if len(m.rules) > 0 {
		s.ruleTimestep(&tstep)
	} else {
		s.tankLevels(tstep)
	}
	return tstep
}

func (s *hydState) tankTimestep(tstep *int64) {
	m := s.m
	for i := range m.tanks {
		t := &m.tanks[i]
		if t.area == 0 {
			continue
		}
		h, q := s.H[t.node], s.D[t.node]
		if math.Abs(q) <= qZero {
			continue
		}
		var v float64
		switch {
		case q > 0 && h < t.hmax:
			v = t.vmax - t.v
		case q < 0 && h > t.hmin:
			v = t.vmin - t.v
		default:
			continue
		}
		if ts := round(v / q); ts > 0 && ts < *tstep {
			*tstep = ts
		}
	}
}

func (s *hydState) controlTimestep(tstep *int64) {
	m := s.m
	for i := range m.controls {
		c := &m.controls[i]
		var t int64
		if c.node >= 0 {
			if c.node < m.nj {
				continue
			}
			h, q := m.seen(s.H, c.node), s.D[c.node]
			if math.Abs(q) <= qZero {
				continue
			}
			if h < c.grade && c.kind == HiLevel && q > 0 || h > c.grade && c.kind == LowLevel && q < 0 {
				tk := &m.tanks[c.node-m.nj]
				v := m.tankVolume(tk, c.grade-(h-s.H[c.node])) - tk.v
				t = round(v / q)
			}
		}
		if c.kind == Timer && c.time > s.htime {
			t = c.time - s.htime
		}
		if c.kind == TimeOfDay {
			t1 := (s.htime + m.tstart) % 86400
			t2 := c.time
			if t2 >= t1 {
				t = t2 - t1
			} else {
				t = 86400 - t1 + t2
			}
		}
		if t > 0 && t < *tstep {
			k := c.link
			if m.links[k].kind > Pipe && s.K[k] != c.setting || s.S[k] != c.status {
				*tstep = t
			}
		}
	}
}

// tankLevels advances tank volumes and heads over tstep seconds.
func (s *hydState) tankLevels(tstep int64) {
	m := s.m
	for i := range m.tanks {
		t := &m.tanks[i]
		if t.area == 0 {
			continue
		}
		n := t.node
		t.v += s.D[n] * float64(tstep)
		if t.v+s.D[n] >= t.vmax {
			t.v = t.vmax
		} else if t.v-s.D[n] <= t.vmin {
			t.v = t.vmin
		}
		s.H[n] = m.tankGrade(t, t.v)
	}
}

// Snapshot is the hydraulic state at one reporting period, in the
// network's own units.
type Snapshot struct {
	Period int
	Time   int64 // seconds from the start of the simulation
	// Per node.
	Demand, Head, Pressure, Quality []float64
	// Per link.
	Flow, Velocity, Headloss, Setting, LinkQuality []float64
	Status                                         []Status
}

// Results holds every reporting period of a run.
type Results struct {
	Net      *Network
	Periods  []Snapshot
	Warnings []string
	// Energy per pump (same order as pumps in Net.Links).
	Energy []PumpEnergy
	// Steps is the number of hydraulic solutions and Iterations the total
	// number of gradient-method iterations they took.
	Steps, Iterations int
	// Solutions lists every hydraulic solution: its time and trials, as
	// EPANET's status report ("h:mm:ss: Balanced after N trials").
	Solutions []Solution
}

// Solution is one hydraulic solution of a run.
type Solution struct {
	Time   int64
	Trials int
}

// PumpEnergy is the energy use of one pump over the run.
type PumpEnergy struct {
	Link        string  `json:"link"`
	HoursOnline float64 `json:"hours_online"`
	KWh         float64 `json:"kwh"`
	PeakKW      float64 `json:"peak_kw"`
	Cost        float64 `json:"cost"`
	// EPANET's energy report: percent of the time online, average
	// efficiency (%), energy per unit volume pumped (kWh per million
	// gallons for US units, per m³ for SI), average kW while online and
	// cost per day.
	Utilization   float64 `json:"utilization_pct"`
	AvgEfficiency float64 `json:"avg_efficiency_pct"`
	KWhPerVolume  float64 `json:"kwh_per_unit_volume"`
	AvgKW         float64 `json:"avg_kw"`
	CostPerDay    float64 `json:"cost_per_day"`

	effSum, kwPerFlowSum float64
}

// RunOptions tune a run.
type RunOptions struct {
	// Duration overrides the network's duration when >= 0.
	Duration int64
	// LevelBias spoofs the readings the controls and rules see: node ID →
	// offset added to a tank's level (length units) or a junction's
	// pressure (pressure units). The hydraulics are unaffected.
	LevelBias map[string]float64
	// OnPeriod, when set, receives each reporting period instead of
	// Results.Periods, in one reused Snapshot: copy what you keep. It
	// spares the memory of long runs repeated many times.
	OnPeriod func(*Snapshot)
}

// Simulator runs a compiled network; it can be re-run without re-reading
// or re-analysing the network. A Simulator is not safe for concurrent use:
// give each goroutine its own (NewSimulator on a Clone of the network; the
// compilation takes milliseconds). Do not modify a Network while a
// Simulator compiled from it runs; changes take effect at the next
// NewSimulator or Reload.
type Simulator struct {
	m *model
	s *hydState
	q *qualState
	// storage for snapshots, handed out period by period; a new block is
	// allocated when one runs out, so earlier Results stay valid.
	arena       []float64
	statusArena []Status
	hbuf        []float64
	expect      int // reporting periods expected in the current run
	// one snapshot's storage for RunOptions.OnPeriod
	reuse       []float64
	reuseStatus []Status
	streamSn    Snapshot
}

// NewSimulator compiles net for simulation.
func NewSimulator(net *Network) (*Simulator, error) {
	m, err := compile(net)
	if err != nil {
		return nil, err
	}
	return &Simulator{m: m, s: newHydState(m), q: newQualState(m)}, nil
}

// Run simulates net with default options.
func Run(ctx context.Context, net *Network) (*Results, error) {
	sim, err := NewSimulator(net)
	if err != nil {
		return nil, err
	}
	return sim.Run(ctx, RunOptions{Duration: -1})
}

// Run performs an extended-period hydraulic simulation, EPANET style.
func (sim *Simulator) Run(ctx context.Context, opt RunOptions) (*Results, error) {
	m, s := sim.m, sim.s
	dur := m.dur
	if opt.Duration >= 0 {
		dur = opt.Duration
	}
	if err := m.setBias(opt.LevelBias); err != nil {
		return nil, err
	}
	res := &Results{Net: m.net}
	s.init()
	q := sim.q
	quality := m.qual.mode != QualNone
	q.init()
	sim.expect = 1
	if dur >= m.rstart {
		sim.expect = int((dur-m.rstart)/m.rstep) + 1
	}
	sim.arena, sim.statusArena = nil, nil
	if opt.OnPeriod != nil && len(sim.reuse) != 4*m.nn+5*m.nl {
		sim.reuse = make([]float64, 4*m.nn+5*m.nl)
		sim.reuseStatus = make([]Status, m.nl)
	}
	rtime := m.rstep
	nextReport := m.rstart
	period := 0
	halted := false
	lastDisc := ""
	var energy = make([]PumpEnergy, len(m.pumps))
	for i, pu := range m.pumps {
		energy[i].Link = m.net.Links[pu.link].ID
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.demands()
		s.controls()
		if err := s.solve(); err != nil {
			if ic, ok := err.(*errIllConditioned); ok {
				return nil, &UnsolvableError{Time: s.htime, Node: m.net.Nodes[ic.node].ID}
			}
			return nil, fmt.Errorf("solve at %s: %w", clock(s.htime), err)
		}
		trials := min(s.iters, m.maxIter+max(m.extraIter, 0))
		res.Steps++
		res.Iterations += trials
		res.Solutions = append(res.Solutions, Solution{Time: s.htime, Trials: trials})
		if s.relErr > m.hacc {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: system unbalanced (relative flow change %.6f after %d trials)", clock(s.htime), s.relErr, s.iters-1))
			if m.extraIter == -1 {
				halted = true
			}
		}
		if quality && s.htime < dur {
			q.hydraulics(s)
		}
		if ids := s.disconnected(); len(ids) > 0 {
			// Report a disconnection when it starts or changes.
			if key := strings.Join(ids, ","); key != lastDisc {
				lastDisc = key
				res.Warnings = append(res.Warnings, fmt.Sprintf("%s: %d junctions with demand are disconnected from every tank and reservoir (%s)", clock(s.htime), len(ids), listIDs(ids, 5)))
			}
		} else {
			lastDisc = ""
		}
		// Like EPANET, a solution at or after the next report time is
		// reported once, labelled with that report time.
		if s.htime >= nextReport {
			if opt.OnPeriod != nil {
				sim.expect = period + 1 // one snapshot's storage, reused
				sim.arena, sim.statusArena = sim.reuse, sim.reuseStatus
				sim.streamSn = sim.snapshot(period, nextReport)
				opt.OnPeriod(&sim.streamSn)
			} else {
				res.Periods = append(res.Periods, sim.snapshot(period, nextReport))
			}
			period++
			nextReport += m.rstep
		}
		if halted {
			res.Warnings = append(res.Warnings, fmt.Sprintf("%s: simulation halted (UNBALANCED STOP)", clock(s.htime)))
			break
		}
		if s.htime >= dur {
			sim.addEnergy(energy, 0, dur == 0)
			break
		}
		tstep := s.timestep(rtime)
		sim.addEnergy(energy, tstep, false)
		if quality {
			q.qtime = s.htime
			for done := int64(0); done < tstep; {
				dt := min(m.qstep, tstep-done)
				q.transport(dt)
				done += dt
			}
		}
		s.htime += tstep
		if s.htime >= rtime {
			rtime += m.rstep
		}
	}
	m.finishEnergy(energy, dur)
	res.Energy = energy
	return res, nil
}

// disconnected returns the junctions with positive demand that no open
// link path joins to a tank or reservoir (EPANET's disconnected-node
// warning).
func (s *hydState) disconnected() []string {
	m := s.m
	// Reachability changes only with link statuses: search again only
	// when one opened or closed.
	same := len(s.discS) == len(s.S)
	if same {
		for k, st := range s.S {
			if (st <= Closed) != (s.discS[k] <= Closed) {
				same = false
				break
			}
		}
	}
	if !same {
		s.discS = append(s.discS[:0], s.S...)
		s.findUnreachable()
	}
	var ids []string
	for _, i := range s.discUnreached {
		if s.full[i] > 0 {
			ids = append(ids, m.net.Nodes[i].ID)
		}
	}
	return ids
}

// findUnreachable lists the junctions that no open link path joins to a
// tank or reservoir.
func (s *hydState) findUnreachable() {
	m := s.m
	if len(s.discSeen) != m.nn {
		s.discSeen = make([]bool, m.nn)
	}
	seen := s.discSeen
	clear(seen)
	stack := s.discStack[:0]
	for n := m.nj; n < m.nn; n++ {
		seen[n] = true
		stack = append(stack, n)
	}
	adj := m.openAdj
	if adj == nil {
		adj = make([][]int, m.nn)
		for k := range m.links {
			l := &m.links[k]
			adj[l.n1] = append(adj[l.n1], k)
			adj[l.n2] = append(adj[l.n2], k)
		}
		m.openAdj = adj
	}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, k := range adj[n] {
			if s.S[k] <= Closed {
				continue
			}
			l := &m.links[k]
			o := l.n1
			if o == n {
				o = l.n2
			}
			if !seen[o] {
				seen[o] = true
				stack = append(stack, o)
			}
		}
	}
	s.discStack = stack
	s.discUnreached = s.discUnreached[:0]
	for i := 0; i < m.nj; i++ {
		if !seen[i] {
			s.discUnreached = append(s.discUnreached, i)
		}
	}
}

func listIDs(ids []string, n int) string {
	if len(ids) <= n {
		return strings.Join(ids, ", ")
	}
	return strings.Join(ids[:n], ", ") + fmt.Sprintf(" and %d more", len(ids)-n)
}

// UnsolvableError reports network equations that cannot be solved (EPANET
// error 110), typically a junction cut off from every source.
type UnsolvableError struct {
	Time int64
	Node string
}

// Error describes the failure and where.
func (e *UnsolvableError) Error() string {
	return fmt.Sprintf("%s: cannot solve the network equations (ill-conditioned at node %s; is it cut off from every tank and reservoir?)", clock(e.Time), e.Node)
}

// BadInput reports that the network, not the program, is at fault.
func (e *UnsolvableError) BadInput() bool { return true }

func clock(t int64) string {
	return fmt.Sprintf("%d:%02d:%02d", t/3600, t/60%60, t%60)
}

func (sim *Simulator) addEnergy(e []PumpEnergy, hstep int64, snapshot bool) {
	m, s := sim.m, sim.s
	dt := float64(hstep) / 3600
	if snapshot {
		dt = 1
	}
	if dt == 0 {
		return
	}
	n := (s.htime + m.pstart) / m.pstep
	f0 := m.patFactor(m.epat, n)
	for i := range m.pumps {
		pu := &m.pumps[i]
		k := pu.link
		if s.S[k] <= Closed {
			continue
		}
		c := m.ecost
		if pu.ecost > 0 {
			c = pu.ecost
		}
		if pu.epat >= 0 {
			c *= m.patFactor(pu.epat, n)
		} else {
			c *= f0
		}
		kw, eff := sim.pumpPower(k)
		e[i].effSum += eff * dt
		e[i].kwPerFlowSum += kw / math.Max(qZero, math.Abs(s.Q[k])) * dt
		e[i].HoursOnline += dt
		e[i].KWh += kw * dt
		e[i].PeakKW = math.Max(e[i].PeakKW, kw)
		e[i].Cost += c * kw * dt
	}
}

// pumpPower is the power (kW) drawn by pump link k and its efficiency.
func (sim *Simulator) pumpPower(k int) (kw, eff float64) {
	m, s := sim.m, sim.s
	l := &m.links[k]
	q := math.Abs(s.Q[k])
	dh := math.Abs(s.H[l.n1] - s.H[l.n2])
	pu := &m.pumps[l.pump]
	e := m.epump
	if pu.ecurve != nil && s.K[k] > 0 {
		q4 := q / s.K[k] * m.qcf
		e = interp(pu.ecurve.X, pu.ecurve.Y, q4)
		e = 100 - (100-e)*math.Pow(1/s.K[k], 0.1)
	}
	e = math.Max(1, math.Min(e, 100)) / 100
	return dh * q * m.spgrav / 8.814 / e * kwPerHP, e
}

// finishEnergy computes EPANET's energy report from the sums over a run of
// dur seconds.
func (m *model) finishEnergy(e []PumpEnergy, dur int64) {
	hdur := float64(dur) / 3600
	if dur == 0 {
		hdur = 1
	}
	perVol := 1e6 / 448.831 / 60 // kW per cfs → kWh per million gallons
	if m.net.Options.Flow.SI() {
		perVol = 1000 / 28.317 / 3600 // → kWh per m³
	}
	for i := range e {
		t := e[i].HoursOnline
		e[i].Utilization = t / hdur * 100
		if t > 0 {
			e[i].AvgEfficiency = e[i].effSum / t * 100
			e[i].KWhPerVolume = e[i].kwPerFlowSum / t * perVol
			e[i].AvgKW = e[i].KWh / t
		}
		e[i].CostPerDay = e[i].Cost * 24 / hdur
	}
}

// f32 rounds to float32, as EPANET stores results.
func f32(x float64) float64 { return float64(float32(x)) }

// snapshot converts the current state to user units the way EPANET writes
// its binary output: heads, demands and flows pass through float32 first.
func (sim *Simulator) snapshot(period int, t int64) Snapshot {
	m, s := sim.m, sim.s
	nn, nl := m.nn, m.nl
	if len(sim.arena) < 4*nn+5*nl {
		// One block for the periods still expected: few, large allocations.
		np := max(1, min(64, sim.expect-period))
		sim.arena = make([]float64, np*(4*nn+5*nl))
		sim.statusArena = make([]Status, np*nl)
	}
	a := sim.arena
	take := func(n int) []float64 {
		x := a[:n:n]
		a = a[n:]
		return x
	}
	sn := Snapshot{Period: period, Time: t,
		Demand: take(nn), Head: take(nn), Pressure: take(nn), Quality: take(nn),
		Flow: take(nl), Velocity: take(nl), Headloss: take(nl), Setting: take(nl), LinkQuality: take(nl),
		Status: sim.statusArena[:nl:nl]}
	sim.arena = a
	sim.statusArena = sim.statusArena[nl:]
	if len(sim.hbuf) != nn {
		sim.hbuf = make([]float64, nn)
	}
	h := sim.hbuf
	for i := 0; i < m.nn; i++ {
		h[i] = f32(s.H[i])
		sn.Demand[i] = f32(f32(s.D[i]) * m.qcf)
		sn.Head[i] = f32(h[i] * m.hcf)
		sn.Pressure[i] = f32((h[i] - m.elev[i]) * m.pcf)
		if m.qual.mode != QualNone {
			sn.Quality[i] = f32(sim.q.c[i] * m.qual.ucf)
		}
	}
	for k := range m.links {
		l := &m.links[k]
		q := f32(s.Q[k])
		if s.S[k] <= Closed {
			q = 0
		}
		sn.Flow[k] = f32(q * m.qcf)
		if l.kind != Pump {
			a := math.Pi * l.diam * l.diam / 4
			sn.Velocity[k] = f32(math.Abs(q) / a * m.hcf)
		}
		if s.S[k] > Closed {
			dh := h[l.n1] - h[l.n2]
			if l.kind != Pump {
				dh = math.Abs(dh)
			}
			if l.kind <= Pipe {
				sn.Headloss[k] = f32(1000 * dh / l.length)
			} else {
				sn.Headloss[k] = f32(dh * m.hcf)
			}
		}
		sn.Status[k] = s.S[k]
		if m.qual.mode != QualNone {
			sn.LinkQuality[k] = f32(sim.q.avgLinkQual(k) * m.qual.ucf)
		}
		set := f32(s.K[k])
		if s.K[k] != Missing {
			switch l.kind {
			case CVPipe, Pipe, Pump, TCV:
				sn.Setting[k] = set
			case PRV, PSV, PBV:
				sn.Setting[k] = f32(set * m.pcf)
			case FCV:
				sn.Setting[k] = f32(set * m.qcf)
			}
		}
	}
	return sn
}
