// Package graph builds Citadel's attack graph from a city model and analyses
// it: the k most likely attack paths to every physical target, the risk of
// each target, and the cheapest set of fixes that cuts every path (a weighted
// minimum cut), ranked by the risk each fix removes.
//
// The graph is a logical attack graph in the manner of MulVAL: its nodes are
// attacker privileges (network access to a zone, reach of a service, code
// execution on an asset, control of an asset's physical elements, a target's
// physical effect) and its edges are interaction rules, each labelled with an
// ATT&CK technique, a kill-chain stage and a success probability. Every fix
// the defender can make removes exactly one edge, which makes the remediation
// problem an exact minimum cut. See docs/scoring.md.
package graph

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/graph/csr"
	"github.com/citadel-city/citadel/internal/intel"
	"github.com/citadel-city/citadel/internal/model"
)

// NodeKind is the kind of privilege a node stands for.
type NodeKind uint8

// The node kinds.
const (
	NSource     NodeKind = iota // the attacker, before any entry point
	NSink                       // every target, for cuts
	NEntry                      // the attacker holds an entry point
	NNet                        // network access inside a zone
	NExpose                     // an asset's services are visible at an entry point
	NService                    // an asset's service can be reached
	NLogin                      // a login to the asset's weak credentials can be tried
	NExploit                    // the asset's vulnerabilities can be exploited
	NCommand                    // the asset accepts unauthenticated process commands
	NExec                       // code execution or a session on the asset
	NControl                    // control of the asset's physical elements
	NConduitIn                  // traffic headed into a conduit
	NConduitOut                 // traffic through a conduit
	NTarget                     // a target's physical effect is achieved
)

// Node is a privilege: its kind and the index of the asset, zone, entry
// point, conduit or target it is about (Sub is a service or zone index).
type Node struct {
	Kind NodeKind
	Ref  int32
	Sub  int32
}

// Stage is a kill-chain stage.
type Stage uint8

// The kill-chain stages.
const (
	StageNone Stage = iota
	StageRecon
	StageInitialAccess
	StagePivot
	StageImpact
)

func (s Stage) String() string {
	return [...]string{"", "recon", "initial-access", "pivot", "impact"}[s]
}

// Rule is the interaction rule an edge instantiates.
type Rule uint8

// The rules.
const (
	RStructural  Rule = iota // no attacker action (e.g. zone access reaches a service)
	REntryZone               // an entry point gives access to a zone
	RExpose                  // an entry point exposes an asset (found by scanning)
	RPhish                   // a user of the asset is phished
	RLogin                   // a weak login succeeds
	RExploit                 // a vulnerability is exploited
	RCommand                 // an unauthenticated process command is accepted
	RBridge                  // an asset in several zones relays to another zone
	RDiscover                // from a foothold the zone's systems are discovered
	RConduit                 // a conduit lets traffic through
	RExecControl             // a compromised asset is used to command its elements
	RImpact                  // commanding the elements achieves the target
)

// Compromise reports whether the rule gives the attacker a new asset.
func (r Rule) Compromise() bool { return r == RLogin || r == RExploit || r == RCommand || r == RPhish }

// Graph is the attack graph of one city.
type Graph struct {
	City  *model.City
	G     *csr.Graph
	Nodes []Node

	// Per edge.
	Rule  []Rule
	Prob  []float64
	Tech  []uint16 // index into Techs; 0 for structural edges
	Hours []float32
	Fix   []int32 // index into Fixes, -1 when no fix removes the edge

	Techs   []string // technique ids; Techs[0] is ""
	Fixes   []Fix
	Vulns   [][]intel.Vuln // per asset, what the exploit rule used
	Source  int32
	Sink    int32
	Targets []int32 // node of each target, by target index

	techIndex map[string]uint16
}

// Fix is a change the defender can make that removes one edge.
type Fix struct {
	ID     string
	Kind   string // credentials, mfa, patch, allowlist, remove-bridge, remove-exposure, close-conduit
	Asset  string // asset id, "" for conduits
	Action string // what to do, in words
	Cost   float64
	Edge   int32 // the edge the fix removes
}

// builder accumulates nodes and edges.
type builder struct {
	g        *Graph
	tail     []int32
	head     []int32
	nodeIdx  map[Node]int32
	feed     *intel.Feed
	vulnMemo map[string][]intel.Vuln
}

func (b *builder) node(kind NodeKind, ref, sub int32) int32 {
	n := Node{kind, ref, sub}
	if id, ok := b.nodeIdx[n]; ok {
		return id
	}
	id := int32(len(b.g.Nodes))
	b.g.Nodes = append(b.g.Nodes, n)
	b.nodeIdx[n] = id
	return id
}

func (b *builder) tech(id string) uint16 {
	if id == "" {
		return 0
	}
	if i, ok := b.g.techIndex[id]; ok {
		return i
	}
	i := uint16(len(b.g.Techs))
	b.g.Techs = append(b.g.Techs, id)
	b.g.techIndex[id] = i
	return i
}

func (b *builder) edge(from, to int32, r Rule, p float64, tech string, hours float32) int32 {
	e := int32(len(b.tail))
	b.tail = append(b.tail, from)
	b.head = append(b.head, to)
	b.g.Rule = append(b.g.Rule, r)
	b.g.Prob = append(b.g.Prob, p)
	b.g.Tech = append(b.g.Tech, b.tech(tech))
	b.g.Hours = append(b.g.Hours, hours)
	b.g.Fix = append(b.g.Fix, -1)
	return e
}

func (b *builder) fix(e int32, f Fix) {
	f.Edge = e
	b.g.Fix[e] = int32(len(b.g.Fixes))
	b.g.Fixes = append(b.g.Fixes, f)
}

// Build derives the attack graph of c. feed may be nil: then only the CVEs
// the model declares are known, with default severity.
func Build(c *model.City, feed *intel.Feed) (*Graph, error) {
	g := &Graph{City: c, Techs: []string{""}, techIndex: map[string]uint16{"": 0}}
	b := &builder{g: g, nodeIdx: make(map[Node]int32, 8*len(c.Assets)), feed: feed, vulnMemo: map[string][]intel.Vuln{}}
	g.Source = b.node(NSource, 0, 0)
	g.Sink = b.node(NSink, 0, 0)

	zoneIdx := make(map[string]int32, len(c.Zones))
	for i, z := range c.Zones {
		zoneIdx[z.ID] = int32(i)
	}
	assetIdx := make(map[string]int32, len(c.Assets))
	for i, a := range c.Assets {
		assetIdx[a.ID] = int32(i)
	}
	zoneAssets := make([][]int32, len(c.Zones))
	for i, a := range c.Assets {
		for _, z := range a.Zones {
			zoneAssets[zoneIdx[z]] = append(zoneAssets[zoneIdx[z]], int32(i))
		}
	}
	g.Vulns = make([][]intel.Vuln, len(c.Assets))

	// Assets: services, the ways in, execution, control.
	for i := range c.Assets {
		b.asset(int32(i), zoneIdx)
	}
	// Zones: access reaches every member's services.
	for zi := range c.Zones {
		net := b.node(NNet, int32(zi), 0)
		for _, ai := range zoneAssets[zi] {
			for si := range c.Assets[ai].Services {
				b.edge(net, b.node(NService, ai, int32(si)), RStructural, 1, "", 0)
			}
		}
	}
	// Conduits.
	for ci := range c.Conduits {
		b.conduit(int32(ci), zoneIdx, zoneAssets)
	}
	// Entry points.
	for ei := range c.Entries {
		b.entry(int32(ei), zoneIdx, assetIdx)
	}
	// Targets.
	if err := b.targets(); err != nil {
		return nil, err
	}

	gr, err := csr.Build(len(g.Nodes), b.tail, b.head)
	if err != nil {
		return nil, fmt.Errorf("build attack graph: %w", err)
	}
	g.G = gr
	return g, nil
}

// Default probabilities and efforts; docs/scoring.md explains them.
const (
	pLoginNone     = 0.95
	pLoginDefault  = 0.9
	pLoginShared   = 0.4
	pCommand       = 0.8
	pBridge        = 0.9
	pDiscover      = 0.95
	pExecControl   = 0.9
	pImpact        = 0.9
	pExposeScan    = 0.95
	pConduitOpen   = 1.0
	pConduitVPN    = 0.3
	pConduitVPNMFA = 0.05
	pConduitDiode  = 0.02
)

// EntryLikelihood is the default probability that an attacker holds an entry point of each kind.
var EntryLikelihood = map[model.EntryKind]float64{
	"internet": 1.0, "public-wifi": 0.9, "vendor-remote": 0.3, "phishing": 0.3, "physical": 0.2,
}

// shellLike reports whether a compromise of the asset gives an interactive
// foothold from which an operator interface can be driven.
var guiKinds = map[model.AssetKind]bool{
	"hmi": true, "scada-server": true, "traffic-management-server": true, "ami-headend": true,
	"public-alert-gateway": true, "video-management-server": true, "nvr": true, "engineering-workstation": true,
	"historian": true, "server": true, "workstation": true, "maintenance-laptop": true,
}

func (b *builder) asset(ai int32, zoneIdx map[string]int32) {
	c := b.g.City
	a := &c.Assets[ai]
	exec := b.node(NExec, ai, 0)
	vulns := b.vulns(a)
	b.g.Vulns[ai] = vulns
	pExploit, exploitTech := exploitProb(vulns, a.Auth)

	var login, exploit, command int32 = -1, -1, -1
	for si, s := range a.Services {
		svc := b.node(NService, ai, int32(si))
		info, _ := s.Protocol.Info()
		auth := a.Auth
		if s.Auth != "" {
			auth = s.Auth
		}
		weak := auth == model.AuthNone || auth == model.AuthDefault || auth == model.AuthShared
		switch info.Access {
		case model.AccessShell, model.AccessControlAuth:
			if weak {
				if login < 0 {
					login = b.node(NLogin, ai, 0)
				}
				b.edge(svc, login, RStructural, 1, "", 0)
			}
		case model.AccessControl:
			if command < 0 {
				command = b.node(NCommand, ai, 0)
			}
			b.edge(svc, command, RStructural, 1, "", 0)
		}
		if pExploit > 0 {
			if exploit < 0 {
				exploit = b.node(NExploit, ai, 0)
			}
			b.edge(svc, exploit, RStructural, 1, "", 0)
		}
	}
	if login >= 0 {
		p, tech, kind, action := loginRule(a)
		e := b.edge(login, exec, RLogin, p, tech, loginHours(a.Auth))
		b.fix(e, Fix{ID: kind + ":" + a.ID, Kind: kind, Asset: a.ID, Action: action, Cost: fleetCost(costOf[kind], a.Count)})
	}
	if exploit >= 0 {
		e := b.edge(exploit, exec, RExploit, pExploit, exploitTech, 4)
		b.fix(e, Fix{ID: "patch:" + a.ID, Kind: "patch", Asset: a.ID, Action: patchAction(a, vulns), Cost: fleetCost(costOf["patch"], a.Count)})
	}
	bound := a.Physical != nil && (len(a.Physical.Controls) > 0 || len(a.Physical.Reports) > 0)
	if bound {
		control := b.node(NControl, ai, 0)
		if command >= 0 {
			e := b.edge(command, control, RCommand, pCommand, "T0855", 1)
			b.fix(e, Fix{ID: "allowlist:" + a.ID, Kind: "allowlist", Asset: a.ID,
				Action: "allow process commands only from the authorised masters (protocol allow-list firewall or secure authentication such as DNP3-SA)",
				Cost:   fleetCost(costOf["allowlist"], a.Count)})
		}
		tech := "T0855"
		switch {
		case len(a.Physical.Controls) == 0:
			tech = "T0856" // it only reports: spoof what it reports
		case guiKinds[a.Kind]:
			tech = "T0823"
		}
		b.edge(exec, control, RExecControl, pExecControl, tech, 1)
	}
	// From a foothold: the asset's zones.
	for _, z := range a.Zones {
		zi := zoneIdx[z]
		net := b.node(NNet, zi, 0)
		if len(a.Zones) == 1 {
			b.edge(exec, net, RDiscover, pDiscover, "T0846", 2)
			continue
		}
		tech := "T0886"
		switch a.Kind {
		case "maintenance-laptop", "engineering-workstation":
			tech = "T0864"
		case "vpn-gateway":
			tech = "T0822"
		}
		e := b.edge(exec, net, RBridge, pBridge, tech, 2)
		b.fix(e, Fix{ID: "unbridge:" + a.ID + ":" + z, Kind: "remove-bridge", Asset: a.ID,
			Action: fmt.Sprintf("remove %s from zone %s (no dual-homing; connect through a conduit with a firewall)", a.ID, z),
			Cost:   fleetCost(costOf["remove-bridge"], a.Count)})
	}
}

// costOf is the base cost of each kind of fix, in relative effort units.
var costOf = map[string]float64{
	"credentials": 1, "mfa": 2, "patch": 3, "allowlist": 4, "remove-bridge": 2, "remove-exposure": 2, "close-conduit": 5,
}

// fleetCost scales a base cost with the size of a fleet: changing 10,000
// devices costs more than one, but not 10,000 times more (it is automated).
func fleetCost(base float64, count int) float64 {
	if count <= 1 {
		return base
	}
	return base * (1 + math.Log10(float64(count)))
}

func loginHours(a model.AuthState) float32 {
	switch a {
	case model.AuthNone:
		return 0.25
	case model.AuthDefault:
		return 0.5
	}
	return 8
}

func loginRule(a *model.Asset) (p float64, tech, fixKind, action string) {
	remote := a.Kind == "vpn-gateway"
	for _, s := range a.Services {
		if s.Protocol == "vpn" {
			remote = true
		}
	}
	fixKind, action = "credentials", "replace default and shared credentials with unique per-user credentials"
	if remote {
		fixKind, action = "mfa", "require multi-factor authentication for remote access"
	}
	switch a.Auth {
	case model.AuthNone:
		return pLoginNone, "T0886", fixKind, "require authentication: " + action
	case model.AuthDefault:
		return pLoginDefault, "T0812", fixKind, action
	}
	// Shared passwords: some services on the asset may be weaker than its default.
	p = pLoginShared
	for _, s := range a.Services {
		switch s.Auth {
		case model.AuthNone:
			p = max(p, pLoginNone)
		case model.AuthDefault:
			p = max(p, pLoginDefault)
		}
	}
	tech = "T0859"
	if p == pLoginDefault {
		tech = "T0812"
	}
	return p, tech, fixKind, action
}

// vulns returns the asset's known vulnerabilities: those it declares and
// those the feed matches to its vendor, product and firmware.
func (b *builder) vulns(a *model.Asset) []intel.Vuln {
	key := a.Vendor + "\x00" + a.Product + "\x00" + a.Firmware + "\x00" + strings.Join(a.CVEs, ",")
	if v, ok := b.vulnMemo[key]; ok {
		return v
	}
	var out []intel.Vuln
	seen := map[string]bool{}
	for _, id := range a.CVEs {
		v := intel.Vuln{CVE: id, Network: true}
		if b.feed != nil {
			if fv, ok := b.feed.CVE(id); ok {
				v = fv
			}
		}
		out = append(out, v)
		seen[id] = true
	}
	if b.feed != nil && a.Vendor != "" && a.Product != "" {
		for _, v := range b.feed.Match(a.Vendor, a.Product, a.Firmware) {
			if !seen[v.CVE] {
				out = append(out, v)
				seen[v.CVE] = true
			}
		}
	}
	slices.SortFunc(out, func(x, y intel.Vuln) int { return strings.Compare(x.CVE, y.CVE) })
	b.vulnMemo[key] = out
	return out
}

// exploitProb is the likelihood of exploiting the best of the vulnerabilities.
func exploitProb(vs []intel.Vuln, auth model.AuthState) (float64, string) {
	best := 0.0
	for _, v := range vs {
		if !v.Network {
			continue
		}
		var p float64
		switch {
		case v.KEV:
			p = 0.9
		case v.CVSS >= 9:
			p = 0.6
		case v.CVSS >= 7:
			p = 0.4
		case v.CVSS > 0:
			p = 0.2
		default:
			p = 0.4 // declared without a score: assume high severity
		}
		if v.AuthRequired {
			switch auth {
			case model.AuthUnique:
				p *= 0.25
			case model.AuthMFA:
				p *= 0.05
			}
		}
		best = max(best, p)
	}
	return best, "T0866"
}

func patchAction(a *model.Asset, vs []intel.Vuln) string {
	ids := make([]string, 0, len(vs))
	for _, v := range vs {
		ids = append(ids, v.CVE)
	}
	if len(ids) > 4 {
		ids = append(ids[:4], fmt.Sprintf("and %d more", len(vs)-4))
	}
	return fmt.Sprintf("update %s firmware/software to a fixed version (%s)", a.ID, strings.Join(ids, ", "))
}

func (b *builder) conduit(ci int32, zoneIdx map[string]int32, zoneAssets [][]int32) {
	c := b.g.City
	cd := &c.Conduits[ci]
	in := b.node(NConduitIn, ci, 0)
	out := b.node(NConduitOut, ci, 0)
	from, to := zoneIdx[cd.From], zoneIdx[cd.To]
	b.edge(b.node(NNet, from, 0), in, RStructural, 1, "", 0)
	if cd.Direction == model.Both {
		b.edge(b.node(NNet, to, 0), in, RStructural, 1, "", 0)
	}
	p, tech := pConduitOpen, "T0886"
	switch cd.Enforcement {
	case model.EnforceVPN:
		p, tech = pConduitVPN, "T0822"
	case model.EnforceMFA:
		p, tech = pConduitVPNMFA, "T0822"
	case model.EnforceDiode:
		p = pConduitDiode
	}
	e := b.edge(in, out, RConduit, p, tech, 2)
	cost := costOf["close-conduit"]
	if cd.Cost > 0 {
		cost = cd.Cost
	}
	b.fix(e, Fix{ID: "close:" + cd.ID, Kind: "close-conduit", Action: fmt.Sprintf("close conduit %s (%s → %s) or narrow it to the flows operations need", cd.ID, cd.From, cd.To), Cost: cost})
	reach := func(zi int32) {
		for _, ai := range zoneAssets[zi] {
			for si, s := range c.Assets[ai].Services {
				if allowed(cd.Allow, s) {
					b.edge(out, b.node(NService, ai, int32(si)), RStructural, 1, "", 0)
				}
			}
		}
	}
	reach(to)
	if cd.Direction == model.Both {
		reach(from)
	}
}

func allowed(allow []model.Service, s model.Service) bool {
	if len(allow) == 0 {
		return true
	}
	for _, a := range allow {
		if a.Protocol == s.Protocol && (a.Port == 0 || a.EffectivePort() == s.EffectivePort()) {
			return true
		}
	}
	return false
}

var entryTech = map[model.EntryKind]string{
	"internet": "T0883", "public-wifi": "T0860", "vendor-remote": "T0822", "phishing": "T0865", "physical": "T1200",
}

func (b *builder) entry(ei int32, zoneIdx map[string]int32, assetIdx map[string]int32) {
	c := b.g.City
	e := &c.Entries[ei]
	en := b.node(NEntry, ei, 0)
	lik := e.Likelihood
	if lik == 0 {
		lik = EntryLikelihood[e.Kind]
	}
	b.edge(b.g.Source, en, RStructural, lik, "", 0)
	tech := entryTech[e.Kind]
	for _, z := range e.Zones {
		zi := zoneIdx[z]
		t := tech
		if e.Kind == "internet" {
			t = "T0846"
		}
		b.edge(en, b.node(NNet, zi, 0), REntryZone, 1, t, 1)
	}
	for _, id := range e.Assets {
		ai := assetIdx[id]
		a := &c.Assets[ai]
		if e.Kind == "phishing" {
			b.edge(en, b.node(NExec, ai, 0), RPhish, 1, "T0865", 24)
			continue
		}
		x := b.node(NExpose, ei, ai)
		p := pExposeScan
		if e.Kind != "internet" {
			p = 1
		}
		ed := b.edge(en, x, RExpose, p, tech, 2)
		b.fix(ed, Fix{ID: "unexpose:" + e.ID + ":" + a.ID, Kind: "remove-exposure", Asset: a.ID,
			Action: fmt.Sprintf("stop exposing %s at %s (put it behind the VPN or a firewall)", a.ID, e.ID),
			Cost:   fleetCost(costOf["remove-exposure"], a.Count)})
		for si := range a.Services {
			b.edge(x, b.node(NService, ai, int32(si)), RStructural, 1, "", 0)
		}
	}
}

// impactTech is the default impact technique for a target by element kind.
var impactTech = map[model.ElementKind]string{
	"dosing-pump": "T0836", "treatment-plant": "T0836", "tank": "T0836", "reservoir": "T0836",
	"camera-view": "T0832", "alert-channel": "T0856",
}

func (b *builder) targets() error {
	c := b.g.City
	var errs diag.List
	for i := range c.Targets {
		t := &c.Targets[i]
		if t.Technique == "" {
			continue
		}
		if _, ok := intel.LookupTechnique(t.Technique); !ok {
			p := c.PosOf(&t.Technique)
			errs = append(errs, &diag.Diagnostic{File: c.File, Line: p.Line, Col: p.Col, Field: fmt.Sprintf("targets[%d].technique", i),
				Msg: fmt.Sprintf("%s is not an active ATT&CK technique", t.Technique), Hint: "see https://attack.mitre.org/techniques/ics/"})
		}
	}
	if err := errs.Err(); err != nil {
		return err
	}
	// Which assets control (or report on) each element.
	controls := map[string][]int32{}
	reports := map[string][]int32{}
	for i := range c.Assets {
		if p := c.Assets[i].Physical; p != nil {
			for _, el := range p.Controls {
				controls[el] = append(controls[el], int32(i))
			}
			for _, el := range p.Reports {
				reports[el] = append(reports[el], int32(i))
			}
		}
	}
	kindOf := map[string]model.ElementKind{}
	for _, el := range c.Elements {
		kindOf[el.ID] = el.Kind
	}
	b.g.Targets = make([]int32, len(c.Targets))
	for ti := range c.Targets {
		t := &c.Targets[ti]
		tn := b.node(NTarget, int32(ti), 0)
		b.g.Targets[ti] = tn
		b.edge(tn, b.g.Sink, RStructural, 1, "", 0)
		tech := t.Technique
		if tech == "" {
			tech = "T0831"
			if len(t.Elements) > 0 {
				if x, ok := impactTech[kindOf[t.Elements[0]]]; ok {
					tech = x
				}
			}
			if t.Via == model.ViaView {
				tech = "T0832"
			}
		}
		by := controls
		if t.Via == model.ViaView {
			by = reports
		}
		// Candidates: assets bound to any of the target's elements.
		var cands []int32
		for _, el := range t.Elements {
			cands = append(cands, by[el]...)
		}
		slices.Sort(cands)
		cands = slices.Compact(cands)
		for _, ai := range cands {
			if t.Require == model.RequireAll && !coversAll(c.Assets[ai].Physical, t.Elements, t.Via) {
				continue
			}
			b.edge(b.node(NControl, ai, 0), tn, RImpact, pImpact, tech, 1)
		}
	}
	return nil
}

func coversAll(p *model.Binding, elements []string, via model.Via) bool {
	have := p.Controls
	if via == model.ViaView {
		have = p.Reports
	}
	for _, el := range elements {
		if !slices.Contains(have, el) {
			return false
		}
	}
	return true
}
