package sparselu

import (
	"fmt"
	"slices"
)

// Matrix is a square sparse matrix in compressed sparse column form: the
// row indices of column j are RowIdx[ColPtr[j]:ColPtr[j+1]], sorted and
// unique, with the values in Val.
type Matrix struct {
	N      int
	ColPtr []int
	RowIdx []int
	Val    []float64
}

// FromTriplets builds an n×n matrix from (row, column, value) triplets;
// duplicate entries are summed. Explicit zeros are kept, so a pattern built
// once can be refilled with new values.
func FromTriplets(n int, rows, cols []int, vals []float64) (*Matrix, error) {
	if len(rows) != len(cols) || len(rows) != len(vals) {
		return nil, fmt.Errorf("triplets: %d rows, %d columns and %d values", len(rows), len(cols), len(vals))
	}
	count := make([]int, n+1)
	for k := range rows {
		if rows[k] < 0 || rows[k] >= n || cols[k] < 0 || cols[k] >= n {
			return nil, fmt.Errorf("triplet %d: index (%d,%d) outside %d×%d", k, rows[k], cols[k], n, n)
		}
		count[cols[k]+1]++
	}
	for j := range n {
		count[j+1] += count[j]
	}
	ri := make([]int, len(rows))
	rv := make([]float64, len(rows))
	next := slices.Clone(count[:n])
	for k := range rows {
		p := next[cols[k]]
		next[cols[k]]++
		ri[p] = rows[k]
		rv[p] = vals[k]
	}
	m := &Matrix{N: n, ColPtr: make([]int, n+1)}
	type ent struct {
		r int
		v float64
	}
	var buf []ent
	for j := range n {
		buf = buf[:0]
		for p := count[j]; p < count[j+1]; p++ {
			buf = append(buf, ent{ri[p], rv[p]})
		}
		if len(buf) <= 32 {
			for i := 1; i < len(buf); i++ {
				for k := i; k > 0 && buf[k].r < buf[k-1].r; k-- {
					buf[k], buf[k-1] = buf[k-1], buf[k]
				}
			}
		} else {
			slices.SortFunc(buf, func(a, b ent) int { return a.r - b.r })
		}
		for i, e := range buf {
			if i > 0 && e.r == buf[i-1].r {
				m.Val[len(m.Val)-1] += e.v
				continue
			}
			m.RowIdx = append(m.RowIdx, e.r)
			m.Val = append(m.Val, e.v)
		}
		m.ColPtr[j+1] = len(m.RowIdx)
	}
	return m, nil
}

// Find returns the position in RowIdx/Val of entry (i, j), or -1 when it is
// not in the pattern.
func (m *Matrix) Find(i, j int) int {
	lo, hi := m.ColPtr[j], m.ColPtr[j+1]
	k, ok := slices.BinarySearch(m.RowIdx[lo:hi], i)
	if !ok {
		return -1
	}
	return lo + k
}

// MulVec sets y = A·x.
func (m *Matrix) MulVec(y, x []float64) {
	clear(y[:m.N])
	for j := range m.N {
		xj := x[j]
		for p := m.ColPtr[j]; p < m.ColPtr[j+1]; p++ {
			y[m.RowIdx[p]] += m.Val[p] * xj
		}
	}
}
