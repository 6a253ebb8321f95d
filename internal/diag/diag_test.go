package diag

import (
	"errors"
	"fmt"
	"testing"
)

func TestClosest(t *testing.T) {
	for _, tc := range []struct {
		got, want string
		ok        bool
	}{
		{"firewal", "firewall", true},
		{"WATER", "water", true},
		{"plnt", "plant", true},
		{"zzzzzz", "", false},
	} {
		best, ok := Closest(tc.got, []string{"firewall", "water", "plant", "vpn"})
		if best != tc.want || ok != tc.ok {
			t.Errorf("Closest(%q) = %q, %v; want %q, %v", tc.got, best, ok, tc.want, tc.ok)
		}
	}
	if d := EditDistance("kitten", "sitting"); d != 3 {
		t.Errorf("EditDistance = %d, want 3", d)
	}
}

func TestFormatAndBadInput(t *testing.T) {
	d := &Diagnostic{File: "c.yaml", Line: 3, Col: 7, Field: "zones[0].id", Msg: "duplicate id", Hint: "rename it"}
	if got, want := d.Error(), "c.yaml:3:7: zones[0].id: duplicate id (hint: rename it)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	p := &Diagnostic{File: "x.pcap", Packet: 12, Msg: "truncated record"}
	if got, want := p.Error(), "x.pcap: packet 12: truncated record"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	wrapped := fmt.Errorf("load: %w", List{d, p}.Err())
	if !IsBadInput(wrapped) || !IsBadInput(Errorf("bad flag")) || IsBadInput(errors.New("disk full")) {
		t.Error("IsBadInput misclassifies")
	}
}
