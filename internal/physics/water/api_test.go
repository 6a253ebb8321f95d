package water

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

func loadNet1(t *testing.T) *Network {
	t.Helper()
	dir := shareddata.Path(t, "water", "networks", "Net1")
	net, err := ReadFile(filepath.Join(dir, "Net1.inp"))
	if err != nil {
		t.Fatal(err)
	}
	return net
}

func pumpOnPeriods(t *testing.T, r *Results) int {
	t.Helper()
	st, err := r.LinkSeries("9", "status")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range st {
		if Status(s) == Open {
			n++
		}
	}
	return n
}

func TestAttackPumpOffDrainsTank(t *testing.T) {
	net := loadNet1(t)
	sim, err := NewSimulator(net)
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Run(context.Background(), RunOptions{Duration: -1})
	if err != nil {
		t.Fatal(err)
	}
	attacked := net.Clone()
	if err := attacked.SetLinkStatus("9", false); err != nil {
		t.Fatal(err)
	}
	// Controls would switch the pump back on: disable them too.
	for i := range attacked.Controls {
		if err := attacked.SetControlEnabled(i, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := sim.Reload(attacked); err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(context.Background(), RunOptions{Duration: -1})
	if err != nil {
		t.Fatal(err)
	}
	if got := pumpOnPeriods(t, res); got != 0 {
		t.Fatalf("pump on at %d periods after the attack", got)
	}
	h0, _ := base.NodeSeries("2", "head")
	h1, _ := res.NodeSeries("2", "head")
	if h1[len(h1)-1] >= h0[len(h0)-1] {
		t.Fatalf("tank 2 did not drain: %g vs %g", h1[len(h1)-1], h0[len(h0)-1])
	}
	// The original network is untouched.
	if net.Link("9").Status != Open {
		t.Fatal("Clone shares links with the original")
	}
	imp := res.Impact(100)
	if imp.PopulationShare <= base.Impact(100).PopulationShare {
		t.Fatalf("attack did not increase the share below 100 psi: %g", imp.PopulationShare)
	}
	if imp.EnergyKWh != 0 {
		t.Fatalf("pump off but %g kWh used", imp.EnergyKWh)
	}
}

func TestLevelBiasShiftsPumpSchedule(t *testing.T) {
	net := loadNet1(t)
	sim, err := NewSimulator(net)
	if err != nil {
		t.Fatal(err)
	}
	base, err := sim.Run(context.Background(), RunOptions{Duration: -1})
	if err != nil {
		t.Fatal(err)
	}
	// The tank reads 10 ft higher than it is: the pump (on below 110 ft,
	// off above 140 ft) stops earlier and runs less.
	spoofed, err := sim.Run(context.Background(), RunOptions{Duration: -1, LevelBias: map[string]float64{"2": 10}})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := pumpOnPeriods(t, base), pumpOnPeriods(t, spoofed); b >= a {
		t.Fatalf("pump on %d periods spoofed vs %d honest", b, a)
	}
	if _, err := sim.Run(context.Background(), RunOptions{Duration: -1, LevelBias: map[string]float64{"nope": 1}}); err == nil {
		t.Fatal("unknown node accepted")
	}
}

func TestSetLinkSettingAndErrors(t *testing.T) {
	net := loadNet1(t)
	if err := net.SetLinkSetting("9", 0.8); err != nil {
		t.Fatal(err)
	}
	if err := net.SetLinkSetting("10", 1); err == nil {
		t.Fatal("a pipe took a setting")
	}
	if err := net.SetLinkStatus("nope", true); err == nil {
		t.Fatal("unknown link accepted")
	}
	if err := net.SetControlLevel(99, 1); err == nil {
		t.Fatal("unknown control accepted")
	}
	if err := net.SetControlLevel(0, 100); err != nil {
		t.Fatal(err)
	}
	if err := net.SetSourceStrength("9", 2); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), net)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := res.LinkSeries("9", "setting")
	if set[0] != float64(float32(0.8)) {
		t.Fatalf("pump speed %g, want 0.8", set[0])
	}
}

func TestChlorineBoosterAttack(t *testing.T) {
	net := loadNet1(t)
	base, err := Run(context.Background(), net)
	if err != nil {
		t.Fatal(err)
	}
	_, share0, err := base.QualityBelow(0.2)
	if err != nil {
		t.Fatal(err)
	}
	// Water leaves the source at 0.1 mg/L instead of 1.0 mg/L (a dosing
	// attack at the treatment plant): the residual falls below 0.2 mg/L.
	atk := net.Clone()
	for _, n := range atk.Nodes {
		n.InitQual = 0.1
	}
	res, err := Run(context.Background(), atk)
	if err != nil {
		t.Fatal(err)
	}
	below, share, err := res.QualityBelow(0.2)
	if err != nil {
		t.Fatal(err)
	}
	if share <= share0 || len(below) == 0 {
		t.Fatalf("share below 0.2 mg/L: %g attacked vs %g baseline", share, share0)
	}
	age := net.Clone()
	age.Options.Quality = QualAge
	r2, err := Run(context.Background(), age)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r2.QualityBelow(1); err == nil {
		t.Fatal("QualityBelow accepted an age analysis")
	}
}

func TestConcurrentSimulators(t *testing.T) {
	// Independent simulators on clones run in parallel and agree.
	net := loadNet1(t)
	want, err := Run(context.Background(), net)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func() {
			res, err := Run(context.Background(), net.Clone())
			if err == nil {
				for p := range res.Periods {
					for i := range res.Periods[p].Head {
						if res.Periods[p].Head[i] != want.Periods[p].Head[i] {
							err = fmt.Errorf("period %d node %d: %g vs %g", p, i, res.Periods[p].Head[i], want.Periods[p].Head[i])
						}
					}
				}
			}
			errs <- err
		}()
	}
	for w := 0; w < 4; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestOnPeriodStreams(t *testing.T) {
	net := loadNet1(t)
	sim, err := NewSimulator(net)
	if err != nil {
		t.Fatal(err)
	}
	want, err := sim.Run(context.Background(), RunOptions{Duration: -1})
	if err != nil {
		t.Fatal(err)
	}
	var heads []float64
	n := 0
	res, err := sim.Run(context.Background(), RunOptions{Duration: -1, OnPeriod: func(sn *Snapshot) {
		if sn.Period != n || sn.Time != want.Periods[n].Time {
			t.Fatalf("period %d at %d, want %d at %d", sn.Period, sn.Time, n, want.Periods[n].Time)
		}
		heads = append(heads, sn.Head[net.NodeIndex("2")])
		n++
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Periods) != 0 || n != len(want.Periods) {
		t.Fatalf("%d streamed, %d stored; want %d streamed", n, len(res.Periods), len(want.Periods))
	}
	for p, h := range heads {
		if h != want.Periods[p].Head[net.NodeIndex("2")] {
			t.Fatalf("period %d: tank head %g, want %g", p, h, want.Periods[p].Head[net.NodeIndex("2")])
		}
	}
}

func TestSeriesQuantities(t *testing.T) {
	sim, err := NewSimulator(loadNet1(t))
	if err != nil {
		t.Fatal(err)
	}
	res, err := sim.Run(context.Background(), RunOptions{Duration: -1})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		link         bool
		id, quantity string
		wantBadInput bool
	}{
		{id: "2", quantity: "head"},
		{id: "2", quantity: "pressure"},
		{link: true, id: "9", quantity: "flow"},
		{link: true, id: "10", quantity: "velocity"},
		{id: "2", quantity: "flow", wantBadInput: true},
		{link: true, id: "9", quantity: "head", wantBadInput: true},
		{id: "nope", quantity: "head", wantBadInput: true},
	} {
		t.Run(tc.id+"/"+tc.quantity, func(t *testing.T) {
			get := res.NodeSeries
			if tc.link {
				get = res.LinkSeries
			}
			got, err := get(tc.id, tc.quantity)
			if tc.wantBadInput {
				var bad interface{ BadInput() bool }
				if !errors.As(err, &bad) {
					t.Fatalf("err = %v, want a bad-input error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(res.Periods) || got[0] == 0 {
				t.Errorf("got %d values (first %v) for %d periods", len(got), got[:min(len(got), 1)], len(res.Periods))
			}
		})
	}
}
