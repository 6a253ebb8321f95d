package model

import (
	"fmt"
	"net/netip"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
)

var (
	cveRE       = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)
	techniqueRE = regexp.MustCompile(`^T\d{4}(\.\d{3})?$`)
	idRE        = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:/-]*$`)
)

type validator struct {
	c    *City
	errs diag.List
}

func (v *validator) at(ptr any, field, msg, hint string) {
	p := v.c.PosOf(ptr)
	v.errs = append(v.errs, &diag.Diagnostic{File: v.c.File, Line: p.Line, Col: p.Col, Field: field, Msg: msg, Hint: hint})
}

// ids checks that the ids of one kind of thing are present, well formed and
// unique, and returns the set.
func (v *validator) ids(kind string, n int, id func(i int) *string, item func(i int) any) map[string]int {
	set := make(map[string]int, n)
	for i := range n {
		p := id(i)
		field := fmt.Sprintf("%s[%d].id", kind, i)
		switch {
		case *p == "":
			v.at(item(i), fmt.Sprintf("%s[%d]", kind, i), "missing id", "every entry needs a unique 'id'")
			continue
		case !idRE.MatchString(*p):
			v.at(p, field, fmt.Sprintf("bad id %q", *p), "use letters, digits and _ . : / - only, starting with a letter or digit")
		}
		if j, dup := set[*p]; dup {
			first := v.c.PosOf(id(j))
			v.at(p, field, fmt.Sprintf("duplicate id %q", *p), fmt.Sprintf("first defined at line %d; ids must be unique", first.Line))
			continue
		}
		set[*p] = i
	}
	return set
}

func (v *validator) ref(set map[string]int, what string, ptr *string, field string) {
	if *ptr == "" {
		v.at(ptr, field, "empty "+what+" reference", "")
		return
	}
	if _, ok := set[*ptr]; !ok {
		v.at(ptr, field, fmt.Sprintf("unknown %s %q", what, *ptr), suggestKey(*ptr, set, what))
	}
}

func (v *validator) refs(set map[string]int, what string, list []string, field string) {
	seen := map[string]bool{}
	for i := range list {
		f := fmt.Sprintf("%s[%d]", field, i)
		v.ref(set, what, &list[i], f)
		if seen[list[i]] {
			v.at(&list[i], f, fmt.Sprintf("%s %q listed twice", what, list[i]), "remove the repetition")
		}
		seen[list[i]] = true
	}
}

func suggestKey(got string, set map[string]int, what string) string {
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	if best, ok := diag.Closest(got, keys); ok {
		return fmt.Sprintf("did you mean %q?", best)
	}
	return fmt.Sprintf("define the %s first, or fix the id", what)
}

func (v *validator) required(ptr *string, field, what string, parent any) {
	if *ptr == "" {
		v.at(parent, field, "missing "+what, "")
	}
}

func (v *validator) services(list []Service, field string) {
	for i := range list {
		s := &list[i]
		f := fmt.Sprintf("%s[%d]", field, i)
		if s.Protocol == "" {
			v.at(s, f, "missing protocol", "e.g. protocol: modbus")
		}
		if s.Port < 0 || s.Port > 65535 {
			v.at(&s.Port, f+".port", fmt.Sprintf("port %d out of range", s.Port), "ports are 1 to 65535, or 0 for the protocol's default")
		}
	}
}

// PointKinds are the kinds of OT data point a signal can name.
var PointKinds = []string{"holding_register", "input_register", "coil", "discrete_input",
	"analog_input", "analog_output", "binary_input", "binary_output", "counter"}

// ParsePoint splits a signal's point into its kind and index.
func ParsePoint(s string) (kind string, index uint32, ok bool) {
	kind, idx, found := strings.Cut(s, ":")
	if !found || !slices.Contains(PointKinds, kind) {
		return "", 0, false
	}
	n, err := strconv.ParseUint(idx, 10, 32)
	if err != nil {
		return "", 0, false
	}
	return kind, uint32(n), true
}

// signals checks an asset's signals: named, unique across the city, at a
// well-formed point.
func (v *validator) signals(a *Asset, field string, owner map[string]string) {
	for i := range a.Signals {
		sg := &a.Signals[i]
		f := fmt.Sprintf("%s[%d]", field, i)
		switch {
		case sg.Name == "":
			v.at(sg, f+".name", "missing signal name", "name it as in the heartbeat's data, e.g. L_T1")
		case owner[sg.Name] != "":
			v.at(&sg.Name, f+".name", fmt.Sprintf("signal %q already belongs to asset %q", sg.Name, owner[sg.Name]), "signal names are unique in a city")
		default:
			owner[sg.Name] = a.ID
		}
		if _, _, ok := ParsePoint(sg.Point); !ok {
			v.at(&sg.Point, f+".point", fmt.Sprintf("bad point %q", sg.Point), "write KIND:INDEX with KIND one of "+strings.Join(PointKinds, ", "))
		}
		if sg.Station < 0 || sg.Station > 65535 {
			v.at(&sg.Station, f+".station", fmt.Sprintf("station %d out of range", sg.Station), "Modbus unit ids are 0-255, DNP3 addresses 0-65535")
		}
	}
}

// addresses checks an asset's IP addresses and prefixes; an exact address
// may belong to one asset only.
func (v *validator) addresses(a *Asset, field string, owner map[string]string) {
	for i := range a.Addresses {
		s := &a.Addresses[i]
		f := fmt.Sprintf("%s[%d]", field, i)
		if ad, err := netip.ParseAddr(*s); err == nil {
			key := ad.Unmap().String()
			if o, dup := owner[key]; dup && o != a.ID {
				v.at(s, f, fmt.Sprintf("address %s already belongs to asset %q", *s, o), "an address names one asset; give a fleet a prefix instead")
			}
			owner[key] = a.ID
			continue
		}
		if _, err := netip.ParsePrefix(*s); err != nil {
			v.at(s, f, fmt.Sprintf("bad address %q", *s), "write an IP address (10.1.2.3, fd00::5) or a prefix (10.1.2.0/24)")
		}
	}
}

// profile checks the fields an asset shares with templates.
func (v *validator) profile(p *Profile, field string) {
	v.services(p.Services, field+".services")
	v.cves(p.CVEs, field+".cves")
}

func (v *validator) cves(list []string, field string) {
	for i := range list {
		if !cveRE.MatchString(list[i]) {
			v.at(&list[i], fmt.Sprintf("%s[%d]", field, i), fmt.Sprintf("bad CVE id %q", list[i]), "write CVE-YYYY-NNNN")
		}
	}
}

// validate checks what the decoder cannot: ids, references and ranges.
func (c *City) validate() diag.List {
	v := &validator{c: c}
	zones := v.ids("zones", len(c.Zones), func(i int) *string { return &c.Zones[i].ID }, func(i int) any { return &c.Zones[i] })
	conduits := v.ids("conduits", len(c.Conduits), func(i int) *string { return &c.Conduits[i].ID }, func(i int) any { return &c.Conduits[i] })
	_ = conduits
	elements := v.ids("elements", len(c.Elements), func(i int) *string { return &c.Elements[i].ID }, func(i int) any { return &c.Elements[i] })
	templates := v.ids("templates", len(c.Templates), func(i int) *string { return &c.Templates[i].ID }, func(i int) any { return &c.Templates[i] })
	assets := v.ids("assets", len(c.Assets), func(i int) *string { return &c.Assets[i].ID }, func(i int) any { return &c.Assets[i] })
	addrOwner := map[string]string{}
	signalOwner := map[string]string{}
	v.ids("entry_points", len(c.Entries), func(i int) *string { return &c.Entries[i].ID }, func(i int) any { return &c.Entries[i] })
	v.ids("targets", len(c.Targets), func(i int) *string { return &c.Targets[i].ID }, func(i int) any { return &c.Targets[i] })

	if len(c.Zones) == 0 {
		v.at(c, "zones", "the model has no zones", "declare at least one zone")
	}
	for i := range c.Zones {
		z := &c.Zones[i]
		f := fmt.Sprintf("zones[%d]", i)
		if z.Sector == "" {
			v.at(z, f+".sector", "missing sector", "one of: "+strings.Join(enumValues["Sector"], ", "))
		}
		if z.SLT < 0 || z.SLT > 4 {
			v.at(&z.SLT, f+".sl_t", fmt.Sprintf("SL-T %d out of range", z.SLT), "IEC 62443 security levels are 1 to 4 (0: not assigned)")
		}
	}
	for i := range c.Conduits {
		cd := &c.Conduits[i]
		f := fmt.Sprintf("conduits[%d]", i)
		v.ref(zones, "zone", &cd.From, f+".from")
		v.ref(zones, "zone", &cd.To, f+".to")
		if cd.From != "" && cd.From == cd.To {
			v.at(&cd.To, f+".to", "a conduit joins two different zones", "assets in one zone already reach each other")
		}
		if cd.Enforcement == "" {
			v.at(cd, f+".enforcement", "missing enforcement", "one of: "+strings.Join(enumValues["Enforcement"], ", "))
		}
		if cd.Enforcement == EnforceDiode && cd.Direction == Both {
			v.at(&cd.Direction, f+".direction", "a data diode cannot pass traffic both ways", "use direction: forward")
		}
		v.services(cd.Allow, f+".allow")
		if cd.Cost < 0 {
			v.at(&cd.Cost, f+".cost", "negative cost", "")
		}
	}
	for i := range c.Elements {
		e := &c.Elements[i]
		f := fmt.Sprintf("elements[%d]", i)
		if e.Kind == "" {
			v.at(e, f+".kind", "missing kind", "e.g. kind: pump")
		}
		if e.Sector == "" {
			v.at(e, f+".sector", "missing sector", "one of: "+strings.Join(enumValues["Sector"], ", "))
		}
		if e.Population < 0 {
			v.at(&e.Population, f+".population", "negative population", "")
		}
		if e.LoadMW < 0 {
			v.at(&e.LoadMW, f+".load_mw", "negative load", "")
		}
		if e.DelayVehicleHours < 0 {
			v.at(&e.DelayVehicleHours, f+".delay_vehicle_hours", "negative delay", "")
		}
	}
	for i := range c.Templates {
		t := &c.Templates[i]
		f := fmt.Sprintf("templates[%d]", i)
		v.profile(&t.Profile, f)
	}
	for i := range c.Assets {
		a := &c.Assets[i]
		f := fmt.Sprintf("assets[%d]", i)
		var tmpl *Template
		if a.Template != "" {
			v.ref(templates, "template", &a.Template, f+".template")
			if j, ok := templates[a.Template]; ok {
				tmpl = &c.Templates[j]
			}
		}
		if a.Kind == "" && (tmpl == nil || tmpl.Kind == "") && (a.Template == "" || tmpl != nil) {
			v.at(a, f+".kind", "missing kind", "set 'kind' here or in its template")
		}
		if len(a.Zones) == 0 {
			v.at(a, f+".zones", "the asset is in no zone", "list the zones it is a member of")
		}
		v.refs(zones, "zone", a.Zones, f+".zones")
		if a.Count < 0 {
			v.at(&a.Count, f+".count", "negative count", "a fleet has count 1 or more")
		}
		v.profile(&a.Profile, f)
		v.addresses(a, f+".addresses", addrOwner)
		v.signals(a, f+".signals", signalOwner)
		if a.Physical != nil {
			v.refs(elements, "element", a.Physical.Controls, f+".physical.controls")
			v.refs(elements, "element", a.Physical.Reports, f+".physical.reports")
		}
	}
	if len(c.Entries) == 0 {
		v.at(c, "entry_points", "the model has no entry points", "declare where an attacker can start, e.g. kind: internet")
	}
	for i := range c.Entries {
		e := &c.Entries[i]
		f := fmt.Sprintf("entry_points[%d]", i)
		if e.Kind == "" {
			v.at(e, f+".kind", "missing kind", "one of: "+strings.Join(enumValues["EntryKind"], ", "))
		}
		v.refs(zones, "zone", e.Zones, f+".zones")
		v.refs(assets, "asset", e.Assets, f+".assets")
		if len(e.Zones) == 0 && len(e.Assets) == 0 {
			v.at(e, f, "the entry point leads nowhere", "list the zones it gives access to or the assets it exposes")
		}
		if e.Kind == "phishing" && len(e.Assets) == 0 {
			v.at(e, f+".assets", "a phishing entry needs the assets whose users can be phished", "list workstations under 'assets'")
		}
		if e.Likelihood < 0 || e.Likelihood > 1 {
			v.at(&e.Likelihood, f+".likelihood", fmt.Sprintf("likelihood %g is not a probability", e.Likelihood), "use a number from 0 to 1")
		}
	}
	if len(c.Targets) == 0 {
		v.at(c, "targets", "the model has no targets", "declare the physical consequences to protect against")
	}
	for i := range c.Targets {
		t := &c.Targets[i]
		f := fmt.Sprintf("targets[%d]", i)
		if t.Sector == "" {
			v.at(t, f+".sector", "missing sector", "one of: "+strings.Join(enumValues["Sector"], ", "))
		}
		v.required(&t.Loss, f+".loss", "loss (what is lost, in words)", t)
		if len(t.Elements) == 0 {
			v.at(t, f+".elements", "the target names no physical elements", "list the elements whose control or view is lost")
		}
		v.refs(elements, "element", t.Elements, f+".elements")
		if t.Technique != "" && !techniqueRE.MatchString(t.Technique) {
			v.at(&t.Technique, f+".technique", fmt.Sprintf("bad ATT&CK technique id %q", t.Technique), "write T0831 or T1566.001")
		}
		cq := &t.Consequence
		if cq.People < 0 || cq.CriticalFacilities < 0 || cq.MWhUnserved < 0 || cq.VehicleHours < 0 {
			v.at(cq, f+".consequence", "negative consequence", "consequences are counts and amounts, 0 or more")
		}
	}
	v.ids("facilities", len(c.Facilities), func(i int) *string { return &c.Facilities[i].ID }, func(i int) any { return &c.Facilities[i] })
	for i := range c.Facilities {
		f := &c.Facilities[i]
		if _, clash := elements[f.ID]; clash {
			v.at(&f.ID, fmt.Sprintf("facilities[%d].id", i), fmt.Sprintf("facility id %q is also an element id", f.ID), "cascade reports name both: give them different ids")
		}
	}
	for i := range c.Dependencies {
		d := &c.Dependencies[i]
		f := fmt.Sprintf("dependencies[%d]", i)
		v.ref(elements, "element", &d.Element, f+".element")
		v.need(elements, d, d.Needs, d.Kind, d.Backup, f, "needs")
		for j := range d.Needs {
			if d.Needs[j] == d.Element && d.Element != "" {
				v.at(&d.Needs[j], fmt.Sprintf("%s.needs[%d]", f, j), fmt.Sprintf("element %q needs itself", d.Element), "remove it from its own needs")
			}
		}
	}
	for i := range c.Facilities {
		fc := &c.Facilities[i]
		f := fmt.Sprintf("facilities[%d]", i)
		if fc.Kind == "" {
			v.at(fc, f+".kind", "missing kind", "one of: "+strings.Join(enumValues["FacilityKind"], ", "))
		}
		if fc.Population < 0 {
			v.at(&fc.Population, f+".population", "negative population", "")
		}
		if len(fc.Needs) == 0 {
			v.at(fc, f+".needs", "the facility needs nothing", "list the elements it depends on, e.g. needs: [{elements: [feeder-1], kind: power}]")
		}
		for j := range fc.Needs {
			n := &fc.Needs[j]
			v.need(elements, n, n.Elements, n.Kind, n.Backup, fmt.Sprintf("%s.needs[%d]", f, j), "elements")
		}
	}
	return v.errs
}

// need checks one dependency: what it needs, its kind and its backup.
func (v *validator) need(elements map[string]int, parent any, needs []string, kind DependencyKind, b *Backup, f, list string) {
	if len(needs) == 0 {
		v.at(parent, f+"."+list, "the dependency needs no element", "list the elements it needs")
	}
	v.refs(elements, "element", needs, f+"."+list)
	if kind == "" {
		v.at(parent, f+".kind", "missing kind", "one of: "+strings.Join(enumValues["DependencyKind"], ", "))
	}
	if b == nil {
		return
	}
	switch {
	case b.Kind == "":
		v.at(b, f+".backup.kind", "missing backup kind", "one of: "+strings.Join(enumValues["BackupKind"], ", "))
	case b.Hours < 0:
		v.at(&b.Hours, f+".backup.hours", fmt.Sprintf("negative backup duration %g h", b.Hours), "a backup lasts 0 hours or more")
	case b.Kind == BackupNone && b.Hours > 0:
		v.at(&b.Hours, f+".backup.hours", fmt.Sprintf("a backup of kind none lasting %g h", b.Hours), "name the backup's kind (generator, battery, tank) or drop the hours")
	case b.Kind != BackupNone && b.Hours == 0:
		v.at(b, f+".backup.hours", fmt.Sprintf("the %s backup lasts 0 hours", b.Kind), "give its duration in hours, or use kind: none")
	}
}

// resolve applies templates and defaults. It runs only on a valid model.
func (c *City) resolve() {
	tmpl := make(map[string]*Template, len(c.Templates))
	for i := range c.Templates {
		tmpl[c.Templates[i].ID] = &c.Templates[i]
	}
	for i := range c.Assets {
		a := &c.Assets[i]
		if t := tmpl[a.Template]; t != nil {
			a.Profile.inherit(&t.Profile)
		}
		if a.Count == 0 {
			a.Count = 1
		}
		a.Auth = or(a.Auth, AuthUnique)
		a.Criticality = or(a.Criticality, "medium")
	}
	for i := range c.Conduits {
		c.Conduits[i].Direction = or(c.Conduits[i].Direction, Forward)
	}
	for i := range c.Targets {
		t := &c.Targets[i]
		t.Require = or(t.Require, RequireAny)
		t.Via = or(t.Via, ViaControl)
		t.Criticality = or(t.Criticality, "high")
	}
	for i := range c.Dependencies {
		c.Dependencies[i].Require = or(c.Dependencies[i].Require, RequireAny)
	}
	for i := range c.Facilities {
		for j := range c.Facilities[i].Needs {
			n := &c.Facilities[i].Needs[j]
			n.Require = or(n.Require, RequireAny)
		}
	}
}

// inherit fills every field of p left empty with the template's value.
func (p *Profile) inherit(t *Profile) {
	pv, tv := reflect.ValueOf(p).Elem(), reflect.ValueOf(t).Elem()
	for i := range pv.NumField() {
		if f := pv.Field(i); f.IsZero() {
			f.Set(tv.Field(i))
		}
	}
}

func or[T ~string](a, b T) T {
	if a != "" {
		return a
	}
	return b
}
