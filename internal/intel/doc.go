// Package intel is Citadel's vulnerability and threat knowledge: the embedded
// MITRE ATT&CK technique table (ICS and Enterprise) and a loader for a
// user-supplied, offline feed directory holding the CISA Known Exploited
// Vulnerabilities catalog (KEV) and CISA ICS advisories in CSAF 2.0.
//
// Feed.Match answers "which published vulnerabilities affect this
// vendor/product/firmware?" from the CSAF product trees, with free-text
// version ranges parsed by ParseRange. The matching rules, the range forms
// understood and the known limits are documented in docs/intel.md.
//
// The technique table is generated from MITRE's data; wherever technique names
// ship, Notice ships with them, and MITRE's licence applies
// (https://attack.mitre.org/resources/terms-of-use/).
package intel

//go:generate go run ./internal/gentechniques -o techniques_gen.go
