package sparse

import (
	"fmt"
	"sort"
)

// Triplet is one entry (I, J, V) of a matrix being assembled. Entries with
// the same position are summed.
type Triplet struct {
	I, J int
	V    float64
}

// CSR is a square matrix in compressed sparse row form. Symmetric matrices
// built by NewSymCSR hold both triangles, so MulVec needs no special case.
type CSR struct {
	N      int
	RowPtr []int     // len N+1
	Col    []int     // column of each stored entry, sorted within a row
	Val    []float64 // value of each stored entry
}

// NewSymCSR assembles the symmetric n×n matrix whose entries are given by
// ts; an off-diagonal triplet (i, j, v) sets both (i, j) and (j, i), so give
// each off-diagonal pair once. Duplicates are summed.
func NewSymCSR(n int, ts []Triplet) (*CSR, error) {
	type key struct{ i, j int }
	acc := make(map[key]float64, 2*len(ts))
	for _, t := range ts {
		if t.I < 0 || t.I >= n || t.J < 0 || t.J >= n {
			return nil, fmt.Errorf("sparse: entry (%d,%d) outside a %d×%d matrix", t.I, t.J, n, n)
		}
		acc[key{t.I, t.J}] += t.V
		if t.I != t.J {
			acc[key{t.J, t.I}] += t.V
		}
	}
	rows := make([][]int, n)
	for k := range acc {
		rows[k.i] = append(rows[k.i], k.j)
	}
	m := &CSR{N: n, RowPtr: make([]int, n+1)}
	for i := range rows {
		sort.Ints(rows[i])
		for _, j := range rows[i] {
			m.Col = append(m.Col, j)
			m.Val = append(m.Val, acc[key{i, j}])
		}
		m.RowPtr[i+1] = len(m.Col)
	}
	return m, nil
}

// MulVec sets y = A·x.
func (m *CSR) MulVec(x, y []float64) {
	for i := 0; i < m.N; i++ {
		s := 0.0
		for p := m.RowPtr[i]; p < m.RowPtr[i+1]; p++ {
			s += m.Val[p] * x[m.Col[p]]
		}
		y[i] = s
	}
}

// At returns entry (i, j), zero when it is not stored.
func (m *CSR) At(i, j int) float64 {
	lo, hi := m.RowPtr[i], m.RowPtr[i+1]
	k := sort.SearchInts(m.Col[lo:hi], j)
	if k < hi-lo && m.Col[lo+k] == j {
		return m.Val[lo+k]
	}
	return 0
}

// Edges returns the strictly lower off-diagonal pattern of m as (i, j) pairs
// with i > j, in row order, for Analyze.
func (m *CSR) Edges() [][2]int {
	var e [][2]int
	for i := 0; i < m.N; i++ {
		for p := m.RowPtr[i]; p < m.RowPtr[i+1]; p++ {
			if j := m.Col[p]; j < i {
				e = append(e, [2]int{i, j})
			}
		}
	}
	return e
}
