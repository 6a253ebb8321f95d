package heartbeat

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/shareddata"
)

// BenchmarkStream measures the streaming ensemble (all four detectors) on
// the synthetic process: ns per row, and samples (signal values) per
// second.
func BenchmarkStream(b *testing.B) {
	seg := synth(1, 3000, nil)
	tab := &Table{Path: "synth", Signals: synthSignals, Times: seg.Times, X: seg.X}
	m, err := Train([]*Table{tab}, TrainOptions{Map: synthConfig(b).Map, Resolution: 0.001})
	if err != nil {
		b.Fatal(err)
	}
	benchStream(b, m, seg.Times[0], seg.X)
}

// benchStream streams rows (in m's signal order, cycled, an hour apart from
// t0) through a fresh stream of m.
func benchStream(b *testing.B, m *Model, t0 time.Time, rows [][]float64) {
	s := m.NewStream()
	x := make([]float64, len(m.Signals))
	b.ReportAllocs()
	r := 0
	for b.Loop() {
		copy(x, rows[r%len(rows)])
		s.Update(t0.Add(time.Duration(r)*time.Hour), x)
		r++
	}
	b.ReportMetric(float64(len(m.Signals))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}

// BenchmarkStreamBATADAL measures the streaming ensemble on dataset 04
// (43 signals, model trained on dataset 03).
func BenchmarkStreamBATADAL(b *testing.B) {
	dir := shareddata.Path(b, "telemetry", "batadal")
	train, err := ReadFile(filepath.Join(dir, "BATADAL_dataset03.csv"), ReadOptions{LabelColumn: "ATT_FLAG"})
	if err != nil {
		b.Fatal(err)
	}
	test, err := ReadFile(filepath.Join(dir, "BATADAL_dataset04.csv"), ReadOptions{IgnoreColumns: []string{"ATT_FLAG"}})
	if err != nil {
		b.Fatal(err)
	}
	m, err := Train([]*Table{train}, TrainOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rows, err := test.Reorder(m.Signals)
	if err != nil {
		b.Fatal(err)
	}
	benchStream(b, m, test.Times[0], rows)
}
