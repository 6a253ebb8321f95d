package heartbeat

import (
	"path/filepath"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

// Floors measured on BATADAL (train on dataset 03, evaluate on dataset 04
// with the full labels): S 0.970, TNR 0.964 when measured; the test keeps
// a small margin for platform differences only.
const (
	batadalSFloor   = 0.96
	batadalTNRFloor = 0.95
)

// TestBATADAL trains on the attack-free dataset 03 only, detects on
// dataset 04 and scores against the full labels. Nothing of dataset 04
// is used for training or for thresholds.
func TestBATADAL(t *testing.T) {
	dir := shareddata.Path(t, "telemetry", "batadal")
	train, err := ReadFile(filepath.Join(dir, "BATADAL_dataset03.csv"), ReadOptions{LabelColumn: "ATT_FLAG"})
	if err != nil {
		t.Fatal(err)
	}
	test, err := ReadFile(filepath.Join(dir, "BATADAL_dataset04.csv"), ReadOptions{IgnoreColumns: []string{"ATT_FLAG"}})
	if err != nil {
		t.Fatal(err)
	}
	labels, err := ReadFile(filepath.Join(dir, "BATADAL_dataset04_full_labels.csv"), ReadOptions{LabelColumn: "ATT_FLAG", LabelsOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	m, err := Train([]*Table{train}, TrainOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := m.Detect(test)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels.Stamps) != len(test.Stamps) {
		t.Fatalf("%d label rows for %d data rows", len(labels.Stamps), len(test.Stamps))
	}
	alarms := make([]bool, len(res))
	for i, r := range res {
		if labels.Stamps[i] != test.Stamps[i] {
			t.Fatalf("row %d: label stamp %s, data stamp %s", i, labels.Stamps[i], test.Stamps[i])
		}
		alarms[i] = r.Alarm
	}
	met, err := Evaluate(alarms, labels.Labels, nil, labels.Stamps)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("S %.4f S_TTD %.4f S_CLF %.4f TPR %.4f TNR %.4f", met.S, met.STTD, met.SCLF, met.TPR, met.TNR)
	if len(met.Attacks) != 7 {
		t.Errorf("%d attacks in the labels, want 7", len(met.Attacks))
	}
	if met.S < batadalSFloor || met.TNR < batadalTNRFloor {
		t.Errorf("S %.4f (floor %.2f), TNR %.4f (floor %.2f)", met.S, batadalSFloor, met.TNR, batadalTNRFloor)
	}
}
