package sparse

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// randomSPD builds a random sparse symmetric diagonally dominant matrix (a
// weighted graph Laplacian plus a positive diagonal), the shape of the
// hydraulic and DC power-flow matrices.
func randomSPD(rng *rand.Rand, n int, extra int) (*CSR, []Triplet) {
	var ts []Triplet
	rowSum := make([]float64, n)
	add := func(i, j int) {
		v := 0.1 + rng.Float64()*10
		ts = append(ts, Triplet{i, j, -v})
		rowSum[i] += v
		rowSum[j] += v
	}
	for i := 1; i < n; i++ { // a random spanning tree keeps it connected
		add(i, rng.IntN(i))
	}
	for k := 0; k < extra; k++ {
		i, j := rng.IntN(n), rng.IntN(n)
		if i != j {
			add(i, j)
		}
	}
	for i := 0; i < n; i++ {
		ts = append(ts, Triplet{i, i, rowSum[i] + 0.01 + rng.Float64()})
	}
	m, err := NewSymCSR(n, ts)
	if err != nil {
		panic(err)
	}
	return m, ts
}

func TestCholeskyMatchesGonumDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		n, extra int
		ord      Ordering
	}{
		{1, 0, MinDegree}, {2, 0, MinDegree}, {5, 3, MinDegree}, {12, 10, RCM}, {30, 40, MinDegree},
		{30, 40, RCM}, {30, 40, Natural}, {60, 120, MinDegree}, {80, 20, RCM},
	} {
		for trial := 0; trial < 5; trial++ {
			m, _ := randomSPD(rng, tc.n, tc.extra)
			dense := mat.NewSymDense(tc.n, nil)
			for i := 0; i < tc.n; i++ {
				for j := i; j < tc.n; j++ {
					dense.SetSym(i, j, m.At(i, j))
				}
			}
			var ch mat.Cholesky
			if !ch.Factorize(dense) {
				t.Fatalf("n=%d: gonum says not SPD", tc.n)
			}
			b := make([]float64, tc.n)
			for i := range b {
				b[i] = rng.NormFloat64()
			}
			var want mat.VecDense
			if err := ch.SolveVecTo(&want, mat.NewVecDense(tc.n, append([]float64(nil), b...))); err != nil {
				t.Fatal(err)
			}
			sym, err := Analyze(m.N, m.Edges(), tc.ord)
			if err != nil {
				t.Fatal(err)
			}
			f := sym.NewFactor()
			if err := f.FactorizeCSR(m); err != nil {
				t.Fatalf("n=%d %v: %v", tc.n, tc.ord, err)
			}
			x := append([]float64(nil), b...)
			f.Solve(x)
			for i := range x {
				if d := math.Abs(x[i] - want.AtVec(i)); d > 1e-9*(1+math.Abs(want.AtVec(i))) {
					t.Fatalf("n=%d %v: x[%d]=%g, gonum %g", tc.n, tc.ord, i, x[i], want.AtVec(i))
				}
			}
			// Residual check too.
			r := make([]float64, tc.n)
			m.MulVec(x, r)
			for i := range r {
				if math.Abs(r[i]-b[i]) > 1e-9*(1+math.Abs(b[i])) {
					t.Fatalf("residual %g at %d", r[i]-b[i], i)
				}
			}
		}
	}
}

func TestFactorizeByEdges(t *testing.T) {
	// 3 nodes in a line with a duplicated (parallel) edge 0-1.
	edges := [][2]int{{0, 1}, {1, 0}, {1, 2}}
	sym, err := Analyze(3, edges, MinDegree)
	if err != nil {
		t.Fatal(err)
	}
	f := sym.NewFactor()
	// A = [[4,-2,0],[-2,5,-1],[0,-1,3]] with -2 split over the two parallel edges.
	if err := f.Factorize([]float64{4, 5, 3}, []float64{-1, -1, -1}); err != nil {
		t.Fatal(err)
	}
	x := []float64{2, 2, 2} // A·[1,1,1] = [2,2,2]
	f.Solve(x)
	for i, v := range x {
		if math.Abs(v-1) > 1e-12 {
			t.Fatalf("x[%d]=%g, want 1", i, v)
		}
	}
}

func TestNotPositiveDefinite(t *testing.T) {
	sym, _ := Analyze(2, [][2]int{{0, 1}}, MinDegree)
	f := sym.NewFactor()
	err := f.Factorize([]float64{1, 1}, []float64{-2})
	var npd *NotPositiveDefiniteError
	if err == nil {
		t.Fatal("want an error for an indefinite matrix")
	}
	if e, ok := err.(*NotPositiveDefiniteError); !ok {
		t.Fatalf("error %T", err)
	} else {
		npd = e
	}
	if npd.Row < 0 || npd.Row > 1 {
		t.Fatalf("row %d", npd.Row)
	}
}

func TestAnalyzeRejectsBadEdges(t *testing.T) {
	for _, e := range [][2]int{{0, 0}, {-1, 1}, {0, 5}} {
		if _, err := Analyze(3, [][2]int{e}, MinDegree); err == nil {
			t.Errorf("edge %v accepted", e)
		}
	}
}

func TestMinDegreeKeepsTreesFillFree(t *testing.T) {
	// A tree has a perfect elimination order: no fill.
	n := 200
	rng := rand.New(rand.NewPCG(3, 4))
	var edges [][2]int
	for i := 1; i < n; i++ {
		edges = append(edges, [2]int{i, rng.IntN(i)})
	}
	sym, err := Analyze(n, edges, MinDegree)
	if err != nil {
		t.Fatal(err)
	}
	if got := sym.FactorNonZeros(); got != n-1 {
		t.Fatalf("factor has %d non-zeros, want %d (no fill)", got, n-1)
	}
}

func BenchmarkFactorSolve(b *testing.B) {
	rng := rand.New(rand.NewPCG(5, 6))
	m, _ := randomSPD(rng, 2000, 800)
	sym, _ := Analyze(m.N, m.Edges(), MinDegree)
	f := sym.NewFactor()
	x := make([]float64, m.N)
	b.ReportAllocs()
	for b.Loop() {
		if err := f.FactorizeCSR(m); err != nil {
			b.Fatal(err)
		}
		f.Solve(x)
	}
}

func TestPCGMatchesGonumDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, n := range []int{1, 3, 20, 80, 300} {
		m, _ := randomSPD(rng, n, n)
		dense := mat.NewSymDense(n, nil)
		for i := 0; i < n; i++ {
			for j := i; j < n; j++ {
				dense.SetSym(i, j, m.At(i, j))
			}
		}
		var ch mat.Cholesky
		if !ch.Factorize(dense) {
			t.Fatal("not SPD")
		}
		b := make([]float64, n)
		for i := range b {
			b[i] = rng.NormFloat64()
		}
		var want mat.VecDense
		if err := ch.SolveVecTo(&want, mat.NewVecDense(n, append([]float64(nil), b...))); err != nil {
			t.Fatal(err)
		}
		ic, err := NewIC0(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, pre := range []*IC0{nil, ic} {
			x := make([]float64, n)
			it, err := SolvePCG(m, pre, b, x, 1e-12, 10*n+10)
			if err != nil {
				t.Fatalf("n=%d pre=%v: %v after %d iterations", n, pre != nil, err, it)
			}
			for i := range x {
				if d := math.Abs(x[i] - want.AtVec(i)); d > 1e-8*(1+math.Abs(want.AtVec(i))) {
					t.Fatalf("n=%d pre=%v: x[%d]=%g, gonum %g", n, pre != nil, i, x[i], want.AtVec(i))
				}
			}
		}
	}
}

func TestIC0IsExactOnTrees(t *testing.T) {
	// On a tree ordered leaves first (every node's parent has a higher
	// index) elimination makes no fill, so IC(0) is the exact Cholesky
	// factor and PCG converges in one iteration.
	rng := rand.New(rand.NewPCG(9, 10))
	n := 50
	var ts []Triplet
	deg := make([]float64, n)
	for i := 0; i < n-1; i++ {
		p := i + 1 + rng.IntN(n-1-i)
		v := 1 + rng.Float64()
		ts = append(ts, Triplet{i, p, -v})
		deg[i] += v
		deg[p] += v
	}
	for i := range deg {
		ts = append(ts, Triplet{i, i, deg[i] + 0.5})
	}
	m, err := NewSymCSR(n, ts)
	if err != nil {
		t.Fatal(err)
	}
	ic, err := NewIC0(m)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]float64, n)
	b[7] = 1
	x := make([]float64, n)
	it, err := SolvePCG(m, ic, b, x, 1e-12, 5)
	if err != nil || it > 1 {
		t.Fatalf("%d iterations, %v", it, err)
	}
}
