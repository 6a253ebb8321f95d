package heartbeat

import (
	"errors"
	"math"
	"sort"
)

// errSingular reports a system that ridge regularisation could not fix.
var errSingular = errors.New("singular normal equations")

// solveSPD solves A·x = b for a symmetric positive definite A (n×n, row
// major) by Cholesky decomposition. A and b are not modified.
func solveSPD(a []float64, b []float64, n int) ([]float64, error) {
	l := make([]float64, n*n)
	for i := 0; i < n; i++ {
		for j := 0; j <= i; j++ {
			s := a[i*n+j]
			for k := 0; k < j; k++ {
				s -= l[i*n+k] * l[j*n+k]
			}
			if i == j {
				if s <= 0 || math.IsNaN(s) {
					return nil, errSingular
				}
				l[i*n+i] = math.Sqrt(s)
			} else {
				l[i*n+j] = s / l[j*n+j]
			}
		}
	}
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= l[i*n+k] * y[k]
		}
		y[i] = s / l[i*n+i]
	}
	x := make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := y[i]
		for k := i + 1; k < n; k++ {
			s -= l[k*n+i] * x[k]
		}
		x[i] = s / l[i*n+i]
	}
	return x, nil
}

// symEigen returns the eigenvalues (descending) and eigenvectors (columns
// of vecs, row major n×n) of the symmetric matrix a, by cyclic Jacobi
// rotations. a is not modified.
func symEigen(a []float64, n int) (vals []float64, vecs []float64) {
	m := append([]float64(nil), a...)
	v := make([]float64, n*n)
	for i := 0; i < n; i++ {
		v[i*n+i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		off := 0.0
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				off += m[i*n+j] * m[i*n+j]
			}
		}
		if off < 1e-22 {
			break
		}
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				apq := m[p*n+q]
				if math.Abs(apq) < 1e-300 {
					continue
				}
				theta := (m[q*n+q] - m[p*n+p]) / (2 * apq)
				t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				if theta < 0 {
					t = -t
				}
				c := 1 / math.Sqrt(t*t+1)
				s := t * c
				for k := 0; k < n; k++ {
					mkp, mkq := m[k*n+p], m[k*n+q]
					m[k*n+p] = c*mkp - s*mkq
					m[k*n+q] = s*mkp + c*mkq
				}
				for k := 0; k < n; k++ {
					mpk, mqk := m[p*n+k], m[q*n+k]
					m[p*n+k] = c*mpk - s*mqk
					m[q*n+k] = s*mpk + c*mqk
				}
				for k := 0; k < n; k++ {
					vkp, vkq := v[k*n+p], v[k*n+q]
					v[k*n+p] = c*vkp - s*vkq
					v[k*n+q] = s*vkp + c*vkq
				}
			}
		}
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return m[idx[a]*n+idx[a]] > m[idx[b]*n+idx[b]] })
	vals = make([]float64, n)
	vecs = make([]float64, n*n)
	for c, i := range idx {
		vals[c] = m[i*n+i]
		for k := 0; k < n; k++ {
			vecs[k*n+c] = v[k*n+i]
		}
	}
	return vals, vecs
}

// ridge fits y ≈ X·β by least squares with a small ridge penalty lambda
// (relative to the mean diagonal of XᵀX), not applied to column 0 when
// intercept is true. X is row major with p columns.
func ridge(x [][]float64, y []float64, p int, lambda float64, intercept bool) ([]float64, error) {
	a := make([]float64, p*p)
	b := make([]float64, p)
	for r, row := range x {
		for i := 0; i < p; i++ {
			xi := row[i]
			if xi == 0 {
				continue
			}
			b[i] += xi * y[r]
			for j := 0; j <= i; j++ {
				a[i*p+j] += xi * row[j]
			}
		}
	}
	tr := 0.0
	for i := 0; i < p; i++ {
		for j := 0; j < i; j++ {
			a[j*p+i] = a[i*p+j]
		}
		tr += a[i*p+i]
	}
	pen := lambda * tr / float64(p)
	if pen <= 0 {
		pen = 1e-9
	}
	for i := 0; i < p; i++ {
		if i == 0 && intercept {
			a[0] += 1e-9
			continue
		}
		a[i*p+i] += pen
	}
	return solveSPD(a, b, p)
}

// quantile returns the q-quantile (0..1) of v by linear interpolation; v
// is sorted in place.
func quantile(v []float64, q float64) float64 {
	if len(v) == 0 {
		return 0
	}
	sort.Float64s(v)
	pos := q * float64(len(v)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	if hi >= len(v) {
		hi = len(v) - 1
	}
	f := pos - float64(lo)
	return v[lo]*(1-f) + v[hi]*f
}
