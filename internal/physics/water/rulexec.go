package water

import "math"

type premiseData struct {
	Premise
	node, link int
}

type actionData struct {
	Action
	link    int
	setting float64 // internal units
}

type ruleData struct {
	premises  []premiseData
	then, els []actionData
	priority  float64
}

func (m *model) compileRules() error {
	for _, r := range m.net.Rules {
		rd := ruleData{priority: r.Priority}
		for _, p := range r.Premises {
			pd := premiseData{Premise: p, node: -1, link: -1}
			if p.Object == "NODE" {
				pd.node = m.net.NodeIndex(p.ID)
			} else if p.Object == "LINK" {
				pd.link = m.net.LinkIndex(p.ID)
			}
			rd.premises = append(rd.premises, pd)
		}
		conv := func(as []Action) []actionData {
			var out []actionData
			for _, a := range as {
				ad := actionData{Action: a, link: m.net.LinkIndex(a.Link), setting: a.Setting}
				if !a.IsStatus {
					switch m.net.Links[ad.link].Kind {
					case PRV, PSV, PBV:
						ad.setting = a.Setting / m.pcf
					case FCV:
						ad.setting = a.Setting / m.qcf
					}
				}
				out = append(out, ad)
			}
			return out
		}
		rd.then = conv(r.Then)
		rd.els = conv(r.Else)
		m.rules = append(m.rules, rd)
	}
	return nil
}

// ruleTimestep steps through the hydraulic step in rule-evaluation steps,
// updating tank levels, until a rule fires (EPANET's ruletimestep).
func (s *hydState) ruleTimestep(tstep *int64) {
	m := s.m
	tnow := s.htime
	tmax := tnow + *tstep
	dt := m.rulestep
	dt1 := m.rulestep - tnow%m.rulestep
	dt = min(dt, *tstep)
	dt1 = min(dt1, *tstep)
	if dt1 == 0 {
		dt1 = dt
	}
	for {
		s.htime += dt1
		s.tankLevels(dt1)
		if s.checkRules(dt1) > 0 {
			break
		}
		dt = min(dt, tmax-s.htime)
		dt1 = dt
		if dt <= 0 {
			break
		}
	}
	*tstep = s.htime - tnow
	s.htime = tnow
}

func (s *hydState) checkRules(dt int64) int {
	m := s.m
	time1 := s.htime - dt + 1
	type pending struct {
		a        *actionData
		priority float64
	}
	var list []pending
	add := func(as []actionData, prio float64) {
		for i := range as {
			a := &as[i]
			found := false
			for j := range list {
				if list[j].a.link == a.link {
					found = true
					if prio > list[j].priority {
						list[j] = pending{a, prio}
					}
					break
				}
			}
			if !found {
				list = append(list, pending{a, prio})
			}
		}
	}
	for i := range m.rules {
		r := &m.rules[i]
		if s.evalPremises(r, time1) {
			add(r.then, r.priority)
		} else if len(r.els) > 0 {
			add(r.els, r.priority)
		}
	}
	n := 0
	for _, p := range list {
		a := p.a
		k := a.link
		if a.IsStatus {
			if a.Status == Open && s.S[k] <= Closed {
				s.setStatus(k, true)
				n++
			} else if a.Status == Closed && s.S[k] > Closed {
				s.setStatus(k, false)
				n++
			}
		} else if !a.IsStatus && math.Abs(s.K[k]-a.setting) > 0.001 {
			s.setSetting(k, a.setting)
			n++
		}
	}
	return n
}

func (s *hydState) evalPremises(r *ruleData, time1 int64) bool {
	result := true
	for i := range r.premises {
		p := &r.premises[i]
		if p.Or {
			if !result {
				result = s.checkPremise(p, time1)
			}
		} else {
			if !result {
				return false
			}
			result = s.checkPremise(p, time1)
		}
	}
	return result
}

func compare(op string, x, v, tol float64) bool {
	switch op {
	case "=":
		return math.Abs(x-v) <= tol
	case "<>":
		return math.Abs(x-v) >= tol
	// EPANET's checkvalue, tolerance included (so <= and >= are strict by
	// tol, and < and > lenient by tol).
	case "<":
		return x <= v+tol
	case "<=":
		return x <= v-tol
	case ">":
		return x >= v-tol
	case ">=":
		return x >= v+tol
	}
	return false
}

func (s *hydState) checkPremise(p *premiseData, time1 int64) bool {
	m := s.m
	switch p.Attr {
	case "TIME", "CLOCKTIME":
		t1, t2 := time1, s.htime
		if p.Attr == "CLOCKTIME" {
			t1, t2 = (time1+m.tstart)%86400, (s.htime+m.tstart)%86400
		}
		x := int64(p.Value)
		in := t1 <= x && x <= t2
		if t2 < t1 { // wrapped past midnight
			in = x >= t1 || x <= t2
		}
		switch p.Op {
		case "=":
			return in
		case "<>":
			return !in
		case "<":
			return t2 < x
		case "<=":
			return t2 <= x
		case ">":
			return t2 > x
		case ">=":
			return t2 >= x
		}
		return false
	case "STATUS":
		var st Status
		switch {
		case s.S[p.link] <= Closed:
			st = Closed
		case s.S[p.link] == Active:
			st = Active
		default:
			st = Open
		}
		if p.Op == "<>" {
			return st != p.Status
		}
		return st == p.Status
	}
	var x float64
	if p.node >= 0 {
		n := p.node
		switch p.Attr {
		case "DEMAND":
			x = s.D[n] * m.qcf
		case "HEAD", "GRADE":
			x = m.seen(s.H, n) * m.hcf
		case "PRESSURE":
			x = (m.seen(s.H, n) - m.elev[n]) * m.pcf
		case "LEVEL":
			x = (m.seen(s.H, n) - m.elev[n]) * m.hcf
		case "FILLTIME", "DRAINTIME":
			if n < m.nj || m.tanks[n-m.nj].area == 0 {
				return false
			}
			t := &m.tanks[n-m.nj]
			q := s.D[n]
			if p.Attr == "FILLTIME" {
				if q <= tiny {
					return false
				}
				x = (t.vmax - t.v) / q
			} else {
				if q >= -tiny {
					return false
				}
				x = (t.vmin - t.v) / q
			}
			// Seconds, against a value given in hours.
			return compare(p.Op, x, p.Value*3600, 0.001)
		default:
			return false
		}
	} else if p.link >= 0 {
		k := p.link
		switch p.Attr {
		case "FLOW":
			x = math.Abs(s.Q[k]) * m.qcf
		case "SETTING":
			if s.K[k] == Missing {
				return false
			}
			x = s.K[k]
			switch m.links[k].kind {
			case PRV, PSV, PBV:
				x *= m.pcf
			case FCV:
				x *= m.qcf
			}
		case "POWER":
			x = 0
		default:
			return false
		}
	} else {
		if p.Attr == "DEMAND" {
			for i := 0; i < m.nj; i++ {
				if s.D[i] > 0 {
					x += s.D[i]
				}
			}
			x *= m.qcf
		}
	}
	return compare(p.Op, x, p.Value, 0.001)
}
