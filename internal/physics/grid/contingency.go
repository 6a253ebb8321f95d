package grid

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"slices"
)

// ContingencyOptions configure an N-1 branch contingency analysis.
type ContingencyOptions struct {
	// PF tunes the Newton solves (Q limits are not enforced in
	// contingencies).
	PF Options
	// Rating selects the rating column: "A" (default), "B" or "C".
	Rating string
	// Branches lists the 0-based branch rows to open one at a time; nil
	// means every in-service branch.
	Branches []int
}

// Contingency is the AC power flow after opening one branch.
type Contingency struct {
	Branch     int     `json:"branch"`   // 0-based case row
	Islanded   bool    `json:"islanded"` // the outage splits the network (not solved)
	Converged  bool    `json:"converged"`
	Iterations int     `json:"iterations"`
	MaxLoading float64 `json:"max_loading"` // largest MVA flow / rating
	MostLoaded int     `json:"most_loaded"` // 0-based row of that branch, -1 if none rated
	Overloads  []int   `json:"overloads"`   // 0-based rows above their rating
	MinVm      float64 `json:"min_vm_pu"`
	MinVmBus   int     `json:"min_vm_bus"` // bus ID
}

// ContingencyReport is an N-1 analysis.
type ContingencyReport struct {
	Base *Result `json:"-"`
	// BaseMaxLoading and BaseOverloads describe the intact network, so
	// that overloads already present there are not blamed on outages.
	BaseMaxLoading float64       `json:"base_max_loading"`
	BaseOverloads  []int         `json:"base_overloads"`
	Results        []Contingency `json:"contingencies"`
	// Factorizations and Refactorizations count the sparse LU work: the
	// symbolic analysis and pivot sequence of the base case are reused
	// across contingencies.
	Factorizations   int `json:"factorizations"`
	Refactorizations int `json:"refactorizations"`
}

// Contingencies runs an N-1 analysis: the AC power flow of the base case,
// then, for each branch in turn, the flow with that branch open, started
// from the base solution. Opening a branch only zeroes its admittances, so
// the Jacobian keeps its pattern and every contingency reuses the
// ordering and pivot sequence of the base factorisation (refactorisation
// only). Outages that split the network are reported as islanded and not
// solved.
func Contingencies(c *Case, opt ContingencyOptions) (*ContingencyReport, error) {
	n, err := newNetwork(c)
	if err != nil {
		return nil, err
	}
	opt.PF.EnforceQLimits = false
	s := &acSolver{n: n, opt: opt.PF, y: n.makeYbus()}
	base, err := s.run()
	if err != nil {
		return nil, fmt.Errorf("base case: %w", err)
	}
	_, pv, pq := n.busTypes()
	// Base voltages in internal order.
	v0 := make([]complex128, n.nb)
	for i := range n.nb {
		b := base.Bus[n.busRow[i]]
		v0[i] = cmplx.Rect(b.Vm, b.Va*math.Pi/180)
	}
	sb := n.sbus()
	internal := make([]int, len(c.Branch)) // case row → internal branch, -1 when out
	for i := range internal {
		internal[i] = -1
	}
	for k, r := range n.brRow {
		internal[r] = k
	}
	list := opt.Branches
	if list == nil {
		list = slices.Clone(n.brRow)
	}
	_, baseIslands := n.components(-1)
	rep := &ContingencyReport{Base: base}
	for r, br := range base.Branch {
		if rate := c.Branch[r].Rating(opt.Rating); rate > 0 && br.Status != 0 {
			load := math.Max(math.Hypot(br.PF, br.QF), math.Hypot(br.PT, br.QT)) / rate
			rep.BaseMaxLoading = math.Max(rep.BaseMaxLoading, load)
			if load > 1 {
				rep.BaseOverloads = append(rep.BaseOverloads, r)
			}
		}
	}
	v := make([]complex128, n.nb)
	type saved struct {
		pos int
		val complex128
	}
	var undo []saved
	for _, row := range list {
		if row < 0 || row >= len(c.Branch) {
			return nil, fmt.Errorf("contingency branch %d outside 1..%d", row+1, len(c.Branch))
		}
		k := internal[row]
		if k < 0 {
			continue // already out of service
		}
		ct := Contingency{Branch: row, MostLoaded: -1}
		if n.splits(k, baseIslands) {
			ct.Islanded = true
			rep.Results = append(rep.Results, ct)
			continue
		}
		f, t := n.f[k], n.t[k]
		undo = undo[:0]
		for _, e := range [4]struct {
			i, j int
			y    complex128
		}{{f, f, n.yff[k]}, {f, t, n.yft[k]}, {t, f, n.ytf[k]}, {t, t, n.ytt[k]}} {
			p := s.y.find(e.i, e.j)
			undo = append(undo, saved{p, s.y.val[p]})
			s.y.val[p] -= e.y
		}
		copy(v, v0)
		s.iters = 0
		err := s.newton(v, sb, pv, pq)
		for i := len(undo) - 1; i >= 0; i-- {
			s.y.val[undo[i].pos] = undo[i].val
		}
		ct.Iterations = s.iters
		var ce *ConvergenceError
		switch {
		case err == nil:
			ct.Converged = true
		case errors.As(err, &ce):
			rep.Results = append(rep.Results, ct)
			continue
		default:
			return nil, fmt.Errorf("contingency %d: %w", row+1, err)
		}
		ct.MinVm = math.Inf(1)
		for i := range n.nb {
			if vm := cmplx.Abs(v[i]); vm < ct.MinVm {
				ct.MinVm, ct.MinVmBus = vm, c.Bus[n.busRow[i]].ID
			}
		}
		for j := range n.f {
			if j == k {
				continue
			}
			rate := c.Branch[n.brRow[j]].Rating(opt.Rating)
			if rate <= 0 {
				continue
			}
			vf, vt := v[n.f[j]], v[n.t[j]]
			sf := cmplx.Abs(vf*cmplx.Conj(n.yff[j]*vf+n.yft[j]*vt)) * n.baseMVA
			st := cmplx.Abs(vt*cmplx.Conj(n.ytf[j]*vf+n.ytt[j]*vt)) * n.baseMVA
			load := math.Max(sf, st) / rate
			if load > ct.MaxLoading {
				ct.MaxLoading, ct.MostLoaded = load, n.brRow[j]
			}
			if load > 1 {
				ct.Overloads = append(ct.Overloads, n.brRow[j])
			}
		}
		rep.Results = append(rep.Results, ct)
	}
	rep.Factorizations = s.lin.Factorizations
	rep.Refactorizations = s.lin.Refactorizations
	return rep, nil
}

// splits reports whether removing internal branch k leaves more than
// base islands.
func (n *network) splits(k, base int) bool {
	_, count := n.components(k)
	return count > base
}

// find returns the position of entry (i, j), which must exist.
func (y *csrC) find(i, j int) int {
	for p := y.rowPtr[i]; p < y.rowPtr[i+1]; p++ {
		if y.col[p] == j {
			return p
		}
	}
	panic(fmt.Sprintf("grid: Ybus entry (%d,%d) missing", i, j))
}

// Counts returns how many contingencies split the network, diverge, or
// converge with an overloaded branch.
func (r *ContingencyReport) Counts() (islanded, diverged, overloaded int) {
	for _, c := range r.Results {
		switch {
		case c.Islanded:
			islanded++
		case !c.Converged:
			diverged++
		case len(c.Overloads) > 0:
			overloaded++
		}
	}
	return islanded, diverged, overloaded
}

// Ranked returns the contingencies from the most to the least severe:
// outages whose power flow diverged, then those that split the network,
// then by decreasing maximum loading.
func (r *ContingencyReport) Ranked() []Contingency {
	out := slices.Clone(r.Results)
	severity := func(c Contingency) float64 {
		switch {
		case !c.Islanded && !c.Converged:
			return math.Inf(1)
		case c.Islanded:
			return math.MaxFloat64
		}
		return c.MaxLoading
	}
	slices.SortStableFunc(out, func(a, b Contingency) int {
		sa, sb := severity(a), severity(b)
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	return out
}
