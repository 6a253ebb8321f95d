package sparse

import (
	"errors"
	"fmt"
	"math"
)

// IC0 is an incomplete Cholesky factor with no fill, L·Lᵀ ≈ A, restricted
// to the pattern of A's lower triangle: a cheap preconditioner for the
// conjugate gradient method on large systems.
type IC0 struct {
	n      int
	rowPtr []int // strictly lower part of L by rows
	col    []int
	val    []float64
	diag   []float64
	// column view of the same entries, for the backward solve
	colPtr []int
	colRow []int
	colPos []int
}

// NewIC0 computes the IC(0) factor of the symmetric positive definite m.
// It fails when a pivot is not positive (IC(0) exists for M-matrices such
// as the hydraulic and DC power-flow matrices, not for every SPD matrix).
func NewIC0(m *CSR) (*IC0, error) {
	n := m.N
	f := &IC0{n: n, rowPtr: make([]int, n+1), diag: make([]float64, n)}
	for i := 0; i < n; i++ {
		for p := m.RowPtr[i]; p < m.RowPtr[i+1]; p++ {
			if j := m.Col[p]; j < i {
				f.col = append(f.col, j)
				f.val = append(f.val, m.Val[p])
			}
		}
		f.rowPtr[i+1] = len(f.col)
	}
	// pos[j] = position of L[i,j] in row i while row i is processed.
	pos := make([]int, n)
	for i := range pos {
		pos[i] = -1
	}
	for i := 0; i < n; i++ {
		lo, hi := f.rowPtr[i], f.rowPtr[i+1]
		for p := lo; p < hi; p++ {
			pos[f.col[p]] = p
		}
		d := m.At(i, i)
		for p := lo; p < hi; p++ {
			k := f.col[p]
			// L[i,k] = (A[i,k] - Σ_{j<k} L[i,j]·L[k,j]) / L[k,k]
			s := f.val[p]
			for q := f.rowPtr[k]; q < f.rowPtr[k+1]; q++ {
				if r := pos[f.col[q]]; r >= 0 && r < p {
					s -= f.val[r] * f.val[q]
				}
			}
			f.val[p] = s / f.diag[k]
			d -= f.val[p] * f.val[p]
		}
		for p := lo; p < hi; p++ {
			pos[f.col[p]] = -1
		}
		if d <= 0 || math.IsNaN(d) {
			return nil, &NotPositiveDefiniteError{Row: i, Pivot: d}
		}
		f.diag[i] = math.Sqrt(d)
	}
	// Column view.
	f.colPtr = make([]int, n+1)
	for _, j := range f.col {
		f.colPtr[j+1]++
	}
	for j := 0; j < n; j++ {
		f.colPtr[j+1] += f.colPtr[j]
	}
	f.colRow = make([]int, len(f.col))
	f.colPos = make([]int, len(f.col))
	next := append([]int(nil), f.colPtr[:n]...)
	for i := 0; i < n; i++ {
		for p := f.rowPtr[i]; p < f.rowPtr[i+1]; p++ {
			j := f.col[p]
			f.colRow[next[j]] = i
			f.colPos[next[j]] = p
			next[j]++
		}
	}
	return f, nil
}

// Apply sets z = (L·Lᵀ)⁻¹·r.
func (f *IC0) Apply(r, z []float64) {
	for i := 0; i < f.n; i++ {
		s := r[i]
		for p := f.rowPtr[i]; p < f.rowPtr[i+1]; p++ {
			s -= f.val[p] * z[f.col[p]]
		}
		z[i] = s / f.diag[i]
	}
	for i := f.n - 1; i >= 0; i-- {
		s := z[i]
		for q := f.colPtr[i]; q < f.colPtr[i+1]; q++ {
			s -= f.val[f.colPos[q]] * z[f.colRow[q]]
		}
		z[i] = s / f.diag[i]
	}
}

// ErrNoConvergence reports that the conjugate gradient method did not
// reach the tolerance within the iteration limit.
var ErrNoConvergence = errors.New("sparse: conjugate gradient did not converge")

// SolvePCG solves m·x = b by the conjugate gradient method preconditioned
// with pre (nil for none), starting from the x given, until the residual
// norm falls below tol·‖b‖. It returns the iterations used.
func SolvePCG(m *CSR, pre *IC0, b, x []float64, tol float64, maxIter int) (int, error) {
	n := m.N
	if len(b) != n || len(x) != n {
		return 0, fmt.Errorf("sparse: vectors of length %d and %d for a %d×%d matrix", len(b), len(x), n, n)
	}
	r := make([]float64, n)
	z := make([]float64, n)
	p := make([]float64, n)
	q := make([]float64, n)
	m.MulVec(x, r)
	bnorm := 0.0
	for i := range r {
		r[i] = b[i] - r[i]
		bnorm += b[i] * b[i]
	}
	bnorm = math.Sqrt(bnorm)
	if bnorm == 0 {
		bnorm = 1
	}
	precond := func() {
		if pre != nil {
			pre.Apply(r, z)
		} else {
			copy(z, r)
		}
	}
	precond()
	copy(p, z)
	rz := dot(r, z)
	for it := 1; it <= maxIter; it++ {
		if math.Sqrt(dot(r, r)) <= tol*bnorm {
			return it - 1, nil
		}
		m.MulVec(p, q)
		pq := dot(p, q)
		if pq <= 0 {
			return it, fmt.Errorf("sparse: matrix not positive definite (pᵀAp = %g)", pq)
		}
		alpha := rz / pq
		for i := range x {
			x[i] += alpha * p[i]
			r[i] -= alpha * q[i]
		}
		precond()
		rz2 := dot(r, z)
		beta := rz2 / rz
		rz = rz2
		for i := range p {
			p[i] = z[i] + beta*p[i]
		}
	}
	if math.Sqrt(dot(r, r)) <= tol*bnorm {
		return maxIter, nil
	}
	return maxIter, ErrNoConvergence
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}
