package grid

import (
	"errors"
	"fmt"

	"github.com/citadel-city/citadel/internal/physics/grid/sparselu"
)

// SolveDC runs a DC power flow with MATPOWER's conventions (rundcpf):
// B from 1/(x·tap), phase shifters as injections, bus shunt conductance as
// load, the reference angle from the case and the slack taken by the first
// in-service generator at each reference bus.
func SolveDC(c *Case, _ Options) (*Result, error) {
	n, err := newNetwork(c)
	if err != nil {
		return nil, err
	}
	ref, pv, pq, err := n.checkedBusTypes()
	if err != nil {
		return nil, err
	}
	nb := n.nb
	// B matrix, Pbusinj and Pfinj.
	nl := len(n.f)
	bl := make([]float64, nl)
	pfinj := make([]float64, nl)
	pbus := make([]float64, nb)
	for k := range nl {
		br := &c.Branch[n.brRow[k]]
		tap := 1.0
		if br.Ratio != 0 {
			tap = br.Ratio
		}
		bl[k] = 1 / (br.X * tap)
		pfinj[k] = bl[k] * (-br.Angle * 3.141592653589793 / 180)
		pbus[n.f[k]] -= pfinj[k]
		pbus[n.t[k]] += pfinj[k]
	}
	s := n.sbus()
	for i := range nb {
		pbus[i] += real(s[i]) - n.gs[i]/n.baseMVA
	}
	// Bbus as triplets over all buses.
	var rows, cols []int
	var vals []float64
	for k := range nl {
		f, t, b := n.f[k], n.t[k], bl[k]
		rows = append(rows, f, f, t, t)
		cols = append(cols, f, t, f, t)
		vals = append(vals, b, -b, -b, b)
	}
	va := make([]float64, nb)
	copy(va, n.va0)
	// Reduced system on the PV and PQ buses.
	pos := make([]int, nb)
	for i := range pos {
		pos[i] = -1
	}
	m := 0
	for _, list := range [][]int{pv, pq} {
		for _, i := range list {
			pos[i] = m
			m++
		}
	}
	isRef := make([]bool, nb)
	for _, r := range ref {
		isRef[r] = true
	}
	rhs := make([]float64, m)
	for i := range nb {
		if pos[i] >= 0 {
			rhs[pos[i]] = pbus[i]
		}
	}
	var rr, rc []int
	var rv []float64
	for k := range rows {
		i, j := rows[k], cols[k]
		switch {
		case pos[i] >= 0 && pos[j] >= 0:
			rr, rc, rv = append(rr, pos[i]), append(rc, pos[j]), append(rv, vals[k])
		case pos[i] >= 0 && isRef[j]:
			rhs[pos[i]] -= vals[k] * va[j]
		}
	}
	if m > 0 {
		// Keep every diagonal in the pattern, even for buses without branches.
		for i := range m {
			rr, rc, rv = append(rr, i), append(rc, i), append(rv, 0)
		}
		a, err := sparselu.FromTriplets(m, rr, rc, rv)
		if err != nil {
			return nil, fmt.Errorf("dc power flow: %w", err)
		}
		lu, err := sparselu.Factor(a, nil, 0)
		if err != nil {
			if errors.Is(err, sparselu.ErrSingular) {
				return nil, &ConvergenceError{Case: c.Name, Reason: "the DC susceptance matrix is singular (a bus or island is not connected to a reference bus)"}
			}
			return nil, fmt.Errorf("dc power flow: %w", err)
		}
		lu.Solve(rhs, nil)
		for i := range nb {
			if pos[i] >= 0 {
				va[i] = rhs[pos[i]]
			}
		}
	}
	r := newResult(c, "dc")
	r.Iterations = 1
	for i := range nb {
		br := &r.Bus[n.busRow[i]]
		br.Vm, br.Va = 1, rad2deg(va[i])
	}
	for g := range c.Gen {
		if n.genOn[g] {
			r.Gen[g].Pg = c.Gen[g].Pg
		}
	}
	// Slack: the first in-service generator at each reference bus takes
	// the mismatch B(ref,:)·Va − Pbus(ref).
	for _, rb := range ref {
		inj := 0.0
		for k := range rows {
			if rows[k] == rb {
				inj += vals[k] * va[cols[k]]
			}
		}
		for g := range c.Gen {
			if n.genOn[g] && n.genBus[g] == rb {
				r.Gen[g].Pg += (inj - pbus[rb]) * n.baseMVA
				break
			}
		}
	}
	for k := range nl {
		pf := (bl[k]*(va[n.f[k]]-va[n.t[k]]) + pfinj[k]) * n.baseMVA
		b := &r.Branch[n.brRow[k]]
		b.PF, b.PT = pf, -pf
	}
	return r, nil
}
