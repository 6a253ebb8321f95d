package sparselu

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomSparse returns an n×n unsymmetric matrix with about density·n²
// off-diagonal entries; weakDiag makes the diagonal small so that pivoting
// must leave it.
func randomSparse(r *rand.Rand, n int, density float64, weakDiag bool) (*Matrix, *mat.Dense) {
	var rows, cols []int
	var vals []float64
	d := mat.NewDense(n, n, nil)
	for i := range n {
		for j := range n {
			if i != j && r.Float64() < density {
				v := r.NormFloat64()
				rows, cols, vals = append(rows, i), append(cols, j), append(vals, v)
				d.Set(i, j, d.At(i, j)+v)
			}
		}
		v := 4 + r.Float64()
		if weakDiag {
			v = 1e-6 * r.NormFloat64()
			if r.IntN(3) == 0 {
				v = 0 // structurally present but zero
			}
		}
		rows, cols, vals = append(rows, i), append(cols, i), append(vals, v)
		d.Set(i, i, d.At(i, i)+v)
	}
	m, err := FromTriplets(n, rows, cols, vals)
	if err != nil {
		panic(err)
	}
	return m, d
}

func TestFactorMatchesDenseLU(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name     string
		n        int
		density  float64
		weakDiag bool
	}{
		{"tiny", 1, 0, false},
		{"small-dominant", 8, 0.3, false},
		{"medium-dominant", 40, 0.08, false},
		{"medium-weak-diagonal", 40, 0.15, true},
		{"large-sparse", 120, 0.03, false},
		{"large-weak-diagonal", 120, 0.06, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for trial := range 10 {
				a, d := randomSparse(r, tc.n, tc.density, tc.weakDiag)
				var dlu mat.LU
				dlu.Factorize(d)
				if cond := dlu.Cond(); cond > 1e10 || math.IsInf(cond, 0) {
					continue // nearly singular draws say nothing about the solver
				}
				b := make([]float64, tc.n)
				for i := range b {
					b[i] = r.NormFloat64()
				}
				var want mat.VecDense
				if err := dlu.SolveVecTo(&want, false, mat.NewVecDense(tc.n, append([]float64(nil), b...))); err != nil {
					t.Fatalf("trial %d: dense solve: %v", trial, err)
				}
				f, err := Factor(a, nil, 0)
				if err != nil {
					t.Fatalf("trial %d: factor: %v", trial, err)
				}
				x := append([]float64(nil), b...)
				f.Solve(x, nil)
				for i := range x {
					if diff := math.Abs(x[i] - want.AtVec(i)); diff > 1e-8*(1+math.Abs(want.AtVec(i))) {
						t.Fatalf("trial %d: x[%d] = %g, dense LU gives %g", trial, i, x[i], want.AtVec(i))
					}
				}
				// The scaled residual must be near machine precision too.
				ax := make([]float64, tc.n)
				a.MulVec(ax, x)
				scale := mat.Norm(d, math.Inf(1))*mat.Norm(mat.NewVecDense(tc.n, x), math.Inf(1)) + mat.Norm(mat.NewVecDense(tc.n, b), math.Inf(1))
				for i := range ax {
					if math.Abs(ax[i]-b[i]) > 1e-13*scale {
						t.Fatalf("trial %d: residual %g at row %d (scale %g)", trial, ax[i]-b[i], i, scale)
					}
				}
			}
		})
	}
}

func TestRefactorReusesPattern(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	n := 60
	a, _ := randomSparse(r, n, 0.06, false)
	var s Solver
	if err := s.Factor(a); err != nil {
		t.Fatal(err)
	}
	for trial := range 5 {
		// New values on the same pattern.
		d := mat.NewDense(n, n, nil)
		for j := range n {
			for p := a.ColPtr[j]; p < a.ColPtr[j+1]; p++ {
				a.Val[p] *= 1 + 0.2*r.NormFloat64()
				d.Set(a.RowIdx[p], j, a.Val[p])
			}
		}
		if err := s.Factor(a); err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		b := make([]float64, n)
		for i := range b {
			b[i] = r.NormFloat64()
		}
		var want mat.VecDense
		if err := want.SolveVec(d, mat.NewVecDense(n, append([]float64(nil), b...))); err != nil {
			t.Fatal(err)
		}
		s.Solve(b)
		for i := range b {
			if math.Abs(b[i]-want.AtVec(i)) > 1e-8*(1+math.Abs(want.AtVec(i))) {
				t.Fatalf("trial %d: x[%d] = %g, want %g", trial, i, b[i], want.AtVec(i))
			}
		}
	}
	if s.Refactorizations == 0 {
		t.Errorf("no refactorisation was used (factorisations %d)", s.Factorizations)
	}
}

func TestRefactorDetectsZeroPivot(t *testing.T) {
	// [[1 1] [1 2]] factors without pivoting; [[0 1] [1 2]] needs a row swap.
	a, _ := FromTriplets(2, []int{0, 1, 0, 1}, []int{0, 0, 1, 1}, []float64{1, 1, 1, 2})
	f, err := Factor(a, []int{0, 1}, 1)
	if err != nil {
		t.Fatal(err)
	}
	a.Val[0] = 0
	if err := f.Refactor(a); !errors.Is(err, ErrUnstable) {
		t.Fatalf("refactor with a zero pivot: %v, want ErrUnstable", err)
	}
	var s Solver
	if err := s.Factor(a); err != nil {
		t.Fatal(err)
	}
	b := []float64{1, 3}
	s.Solve(b)
	if math.Abs(b[0]-1) > 1e-12 || math.Abs(b[1]-1) > 1e-12 {
		t.Errorf("solution %v, want [1 1]", b)
	}
}

func TestSingular(t *testing.T) {
	tests := []struct {
		name       string
		rows, cols []int
		vals       []float64
	}{
		{"empty-column", []int{0, 1}, []int{0, 0}, []float64{1, 1}},
		{"dependent-columns", []int{0, 1, 0, 1}, []int{0, 0, 1, 1}, []float64{1, 2, 2, 4}},
		{"zero", []int{0, 1}, []int{0, 1}, []float64{0, 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := FromTriplets(2, tc.rows, tc.cols, tc.vals)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Factor(a, nil, 0); !errors.Is(err, ErrSingular) {
				t.Fatalf("err = %v, want ErrSingular", err)
			}
		})
	}
}

func TestMinDegreeIsPermutation(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 5, 50, 300} {
		a, _ := randomSparse(r, n, 3/float64(max(n, 1)), false)
		p := MinDegree(a)
		seen := make([]bool, n)
		for _, v := range p {
			if v < 0 || v >= n || seen[v] {
				t.Fatalf("n=%d: ordering %v is not a permutation", n, p)
			}
			seen[v] = true
		}
		if len(p) != n {
			t.Fatalf("n=%d: ordering has %d entries", n, len(p))
		}
	}
}

// TestMinDegreeReducesFill checks the ordering on an arrow matrix, whose
// natural order fills in completely when the hub comes first.
func TestMinDegreeReducesFill(t *testing.T) {
	n := 200
	var rows, cols []int
	var vals []float64
	for i := range n {
		rows, cols, vals = append(rows, i), append(cols, i), append(vals, float64(n))
		if i > 0 {
			rows, cols, vals = append(rows, 0, i), append(cols, i, 0), append(vals, 1, 1)
		}
	}
	a, _ := FromTriplets(n, rows, cols, vals)
	natural := make([]int, n)
	for i := range natural {
		natural[i] = i
	}
	fn, err := Factor(a, natural, 0)
	if err != nil {
		t.Fatal(err)
	}
	fm, err := Factor(a, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	ln, un := fn.NNZ()
	lm, um := fm.NNZ()
	if lm+um >= (ln+un)/10 {
		t.Errorf("minimum degree fill %d, natural order %d: expected a tenfold reduction", lm+um, ln+un)
	}
}
