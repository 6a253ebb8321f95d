// Package model holds the city model of Citadel's digital twin: zones and
// conduits (IEC 62443 style), assets with their services, credentials, zone
// memberships and physical bindings, the physical elements they control, the
// attacker's entry points and the physical targets to protect.
//
// A model is read from YAML with positions kept for every value, so that
// Validate reports every mistake as file:line:col with a hint, in one run.
// The embedded sample city is the default model; Generate writes synthetic
// cities of any size.
package model

// City is a whole city model.
type City struct {
	Name        string       `yaml:"name,omitempty" doc:"Name of the city or of the system under consideration."`
	Description string       `yaml:"description,omitempty" doc:"Free text."`
	Zones       []Zone       `yaml:"zones" doc:"Network zones: groups of assets with the same security requirements (IEC 62443-3-2)."`
	Conduits    []Conduit    `yaml:"conduits,omitempty" doc:"Communication channels between zones, with what they let through."`
	Elements    []Element    `yaml:"elements,omitempty" doc:"Physical elements (pumps, valves, breakers, signal groups, camera views, alert channels) that assets control or report on."`
	Templates   []Template   `yaml:"templates,omitempty" doc:"Asset templates: shared kind, vendor, product, firmware, services and authentication that assets inherit with 'template'."`
	Assets      []Asset      `yaml:"assets" doc:"Devices and systems. A fleet of identical devices is one asset with a count."`
	Entries     []EntryPoint `yaml:"entry_points" doc:"Where an attacker can start."`
	Targets     []Target     `yaml:"targets" doc:"Physical consequences to protect against."`

	Dependencies []Dependency `yaml:"dependencies,omitempty" doc:"What physical elements need from other elements (power, water, control, communication), with their backups: the graph cascades follow (docs/cascade.md)."`
	Facilities   []Facility   `yaml:"facilities,omitempty" doc:"Critical facilities (hospitals, fire stations, water treatment) and the elements they need."`

	// File is the path the model was read from ("" for a model built in code).
	File string `yaml:"-"`
	pos  positions
}

// Zone is a network zone.
type Zone struct {
	ID          string `yaml:"id" doc:"Unique id, referenced by assets, conduits and entry points."`
	Name        string `yaml:"name,omitempty" doc:"Human name."`
	Sector      Sector `yaml:"sector" doc:"The sector the zone serves."`
	SLT         int    `yaml:"sl_t,omitempty" doc:"Target security level SL-T, 1 to 4 (IEC 62443-3-3); 0 when not assigned."`
	Monitored   bool   `yaml:"monitored,omitempty" doc:"A Citadel sensor watches traffic inside this zone."`
	Description string `yaml:"description,omitempty" doc:"Free text."`
}

// Conduit is a channel between two zones.
type Conduit struct {
	ID          string      `yaml:"id" doc:"Unique id."`
	From        string      `yaml:"from" doc:"Zone id on the initiating side."`
	To          string      `yaml:"to" doc:"Zone id on the responding side."`
	Direction   Direction   `yaml:"direction,omitempty" doc:"'forward' (from may open connections to to, the default) or 'both'."`
	Allow       []Service   `yaml:"allow,omitempty" doc:"Protocols and ports allowed through; empty means any."`
	Enforcement Enforcement `yaml:"enforcement" doc:"What enforces the conduit."`
	Monitored   bool        `yaml:"monitored,omitempty" doc:"A Citadel sensor watches this conduit."`
	Cost        float64     `yaml:"cost,omitempty" doc:"Cost of closing the conduit, overriding the default (see docs/scoring.md)."`
}

// Service is a network service an asset exposes, or a protocol a conduit allows.
type Service struct {
	Protocol Protocol  `yaml:"protocol" doc:"Protocol name from the catalogue."`
	Port     int       `yaml:"port,omitempty" doc:"TCP/UDP port; 0 means the protocol's default port."`
	Auth     AuthState `yaml:"auth,omitempty" doc:"Authentication of this service when it differs from the asset's."`
}

// Element is a physical element of the city's processes.
type Element struct {
	ID         string      `yaml:"id" doc:"Unique id, referenced by asset bindings and targets."`
	Name       string      `yaml:"name,omitempty" doc:"Human name."`
	Kind       ElementKind `yaml:"kind" doc:"What the element is."`
	Sector     Sector      `yaml:"sector" doc:"The sector it belongs to."`
	Ref        string      `yaml:"ref,omitempty" doc:"Id of the element in a physical model (EPANET link/node, MATPOWER bus/branch, SUMO junction)."`
	Population int         `yaml:"population,omitempty" doc:"People who depend on the element."`

	LoadMW            float64 `yaml:"load_mw,omitempty" doc:"Electrical load behind the element, MW: energy not served while it is out (cascades)."`
	DelayVehicleHours float64 `yaml:"delay_vehicle_hours,omitempty" doc:"Vehicle-hours of traffic delay per hour the element is out (cascades)."`
	EmergencyRoute    bool    `yaml:"emergency_route,omitempty" doc:"The element lies on an emergency route: the route is blocked while it is out (cascades)."`
}

// Profile is what an asset is: the fields a template shares with the assets
// that name it. An asset's own value wins over its template's; a field left
// empty in both takes the default given in its description.
type Profile struct {
	Kind        AssetKind   `yaml:"kind,omitempty" doc:"Asset kind from the catalogue (required on the asset or its template)."`
	Vendor      string      `yaml:"vendor,omitempty" doc:"Vendor name as in advisories."`
	Product     string      `yaml:"product,omitempty" doc:"Product or model name."`
	Firmware    string      `yaml:"firmware,omitempty" doc:"Firmware or software version."`
	Services    []Service   `yaml:"services,omitempty" doc:"Network services."`
	Auth        AuthState   `yaml:"auth,omitempty" doc:"Authentication state of the services (default unique-password)."`
	Criticality Criticality `yaml:"criticality,omitempty" doc:"Criticality (default medium)."`
	CVEs        []string    `yaml:"cves,omitempty" doc:"Known vulnerabilities (CVE ids), in addition to those matched from the intel feed."`
	Logs        bool        `yaml:"logs,omitempty" doc:"The asset sends its logs to the SOC."`
}

// Template is a set of asset fields shared by many assets.
type Template struct {
	ID      string `yaml:"id" doc:"Unique id, referenced by assets' 'template'."`
	Profile `yaml:",inline"`
}

// Asset is a device or system, or a fleet of identical ones.
type Asset struct {
	ID        string `yaml:"id" doc:"Unique id: the asset id used everywhere in Citadel."`
	Name      string `yaml:"name,omitempty" doc:"Human name."`
	Template  string `yaml:"template,omitempty" doc:"Template id whose fields this asset inherits; fields set here win."`
	Profile   `yaml:",inline"`
	Zones     []string `yaml:"zones" doc:"Zone ids the asset is a member of; two or more make it a bridge."`
	Addresses []string `yaml:"addresses,omitempty" doc:"IP addresses, or CIDR prefixes for a fleet, that tie observed traffic (citadel sense --model) to this asset id."`
	Count     int      `yaml:"count,omitempty" doc:"Number of identical devices in the fleet (default 1)."`
	Physical  *Binding `yaml:"physical,omitempty" doc:"The physical elements the asset controls or reports on."`
	Signals   []Signal `yaml:"signals,omitempty" doc:"Process values the asset serves over an OT protocol, named as in heartbeat data, so that citadel sense can feed the heartbeat from traffic."`
}

// Signal names a process value that an asset serves at one OT data point.
type Signal struct {
	Name    string  `yaml:"name" doc:"Signal name, as in the heartbeat's training data (e.g. L_T1)."`
	Point   string  `yaml:"point" doc:"KIND:INDEX of the data point: holding_register, input_register, coil or discrete_input with the 0-based Modbus address; analog_input, analog_output, binary_input, binary_output or counter with the DNP3 point index."`
	Station int     `yaml:"station,omitempty" doc:"Modbus unit id or DNP3 outstation address; 0 matches any."`
	Scale   float64 `yaml:"scale,omitempty" doc:"Engineering value = raw value × scale + offset; 0 means 1."`
	Offset  float64 `yaml:"offset,omitempty" doc:"Added after scaling."`
}

// Binding ties an asset to physical elements.
type Binding struct {
	Controls []string `yaml:"controls,omitempty" doc:"Element ids the asset can command."`
	Reports  []string `yaml:"reports,omitempty" doc:"Element ids the asset reports on (sensors, cameras): control of the asset falsifies their view."`
	Effect   string   `yaml:"effect,omitempty" doc:"What control of the asset lets an attacker do, in words."`
}

// EntryPoint is where an attacker starts.
type EntryPoint struct {
	ID         string    `yaml:"id" doc:"Unique id."`
	Name       string    `yaml:"name,omitempty" doc:"Human name."`
	Kind       EntryKind `yaml:"kind" doc:"How the attacker gets in."`
	Zones      []string  `yaml:"zones,omitempty" doc:"Zones the attacker gets network access to."`
	Assets     []string  `yaml:"assets,omitempty" doc:"Assets whose services are exposed at this entry (internet-facing devices), or, for phishing, the assets whose users can be phished."`
	Likelihood float64   `yaml:"likelihood,omitempty" doc:"Probability that an attacker has this entry, 0 to 1; default by kind (docs/scoring.md)."`
}

// Target is a physical consequence to protect against.
type Target struct {
	ID          string      `yaml:"id" doc:"Unique id."`
	Name        string      `yaml:"name,omitempty" doc:"Human name."`
	Sector      Sector      `yaml:"sector" doc:"Sector that suffers the loss."`
	Loss        string      `yaml:"loss" doc:"What is lost, in words, e.g. 'all signals red in the centre district'."`
	Elements    []string    `yaml:"elements" doc:"Physical elements involved."`
	Require     Require     `yaml:"require,omitempty" doc:"'any' (the default): command of any one element suffices; 'all': one asset must command every element (a coordinated attack)."`
	Via         Via         `yaml:"via,omitempty" doc:"'control' (default): commanding the elements; 'view': falsifying what operators or the public see of them."`
	Technique   string      `yaml:"technique,omitempty" doc:"ATT&CK for ICS technique of the impact step, overriding the default for the element kind."`
	Criticality Criticality `yaml:"criticality,omitempty" doc:"Weight of the target in risk (default high)."`
	Consequence Consequence `yaml:"consequence,omitempty" doc:"Declared physical consequence, used until a physics engine scores it."`
}

// Consequence is a physical consequence of reaching a target.
type Consequence struct {
	People             int     `yaml:"people,omitempty" json:"people" doc:"People without service or put at risk."`
	CriticalFacilities int     `yaml:"critical_facilities,omitempty" json:"critical_facilities" doc:"Hospitals, fire stations and the like affected."`
	MWhUnserved        float64 `yaml:"mwh_unserved,omitempty" json:"mwh_unserved" doc:"Energy not served, MWh."`
	VehicleHours       float64 `yaml:"vehicle_hours,omitempty" json:"vehicle_hours" doc:"Vehicle-hours of delay."`
}

// Dependency says that an element stops working when any needed element is
// out (or all of them, with require: all), once its backup runs out.
type Dependency struct {
	Element string         `yaml:"element" doc:"Id of the element that depends on others."`
	Needs   []string       `yaml:"needs" doc:"Ids of the elements it needs."`
	Kind    DependencyKind `yaml:"kind" doc:"What it needs from them."`
	Require Require        `yaml:"require,omitempty" doc:"'any' (the default): the loss of any needed element stops it; 'all': only the loss of every one (redundant supplies)."`
	Backup  *Backup        `yaml:"backup,omitempty" doc:"What keeps it working for a while after the loss; none when absent."`
}

// Backup is what carries an element or facility through the loss of a
// dependency for a while: a generator's fuel, a battery, a tank's storage.
type Backup struct {
	Kind  BackupKind `yaml:"kind" doc:"What the backup is."`
	Hours float64    `yaml:"hours,omitempty" doc:"How long it lasts, hours."`
}

// Facility is a critical facility: a hospital, fire station, water
// treatment plant and the like.
type Facility struct {
	ID         string       `yaml:"id" doc:"Unique id."`
	Name       string       `yaml:"name,omitempty" doc:"Human name."`
	Kind       FacilityKind `yaml:"kind" doc:"What the facility is."`
	Population int          `yaml:"population,omitempty" doc:"People the facility serves."`
	Needs      []Need       `yaml:"needs" doc:"The elements it depends on."`
}

// Need is one dependency of a facility on elements.
type Need struct {
	Elements []string       `yaml:"elements" doc:"Ids of the elements it needs."`
	Kind     DependencyKind `yaml:"kind" doc:"What it needs from them."`
	Require  Require        `yaml:"require,omitempty" doc:"'any' (the default) or 'all', as for dependencies."`
	Backup   *Backup        `yaml:"backup,omitempty" doc:"What keeps the facility going for a while after the loss; none when absent."`
}

// DependencyKind is what a dependency provides.
type DependencyKind string

// BackupKind is the kind of a backup.
type BackupKind string

// FacilityKind is the kind of a critical facility.
type FacilityKind string

// BackupNone is the kind of an absent backup.
const BackupNone BackupKind = "none"
