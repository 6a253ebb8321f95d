package grid

import (
	"fmt"
	"math"
	"math/cmplx"
	"slices"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
)

// network is a case in internal indexing, as MATPOWER's ext2int builds it:
// isolated buses (type 4), out-of-service generators and branches, and
// elements at isolated buses are left out; buses are numbered 0..nb-1 in
// case order.
type network struct {
	c       *Case
	baseMVA float64
	nb      int
	busRow  []int // internal bus → case bus row
	busInt  []int // case bus row → internal bus, -1 when isolated
	typ     []int // bus type, changed by Q-limit enforcement
	pd, qd  []float64
	gs, bs  []float64
	vm0     []float64
	va0     []float64 // radians

	// Generators: every case row, with genOn false when out of service
	// or at an isolated bus.
	genOn          []bool
	genBus         []int // internal bus, -1 when at an isolated bus
	pg, qg         []float64
	qmax, qmin, vg []float64

	// Branches in service (brRow maps to the case row).
	brRow              []int
	f, t               []int
	yff, yft, ytf, ytt []complex128
	brOn               []bool // per case row
}

func newNetwork(c *Case) (*network, error) {
	if c.BaseMVA <= 0 {
		return nil, diag.Errorf("case %s: baseMVA must be positive", c.Name)
	}
	n := &network{c: c, baseMVA: c.BaseMVA, busInt: make([]int, len(c.Bus))}
	id2row := make(map[int]int, len(c.Bus))
	for r, b := range c.Bus {
		id2row[b.ID] = r
		if b.Type == Isolated {
			n.busInt[r] = -1
			continue
		}
		n.busInt[r] = len(n.busRow)
		n.busRow = append(n.busRow, r)
		n.typ = append(n.typ, b.Type)
		n.pd = append(n.pd, b.Pd)
		n.qd = append(n.qd, b.Qd)
		n.gs = append(n.gs, b.Gs)
		n.bs = append(n.bs, b.Bs)
		n.vm0 = append(n.vm0, b.Vm)
		n.va0 = append(n.va0, b.Va*math.Pi/180)
	}
	n.nb = len(n.busRow)
	if n.nb == 0 {
		return nil, diag.Errorf("case %s has no connected buses (every bus is isolated, type 4)", c.Name)
	}
	intBus := func(id int) (int, error) {
		r, ok := id2row[id]
		if !ok {
			return -1, diag.Errorf("case %s: bus %d is not in the bus table", c.Name, id)
		}
		return n.busInt[r], nil
	}
	for _, g := range c.Gen {
		b, err := intBus(g.Bus)
		if err != nil {
			return nil, err
		}
		n.genBus = append(n.genBus, b)
		n.genOn = append(n.genOn, g.On() && b >= 0)
		n.pg = append(n.pg, g.Pg)
		n.qg = append(n.qg, g.Qg)
		n.qmax = append(n.qmax, g.Qmax)
		n.qmin = append(n.qmin, g.Qmin)
		n.vg = append(n.vg, g.Vg)
	}
	n.brOn = make([]bool, len(c.Branch))
	for r, br := range c.Branch {
		f, err := intBus(br.From)
		if err != nil {
			return nil, err
		}
		t, err := intBus(br.To)
		if err != nil {
			return nil, err
		}
		if !br.On() || f < 0 || t < 0 {
			continue
		}
		if br.R == 0 && br.X == 0 {
			return nil, &diag.Diagnostic{Line: br.Line, Field: fmt.Sprintf("branch %d (%d-%d)", r+1, br.From, br.To), Msg: "in-service branch has zero impedance"}
		}
		n.brOn[r] = true
		n.brRow = append(n.brRow, r)
		n.f = append(n.f, f)
		n.t = append(n.t, t)
		ys := 1 / complex(br.R, br.X)
		ytt := ys + complex(0, br.B/2)
		tap := complex(1, 0)
		if br.Ratio != 0 {
			tap = complex(br.Ratio, 0)
		}
		tap *= cmplx.Rect(1, br.Angle*math.Pi/180)
		n.ytt = append(n.ytt, ytt)
		n.yff = append(n.yff, ytt/(tap*cmplx.Conj(tap)))
		n.yft = append(n.yft, -ys/cmplx.Conj(tap))
		n.ytf = append(n.ytf, -ys/tap)
	}
	return n, nil
}

// busTypes returns the reference, PV and PQ buses as MATPOWER's bustypes
// does: a bus is PV or reference only with an in-service generator; when
// no reference bus remains the first PV bus becomes the reference.
func (n *network) busTypes() (ref, pv, pq []int) {
	hasGen := make([]bool, n.nb)
	for g, on := range n.genOn {
		if on {
			hasGen[n.genBus[g]] = true
		}
	}
	for i := range n.nb {
		switch {
		case n.typ[i] == Ref && hasGen[i]:
			ref = append(ref, i)
		case n.typ[i] == PV && hasGen[i]:
			pv = append(pv, i)
		default:
			pq = append(pq, i)
		}
	}
	if len(ref) == 0 && len(pv) > 0 {
		ref, pv = pv[:1], pv[1:]
	}
	return ref, pv, pq
}

// checkedBusTypes is busTypes for a fresh solve: it also reports a network
// without a reference bus, or with an island that has none.
func (n *network) checkedBusTypes() (ref, pv, pq []int, err error) {
	ref, pv, pq = n.busTypes()
	if len(ref) == 0 {
		return nil, nil, nil, &ConvergenceError{Case: n.c.Name, Reason: "no reference bus: no type-3 or type-2 bus has an in-service generator"}
	}
	if err := n.checkIslands(ref); err != nil {
		return nil, nil, nil, err
	}
	return ref, pv, pq, nil
}

// components joins the buses over every in-service branch but skip (-1
// for none) and returns the root of each bus's component and the number
// of components.
func (n *network) components(skip int) (find func(int) int, count int) {
	parent := make([]int, n.nb)
	for i := range parent {
		parent[i] = i
	}
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	count = n.nb
	for k := range n.f {
		if k == skip {
			continue
		}
		if a, b := find(n.f[k]), find(n.t[k]); a != b {
			parent[a] = b
			count--
		}
	}
	return find, count
}

// islands labels the connected components of the in-service network and
// returns, for each, its buses in index order; islands come in the order
// of their first bus.
func (n *network) islands() [][]int {
	find, _ := n.components(-1)
	idx := map[int]int{}
	var out [][]int
	for i := range n.nb {
		r := find(i)
		k, ok := idx[r]
		if !ok {
			k = len(out)
			idx[r] = k
			out = append(out, nil)
		}
		out[k] = append(out[k], i)
	}
	return out
}

// checkIslands reports islands that have no reference bus, which make the
// power flow singular.
func (n *network) checkIslands(ref []int) error {
	isRef := make([]bool, n.nb)
	for _, r := range ref {
		isRef[r] = true
	}
	var errs []string
	for _, isl := range n.islands() {
		if slices.ContainsFunc(isl, func(i int) bool { return isRef[i] }) {
			continue
		}
		ids := make([]string, 0, 8)
		for k, i := range isl {
			if k == 8 {
				ids = append(ids, fmt.Sprintf("… (%d buses)", len(isl)))
				break
			}
			ids = append(ids, fmt.Sprint(n.c.Bus[n.busRow[i]].ID))
		}
		errs = append(errs, fmt.Sprintf("buses %s form an island without a reference bus", strings.Join(ids, ", ")))
	}
	if len(errs) > 0 {
		return diag.Errorf("case %s: %s (give each island a type-3 bus with an in-service generator, connect it, or mark its buses isolated, type 4)", n.c.Name, strings.Join(errs, "; "))
	}
	return nil
}

// csrC is a complex sparse matrix in compressed sparse row form.
type csrC struct {
	n      int
	rowPtr []int
	col    []int
	val    []complex128
	diag   []int // position of the diagonal entry of each row
}

// makeYbus builds the bus admittance matrix, with every diagonal entry
// present (MATPOWER's makeYbus).
func (n *network) makeYbus() *csrC {
	nb := n.nb
	y := &csrC{n: nb, rowPtr: make([]int, nb+1), diag: make([]int, nb)}
	// Count entries per row (with duplicates), fill, then sort and merge
	// each short row.
	for i := range nb {
		y.rowPtr[i+1] = 1
	}
	for k := range n.f {
		y.rowPtr[n.f[k]+1] += 2
		y.rowPtr[n.t[k]+1] += 2
	}
	for i := range nb {
		y.rowPtr[i+1] += y.rowPtr[i]
	}
	col := make([]int, y.rowPtr[nb])
	val := make([]complex128, y.rowPtr[nb])
	fill := make([]int, nb)
	copy(fill, y.rowPtr[:nb])
	put := func(i, j int, v complex128) {
		col[fill[i]], val[fill[i]] = j, v
		fill[i]++
	}
	for i := range nb {
		put(i, i, complex(n.gs[i], n.bs[i])/complex(n.baseMVA, 0))
	}
	for k := range n.f {
		f, t := n.f[k], n.t[k]
		put(f, f, n.yff[k])
		put(f, t, n.yft[k])
		put(t, f, n.ytf[k])
		put(t, t, n.ytt[k])
	}
	y.col = make([]int, 0, len(col))
	y.val = make([]complex128, 0, len(col))
	start := 0
	for i := range nb {
		lo, hi := y.rowPtr[i], y.rowPtr[i+1]
		c, v := col[lo:hi], val[lo:hi]
		for a := 1; a < len(c); a++ {
			for b := a; b > 0 && c[b] < c[b-1]; b-- {
				c[b], c[b-1] = c[b-1], c[b]
				v[b], v[b-1] = v[b-1], v[b]
			}
		}
		for a := range c {
			if a > 0 && c[a] == c[a-1] {
				y.val[len(y.val)-1] += v[a]
				continue
			}
			if c[a] == i {
				y.diag[i] = len(y.col)
			}
			y.col = append(y.col, c[a])
			y.val = append(y.val, v[a])
		}
		y.rowPtr[i] = start
		start = len(y.col)
	}
	y.rowPtr[nb] = start
	return y
}

// mulVec sets out = Y·v.
func (y *csrC) mulVec(out, v []complex128) {
	for i := range y.n {
		var s complex128
		for p := y.rowPtr[i]; p < y.rowPtr[i+1]; p++ {
			s += y.val[p] * v[y.col[p]]
		}
		out[i] = s
	}
}

// sbus returns the complex bus injections (generation − load) in pu,
// MATPOWER's makeSbus with constant-power loads.
func (n *network) sbus() []complex128 {
	s := make([]complex128, n.nb)
	for i := range n.nb {
		s[i] = -complex(n.pd[i], n.qd[i])
	}
	for g, on := range n.genOn {
		if on {
			s[n.genBus[g]] += complex(n.pg[g], n.qg[g])
		}
	}
	for i := range s {
		s[i] /= complex(n.baseMVA, 0)
	}
	return s
}
