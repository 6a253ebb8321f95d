package intel

import (
	"github.com/citadel-city/citadel/internal/shareddata"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestLookupTechnique(t *testing.T) {
	// IDs the attack graph (issue 2) relies on, with their names and tactics
	// as published in ATT&CK v18.1.
	tests := []struct {
		id, name, domain string
		tactics          []string
	}{
		{"T0883", "Internet Accessible Device", "ics", []string{"Initial Access"}},
		{"T0812", "Default Credentials", "ics", []string{"Lateral Movement"}},
		{"T0859", "Valid Accounts", "ics", []string{"Persistence", "Lateral Movement"}},
		{"T0864", "Transient Cyber Asset", "ics", []string{"Initial Access"}},
		{"T0866", "Exploitation of Remote Services", "ics", []string{"Initial Access", "Lateral Movement"}},
		{"T0819", "Exploit Public-Facing Application", "ics", []string{"Initial Access"}},
		{"T0822", "External Remote Services", "ics", []string{"Initial Access"}},
		{"T0855", "Unauthorized Command Message", "ics", []string{"Impair Process Control"}},
		{"T0831", "Manipulation of Control", "ics", []string{"Impact"}},
		{"T0836", "Modify Parameter", "ics", []string{"Impair Process Control"}},
		{"T0886", "Remote Services", "ics", []string{"Initial Access", "Lateral Movement"}},
		{"T0846", "Remote System Discovery", "ics", []string{"Discovery"}},
		{"T0856", "Spoof Reporting Message", "ics", []string{"Evasion", "Impair Process Control"}},
		{"T0832", "Manipulation of View", "ics", []string{"Impact"}},
		{"T0865", "Spearphishing Attachment", "ics", []string{"Initial Access"}},
		{"T0847", "Replication Through Removable Media", "ics", []string{"Initial Access"}},
		{"T1566", "Phishing", "enterprise", []string{"Initial Access"}},
		{"T1133", "External Remote Services", "enterprise", []string{"Initial Access", "Persistence"}},
		{"T1078", "Valid Accounts", "enterprise", []string{"Initial Access", "Persistence", "Privilege Escalation", "Defense Evasion"}},
		{"T1190", "Exploit Public-Facing Application", "enterprise", []string{"Initial Access"}},
		{"T1566.001", "Spearphishing Attachment", "enterprise", []string{"Initial Access"}},
		{" t0812 ", "Default Credentials", "ics", []string{"Lateral Movement"}},
	}
	for _, tt := range tests {
		got, ok := LookupTechnique(tt.id)
		if !ok {
			t.Errorf("LookupTechnique(%q): not found", tt.id)
			continue
		}
		if got.Name != tt.name || got.Domain != tt.domain || !slices.Equal(got.Tactics, tt.tactics) {
			t.Errorf("LookupTechnique(%q) = %+v, want %s %s %v", tt.id, got, tt.name, tt.domain, tt.tactics)
		}
	}
	// Not found: unknown, empty, deprecated (ICS T0808 Control Device
	// Identification, T0818 Engineering Workstation Compromise; Enterprise
	// T1064 Scripting) and revoked (T1002 Data Compressed).
	for _, id := range []string{"", "T9999", "T0808", "T0818", "T1064", "T1002", "T0812.001"} {
		if got, ok := LookupTechnique(id); ok {
			t.Errorf("LookupTechnique(%q) = %+v, want not found", id, got)
		}
	}
}

func TestTechniques(t *testing.T) {
	all := Techniques()
	var ics, ent int
	for i, tq := range all {
		if i > 0 && all[i-1].ID >= tq.ID {
			t.Fatalf("not sorted at %d: %s >= %s", i, all[i-1].ID, tq.ID)
		}
		switch tq.Domain {
		case "ics":
			ics++
		case "enterprise":
			ent++
		default:
			t.Errorf("%s: domain %q", tq.ID, tq.Domain)
		}
		if tq.Name == "" || len(tq.Tactics) == 0 {
			t.Errorf("%s: empty name or tactics: %+v", tq.ID, tq)
		}
	}
	// SOURCES.md: 83 active ICS techniques, 691 active Enterprise ones.
	if ics != 83 || ent != 691 {
		t.Errorf("got %d ics + %d enterprise techniques, want 83 + 691", ics, ent)
	}
	// The result is a copy.
	all[0].Tactics[0] = "changed"
	if again := Techniques(); again[0].Tactics[0] == "changed" {
		t.Error("Techniques returned shared storage")
	}
}

func TestNoticeShipped(t *testing.T) {
	src, err := os.ReadFile("techniques_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), Notice) {
		t.Error("techniques_gen.go header lacks Notice")
	}
	// The copyright designation the licence asks to reproduce is Notice's.
	lic, err := os.ReadFile(shareddata.Path(t, "intel", "attack", "LICENSE.txt"))
	if err != nil {
		t.Fatal(err)
	}
	designation := strings.TrimSuffix(Notice, " ATT&CK® is a registered trademark of The MITRE Corporation.")
	if designation == Notice || !strings.Contains(string(lic), `"`+designation+`"`) {
		t.Errorf("Notice does not carry the copyright designation of the ATT&CK licence")
	}
}
