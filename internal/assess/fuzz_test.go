package assess

import (
	"context"
	"os"
	"testing"

	"github.com/citadel-city/citadel/internal/model"
)

// FuzzAssess runs the whole analysis on every model that validates: no
// valid model may make the graph, the paths or the cut panic.
func FuzzAssess(f *testing.F) {
	f.Add(model.SampleYAML())
	if b, err := os.ReadFile("../model/testdata/minimal.good.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`
zones: [{id: a, sector: it}, {id: b, sector: water}]
conduits: [{id: c, from: a, to: b, enforcement: vpn, direction: both, allow: [{protocol: modbus}]}]
elements: [{id: e, kind: pump, sector: water}]
assets:
  - {id: x, kind: plc, services: [{protocol: modbus}, {protocol: ssh, auth: default-credentials}], zones: [b], physical: {controls: [e]}, cves: [CVE-2020-0001]}
  - {id: l, kind: maintenance-laptop, services: [{protocol: smb}], auth: shared-password, zones: [a, b]}
entry_points: [{id: i, kind: internet, assets: [l]}, {id: p, kind: physical, zones: [a], likelihood: 0.5}]
targets: [{id: t, sector: water, loss: l, elements: [e], require: all}]
`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := model.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		r, err := Run(context.Background(), c, Options{K: 2, Workers: 1})
		if err != nil {
			return // e.g. an unknown ATT&CK technique: a reported error, not a crash
		}
		for _, tg := range r.Targets {
			if tg.Probability < 0 || tg.Probability > 1 || (tg.Reachable && len(tg.Paths) == 0) {
				t.Fatalf("target %s: probability %v, %d paths", tg.ID, tg.Probability, len(tg.Paths))
			}
		}
	})
}
