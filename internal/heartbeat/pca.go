package heartbeat

import (
	"fmt"
	"time"
)

func init() { Register("pca", func() Detector { return &PCA{} }) }

// PCA is a subspace residual detector: readings are standardised, projected
// on the principal subspace learned from attack-free data, and the score is
// the squared prediction error (SPE, the Q statistic) of the part the
// subspace cannot explain, which grows when a relation between signals
// breaks even though each one stays in range.
type PCA struct {
	VarFraction float64   `json:"var_fraction"` // variance the subspace keeps (default 0.9)
	Mean        []float64 `json:"mean"`
	Scale       []float64 `json:"scale"`
	K           int       `json:"k"`
	P           []float64 `json:"p"` // n×K loadings, row major
}

// Name implements Detector.
func (p *PCA) Name() string { return "pca" }

// Fit implements Detector.
func (p *PCA) Fit(cfg *Config, segs []Segment) error {
	n := len(cfg.Signals)
	if p.VarFraction == 0 {
		p.VarFraction = 0.9
	}
	m := make([]moments, n)
	for _, s := range segs {
		for _, x := range s.X {
			for j, v := range x {
				m[j].add(v)
			}
		}
	}
	nr := rows(segs)
	if nr < 2*n {
		return fmt.Errorf("pca: %d training rows for %d signals; need at least %d", nr, n, 2*n)
	}
	p.Mean = make([]float64, n)
	p.Scale = make([]float64, n)
	for j := range m {
		p.Mean[j] = m[j].mean
		p.Scale[j] = floorScale(m[j].std(), cfg.Resolution)
	}
	cov := make([]float64, n*n)
	z := make([]float64, n)
	for _, s := range segs {
		for _, x := range s.X {
			for j, v := range x {
				z[j] = (v - p.Mean[j]) / p.Scale[j]
			}
			for i := range n {
				for j := 0; j <= i; j++ {
					cov[i*n+j] += z[i] * z[j]
				}
			}
		}
	}
	for i := range n {
		for j := 0; j <= i; j++ {
			cov[i*n+j] /= float64(nr - 1)
			cov[j*n+i] = cov[i*n+j]
		}
	}
	vals, vecs := symEigen(cov, n)
	total := 0.0
	for _, v := range vals {
		total += v
	}
	acc := 0.0
	p.K = 0
	for p.K < n-1 && acc < p.VarFraction*total {
		acc += vals[p.K]
		p.K++
	}
	p.P = make([]float64, n*p.K)
	for i := range n {
		for c := 0; c < p.K; c++ {
			p.P[i*p.K+c] = vecs[i*n+c]
		}
	}
	return nil
}

type pcaScorer struct {
	p    *PCA
	z, t []float64
}

// NewScorer implements Detector.
func (p *PCA) NewScorer(cfg *Config) Scorer {
	return &pcaScorer{p: p, z: make([]float64, len(p.Mean)), t: make([]float64, p.K)}
}

func (s *pcaScorer) Update(_ time.Time, x []float64) (float64, int) {
	p := s.p
	n, k := len(p.Mean), p.K
	for j, v := range x {
		s.z[j] = (v - p.Mean[j]) / p.Scale[j]
	}
	for c := 0; c < k; c++ {
		s.t[c] = 0
	}
	for i := 0; i < n; i++ {
		zi := s.z[i]
		row := p.P[i*k : i*k+k]
		for c, v := range row {
			s.t[c] += zi * v
		}
	}
	spe, best, arg := 0.0, -1.0, 0
	for i := 0; i < n; i++ {
		r := s.z[i]
		row := p.P[i*k : i*k+k]
		for c, v := range row {
			r -= v * s.t[c]
		}
		r2 := r * r
		spe += r2
		if r2 > best {
			best, arg = r2, i
		}
	}
	return spe, arg
}

// Explain implements Detector.
func (p *PCA) Explain(cfg *Config, arg int) string {
	if arg < 0 || arg >= len(cfg.Signals) {
		return "pca residual"
	}
	return fmt.Sprintf("%s breaks its learned correlation with the other signals (largest share of the PCA residual)", cfg.Signals[arg])
}
