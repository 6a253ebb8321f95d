package water

import (
	"context"
	"io"
	"os"
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

// BenchmarkRun re-runs each loaded reference network (what an attack
// simulator does thousands of times): BenchmarkRun/CTOWN, BenchmarkRun/Net3...
func BenchmarkRun(b *testing.B) {
	root := shareddata.Path(b, "water", "networks")
	entries, err := os.ReadDir(root)
	if err != nil {
		b.Fatal(err)
	}
	for _, e := range entries {
		b.Run(e.Name(), func(b *testing.B) { benchNetwork(b, e.Name()) })
	}
}

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

// BenchmarkRunStreamCTOWN re-runs CTOWN with RunOptions.OnPeriod, as an
// attack scorer that keeps only its own measures would.
func BenchmarkRunStreamCTOWN(b *testing.B) {
	dir := shareddata.Path(b, "water", "networks", "CTOWN")
	net, err := ReadFile(filepath.Join(dir, "CTOWN.inp"))
	if err != nil {
		b.Fatal(err)
	}
	sim, err := NewSimulator(net)
	if err != nil {
		b.Fatal(err)
	}
	minP := 0.0
	b.ReportAllocs()
	for b.Loop() {
		_, err := sim.Run(context.Background(), RunOptions{Duration: -1, OnPeriod: func(sn *Snapshot) {
			for _, p := range sn.Pressure {
				minP = min(minP, p)
			}
		}})
		if err != nil {
			b.Fatal(err)
		}
	}
}
