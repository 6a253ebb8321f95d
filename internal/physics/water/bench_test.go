package water

import (
	"context"
	"io"
	"path/filepath"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

func benchNetwork(b *testing.B, name string) {
	dir := shareddata.Path(b, "water", "networks", name)
	net, err := ReadFile(filepath.Join(dir, name+".inp"))
	if err != nil {
		b.Fatal(err)
	}
	sim, err := NewSimulator(net)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := sim.Run(context.Background(), RunOptions{Duration: -1}); err != nil {
			b.Fatal(err)
		}
	}
}

// Re-running a loaded network (what an attack simulator does thousands of
// times) for each reference network.
func BenchmarkRunNet1(b *testing.B)     { benchNetwork(b, "Net1") }
func BenchmarkRunNet3(b *testing.B)     { benchNetwork(b, "Net3") }
func BenchmarkRunCTOWN(b *testing.B)    { benchNetwork(b, "CTOWN") }
func BenchmarkRunCtownMap(b *testing.B) { benchNetwork(b, "ctown_map") }
func BenchmarkRunKy2(b *testing.B)      { benchNetwork(b, "ky2") }
func BenchmarkRunBalerma(b *testing.B)  { benchNetwork(b, "Balerma") }

// Loading (parse + compile) the biggest EPS network.
func BenchmarkLoadCTOWN(b *testing.B) {
	dir := shareddata.Path(b, "water", "networks", "CTOWN")
	b.ReportAllocs()
	for b.Loop() {
		net, err := ReadFile(filepath.Join(dir, "CTOWN.inp"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := NewSimulator(net); err != nil {
			b.Fatal(err)
		}
	}
}

// Writing nodes.csv and links.csv for the biggest EPS network.
func BenchmarkWriteCSVCTOWN(b *testing.B) {
	dir := shareddata.Path(b, "water", "networks", "CTOWN")
	net, err := ReadFile(filepath.Join(dir, "CTOWN.inp"))
	if err != nil {
		b.Fatal(err)
	}
	res, err := Run(context.Background(), net)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := res.WriteNodesCSV(io.Discard); err != nil {
			b.Fatal(err)
		}
		if err := res.WriteLinksCSV(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
}
