package traffic

import (
	"context"
	"math"
	"sort"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
)

const eps = 1e-9

// haltSpeed is the speed below which a cell's vehicles count as queued,
// m/s (SUMO counts a vehicle halting below 0.1 m/s; a cell averages over
// stopped and creeping vehicles, so the threshold is higher).
const haltSpeed = 1.0

// Result is what a run measured.
type Result struct {
	Engine   string  `json:"engine"`
	Duration float64 `json:"duration_s"`
	Step     float64 `json:"step_s"`

	Loaded   float64 `json:"loaded"`   // vehicles the flows generated
	Inserted float64 `json:"inserted"` // vehicles that entered the network
	Arrived  float64 `json:"arrived"`  // vehicles that reached their destination
	Running  float64 `json:"running"`  // in the network at the end
	Waiting  float64 `json:"waiting"`  // still waiting to enter at the end

	ThroughputVehPerHour float64 `json:"throughput_veh_per_h"`
	MeanTravelTime       float64 `json:"mean_travel_time_s"`  // finished vehicles, insertion to arrival
	MeanDepartDelay      float64 `json:"mean_depart_delay_s"` // inserted vehicles, load to insertion
	VehicleHours         float64 `json:"vehicle_hours"`       // in the network
	DelayVehHours        float64 `json:"delay_veh_h"`         // in the network, beyond free-flow time
	DepartDelayVehHours  float64 `json:"depart_delay_veh_h"`  // waiting to enter
	MeanRunning          float64 `json:"mean_running"`
	MeanHalting          float64 `json:"mean_halting"`

	MaxQueue             []LaneQueue `json:"max_queues"` // longest queues first
	SpillbackLaneSeconds float64     `json:"spillback_lane_s"`
	SpilledLanes         []string    `json:"spilled_lanes,omitempty"`

	Gridlock *Gridlock `json:"gridlock,omitempty"`

	MMUTrips  []MMUTrip         `json:"mmu_trips,omitempty"`
	Emergency []EmergencyResult `json:"emergency,omitempty"`

	Routes []RouteStats `json:"routes,omitempty"`
	Series []Sample     `json:"series,omitempty"`
}

// RouteStats is one route's (or origin-destination flow's) share.
type RouteStats struct {
	Route          string   `json:"route"`
	Flows          []string `json:"flows"`
	Loaded         float64  `json:"loaded"`
	Inserted       float64  `json:"inserted"`
	Arrived        float64  `json:"arrived"`
	MeanTravelTime float64  `json:"mean_travel_time_s"`
	FreeFlow       float64  `json:"free_flow_s"`
}

// LaneQueue is a lane's longest queue during the run.
type LaneQueue struct {
	Lane   string  `json:"lane"`
	Meters float64 `json:"m"`
	Time   float64 `json:"t_s"`
	Length float64 `json:"lane_m"`
}

// Gridlock is a cycle of lanes each spilled back into the next.
type Gridlock struct {
	Since float64  `json:"since_s"`
	Lanes []string `json:"lanes"`
}

// MMUTrip is the conflict monitor putting a signal into all-red flash.
type MMUTrip struct {
	Signal string  `json:"signal"`
	Time   float64 `json:"t_s"`
	Until  float64 `json:"until_s"`
	LinkA  int     `json:"link_a"`
	LinkB  int     `json:"link_b"`
	Pairs  int     `json:"conflicting_pairs"`
}

// EmergencyResult is one emergency vehicle's trip.
type EmergencyResult struct {
	From       string   `json:"from"`
	To         string   `json:"to"`
	Depart     float64  `json:"depart_s"`
	Arrived    bool     `json:"arrived"`
	TravelTime float64  `json:"travel_time_s"` // to the end of the run when not arrived
	FreeFlow   float64  `json:"free_flow_s"`
	Path       []string `json:"path"`
}

// Sample is the network state at one time.
type Sample struct {
	T       float64 `json:"t_s"`
	Running float64 `json:"running"`
	Halting float64 `json:"halting"`
	Waiting float64 `json:"waiting"`
	Arrived float64 `json:"arrived"`
}

// maxSteps bounds a run (31 days of 1 s steps).
const maxSteps = 31 * 24 * 3600

// SampleEvery is the spacing of Result.Series, s.
const SampleEvery = 60

// sigRun is a signal's state during a run.
type sigRun struct {
	sig        *Signal
	plan       Plan
	actuated   bool
	phase      int
	phaseStart float64
	state      string
	flash      bool
	flashUntil float64
	incoming   []int // lanes whose movements it drives
	activeApp  int   // approaches with vehicles waiting (for flash capacity)
}

// Run simulates the scenario with the cell transmission model.
func Run(ctx context.Context, sc *Scenario) (*Result, error) {
	m, err := compile(sc)
	if err != nil {
		return nil, err
	}
	return m.run(ctx)
}

func (m *model) run(ctx context.Context) (*Result, error) {
	dt := m.p.Step
	steps := int(math.Round(m.sc.Duration / dt))
	if steps > maxSteps {
		return nil, diag.Errorf("duration %v s is more than %d steps of %v s", m.sc.Duration, maxSteps, dt)
	}
	if steps <= 0 {
		return nil, diag.Errorf("duration %v s is shorter than a step", m.sc.Duration)
	}
	res := &Result{Engine: "ctm", Duration: float64(steps) * dt, Step: dt}
	ncom := len(m.coms)
	queue := make([]float64, ncom)
	loadCum := make([][]float64, ncom)
	entCum := make([][]float64, ncom)
	var entered, exited, ttSum, ddSum, loadTot float64
	ttC := make([]float64, ncom)
	exitedC := make([]float64, ncom)
	enteredC := make([]float64, ncom)
	loadedC := make([]float64, ncom)
	for c := range ncom {
		loadCum[c] = make([]float64, 0, steps)
		entCum[c] = make([]float64, 0, steps)
	}
	sr := make([]*sigRun, len(m.sigs))
	for i, s := range m.sigs {
		sr[i] = &sigRun{sig: s, plan: PlanOf(s.Logic), actuated: s.Logic.Type == "actuated", flashUntil: -1}
	}
	for li, cl := range m.lanes {
		for _, mv := range cl.moves {
			if mv.sig >= 0 && indexOfInt(sr[mv.sig].incoming, li) < 0 {
				sr[mv.sig].incoming = append(sr[mv.sig].incoming, li)
			}
		}
	}
	// Scratch for the node model.
	send := make([]float64, len(m.lanes))
	theta := make([]float64, len(m.lanes))
	req := make([]float64, len(m.lanes))
	phi := make([]float64, len(m.lanes))
	offer := make([]float64, ncom)
	inbox := make([][]float64, len(m.lanes))
	for i, cl := range m.lanes {
		inbox[i] = make([]float64, len(cl.segs))
	}
	maxQ := make([]LaneQueue, len(m.lanes))
	spilled := make([]bool, len(m.lanes))
	everSpilled := make([]bool, len(m.lanes))
	var gridSince = -1.0
	var gridLanes []string
	evs := m.newEmergency()
	var vht, ffTime, queueTime, runSum, haltSum float64

	for k := range steps {
		if k%256 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		t := float64(k) * dt
		// Demand.
		for c, com := range m.coms {
			for _, f := range com.flows {
				lo, hi := max(t, f.Begin), min(t+dt, f.End)
				if hi > lo {
					a := f.VehPerSecond() * (hi - lo)
					queue[c] += a
					loadedC[c] += a
					loadTot += a
				}
			}
			loadCum[c] = append(loadCum[c], loadedC[c])
		}
		// Signals.
		for _, s := range sr {
			m.updateSignal(s, t, res)
		}
		// Sending and receiving.
		for _, cl := range m.lanes {
			for i := range cl.ncell {
				cl.s[i] = min(cl.n[i]*cl.vfr, cl.q)
				cl.r[i] = max(0, min(cl.q, cl.wr*(cl.jam-cl.n[i])))
			}
		}
		for _, s := range sr {
			s.activeApp = 0
			if !s.flash {
				continue
			}
			seen := map[int]bool{}
			for _, li := range s.incoming {
				cl := m.lanes[li]
				if cl.n[cl.ncell-1] > 0.01 && !seen[cl.edge] {
					seen[cl.edge] = true
					s.activeApp++
				}
			}
		}
		// Node model: what each lane's last cell can send through its movements.
		for li, cl := range m.lanes {
			L := cl.ncell - 1
			send[li], theta[li] = 0, 0
			if cl.n[L] <= eps {
				continue
			}
			capq := cl.q
			blocked := false
			for j, mv := range cl.moves {
				if cl.nc[L][j] <= eps*cl.n[L] || mv.sink {
					continue
				}
				switch {
				case mv.sig >= 0 && sr[mv.sig].flash:
					capq = min(capq, dt/(m.p.StopHeadway*max(1, float64(sr[mv.sig].activeApp))))
				case mv.sig >= 0:
					st := sr[mv.sig].state
					c := byte('r')
					if mv.link < len(st) {
						c = st[mv.link]
					}
					if !Green(c) {
						blocked = true
					} else if c == 'g' || c == 's' {
						capq = min(capq, cl.q*m.p.MinorFactor)
					}
				case mv.minor:
					capq = min(capq, cl.q*m.p.MinorFactor)
				}
			}
			if !blocked {
				send[li] = min(cl.s[L], capq)
			}
		}
		for i := range req {
			req[i] = 0
		}
		split := func(targets []int, amt float64, fn func(t int, a float64)) {
			var rs float64
			for _, tl := range targets {
				rs += m.lanes[tl].r[0]
			}
			for _, tl := range targets {
				share := 1 / float64(len(targets))
				if rs > eps {
					share = m.lanes[tl].r[0] / rs
				}
				fn(tl, amt*share)
			}
		}
		for li, cl := range m.lanes {
			if send[li] <= 0 {
				continue
			}
			L := cl.ncell - 1
			for j, mv := range cl.moves {
				if mv.sink || cl.nc[L][j] <= 0 {
					continue
				}
				split(mv.targets, send[li]*cl.nc[L][j]/cl.n[L], func(t int, a float64) { req[t] += a })
			}
		}
		// An origin asks for at most what its entry lanes could take in a
		// step, so a long queue of departures does not crowd out the
		// movements that merge into the same lanes.
		for c, com := range m.coms {
			offer[c] = 0
			if queue[c] > eps {
				var qcap float64
				for _, tl := range m.segLanes[com.segLo] {
					qcap += m.lanes[tl].q
				}
				offer[c] = min(queue[c], qcap)
				split(m.segLanes[com.segLo], offer[c], func(t int, a float64) { req[t] += a })
			}
		}
		for i, cl := range m.lanes {
			phi[i] = 1
			if req[i] > cl.r[0] {
				phi[i] = cl.r[0] / req[i]
			}
		}
		for li, cl := range m.lanes {
			if send[li] <= 0 {
				continue
			}
			L := cl.ncell - 1
			th := 1.0
			for j, mv := range cl.moves {
				if mv.sink || cl.nc[L][j] <= 0 {
					continue
				}
				for _, tl := range mv.targets {
					th = min(th, phi[tl])
				}
			}
			theta[li] = th
		}
		// Internal flows.
		for _, cl := range m.lanes {
			for i := 0; i < cl.ncell-1; i++ {
				cl.y[i] = min(cl.s[i], cl.r[i+1])
			}
		}
		// Apply: node outflows first (they read the pre-step composition of
		// the last cells), then cell-to-cell flows downstream first.
		for li, cl := range m.lanes {
			L := cl.ncell - 1
			out := send[li] * theta[li]
			cl.y[L] = out
			if out <= 0 {
				continue
			}
			frac := out / cl.n[L]
			for j, mv := range cl.moves {
				a := cl.nc[L][j] * frac
				if a <= 0 {
					continue
				}
				cl.nc[L][j] -= a
				if mv.sink {
					c := m.segCom[cl.segs[j]]
					tt := m.travelTime(c, a, t+dt, entCum[c], exitedC, dt)
					ttSum += tt
					ttC[c] += tt
					exitedC[c] += a
					exited += a
					continue
				}
				split(mv.targets, a, func(t int, x float64) {
					inbox[t][indexOfInt(m.lanes[t].segs, mv.nextSeg)] += x
				})
			}
			cl.n[L] -= out
		}
		for c, com := range m.coms {
			if queue[c] <= eps {
				entCum[c] = append(entCum[c], enteredC[c])
				continue
			}
			var got float64
			seg := com.segLo
			split(m.segLanes[seg], offer[c], func(t int, x float64) {
				x *= phi[t]
				inbox[t][indexOfInt(m.lanes[t].segs, seg)] += x
				got += x
			})
			// Depart delay of the vehicles inserted now, from the load curve.
			if got > 0 {
				mid := enteredC[c] + got/2
				ddSum += got * (t + dt - invCum(loadCum[c], mid, dt))
			}
			queue[c] -= got
			if queue[c] < eps {
				queue[c] = 0
			}
			enteredC[c] += got
			entered += got
			entCum[c] = append(entCum[c], enteredC[c])
		}
		for _, cl := range m.lanes {
			for i := cl.ncell - 2; i >= 0; i-- {
				y := cl.y[i]
				if y <= 0 {
					continue
				}
				frac := y / cl.n[i]
				for j := range cl.nc[i] {
					a := cl.nc[i][j] * frac
					cl.nc[i][j] -= a
					cl.nc[i+1][j] += a
				}
				cl.n[i] -= y
				cl.n[i+1] += y
			}
		}
		for li, cl := range m.lanes {
			for j, a := range inbox[li] {
				if a != 0 {
					cl.nc[0][j] += a
					cl.n[0] += a
					inbox[li][j] = 0
				}
			}
		}
		// Measures.
		var running, halting float64
		for li, cl := range m.lanes {
			qcells := 0
			counting := true
			for i := cl.ncell - 1; i >= 0; i-- {
				n := cl.n[i]
				if n < 0 {
					cl.n[i], n = 0, 0
				}
				running += n
				ffTime += cl.y[i] * cl.cellLen / cl.vf
				halt := n > 0.05*cl.jam && cl.y[i]*cl.cellLen/(n*dt) < haltSpeed
				if halt {
					halting += n
				}
				if counting && halt {
					qcells++
				} else {
					counting = false
				}
			}
			if ql := float64(qcells) * cl.cellLen; ql > maxQ[li].Meters {
				maxQ[li] = LaneQueue{Lane: cl.lane.ID, Meters: ql, Time: t + dt, Length: cl.length}
			}
			spilled[li] = qcells == cl.ncell && cl.n[0] > 0.8*cl.jam
			if spilled[li] {
				res.SpillbackLaneSeconds += dt
				everSpilled[li] = true
			}
		}
		vht += running * dt
		runSum += running
		haltSum += halting
		var waiting float64
		for _, q := range queue {
			waiting += q
		}
		queueTime += waiting * dt
		if k%5 == 0 || k == steps-1 {
			if cyc := m.spillCycle(spilled); cyc != nil {
				if gridSince < 0 {
					gridSince, gridLanes = t+dt, cyc
				}
				if res.Gridlock == nil && t+dt-gridSince >= m.p.GridlockHold {
					res.Gridlock = &Gridlock{Since: gridSince, Lanes: gridLanes}
				}
			} else {
				gridSince = -1
			}
		}
		m.moveEmergency(evs, sr, t, dt)
		if (k+1)%int(max(1, math.Round(SampleEvery/dt))) == 0 || k == steps-1 {
			res.Series = append(res.Series, Sample{T: t + dt, Running: running, Halting: halting, Waiting: waiting, Arrived: exited})
		}
		res.Running = running
		res.Waiting = waiting
	}
	res.Loaded, res.Inserted, res.Arrived = loadTot, entered, exited
	res.ThroughputVehPerHour = exited / res.Duration * 3600
	if exited > 0 {
		res.MeanTravelTime = ttSum / exited
	}
	if entered > 0 {
		res.MeanDepartDelay = ddSum / entered
	}
	res.VehicleHours = vht / 3600
	res.DelayVehHours = max(0, vht-ffTime) / 3600
	res.DepartDelayVehHours = queueTime / 3600
	res.MeanRunning = runSum / float64(steps)
	res.MeanHalting = haltSum / float64(steps)
	for _, q := range maxQ {
		if q.Meters > 0 {
			res.MaxQueue = append(res.MaxQueue, q)
		}
	}
	sort.SliceStable(res.MaxQueue, func(i, j int) bool { return res.MaxQueue[i].Meters > res.MaxQueue[j].Meters })
	for li, s := range everSpilled {
		if s {
			res.SpilledLanes = append(res.SpilledLanes, m.lanes[li].lane.ID)
		}
	}
	res.Emergency = m.emergencyResults(evs, res.Duration)
	for c, com := range m.coms {
		rs := RouteStats{Route: com.id, Loaded: loadedC[c], Inserted: enteredC[c], Arrived: exitedC[c], FreeFlow: com.fflow}
		for _, f := range com.flows {
			rs.Flows = append(rs.Flows, f.ID)
		}
		if exitedC[c] > 0 {
			rs.MeanTravelTime = ttC[c] / exitedC[c]
		}
		res.Routes = append(res.Routes, rs)
	}
	return res, nil
}

// travelTime returns the total travel time of a vehicles leaving commodity
// c at time t, matching them first-in first-out to the entry curve.
func (m *model) travelTime(c int, a, t float64, ent []float64, exited []float64, dt float64) float64 {
	mid := exited[c] + a/2
	return a * (t - invCum(ent, mid, dt))
}

// invCum returns the time at which cumulative curve cum (value at the end
// of each step) reached v, interpolating within steps.
func invCum(cum []float64, v, dt float64) float64 {
	i := sort.SearchFloat64s(cum, v)
	if i >= len(cum) {
		i = len(cum) - 1
	}
	if i < 0 {
		return 0
	}
	prev := 0.0
	if i > 0 {
		prev = cum[i-1]
	}
	frac := 1.0
	if d := cum[i] - prev; d > eps {
		frac = (v - prev) / d
	}
	return (float64(i) + frac) * dt
}

// updateSignal sets s.state (or flash) for time t, applying attacks and
// the conflict monitor.
func (m *model) updateSignal(s *sigRun, t float64, res *Result) {
	plan := s.plan
	var allRed, allGreen *Attack
	dark := false
	detector := 0 // 0 honest, 1 stuck-on, -1 stuck-off
	for i := range m.sc.Attacks {
		a := &m.sc.Attacks[i]
		if !a.applies(s.sig.ID, t) {
			continue
		}
		switch a.Kind {
		case AllRed:
			allRed = a
		case AllGreen:
			allGreen = a
		case Dark:
			dark = true
		case PlanChange:
			plan = alterPlan(plan, a)
		case DetectorFalse:
			detector = -1
			if a.StuckOn {
				detector = 1
			}
		}
	}
	var st string
	if s.actuated {
		st = m.actuatedState(s, plan, t, detector)
	} else {
		ph, _ := plan.PhaseAt(t)
		st = plan.States[ph]
	}
	switch {
	case allRed != nil:
		st = strings.Repeat("r", len(st))
	case allGreen != nil:
		st = strings.Repeat("G", len(st))
	}
	if t >= s.flashUntil {
		s.flash = false
		if pairs := s.sig.ConflictingGreens(st); len(pairs) > 0 {
			until := math.Inf(1) // a conflicting plan stays in flash until a technician comes
			if allGreen != nil {
				until = allGreen.To + m.p.MMUReset
			}
			s.flashUntil = until
			res.MMUTrips = append(res.MMUTrips, MMUTrip{Signal: s.sig.ID, Time: t, Until: until,
				LinkA: pairs[0][0], LinkB: pairs[0][1], Pairs: len(pairs)})
		}
	}
	s.flash = t < s.flashUntil || dark
	s.state = st
}

// alterPlan applies a plan-change attack.
func alterPlan(p Plan, a *Attack) Plan {
	q := Plan{Offset: p.Offset, States: p.States, Durations: append([]float64(nil), p.Durations...)}
	if a.Offset != nil {
		q.Offset = *a.Offset
	}
	for i, d := range a.Phases {
		if i < len(q.Durations) {
			q.Durations[i] = d
		}
	}
	return q
}

// actuatedState runs a gap-out actuated controller: a phase lasts at
// least minDur, at most maxDur, and ends between them as soon as its
// detectors (the last cell of every lane it shows green to) see no
// vehicles. detector forces presence (1) or absence (-1).
func (m *model) actuatedState(s *sigRun, plan Plan, t float64, detector int) string {
	ph := s.sig.Logic.Phases
	if s.phase >= len(ph) {
		s.phase = 0
	}
	p := ph[s.phase]
	el := t - s.phaseStart
	minD, maxD := p.MinDur, p.MaxDur
	if s.phase < len(plan.Durations) && plan.Durations[s.phase] != p.Duration {
		minD, maxD = plan.Durations[s.phase], plan.Durations[s.phase]
	}
	next := el >= maxD
	if !next && el >= minD {
		demand := false
		switch detector {
		case 1:
			demand = true
		case -1:
		default:
			for _, li := range s.incoming {
				cl := m.lanes[li]
				for _, mv := range cl.moves {
					if mv.sig >= 0 && m.sigs[mv.sig] == s.sig && mv.link < len(p.State) && Green(p.State[mv.link]) && cl.n[cl.ncell-1] > 0.1 {
						demand = true
					}
				}
			}
		}
		next = !demand
	}
	if next && el > 0 {
		s.phase = (s.phase + 1) % len(ph)
		s.phaseStart = t
	}
	return ph[s.phase].State
}

// spillCycle returns the lanes of a cycle of spilled-back lanes, each
// feeding the next, or nil.
func (m *model) spillCycle(spilled []bool) []string {
	color := make([]byte, len(m.lanes))
	var stack []int
	var found []int
	var dfs func(u int) bool
	dfs = func(u int) bool {
		color[u] = 1
		stack = append(stack, u)
		cl := m.lanes[u]
		L := cl.ncell - 1
		for j, mv := range cl.moves {
			if mv.sink || cl.nc[L][j] <= 0.01 {
				continue
			}
			for _, v := range mv.targets {
				if !spilled[v] {
					continue
				}
				if color[v] == 1 {
					i := indexOfInt(stack, v)
					found = append([]int(nil), stack[i:]...)
					return true
				}
				if color[v] == 0 && dfs(v) {
					return true
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[u] = 2
		return false
	}
	for u := range m.lanes {
		if spilled[u] && color[u] == 0 && dfs(u) {
			out := make([]string, len(found))
			for i, l := range found {
				out[i] = m.lanes[l].lane.ID
			}
			return out
		}
	}
	return nil
}
