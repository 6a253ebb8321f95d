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
	benchStream(b, synthMapYAML, synthSignals, synth(1, 3000, nil))
}

func benchStream(b *testing.B, _ string, signals []string, seg Segment) {
	cfg := synthConfig(b)
	tab := &Table{Path: "synth", Signals: signals, Times: seg.Times, X: seg.X}
	m, err := Train([]*Table{tab}, TrainOptions{Map: cfg.Map, Resolution: 0.001})
	if err != nil {
		b.Fatal(err)
	}
	s := m.NewStream()
	x := make([]float64, len(signals))
	b.ReportAllocs()
	r := 0
	t0 := seg.Times[0]
	for b.Loop() {
		copy(x, seg.X[r%len(seg.X)])
		s.Update(t0.Add(time.Duration(r)*time.Hour), x)
		r++
	}
	b.ReportMetric(float64(len(signals))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
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
	s := m.NewStream()
	x := make([]float64, len(m.Signals))
	b.ReportAllocs()
	r := 0
	for b.Loop() {
		copy(x, rows[r%len(rows)])
		s.Update(test.Times[0].Add(time.Duration(r)*time.Hour), x)
		r++
	}
	b.ReportMetric(float64(len(m.Signals))*float64(b.N)/b.Elapsed().Seconds(), "samples/s")
}
