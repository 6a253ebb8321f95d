package sparselu

import (
	"errors"
	"fmt"
	"math"
)

// ErrSingular reports a matrix that is structurally or numerically
// singular: some column has no usable pivot.
var ErrSingular = errors.New("sparselu: matrix is singular")

// ErrUnstable reports that Refactor met a pivot too small for the reused
// pivot sequence; factorise afresh with Factor.
var ErrUnstable = errors.New("sparselu: reused pivot sequence is unstable")

// SingularError says which column (in the ordering given to Factor) has no
// pivot. It matches ErrSingular with errors.Is.
type SingularError struct {
	Col int // original column index of A
}

// Error names the column without a pivot.
func (e *SingularError) Error() string {
	return fmt.Sprintf("sparselu: matrix is singular (no pivot in column %d)", e.Col)
}

// Is makes SingularError match ErrSingular.
func (e *SingularError) Is(target error) bool { return target == ErrSingular }

// DefaultPivotTol is the threshold of partial pivoting: the diagonal entry
// is kept as pivot when its magnitude is at least this fraction of the
// largest candidate in its column.
const DefaultPivotTol = 0.001

// refactorTol is the smallest ratio |pivot|/max|candidate| that Refactor
// accepts before it asks for a fresh factorisation.
const refactorTol = 1e-6

// LU is the factorisation P·A·Q = L·U of a square sparse matrix: Q is the
// column ordering, P the row permutation chosen by pivoting, L unit lower
// triangular and U upper triangular, both stored by columns (the diagonal
// of L first in its column, the diagonal of U last).
type LU struct {
	n      int
	q      []int // column k of the permuted matrix is column q[k] of A
	pinv   []int // row i of A is row pinv[i] of P·A
	lp, li []int
	lx     []float64
	up, ui []int
	ux     []float64
	// Workspace.
	x     []float64
	xi    []int
	stack []int
	mark  []int
	stamp int
}

// Factor computes the LU factorisation of a with the column ordering q
// (nil means MinDegree(a)) and the pivot threshold tol in (0, 1] (0 means
// DefaultPivotTol).
func Factor(a *Matrix, q []int, tol float64) (*LU, error) {
	n := a.N
	if q == nil {
		q = MinDegree(a)
	}
	if len(q) != n {
		return nil, fmt.Errorf("sparselu: ordering has %d entries for %d columns", len(q), n)
	}
	if tol <= 0 || tol > 1 {
		tol = DefaultPivotTol
	}
	f := &LU{
		n: n, q: q, pinv: make([]int, n),
		lp: make([]int, n+1), up: make([]int, n+1),
		x: make([]float64, n), xi: make([]int, n), stack: make([]int, n), mark: make([]int, n),
	}
	nnz := len(a.RowIdx)
	f.li = make([]int, 0, nnz+n)
	f.lx = make([]float64, 0, nnz+n)
	f.ui = make([]int, 0, nnz+n)
	f.ux = make([]float64, 0, nnz+n)
	for i := range f.pinv {
		f.pinv[i] = -1
	}
	x := f.x
	for k := range n {
		f.lp[k] = len(f.li)
		f.up[k] = len(f.ui)
		col := q[k]
		top := f.spsolve(a, col)
		ipiv, amax := -1, -1.0
		for p := top; p < n; p++ {
			i := f.xi[p]
			if f.pinv[i] < 0 {
				if t := math.Abs(x[i]); t > amax {
					amax, ipiv = t, i
				}
			} else {
				f.ui = append(f.ui, f.pinv[i])
				f.ux = append(f.ux, x[i])
			}
		}
		if ipiv < 0 || amax <= 0 || math.IsNaN(amax) || math.IsInf(amax, 0) {
			for p := top; p < n; p++ {
				x[f.xi[p]] = 0
			}
			return nil, &SingularError{Col: col}
		}
		if f.pinv[col] < 0 && math.Abs(x[col]) >= amax*tol {
			ipiv = col
		}
		pivot := x[ipiv]
		f.ui = append(f.ui, k)
		f.ux = append(f.ux, pivot)
		f.pinv[ipiv] = k
		f.li = append(f.li, ipiv)
		f.lx = append(f.lx, 1)
		for p := top; p < n; p++ {
			i := f.xi[p]
			if f.pinv[i] < 0 {
				f.li = append(f.li, i)
				f.lx = append(f.lx, x[i]/pivot)
			}
			x[i] = 0
		}
	}
	f.lp[n] = len(f.li)
	f.up[n] = len(f.ui)
	for p := range f.li {
		f.li[p] = f.pinv[f.li[p]]
	}
	return f, nil
}

// spsolve solves L·x = A[:,col] for the columns of L computed so far, with
// the rows of L still in A's numbering. On return the nonzero pattern of x
// is xi[top:n] in topological order.
func (f *LU) spsolve(a *Matrix, col int) int {
	top := f.reach(a, col)
	x := f.x
	for p := a.ColPtr[col]; p < a.ColPtr[col+1]; p++ {
		x[a.RowIdx[p]] = a.Val[p]
	}
	for px := top; px < f.n; px++ {
		j := f.xi[px]
		jj := f.pinv[j]
		if jj < 0 {
			continue
		}
		xj := x[j] // Completed columns of L have a unit diagonal, stored first.
		for p := f.lp[jj] + 1; p < f.lp[jj+1]; p++ {
			x[f.li[p]] -= f.lx[p] * xj
		}
	}
	return top
}

// reach computes the rows reachable in the graph of L from the pattern of
// A[:,col], by depth-first search, into xi[top:n] in topological order.
func (f *LU) reach(a *Matrix, col int) int {
	f.stamp++
	if f.stamp == math.MaxInt {
		clear(f.mark)
		f.stamp = 1
	}
	top := f.n
	for p := a.ColPtr[col]; p < a.ColPtr[col+1]; p++ {
		if i := a.RowIdx[p]; f.mark[i] != f.stamp {
			top = f.dfs(i, top)
		}
	}
	return top
}

func (f *LU) dfs(j, top int) int {
	xi, stack := f.xi, f.stack
	// xi[0:head+1] is the recursion stack of nodes; stack[] their cursors.
	head := 0
	xi[0] = j
	for head >= 0 {
		j = xi[head]
		jj := f.pinv[j]
		if f.mark[j] != f.stamp {
			f.mark[j] = f.stamp
			if jj < 0 {
				stack[head] = 0
			} else {
				stack[head] = f.lp[jj] + 1
			}
		}
		done := true
		if jj >= 0 {
			for p := stack[head]; p < f.lp[jj+1]; p++ {
				i := f.li[p]
				if f.mark[i] == f.stamp {
					continue
				}
				stack[head] = p + 1
				head++
				xi[head] = i
				done = false
				break
			}
		}
		if done {
			head--
			top--
			xi[top] = j
		}
	}
	return top
}

// Refactor recomputes the factorisation for a matrix with the same pattern
// as the one given to Factor but new values, reusing the ordering, the
// pivot sequence and the patterns of L and U. It returns ErrUnstable when a
// pivot became too small (relative to its column) or zero; the factors are
// then invalid and the caller should use Factor.
func (f *LU) Refactor(a *Matrix) error {
	n := f.n
	if a.N != n {
		return fmt.Errorf("sparselu: refactor of a %d×%d matrix with a %d×%d factorisation", a.N, a.N, n, n)
	}
	x := f.x
	for k := range n {
		col := f.q[k]
		for p := a.ColPtr[col]; p < a.ColPtr[col+1]; p++ {
			x[f.pinv[a.RowIdx[p]]] = a.Val[p]
		}
		uend := f.up[k+1] - 1
		for p := f.up[k]; p < uend; p++ {
			j := f.ui[p]
			xj := x[j]
			f.ux[p] = xj
			x[j] = 0
			for q := f.lp[j] + 1; q < f.lp[j+1]; q++ {
				x[f.li[q]] -= f.lx[q] * xj
			}
		}
		pivot := x[k]
		x[k] = 0
		amax := math.Abs(pivot)
		for q := f.lp[k] + 1; q < f.lp[k+1]; q++ {
			amax = max(amax, math.Abs(x[f.li[q]]))
		}
		if pivot == 0 || math.IsNaN(pivot) || math.Abs(pivot) < refactorTol*amax {
			clear(x)
			return ErrUnstable
		}
		f.ux[uend] = pivot
		for q := f.lp[k] + 1; q < f.lp[k+1]; q++ {
			i := f.li[q]
			f.lx[q] = x[i] / pivot
			x[i] = 0
		}
	}
	return nil
}

// Solve overwrites b with the solution x of A·x = b. work must have length
// at least n (it may be nil, then Solve allocates).
func (f *LU) Solve(b, work []float64) {
	n := f.n
	if len(work) < n {
		work = make([]float64, n)
	}
	w := work[:n]
	for i := range n {
		w[f.pinv[i]] = b[i]
	}
	for j := range n {
		wj := w[j]
		if wj == 0 {
			continue
		}
		for p := f.lp[j] + 1; p < f.lp[j+1]; p++ {
			w[f.li[p]] -= f.lx[p] * wj
		}
	}
	for j := n - 1; j >= 0; j-- {
		d := f.up[j+1] - 1
		w[j] /= f.ux[d]
		wj := w[j]
		if wj == 0 {
			continue
		}
		for p := f.up[j]; p < d; p++ {
			w[f.ui[p]] -= f.ux[p] * wj
		}
	}
	for k := range n {
		b[f.q[k]] = w[k]
	}
}

// NNZ returns the number of entries in L and U, a measure of fill.
func (f *LU) NNZ() (l, u int) { return len(f.li), len(f.ui) }

// Solver factorises a sequence of matrices with the same pattern, such as
// the Jacobians of Newton iterations: the first call analyses and factors,
// later calls refactor and fall back to a fresh factorisation (with the
// same ordering) when the pivot sequence became unstable.
type Solver struct {
	q    []int
	lu   *LU
	work []float64
	// Factorizations and Refactorizations count the work done.
	Factorizations, Refactorizations int
}

// Factor factorises a, reusing the previous analysis and pivot sequence
// when there is one.
func (s *Solver) Factor(a *Matrix) error {
	if s.lu != nil && s.lu.n == a.N {
		if err := s.lu.Refactor(a); err == nil {
			s.Refactorizations++
			return nil
		}
	}
	if s.q == nil || len(s.q) != a.N {
		s.q = MinDegree(a)
	}
	lu, err := Factor(a, s.q, 0)
	if err != nil {
		s.lu = nil
		return err
	}
	s.lu = lu
	s.Factorizations++
	return nil
}

// Solve overwrites b with the solution of A·x = b for the matrix last
// factorised.
func (s *Solver) Solve(b []float64) {
	if len(s.work) < s.lu.n {
		s.work = make([]float64, s.lu.n)
	}
	s.lu.Solve(b, s.work)
}

// SetOrdering fixes the column ordering used by the next fresh
// factorisation (for instance one derived from a smaller graph with the
// same structure) and forgets the current factors.
func (s *Solver) SetOrdering(q []int) { s.q, s.lu = q, nil }

// Reset forgets the analysis, for a matrix with a new pattern.
func (s *Solver) Reset() { s.q, s.lu = nil, nil }

// Stats returns the number of entries in the current L and U factors.
func (s *Solver) Stats() (l, u int) {
	if s.lu == nil {
		return 0, 0
	}
	return s.lu.NNZ()
}
