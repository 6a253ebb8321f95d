package assess

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/citadel-city/citadel/internal/model"
)

// BenchmarkAssess measures the whole job — parse and validate the YAML,
// build the attack graph, rank paths, cut — on generated cities.
// bench/assess.sh runs the same sizes through the binary with peak memory.
func BenchmarkAssess(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		var buf bytes.Buffer
		if err := model.Generate(&buf, model.GenerateOptions{Devices: n, Seed: 1}); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("devices=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(buf.Len()))
			for b.Loop() {
				c, err := model.Parse("bench.yaml", buf.Bytes())
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Run(context.Background(), c, Options{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
