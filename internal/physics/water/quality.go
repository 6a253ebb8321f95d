package water

import "math"

// Water quality: EPANET's Lagrangian time-driven transport. Each pipe
// holds a chain of volume segments, downstream first; every quality step
// reacts the segments, then visits the nodes in topological (upstream to
// downstream) order, mixing the volumes that leave the inflowing pipes and
// releasing the mixture into the outflowing pipes. Tanks use one of four
// mixing models. Concentrations are held per cubic foot (mass/ft³) for
// chemicals, hours for age and percent for source trace.

const (
	litersPerFt3 = 28.317
	secPerDay    = 86400
	qStagnant    = 0.005 / 448.831 // 0.005 gpm in cfs
)

type seg struct{ v, c float64 }

// qualModel is the quality part of a compiled network.
type qualModel struct {
	mode                            QualityMode
	c0                              []float64 // initial node quality (internal)
	kb, kw                          []float64 // per link, 1/s (or mass units)
	tankKb                          []float64 // per tank
	mix                             []MixModel
	v1max                           []float64
	bulkOrder, wallOrder, tankOrder float64
	climit, ctol                    float64
	sc, diffus                      float64
	bucf, tucf                      float64
	react                           bool
	trace                           int
	ucf                             float64 // user units per internal unit
	sources                         []*srcData
	adj                             [][]adjLink
}

type srcData struct {
	node     int
	kind     SourceKind
	strength float64 // user units
	pat      int
}

type adjLink struct{ link, node int }

// qualState is the evolving quality of a run.
type qualState struct {
	q       *qualModel
	m       *model
	c       []float64 // node quality
	tankC   []float64
	chains  [][]seg // links, then tanks; index 0 = first (downstream) segment
	dir     []int8
	sorted  []int
	rc      []float64 // wall rate coefficient per link
	flow    []float64 // float32-rounded link flows of the current hydraulic step
	demand  []float64
	srcNode []*srcData
	qtime   int64
}

func (m *model) compileQuality() {
	net := m.net
	o := &net.Options
	q := &qualModel{mode: o.Quality, trace: -1, ucf: 1, bulkOrder: o.BulkOrder, wallOrder: o.WallOrder, tankOrder: o.TankOrder}
	m.qual = q
	if q.mode == QualNone || m.dur == 0 {
		q.mode = QualNone
		return
	}
	if q.mode == QualChem {
		q.ucf = 1 / litersPerFt3
	}
	sq := 1.0
	if o.Flow.SI() {
		sq = mPerFt * mPerFt
	}
	switch {
	case o.Diffusivity > 1e-4:
		q.diffus = o.Diffusivity * 1.3e-8
	default:
		q.diffus = o.Diffusivity / sq
	}
	if q.diffus > 0 {
		q.sc = m.viscos / q.diffus
	}
	getucf := func(order float64) float64 {
		if order < 0 {
			order = 0
		}
		if order == 1 {
			return 1
		}
		return 1 / math.Pow(litersPerFt3, order-1)
	}
	q.bucf, q.tucf = getucf(q.bulkOrder), getucf(q.tankOrder)
	q.climit = o.Climit / q.ucf
	q.ctol = o.QualTol / q.ucf
	q.c0 = make([]float64, m.nn)
	for i, n := range net.Nodes {
		q.c0[i] = n.InitQual / q.ucf
		if n.Source != nil {
			q.sources = append(q.sources, &srcData{node: i, kind: n.Source.Kind, strength: n.Source.Strength, pat: m.patIndex(n.Source.Pattern)})
		}
	}
	if q.mode == QualTrace {
		q.trace = net.NodeIndex(o.TraceNode)
	}
	q.kb = make([]float64, m.nl)
	q.kw = make([]float64, m.nl)
	for k, l := range net.Links {
		if l.Kind > Pipe {
			continue
		}
		kb, kw := l.Kbulk, l.Kwall
		if kb == Missing {
			kb = o.Kbulk
		}
		if kw == Missing {
			ld := &m.links[k]
			switch {
			case o.RoughCorr == 0:
				kw = o.Kwall
			case ld.kc > 0 && ld.diam > 0:
				switch m.formula {
				case HazenWilliams:
					kw = o.RoughCorr / ld.kc
				case DarcyWeisbach:
					kw = o.RoughCorr / math.Abs(math.Log(ld.kc/ld.diam))
				default:
					kw = o.RoughCorr * ld.kc
				}
			default:
				kw = 0
			}
		}
		q.kb[k] = kb / secPerDay
		q.kw[k] = kw / secPerDay
	}
	q.tankKb = make([]float64, len(m.tanks))
	q.mix = make([]MixModel, len(m.tanks))
	q.v1max = make([]float64, len(m.tanks))
	for i := range m.tanks {
		n := net.Nodes[m.tanks[i].node]
		kb := n.Kbulk
		if kb == Missing {
			kb = o.Kbulk
		}
		q.tankKb[i] = kb / secPerDay
		q.mix[i] = n.Mixing
		frac := n.MixFrac
		if frac == 0 {
			frac = 1
		}
		q.v1max[i] = frac * m.tanks[i].vmax
	}
	switch q.mode {
	case QualAge:
		q.react = true
	case QualChem:
		for k := range q.kb {
			if net.Links[k].Kind <= Pipe && (q.kb[k] != 0 || q.kw[k] != 0) {
				q.react = true
			}
		}
		for i := range m.tanks {
			if q.tankKb[i] != 0 {
				q.react = true
			}
		}
	}
	// Adjacency lists in EPANET's order (each link prepended to its end
	// nodes' lists, so the last link comes first).
	q.adj = make([][]adjLink, m.nn)
	for k := m.nl - 1; k >= 0; k-- {
		l := &m.links[k]
		q.adj[l.n1] = append(q.adj[l.n1], adjLink{k, l.n2})
		q.adj[l.n2] = append(q.adj[l.n2], adjLink{k, l.n1})
	}
}

func (m *model) linkVol(k int) float64 {
	l := &m.links[k]
	return 0.785398 * l.length * l.diam * l.diam
}

func newQualState(m *model) *qualState {
	q := m.qual
	st := &qualState{q: q, m: m, c: make([]float64, m.nn), tankC: make([]float64, len(m.tanks)),
		chains: make([][]seg, m.nl+len(m.tanks)), dir: make([]int8, m.nl), rc: make([]float64, m.nl),
		flow: make([]float64, m.nl), demand: make([]float64, m.nn), srcNode: make([]*srcData, m.nn)}
	return st
}

// init sets the initial quality and segments (EPANET's initqual).
func (st *qualState) init() {
	q, m := st.q, st.m
	for i := range st.c {
		st.c[i] = 0
		st.srcNode[i] = nil
	}
	if q.mode == QualNone {
		return
	}
	if q.mode != QualTrace {
		copy(st.c, q.c0)
	}
	for _, s := range q.sources {
		st.srcNode[s.node] = s
	}
	for i := range m.tanks {
		st.tankC[i] = st.c[m.tanks[i].node]
	}
	if q.mode == QualTrace && q.trace >= 0 {
		st.c[q.trace] = 100
	}
	for k := range st.chains {
		st.chains[k] = st.chains[k][:0]
	}
	for k := range m.links {
		if m.links[k].kind == Pipe {
			st.addSeg(k, m.linkVol(k), st.c[m.links[k].n2])
		}
		st.dir[k] = 0
	}
	for i := range m.tanks {
		t := &m.tanks[i]
		if t.area == 0 {
			continue
		}
		k := m.nl + i
		c := q.c0[t.node]
		v := t.v0
		st.addSeg(k, v, c)
		if q.mix[i] == Mix2 {
			v1 := math.Max(0, v-q.v1max[i])
			st.chains[k][0].v = v1
			st.addSeg(k, v-v1, c)
		}
	}
	st.qtime = 0
}

// addSeg adds a segment at the upstream end of chain k.
func (st *qualState) addSeg(k int, v, c float64) {
	st.chains[k] = append(st.chains[k], seg{v, c})
}

func reverseSegs(s []seg) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// hydraulics loads the hydraulic solution of the step about to be
// transported, rounded to float32 as EPANET's hydraulics file stores it.
func (st *qualState) hydraulics(s *hydState) {
	q, m := st.q, st.m
	for k := range st.flow {
		if s.S[k] <= Closed {
			st.flow[k] = 0
		} else {
			st.flow[k] = f32(s.Q[k])
		}
	}
	for n := range st.demand {
		st.demand[n] = f32(s.D[n])
	}
	if q.react && q.mode != QualAge {
		for k := range m.links {
			kw := q.kw[k]
			if kw != 0 {
				kw = st.pipeRate(k)
			}
			st.rc[k] = kw
		}
	}
	changed := false
	for k := range st.dir {
		old := st.dir[k]
		qk := st.flow[k]
		var nd int8 = 1
		if qk < 0 {
			nd = -1
		}
		if math.Abs(qk) < qStagnant {
			nd = 0
		}
		if nd*old < 0 {
			reverseSegs(st.chains[k])
		}
		if nd != old {
			changed = true
		}
		st.dir[k] = nd
	}
	if changed || st.sorted == nil {
		st.sortNodes()
	}
}

// sortNodes orders the nodes from upstream to downstream (EPANET's
// sortnodes, including its way of breaking cycles).
func (st *qualState) sortNodes() {
	q, m := st.q, st.m
	indeg := make([]int, m.nn)
	for k := range m.links {
		switch st.dir[k] {
		case 1:
			indeg[m.links[k].n2]++
		case -1:
			indeg[m.links[k].n1]++
		}
	}
	stack := make([]int, 0, m.nn)
	for i := 0; i < m.nn; i++ {
		if indeg[i] == 0 {
			stack = append(stack, i)
		}
	}
	st.sorted = st.sorted[:0]
	for len(st.sorted) < m.nn {
		if len(stack) == 0 {
			j := -1
			for i := len(st.sorted) - 1; i >= 0 && j < 0; i-- {
				for _, a := range q.adj[st.sorted[i]] {
					if indeg[a.node] > 0 {
						j = a.node
						break
					}
				}
			}
			if j < 0 {
				for i := 0; i < m.nn; i++ {
					if indeg[i] > 0 {
						j = i
						break
					}
				}
			}
			if j < 0 {
				break
			}
			indeg[j] = 0
			stack = append(stack, j)
		}
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		st.sorted = append(st.sorted, i)
		for _, a := range q.adj[i] {
			k := a.link
			if st.dir[k] == 0 {
				continue
			}
			n := m.links[k].n2
			if st.dir[k] < 0 {
				n = m.links[k].n1
			}
			if n != i && indeg[n] > 0 {
				indeg[n]--
				if indeg[n] == 0 {
					stack = append(stack, n)
				}
			}
		}
	}
}

func (st *qualState) pipeRate(k int) float64 {
	q, m := st.q, st.m
	d := m.links[k].diam
	if q.sc == 0 {
		if q.wallOrder == 0 {
			return big
		}
		return q.kw[k] * (4 / d) / m.hcf
	}
	a := math.Pi * d * d / 4
	u := math.Abs(st.flow[k]) / a
	re := u * d / m.viscos
	var sh float64
	switch {
	case re < 1:
		sh = 2
	case re >= 2300:
		sh = 0.0149 * math.Pow(re, 0.88) * math.Pow(q.sc, 0.333)
	default:
		y := d / m.links[k].length * re * q.sc
		sh = 3.65 + 0.0668*y/(1+0.04*math.Pow(y, 0.667))
	}
	kf := sh * q.diffus / d
	if q.wallOrder == 0 {
		return kf
	}
	kw := q.kw[k] / m.hcf
	return (4 / d) * kw * kf / (kf + math.Abs(kw))
}

func (st *qualState) bulkRate(c, kb, order float64) float64 {
	q := st.q
	switch {
	case order == 0:
		c = 1
	case order < 0:
		c1 := q.climit + sgn(kb)*c
		if math.Abs(c1) < tiny {
			c1 = sgn(c1) * tiny
		}
		c /= c1
	default:
		c1 := c
		if q.climit != 0 {
			c1 = math.Max(0, sgn(kb)*(q.climit-c))
		}
		switch order {
		case 1:
			c = c1
		case 2:
			c = c1 * c
		default:
			c = c1 * math.Pow(math.Max(0, c), order-1)
		}
	}
	if c < 0 {
		c = 0
	}
	return kb * c
}

func (st *qualState) wallRate(c, d, kw, kf float64) float64 {
	if kw == 0 || d == 0 {
		return 0
	}
	if st.q.wallOrder == 0 {
		kf = sgn(kw) * c * kf
		kw *= st.m.hcf * st.m.hcf
		if math.Abs(kf) < math.Abs(kw) {
			kw = kf
		}
		return kw * 4 / d
	}
	return c * kf
}

// react reacts the contents of pipes and tanks over dt seconds.
func (st *qualState) react(dt int64) {
	q, m := st.q, st.m
	for k := range m.links {
		if m.links[k].kind != Pipe {
			continue
		}
		for i := range st.chains[k] {
			s := &st.chains[k][i]
			if q.mode == QualAge {
				s.c = math.Max(0, s.c+float64(dt)/3600)
				continue
			}
			rb := st.bulkRate(s.c, q.kb[k], q.bulkOrder) * q.bucf
			rw := st.wallRate(s.c, m.links[k].diam, q.kw[k], st.rc[k])
			s.c = math.Max(0, s.c+(rb+rw)*float64(dt))
		}
	}
	for i := range m.tanks {
		if m.tanks[i].area == 0 {
			continue
		}
		k := m.nl + i
		for j := range st.chains[k] {
			s := &st.chains[k][j]
			var dc float64
			if q.mode == QualAge {
				dc = float64(dt) / 3600
			} else {
				dc = st.bulkRate(s.c, q.tankKb[i], q.tankOrder) * q.tucf * float64(dt)
			}
			s.c = math.Max(0, s.c+dc)
		}
	}
}

// transport moves quality through the network over one quality step.
func (st *qualState) transport(dt int64) {
	q, m := st.q, st.m
	if q.react {
		st.react(dt)
	}
	tstep := float64(dt)
	for _, n := range st.sorted {
		var volin, massin, volout float64
		for _, a := range q.adj[n] {
			k := a.link
			down := m.links[k].n2
			if st.dir[k] < 0 {
				down = m.links[k].n1
			}
			if down == n {
				// Inflow: consume volume from the link's leading segments.
				v := math.Abs(st.flow[k]) * tstep
				ch := st.chains[k]
				for v > 0 && len(ch) > 0 {
					s := &ch[0]
					vseg := math.Min(s.v, v)
					volin += vseg
					massin += vseg * s.c
					v -= vseg
					if v >= 0 && vseg >= s.v {
						ch = ch[1:]
					} else {
						s.v -= vseg
					}
				}
				st.chains[k] = ch
			} else {
				volout += math.Abs(st.flow[k])
			}
		}
		if n < m.nj {
			volout += math.Max(0, st.demand[n])
		}
		volout *= tstep
		c := st.nodeQual(n, volin, massin, volout, tstep)
		for _, a := range q.adj[n] {
			k := a.link
			up := m.links[k].n1
			if st.dir[k] < 0 {
				up = m.links[k].n2
			}
			if up != n {
				continue
			}
			v := math.Abs(st.flow[k]) * tstep
			if v == 0 {
				continue
			}
			ch := st.chains[k]
			if len(ch) > 0 && math.Abs(ch[len(ch)-1].c-c) < q.ctol {
				s := &ch[len(ch)-1]
				s.c = (s.c*s.v + c*v) / (s.v + v)
				s.v += v
			} else {
				st.addSeg(k, v, c)
			}
		}
	}
}

func (st *qualState) nodeQual(n int, volin, massin, volout, tstep float64) float64 {
	q, m := st.q, st.m
	kind := Junction
	if n >= m.nj {
		kind = Reservoir
		if m.tanks[n-m.nj].area > 0 {
			kind = Tank
		}
	}
	switch kind {
	case Junction:
		volin -= math.Min(0, st.demand[n]) * tstep
		if volin > 0 {
			st.c[n] = massin / volin
		} else if q.react {
			st.c[n] = st.noFlowQual(n)
		}
	case Tank:
		st.c[n] = st.mixTank(n-m.nj, volin, massin, volout)
	}
	if q.mode == QualTrace {
		if n == q.trace {
			st.c[n] = 100
		}
		return st.c[n]
	}
	sq := st.sourceQual(n, volout, tstep)
	if sq == 0 {
		return st.c[n]
	}
	switch kind {
	case Junction:
		st.c[n] += sq
		return st.c[n]
	case Tank:
		return st.c[n] + sq
	default:
		st.c[n] = sq
		return sq
	}
}

func (st *qualState) noFlowQual(n int) float64 {
	m := st.m
	var c float64
	cnt := 0
	for _, a := range st.q.adj[n] {
		k := a.link
		d := st.dir[k]
		inflow := m.links[k].n2 == n && d >= 0 || m.links[k].n1 == n && d < 0
		ch := st.chains[k]
		if inflow && len(ch) > 0 {
			c += ch[0].c
			cnt++
		} else if !inflow && len(ch) > 0 {
			c += ch[len(ch)-1].c
			cnt++
		}
	}
	if cnt > 0 {
		c /= float64(cnt)
	}
	return c
}

func (st *qualState) sourceQual(n int, volout, tstep float64) float64 {
	q, m := st.q, st.m
	if q.mode != QualChem {
		return 0
	}
	src := st.srcNode[n]
	if src == nil || src.strength == 0 || volout/tstep <= qStagnant {
		return 0
	}
	c := src.strength
	if src.kind == Mass {
		c /= 60
	} else {
		c /= q.ucf
	}
	if src.pat >= 0 {
		c *= m.patFactor(src.pat, (st.qtime+m.pstart)/m.pstep)
	}
	switch src.kind {
	case Concen:
		if n < m.nj {
			if st.demand[n] < 0 {
				c = -c * st.demand[n] * tstep / volout
			} else {
				c = 0
			}
		}
	case Mass:
		c = c * tstep / volout
	case Setpoint:
		c = math.Max(c-st.c[n], 0)
	}
	return c
}

// mixTank applies the tank's mixing model and returns its outflow quality.
func (st *qualState) mixTank(i int, vin, win, vout float64) float64 {
	q, m := st.q, st.m
	k := m.nl + i
	vnet := vin - vout
	ch := st.chains[k]
	switch q.mix[i] {
	case Mix1:
		if len(ch) > 0 {
			s := &ch[0]
			if vnew := s.v + vin; vnew > 0 {
				s.c = (s.c*s.v + win) / vnew
			}
			s.v = math.Max(0, s.v+vnet)
			st.tankC[i] = s.c
		}
	case Mix2:
		if len(ch) < 2 {
			break
		}
		mz, sz := &ch[len(ch)-1], &ch[0]
		vmz := q.v1max[i]
		vt := 0.0
		if vnet > 0 {
			vt = math.Max(0, mz.v+vnet-vmz)
			if vin > 0 {
				mz.c = (mz.c*mz.v + win) / (mz.v + vin)
			}
			if vt > 0 {
				sz.c = (sz.c*sz.v + mz.c*vt) / (sz.v + vt)
			}
		} else if vnet < 0 {
			if sz.v > 0 {
				vt = math.Min(sz.v, -vnet)
			}
			if vin+vt > 0 {
				mz.c = (mz.c*mz.v + win + sz.c*vt) / (mz.v + vin + vt)
			}
		}
		if vt > 0 {
			mz.v = vmz
			if vnet > 0 {
				sz.v += vt
			} else {
				sz.v = math.Max(0, sz.v-vt)
			}
		} else {
			mz.v = math.Max(0, math.Min(mz.v+vnet, vmz))
			sz.v = 0
		}
		st.tankC[i] = mz.c
	case FIFO:
		if len(ch) == 0 {
			break
		}
		if vin > 0 {
			cin := win / vin
			if last := &ch[len(ch)-1]; math.Abs(last.c-cin) < q.ctol {
				last.v += vin
			} else {
				ch = append(ch, seg{vin, cin})
			}
		}
		var vsum, wsum float64
		v := vin - vnet
		for v > 0 && len(ch) > 0 {
			s := &ch[0]
			vseg := math.Min(s.v, v)
			if len(ch) == 1 {
				vseg = v
			}
			vsum += vseg
			wsum += s.c * vseg
			v -= vseg
			if v >= 0 && vseg >= s.v {
				if len(ch) > 1 {
					ch = ch[1:]
				}
			} else {
				s.v -= vseg
			}
		}
		st.chains[k] = ch
		switch {
		case vsum > 0:
			st.tankC[i] = wsum / vsum
		case len(ch) == 0:
			st.tankC[i] = 0
		default:
			st.tankC[i] = ch[0].c
		}
	case LIFO:
		if len(ch) == 0 {
			break
		}
		cin := 0.0
		if vin > 0 {
			cin = win / vin
		}
		st.tankC[i] = ch[len(ch)-1].c
		if vnet > 0 {
			if last := &ch[len(ch)-1]; math.Abs(last.c-cin) < q.ctol {
				last.v += vnet
			} else {
				ch = append(ch, seg{vnet, cin})
			}
			st.tankC[i] = ch[len(ch)-1].c
		} else if vnet < 0 {
			var vsum, wsum float64
			v := -vnet
			for v > 0 && len(ch) > 0 {
				s := &ch[len(ch)-1]
				vseg := math.Min(s.v, v)
				if len(ch) == 1 {
					vseg = v
				}
				vsum += vseg
				wsum += s.c * vseg
				v -= vseg
				if v >= 0 && vseg >= s.v {
					if len(ch) > 1 {
						ch = ch[:len(ch)-1]
					}
				} else {
					s.v -= vseg
				}
			}
			st.tankC[i] = (wsum + win) / (vsum + vin)
		}
		st.chains[k] = ch
	}
	if q.mix[i] != FIFO && q.mix[i] != LIFO {
		st.chains[k] = ch
	}
	return st.tankC[i]
}

// avgLinkQual is the volume-averaged quality of link k.
func (st *qualState) avgLinkQual(k int) float64 {
	var vs, ms float64
	for _, s := range st.chains[k] {
		vs += s.v
		ms += s.c * s.v
	}
	if vs > 0 {
		return ms / vs
	}
	l := &st.m.links[k]
	return (st.c[l.n1] + st.c[l.n2]) / 2
}
