package model

import "slices"

// Every enumerated field has a named string type whose values are listed
// here; the loader rejects anything else with a hint, and the JSON Schema
// lists the values.

// Sector is a sector of the city.
type Sector string

// AuthState is how a service authenticates its users.
type AuthState string

// Enforcement is what enforces a conduit.
type Enforcement string

// Direction is the direction in which a conduit lets connections be opened.
type Direction string

// AssetKind is the kind of an asset, from the catalogue.
type AssetKind string

// ElementKind is the kind of a physical element.
type ElementKind string

// EntryKind is the kind of an entry point.
type EntryKind string

// Require says whether a target needs any or all of its elements.
type Require string

// Via says how a target is reached: by control or by falsified view.
type Via string

// Criticality ranks assets and targets.
type Criticality string

// Protocol is a network protocol from the catalogue.
type Protocol string

// The values of the enumerated types.
const (
	AuthNone     AuthState   = "none"
	AuthDefault  AuthState   = "default-credentials"
	AuthShared   AuthState   = "shared-password"
	AuthUnique   AuthState   = "unique-password"
	AuthMFA      AuthState   = "mfa"
	EnforceNone  Enforcement = "none"
	EnforceFW    Enforcement = "firewall"
	EnforceVPN   Enforcement = "vpn"
	EnforceMFA   Enforcement = "vpn-mfa"
	EnforceDiode Enforcement = "data-diode"
	Forward      Direction   = "forward"
	Both         Direction   = "both"
	RequireAny   Require     = "any"
	RequireAll   Require     = "all"
	ViaControl   Via         = "control"
	ViaView      Via         = "view"
)

var enumValues = map[string][]string{
	"Sector":      {"it", "traffic", "energy", "water", "public-safety", "transit"},
	"AuthState":   {"none", "default-credentials", "shared-password", "unique-password", "mfa"},
	"Enforcement": {"none", "firewall", "vpn", "vpn-mfa", "data-diode"},
	"Direction":   {"forward", "both"},
	"AssetKind": {
		"plc", "rtu", "hmi", "historian", "scada-server", "engineering-workstation", "maintenance-laptop",
		"protection-relay", "traffic-controller", "traffic-management-server", "road-sensor",
		"smart-meter", "ami-headend", "data-concentrator", "camera", "nvr", "video-management-server",
		"public-alert-gateway", "wifi-ap", "server", "workstation", "domain-controller", "mail-server",
		"firewall", "vpn-gateway", "router", "switch", "iot-gateway", "cellular-router",
	},
	"ElementKind": {
		"pump", "valve", "tank", "dosing-pump", "treatment-plant", "reservoir",
		"feeder-breaker", "substation", "transformer", "generator", "meter-disconnect", "traction-power",
		"intersection", "signal-group", "road-sensor",
		"camera-view", "alert-channel",
	},
	"EntryKind":      {"internet", "public-wifi", "vendor-remote", "phishing", "physical"},
	"Require":        {"any", "all"},
	"Via":            {"control", "view"},
	"Criticality":    {"low", "medium", "high", "critical"},
	"DependencyKind": {"power", "water", "control", "communication"},
	"BackupKind":     {"generator", "battery", "tank", "none"},
	"FacilityKind": {
		"hospital", "fire-station", "police-station", "emergency-operations", "water-treatment",
		"wastewater-treatment", "school", "shelter", "care-home", "data-centre",
	},
	"Protocol": protocolNames(),
}

// Access says what reaching a service gives an attacker.
type Access int

const (
	// AccessData: reaching the service gives nothing by itself; only a
	// vulnerability in it does.
	AccessData Access = iota
	// AccessShell: logging in gives code execution or an interactive session.
	AccessShell
	// AccessControl: the protocol commands the process without authentication
	// (Modbus, DNP3 without secure authentication, ...).
	AccessControl
	// AccessControlAuth: the protocol commands the process after a login or
	// shared secret (SNMP communities of NTCIP, DLMS keys, MQTT users).
	AccessControlAuth
)

// ProtocolInfo describes a protocol of the catalogue.
type ProtocolInfo struct {
	Port   int
	Access Access
}

var protocols = map[Protocol]ProtocolInfo{
	"ssh": {22, AccessShell}, "telnet": {23, AccessShell}, "http": {80, AccessShell}, "https": {443, AccessShell},
	"rdp": {3389, AccessShell}, "vnc": {5900, AccessShell}, "smb": {445, AccessShell}, "winrm": {5985, AccessShell},
	"ftp": {21, AccessShell}, "vpn": {443, AccessShell},
	"modbus": {502, AccessControl}, "dnp3": {20000, AccessControl}, "iec104": {2404, AccessControl},
	"bacnet": {47808, AccessControl}, "s7": {102, AccessControl}, "enip": {44818, AccessControl},
	"iec61850": {102, AccessControl}, "profinet": {34964, AccessControl}, "fins": {9600, AccessControl},
	"ntcip": {161, AccessControlAuth}, "snmp": {161, AccessControlAuth}, "dlms": {4059, AccessControlAuth},
	"c12.22": {1153, AccessControlAuth}, "mqtt": {1883, AccessControlAuth}, "opcua": {4840, AccessControlAuth},
	"rtsp": {554, AccessData}, "onvif": {80, AccessData}, "smtp": {25, AccessData}, "imap": {143, AccessData},
	"ldap": {389, AccessData}, "kerberos": {88, AccessData}, "dns": {53, AccessData}, "sql": {1433, AccessData},
	"syslog": {514, AccessData}, "ntp": {123, AccessData}, "cap": {443, AccessData}, "zigbee": {0, AccessData},
	"rf-mesh": {0, AccessControlAuth},
}

func protocolNames() []string {
	names := make([]string, 0, len(protocols))
	for p := range protocols {
		names = append(names, string(p))
	}
	slices.Sort(names)
	return names
}

// Info returns the catalogue entry of a protocol.
func (p Protocol) Info() (ProtocolInfo, bool) {
	i, ok := protocols[p]
	return i, ok
}

// EffectivePort is the service's port, or the protocol's default.
func (s Service) EffectivePort() int {
	if s.Port != 0 {
		return s.Port
	}
	return protocols[s.Protocol].Port
}
