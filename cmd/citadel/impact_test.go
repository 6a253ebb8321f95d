package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func TestImpact(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"impact", "--effect", "feeder-f3@0h"}, 0, "+12 h   booster-pumps"},
		{[]string{"impact", "--effect", "feeder-f3@0h", "--engine", "energy=matpower:sample"}, 0, "case riverton loses 6.5 MW"},
		{[]string{"impact", "../../examples/sample-city.yaml", "--effect", "substation-east@1h", "--horizon", "3d"}, 0, "centre-signals"},
		{[]string{"impact"}, 2, "no effect given"},
		{[]string{"impact", "--effect", "feeder-f9@0h"}, 2, `unknown element "feeder-f9"`},
		{[]string{"impact", "--effect", "feeder-f3@later"}, 2, `bad time "later"`},
		{[]string{"impact", "--effect", "feeder-f3@0h", "--horizon", "0h"}, 2, "--horizon"},
		{[]string{"impact", "--effect", "feeder-f3@0h", "--engine", "energy=nosuch"}, 2, `unknown engine "nosuch"`},
		{[]string{"impact", "--effect", "feeder-f3@0h", "--engine", "energy"}, 2, "SECTOR=ENGINE"},
		{[]string{"impact", "--effect", "feeder-f3@0h", "--engine", "energy=matpower"}, 2, "needs a case file"},
		{[]string{"impact", "nosuch.yaml", "--effect", "feeder-f3@0h"}, 2, "nosuch.yaml"},
	} {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tc.args, &out, &out)
			msg := out.String()
			if err != nil {
				msg += err.Error()
			}
			if code := exitCode(err); code != tc.code || !strings.Contains(msg, tc.want) {
				t.Fatalf("exit %d, want %d; output lacks %q:\n%s", code, tc.code, tc.want, msg)
			}
		})
	}
	out, _, code := runCLI(t, "impact", "--effect", "feeder-f3@0h", "--json")
	var imp struct {
		Consequence struct {
			People             int     `json:"people"`
			CriticalFacilities int     `json:"critical_facilities"`
			MWhUnserved        float64 `json:"mwh_unserved"`
		} `json:"consequence"`
	}
	if err := json.Unmarshal([]byte(out), &imp); err != nil || code != 0 {
		t.Fatalf("--json: exit %d, %v:\n%s", code, err, out)
	}
	if c := imp.Consequence; c.People != 260000 || c.CriticalFacilities != 3 || c.MWhUnserved != 156 {
		t.Errorf("consequence %+v", c)
	}
}
