package sparse

import (
	"fmt"
	"math"
)

// Symbolic is the analysed structure of a sparse symmetric matrix: the
// elimination order and the non-zero pattern of its Cholesky factor L. It is
// computed once per pattern and shared by any number of Factors.
type Symbolic struct {
	n      int
	perm   []int // perm[k] = original index eliminated k-th
	inv    []int // inv[i] = step at which original index i is eliminated
	colPtr []int // strictly lower part of L, by column (new indices)
	rowIdx []int
	// row structure of L: for row j, the columns k < j with L[j,k] != 0
	// and the position of L[j,k] in column k.
	rowPtr []int
	rowCol []int
	rowPos []int
	// edgePos[e] is the position in L of the matrix entry of edge e.
	edgePos []int
}

// Analyze orders the n unknowns of a symmetric matrix whose off-diagonal
// non-zeros are given by edges (pairs of distinct indices; duplicates and
// both orientations allowed) and computes the pattern of its Cholesky
// factor.
func Analyze(n int, edges [][2]int, ord Ordering) (*Symbolic, error) {
	for i, e := range edges {
		if e[0] < 0 || e[0] >= n || e[1] < 0 || e[1] >= n || e[0] == e[1] {
			return nil, fmt.Errorf("sparse: edge %d (%d,%d) is not an off-diagonal entry of a %d×%d matrix", i, e[0], e[1], n, n)
		}
	}
	adj := adjacency(n, edges)
	perm, cols := eliminate(n, adj, ord)
	s := &Symbolic{n: n, perm: perm, inv: make([]int, n), colPtr: make([]int, n+1)}
	for k, v := range perm {
		s.inv[v] = k
	}
	for k, col := range cols {
		for _, r := range col {
			s.rowIdx = append(s.rowIdx, s.inv[r])
		}
		c := s.rowIdx[s.colPtr[k]:]
		sortInts(c)
		s.colPtr[k+1] = len(s.rowIdx)
	}
	// Row structure.
	count := make([]int, n+1)
	for _, r := range s.rowIdx {
		count[r+1]++
	}
	s.rowPtr = make([]int, n+1)
	for i := 0; i < n; i++ {
		s.rowPtr[i+1] = s.rowPtr[i] + count[i+1]
	}
	s.rowCol = make([]int, len(s.rowIdx))
	s.rowPos = make([]int, len(s.rowIdx))
	next := append([]int(nil), s.rowPtr[:n]...)
	for k := 0; k < n; k++ {
		for p := s.colPtr[k]; p < s.colPtr[k+1]; p++ {
			r := s.rowIdx[p]
			s.rowCol[next[r]] = k
			s.rowPos[next[r]] = p
			next[r]++
		}
	}
	s.edgePos = make([]int, len(edges))
	for e, ed := range edges {
		a, b := s.inv[ed[0]], s.inv[ed[1]]
		if a > b {
			a, b = b, a
		}
		s.edgePos[e] = s.find(a, b)
	}
	return s, nil
}

func sortInts(a []int) {
	for i := 1; i < len(a); i++ {
		for j := i; j > 0 && a[j] < a[j-1]; j-- {
			a[j], a[j-1] = a[j-1], a[j]
		}
	}
}

// find returns the position of L[row, col] (new indices, row > col).
func (s *Symbolic) find(col, row int) int {
	lo, hi := s.colPtr[col], s.colPtr[col+1]
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case s.rowIdx[m] < row:
			lo = m + 1
		case s.rowIdx[m] > row:
			hi = m
		default:
			return m
		}
	}
	panic("sparse: entry missing from the symbolic factor")
}

// N is the order of the matrix.
func (s *Symbolic) N() int { return s.n }

// FactorNonZeros is the number of strictly lower non-zeros of L.
func (s *Symbolic) FactorNonZeros() int { return len(s.rowIdx) }

// Perm returns the elimination order: Perm()[k] is the original index
// eliminated at step k.
func (s *Symbolic) Perm() []int { return append([]int(nil), s.perm...) }

// NotPositiveDefiniteError reports a non-positive pivot: the matrix is not
// positive definite, or is singular, at original row Row.
type NotPositiveDefiniteError struct {
	Row   int
	Pivot float64
}

// Error describes the failing pivot.
func (e *NotPositiveDefiniteError) Error() string {
	return fmt.Sprintf("sparse: matrix not positive definite (pivot %g at row %d)", e.Pivot, e.Row)
}

// Factor holds the numeric Cholesky factor A = L·Lᵀ for one Symbolic
// pattern. It reuses its storage: Factorize and Solve do not allocate.
type Factor struct {
	s    *Symbolic
	d    []float64 // diagonal of L, new order
	l    []float64 // strictly lower L values
	work []float64
}

// NewFactor allocates a factor for pattern s.
func (s *Symbolic) NewFactor() *Factor {
	return &Factor{s: s, d: make([]float64, s.n), l: make([]float64, len(s.rowIdx)), work: make([]float64, s.n)}
}

// Factorize computes the Cholesky factor of the matrix with diagonal diag
// (original order, length n) and off-diagonal values off (off[e] is the
// value of edge e as given to Analyze; entries of duplicate edges add up).
// It returns a *NotPositiveDefiniteError naming the failing original row.
func (f *Factor) Factorize(diag, off []float64) error {
	s := f.s
	for k := 0; k < s.n; k++ {
		f.d[k] = diag[s.perm[k]]
	}
	clear(f.l)
	for e, p := range s.edgePos {
		f.l[p] += off[e]
	}
	return f.factor()
}

// FactorizeCSR factorises the symmetric matrix m, whose pattern must be the
// one s was analysed from (use Analyze(m.N, m.Edges(), ord)).
func (f *Factor) FactorizeCSR(m *CSR) error {
	s := f.s
	clear(f.l)
	for i := 0; i < m.N; i++ {
		for p := m.RowPtr[i]; p < m.RowPtr[i+1]; p++ {
			j := m.Col[p]
			if j == i {
				f.d[s.inv[i]] = m.Val[p]
				continue
			}
			if j > i {
				continue
			}
			a, b := s.inv[i], s.inv[j]
			if a > b {
				a, b = b, a
			}
			f.l[s.find(a, b)] += m.Val[p]
		}
	}
	return f.factor()
}

func (f *Factor) factor() error {
	s, w, l := f.s, f.work, f.l
	for j := 0; j < s.n; j++ {
		d := f.d[j]
		for q := s.rowPtr[j]; q < s.rowPtr[j+1]; q++ {
			k, pk := s.rowCol[q], s.rowPos[q]
			ljk := l[pk]
			d -= ljk * ljk
			for p := pk + 1; p < s.colPtr[k+1]; p++ {
				w[s.rowIdx[p]] += l[p] * ljk
			}
		}
		if d <= 0 || math.IsNaN(d) {
			for p := s.colPtr[j]; p < s.colPtr[j+1]; p++ {
				w[s.rowIdx[p]] = 0
			}
			return &NotPositiveDefiniteError{Row: s.perm[j], Pivot: d}
		}
		d = math.Sqrt(d)
		f.d[j] = d
		for p := s.colPtr[j]; p < s.colPtr[j+1]; p++ {
			r := s.rowIdx[p]
			l[p] = (l[p] - w[r]) / d
			w[r] = 0
		}
	}
	return nil
}

// Solve overwrites b (original order) with the solution x of A·x = b.
func (f *Factor) Solve(b []float64) {
	s, y, l := f.s, f.work, f.l
	for k, v := range s.perm {
		y[k] = b[v]
	}
	for j := 0; j < s.n; j++ {
		y[j] /= f.d[j]
		yj := y[j]
		for p := s.colPtr[j]; p < s.colPtr[j+1]; p++ {
			y[s.rowIdx[p]] -= l[p] * yj
		}
	}
	for j := s.n - 1; j >= 0; j-- {
		t := y[j]
		for p := s.colPtr[j]; p < s.colPtr[j+1]; p++ {
			t -= l[p] * y[s.rowIdx[p]]
		}
		y[j] = t / f.d[j]
	}
	for k, v := range s.perm {
		b[v] = y[k]
	}
	clear(y)
}
