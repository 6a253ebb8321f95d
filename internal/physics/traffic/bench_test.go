package traffic

import (
	"context"
	"testing"
)

// BenchmarkRun simulates one hour of each SUMO reference scenario.
func BenchmarkRun(b *testing.B) {
	for _, c := range sumoCases() {
		b.Run(c.label, func(b *testing.B) {
			n, r, _ := c.load(b)
			sc := &Scenario{Net: n, Routes: r, Duration: 3600}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Run(context.Background(), sc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkParseNet reads the 4×4 grid network.
func BenchmarkParseNet(b *testing.B) {
	p := gridDir(b) + "/inputs/4x4.net.xml"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadNetFile(p); err != nil {
			b.Fatal(err)
		}
	}
}
