package sim

import (
	"context"
	"testing"
)

// BenchmarkCampaigns plays b.N campaigns of each attacker on the sample
// city on all CPUs and reports campaigns per second.
func BenchmarkCampaigns(b *testing.B) {
	g := sampleGraph(b)
	for _, a := range AttackerNames() {
		b.Run(a, func(b *testing.B) {
			s, err := New(g, Options{Campaigns: int64(max(b.N, 1)), Seed: 1, Attacker: a})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			if _, err := s.Run(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "campaigns/s")
		})
	}
}
