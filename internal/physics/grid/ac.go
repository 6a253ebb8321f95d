package grid

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"slices"

	"github.com/citadel-city/citadel/internal/physics/grid/sparselu"
)

// qViolation is MATPOWER's opf.violation, the slack allowed on generator
// Q limits before enforcement converts a bus.
const qViolation = 5e-6

// SolveAC runs an AC power flow by full Newton–Raphson in polar
// coordinates with MATPOWER's conventions (runpf with pf.alg = 'NR'),
// optionally enforcing generator reactive limits.
func SolveAC(c *Case, opt Options) (*Result, error) {
	n, err := newNetwork(c)
	if err != nil {
		return nil, err
	}
	s := &acSolver{n: n, opt: opt, y: n.makeYbus()}
	return s.run()
}

type acSolver struct {
	n   *network
	opt Options
	y   *csrC
	lin sparselu.Solver

	// Jacobian pattern for the current PV/PQ sets.
	jac    *sparselu.Matrix
	jpos   []int // 4 positions per Ybus entry: dP/dVa, dP/dVm, dQ/dVa, dQ/dVm (-1 when absent)
	rowP   []int
	rowQ   []int
	patKey []int
	// busOrder is a fill-reducing ordering of the buses.
	busOrder []int
	ibus     []complex128
	mis      []float64
	iters    int
	lastMis  float64
}

func (s *acSolver) run() (*Result, error) {
	n, c := s.n, s.n.c
	ref, pv, pq, err := n.checkedBusTypes()
	if err != nil {
		return nil, err
	}
	// Initial voltages: the case's, with generator set points at PV and
	// reference buses (the last generator at a bus wins, as in MATLAB).
	nb := n.nb
	isPQ := make([]bool, nb)
	for _, i := range pq {
		isPQ[i] = true
	}
	v0 := make([]complex128, nb)
	for i := range nb {
		v0[i] = cmplx.Rect(n.vm0[i], n.va0[i])
	}
	for g, on := range n.genOn {
		if b := n.genBus[g]; on && !isPQ[b] {
			v0[b] = cmplx.Rect(n.vg[g], cmplx.Phase(v0[b]))
		}
	}
	ref0 := ref[0]
	vaRef0 := n.va0[ref0]
	var limited []int
	limitedSet := make([]bool, len(c.Gen))
	v := slices.Clone(v0)
	sb := n.sbus()
	for {
		// Each solve after a Q-limit conversion starts from the previous
		// solution, as MATPOWER's MP-Core does.
		if err := s.newton(v, sb, pv, pq); err != nil {
			return nil, err
		}
		s.pfsoln(v, ref)
		if !s.opt.EnforceQLimits {
			break
		}
		var mx, mn []int
		for g, on := range n.genOn {
			if !on {
				continue
			}
			switch {
			case n.qg[g] > n.qmax[g]+qViolation:
				mx = append(mx, g)
			case n.qg[g] < n.qmin[g]-qViolation:
				mn = append(mn, g)
			}
		}
		if len(mx) == 0 && len(mn) == 0 {
			break
		}
		both := append(slices.Clone(mx), mn...)
		slices.Sort(both)
		var remaining []int
		for g, on := range n.genOn {
			if on && (n.typ[n.genBus[g]] == PV || n.typ[n.genBus[g]] == Ref) {
				remaining = append(remaining, g)
			}
		}
		if slices.Equal(both, remaining) && (len(mx) == 0 || len(mn) == 0) {
			return nil, &ConvergenceError{Case: c.Name, Iterations: s.iters,
				Reason: fmt.Sprintf("all %d remaining generators at PV and reference buses exceed their Q limits (infeasible with Q limits enforced)", len(both))}
		}
		for _, g := range mx {
			n.qg[g] = n.qmax[g]
		}
		for _, g := range mn {
			n.qg[g] = n.qmin[g]
		}
		for _, g := range both {
			if len(ref) > 1 && n.typ[n.genBus[g]] == Ref {
				return nil, &ConvergenceError{Case: c.Name, Iterations: s.iters,
					Reason: "cannot enforce Q limits at a reference bus in a system with several reference buses"}
			}
			n.typ[n.genBus[g]] = PQ
			if !limitedSet[g] {
				limitedSet[g] = true
				limited = append(limited, g)
			}
		}
		oldRef := ref
		ref, pv, pq = n.busTypes()
		if len(ref) == 0 {
			return nil, &ConvergenceError{Case: c.Name, Iterations: s.iters, Reason: "no PV bus is left to serve as reference after Q-limit enforcement"}
		}
		if !slices.Equal(ref, oldRef) {
			for _, r := range ref {
				n.typ[r] = Ref
			}
		}
		sb = n.sbus()
	}
	if s.opt.EnforceQLimits && ref[0] != ref0 {
		// Shift angles so that the original reference keeps its angle.
		d := vaRef0 - cmplx.Phase(v[ref0])
		for i := range v {
			v[i] = cmplx.Rect(cmplx.Abs(v[i]), cmplx.Phase(v[i])+d)
		}
	}
	r := newResult(c, "ac")
	r.QLimits = s.opt.EnforceQLimits
	r.Iterations = s.iters
	r.Mismatch = s.lastMis
	r.Limited = limited
	for i := range nb {
		b := &r.Bus[n.busRow[i]]
		b.Type = n.typ[i]
		b.Vm = cmplx.Abs(v[i])
		b.Va = rad2deg(cmplx.Phase(v[i]))
	}
	for g, on := range n.genOn {
		if on {
			r.Gen[g].Pg, r.Gen[g].Qg = n.pg[g], n.qg[g]
		}
	}
	base := complex(n.baseMVA, 0)
	for k := range n.f {
		vf, vt := v[n.f[k]], v[n.t[k]]
		sf := vf * cmplx.Conj(n.yff[k]*vf+n.yft[k]*vt) * base
		st := vt * cmplx.Conj(n.ytf[k]*vf+n.ytt[k]*vt) * base
		b := &r.Branch[n.brRow[k]]
		b.PF, b.QF, b.PT, b.QT = real(sf), imag(sf), real(st), imag(st)
	}
	return r, nil
}

// buildPattern lays out the Jacobian for the given bus sets: unknowns and
// equations are [Va(pv); Va(pq); Vm(pq)] and [P(pv); P(pq); Q(pq)].
func (s *acSolver) buildPattern(pv, pq []int) error {
	key := append(append(slices.Clone(pv), -1), pq...)
	if s.jac != nil && slices.Equal(key, s.patKey) {
		return nil
	}
	s.patKey = key
	nb := s.n.nb
	s.rowP = make([]int, nb)
	s.rowQ = make([]int, nb)
	for i := range nb {
		s.rowP[i], s.rowQ[i] = -1, -1
	}
	npv, npq := len(pv), len(pq)
	for k, i := range pv {
		s.rowP[i] = k
	}
	for k, i := range pq {
		s.rowP[i] = npv + k
		s.rowQ[i] = npv + npq + k
	}
	m := npv + 2*npq
	y := s.y
	// Ybus is structurally symmetric: tpos[p] is the position of the
	// transpose of entry p, so that row k lists the entries (i, k) of
	// column k.
	tpos := make([]int, len(y.col))
	next := slices.Clone(y.rowPtr[:nb])
	for i := range nb {
		for p := y.rowPtr[i]; p < y.rowPtr[i+1]; p++ {
			k := y.col[p]
			tpos[p] = next[k]
			next[k]++
		}
	}
	// Build the Jacobian column by column: the column of Va(k) or Vm(k)
	// has the rows P(i), Q(i) of the buses i adjacent to k.
	colBus := make([]int, 0, m)
	colBus = append(append(append(colBus, pv...), pq...), pq...)
	jac := &sparselu.Matrix{N: m, ColPtr: make([]int, m+1)}
	jac.RowIdx = make([]int, 0, 4*len(y.col))
	s.jpos = make([]int, 4*len(y.col))
	for i := range s.jpos {
		s.jpos[i] = -1
	}
	type ent struct{ row, slot int }
	var buf []ent
	for c, k := range colBus {
		vm := 0 // 0 for a Va column, 1 for a Vm column
		if c >= npv+npq {
			vm = 1
		}
		buf = buf[:0]
		for p := y.rowPtr[k]; p < y.rowPtr[k+1]; p++ {
			i, py := y.col[p], tpos[p] // entry (i, k) of Ybus
			if r := s.rowP[i]; r >= 0 {
				buf = append(buf, ent{r, 4*py + vm})
			}
			if r := s.rowQ[i]; r >= 0 {
				buf = append(buf, ent{r, 4*py + 2 + vm})
			}
		}
		for a := 1; a < len(buf); a++ {
			for b := a; b > 0 && buf[b].row < buf[b-1].row; b-- {
				buf[b], buf[b-1] = buf[b-1], buf[b]
			}
		}
		for _, e := range buf {
			s.jpos[e.slot] = len(jac.RowIdx)
			jac.RowIdx = append(jac.RowIdx, e.row)
		}
		jac.ColPtr[c+1] = len(jac.RowIdx)
	}
	jac.Val = make([]float64, len(jac.RowIdx))
	s.jac = jac
	// Order the buses by minimum degree on the pattern of Ybus (half the
	// size of the Jacobian's graph, same structure) and keep the unknowns
	// of a bus together.
	if s.busOrder == nil {
		s.busOrder = sparselu.MinDegree(&sparselu.Matrix{N: nb, ColPtr: y.rowPtr, RowIdx: y.col})
	}
	q := make([]int, 0, m)
	for _, b := range s.busOrder {
		if s.rowP[b] >= 0 {
			q = append(q, s.rowP[b])
		}
		if s.rowQ[b] >= 0 {
			q = append(q, s.rowQ[b])
		}
	}
	s.lin.SetOrdering(q)
	return nil
}

// mismatch computes I = Y·V and the mismatch vector F, returning its
// infinity norm.
func (s *acSolver) mismatch(v, sb []complex128, pv, pq []int) float64 {
	s.y.mulVec(s.ibus, v)
	norm := 0.0
	npv, npq := len(pv), len(pq)
	for k, i := range pv {
		d := real(v[i]*cmplx.Conj(s.ibus[i]) - sb[i])
		s.mis[k] = d
		norm = max(norm, math.Abs(d))
		if math.IsNaN(d) {
			norm = math.NaN()
		}
	}
	for k, i := range pq {
		d := v[i]*cmplx.Conj(s.ibus[i]) - sb[i]
		s.mis[npv+k] = real(d)
		s.mis[npv+npq+k] = imag(d)
		norm = max(norm, math.Abs(real(d)), math.Abs(imag(d)))
		if cmplx.IsNaN(d) {
			norm = math.NaN()
		}
	}
	return norm
}

// fillJacobian writes the Jacobian values at voltage v (MATPOWER's
// dSbus_dV in polar form) into s.jac.
func (s *acSolver) fillJacobian(v []complex128) {
	y, val := s.y, s.jac.Val
	for i := range s.n.nb {
		vi := v[i]
		vmi := cmplx.Abs(vi)
		for p := y.rowPtr[i]; p < y.rowPtr[i+1]; p++ {
			k := y.col[p]
			yv := y.val[p] * v[k]
			var dva, dvm complex128
			if k == i {
				ii := s.ibus[i]
				dva = complex(0, 1) * vi * cmplx.Conj(ii-yv)
				dvm = vi*cmplx.Conj(yv/complex(vmi, 0)) + cmplx.Conj(ii)*vi/complex(vmi, 0)
			} else {
				dva = complex(0, -1) * vi * cmplx.Conj(yv)
				dvm = vi * cmplx.Conj(yv/complex(cmplx.Abs(v[k]), 0))
			}
			if q := s.jpos[4*p]; q >= 0 {
				val[q] = real(dva)
			}
			if q := s.jpos[4*p+1]; q >= 0 {
				val[q] = real(dvm)
			}
			if q := s.jpos[4*p+2]; q >= 0 {
				val[q] = imag(dva)
			}
			if q := s.jpos[4*p+3]; q >= 0 {
				val[q] = imag(dvm)
			}
		}
	}
}

// newton solves the power flow equations from the starting voltage v
// (updated in place), as MATPOWER's newtonpf.
func (s *acSolver) newton(v, sb []complex128, pv, pq []int) error {
	n := s.n
	if err := s.buildPattern(pv, pq); err != nil {
		return err
	}
	m := s.jac.N
	if len(s.ibus) != n.nb {
		s.ibus = make([]complex128, n.nb)
	}
	s.mis = make([]float64, m)
	dx := make([]float64, m)
	vm := make([]float64, n.nb)
	va := make([]float64, n.nb)
	for i := range v {
		vm[i], va[i] = cmplx.Abs(v[i]), cmplx.Phase(v[i])
	}
	tol := s.opt.tol()
	normF := s.mismatch(v, sb, pv, pq)
	s.lastMis = normF
	if normF < tol {
		return nil
	}
	npv, npq := len(pv), len(pq)
	for it := 1; it <= s.opt.maxIter(); it++ {
		s.iters++
		s.fillJacobian(v)
		if err := s.lin.Factor(s.jac); err != nil {
			if errors.Is(err, sparselu.ErrSingular) {
				return &ConvergenceError{Case: n.c.Name, Iterations: s.iters, Mismatch: normF,
					Reason: fmt.Sprintf("the Jacobian is singular at iteration %d (voltage collapse or a badly conditioned network)", it)}
			}
			return fmt.Errorf("newton iteration %d: %w", it, err)
		}
		for k := range m {
			dx[k] = -s.mis[k]
		}
		s.lin.Solve(dx)
		for k, i := range pv {
			va[i] += dx[k]
		}
		for k, i := range pq {
			va[i] += dx[npv+k]
			vm[i] += dx[npv+npq+k]
		}
		for i := range v {
			v[i] = cmplx.Rect(vm[i], va[i])
			vm[i], va[i] = cmplx.Abs(v[i]), cmplx.Phase(v[i])
		}
		normF = s.mismatch(v, sb, pv, pq)
		s.lastMis = normF
		if math.IsNaN(normF) {
			break
		}
		if normF < tol {
			return nil
		}
	}
	return &ConvergenceError{Case: n.c.Name, Iterations: s.iters, Mismatch: normF}
}

// pfsoln updates generator outputs from the solved voltages, as MATPOWER's
// pfsoln: Qg of in-service generators at PV and reference buses (shared
// in proportion to Q ranges when a bus has several), and Pg of the first
// generator at each reference bus.
func (s *acSolver) pfsoln(v []complex128, ref []int) {
	n := s.n
	s.y.mulVec(s.ibus, v)
	base := n.baseMVA
	var on []int
	for g, ok := range n.genOn {
		if ok && n.typ[n.genBus[g]] != PQ {
			on = append(on, g)
		}
	}
	sg := func(b int) complex128 { return v[b] * cmplx.Conj(s.ibus[b]) }
	// Group the generators by bus.
	byBus := map[int][]int{}
	for _, g := range on {
		byBus[n.genBus[g]] = append(byBus[n.genBus[g]], g)
	}
	for b, gens := range byBus {
		qtot := imag(sg(b))*base + n.qd[b]
		if len(gens) == 1 {
			n.qg[gens[0]] = qtot
			continue
		}
		splitQ(n, gens, qtot)
	}
	for _, rb := range ref {
		gens := byBus[rb]
		if len(gens) == 0 {
			continue
		}
		p := real(sg(rb))*base + n.pd[rb]
		for _, g := range gens[1:] {
			p -= n.pg[g]
		}
		n.pg[gens[0]] = p
	}
}

// splitQ shares the total Qg of a bus among its generators in proportion
// to their reactive ranges, with MATPOWER's finite proxy for infinite
// limits.
func splitQ(n *network, gens []int, qtot float64) {
	ng := float64(len(gens))
	each := qtot / ng
	m := 0.0
	for _, g := range gens {
		m += math.Abs(each)
		if !math.IsInf(n.qmax[g], 0) {
			m += math.Abs(n.qmax[g])
		}
		if !math.IsInf(n.qmin[g], 0) {
			m += math.Abs(n.qmin[g])
		}
	}
	proxy := func(q float64) float64 {
		switch {
		case math.IsInf(q, 1):
			return m
		case math.IsInf(q, -1):
			return -m
		}
		return q
	}
	qmin := make([]float64, len(gens))
	qmax := make([]float64, len(gens))
	sumMin, sumMax := 0.0, 0.0
	for k, g := range gens {
		qmin[k], qmax[k] = proxy(n.qmin[g]), proxy(n.qmax[g])
		sumMin += qmin[k]
		sumMax += qmax[k]
	}
	if math.Abs(sumMin-sumMax) < 10*epsilon {
		for k, g := range gens {
			n.qg[g] = qmin[k] + (qtot-sumMin)/ng
		}
		return
	}
	frac := (qtot - sumMin) / (sumMax - sumMin + epsilon)
	for k, g := range gens {
		n.qg[g] = qmin[k] + frac*(qmax[k]-qmin[k])
	}
}

// epsilon is MATLAB's eps, the spacing of float64 at 1.
const epsilon = 2.220446049250313e-16
