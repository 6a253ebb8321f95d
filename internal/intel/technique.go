package intel

import (
	"slices"
	"sort"
	"strings"
)

// Notice is MITRE's copyright designation, to be printed wherever technique
// names ship.
const Notice = "© 2025 The MITRE Corporation. This work is reproduced and distributed with the permission of The MITRE Corporation. ATT&CK® is a registered trademark of The MITRE Corporation."

// Technique is one active ATT&CK technique or sub-technique.
type Technique struct {
	ID      string   // "T0812" or "T1566.001"
	Name    string   // "Default Credentials"
	Domain  string   // "ics" or "enterprise"
	Tactics []string // tactic names in matrix order, e.g. ["Lateral Movement", "Persistence"]
}

// LookupTechnique returns the active technique with the given ID from the
// embedded table (case-insensitive, surrounding space ignored). It needs no
// files. Deprecated and revoked techniques are not found.
func LookupTechnique(id string) (Technique, bool) {
	id = strings.ToUpper(strings.TrimSpace(id))
	i := sort.Search(len(techniques), func(i int) bool { return techniques[i].ID >= id })
	if i == len(techniques) || techniques[i].ID != id {
		return Technique{}, false
	}
	t := techniques[i]
	t.Tactics = slices.Clone(t.Tactics)
	return t, true
}

// Techniques returns every active technique of both domains, sorted by ID.
// The result is a copy the caller may modify.
func Techniques() []Technique {
	out := make([]Technique, len(techniques))
	for i, t := range techniques {
		t.Tactics = slices.Clone(t.Tactics)
		out[i] = t
	}
	return out
}
