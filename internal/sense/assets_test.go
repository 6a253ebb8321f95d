package sense_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/sense"
	"github.com/citadel-city/citadel/internal/sense/analyzers/modbus"
)

// TestAssetIDs names devices and alert ends with the city model's asset
// ids: one asset-id space from the model to the sensor.
func TestAssetIDs(t *testing.T) {
	c, err := model.Parse("m.yaml", []byte(`
zones: [{id: z, sector: water}]
assets:
  - {id: dosing-plc, kind: plc, zones: [z], services: [{protocol: modbus}], addresses: [10.0.0.2]}
  - {id: eng-ws, kind: engineering-workstation, zones: [z], addresses: [10.0.0.0/29]}
entry_points: [{id: e, kind: physical, zones: [z]}]
elements: [{id: el, kind: pump, sector: water}]
targets: [{id: x, sector: water, loss: l, elements: [el]}]
`))
	if err != nil {
		t.Fatal(err)
	}
	var pairs [][2]string
	for _, v := range []string{"ff00", "0000"} {
		for i := range 25 {
			adu := fmt.Sprintf("0001000000060105%04x%s", 0x20+i, v)
			pairs = append(pairs, [2]string{adu, adu})
		}
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pcap")
	if err := os.WriteFile(in, session(t, "10.0.0.1:40000", time.Unix(1700000000, 0), 50*time.Millisecond, pairs...), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if _, err := sense.Run(context.Background(), sense.Config{Pcaps: []string{in}, OutDir: out, Assets: c.AddressBook().Lookup,
		Engine: sense.EngineConfig{Analyzers: []sense.Analyzer{modbus.Analyzer{}}}}); err != nil {
		t.Fatal(err)
	}
	inv, err := os.ReadFile(filepath.Join(out, "inventory.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"- id: dosing-plc", "- id: eng-ws"} {
		if !strings.Contains(string(inv), id) {
			t.Errorf("inventory.yaml lacks %q:\n%s", id, inv)
		}
	}
	raw, err := os.ReadFile(filepath.Join(out, "alerts.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"asset_ids":["eng-ws","dosing-plc"]`) {
		t.Errorf("alerts do not name the assets at both ends:\n%s", raw)
	}
	if _, ok := c.AddressBook().Lookup(netip.MustParseAddr("10.0.0.9")); ok {
		t.Error("10.0.0.9 is outside every asset's addresses")
	}
}
