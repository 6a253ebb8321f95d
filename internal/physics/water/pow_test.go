package water

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPowFlowAccuracy(t *testing.T) {
	s := &hydState{powQ: make([]float64, 2), powY: make([]float64, 2)}
	rng := rand.New(rand.NewPCG(1, 1))
	q := 0.37
	worst, worstSeries := 0.0, 0.0
	for i := 0; i < 200000; i++ {
		// a random walk with small and large steps, as flows move
		if rng.IntN(10) == 0 {
			q *= math.Exp(rng.NormFloat64())
		} else {
			q *= 1 + 0.004*rng.NormFloat64()
		}
		q = math.Max(q, 1e-12)
		for k, a := range []float64{0.852, 1} { // one exponent per link, as in the solver
			got, want := s.powFlow(k, q, a), math.Pow(q, a)
			worst = math.Max(worst, math.Abs(got-want)/want)
			// Against exp/log itself the series adds a few ulps; both carry
			// the rounding of a·ln q, which grows with |ln q|.
			ref := math.Exp(a * math.Log(q))
			worstSeries = math.Max(worstSeries, math.Abs(got-ref)/ref/(1+math.Abs(a*math.Log(q))))
		}
	}
	// exp(a·ln q) itself is off math.Pow by up to |a·ln q|·1e-16 (the
	// walk reaches q far from 1); both are far below any physical effect.
	if worst > 1e-13 || worstSeries > 2e-15 {
		t.Fatalf("relative error %g against math.Pow, %g against exp/log", worst, worstSeries)
	}
}
