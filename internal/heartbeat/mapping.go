package heartbeat

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"

	"github.com/citadel-city/citadel/internal/diag"
	"go.yaml.in/yaml/v3"
)

// Map says which signal is which physical quantity of a water network, so
// that detectors can check physical relations (mass balance of a tank,
// pump status against flow and head, the control rule that switches a
// pump on a tank's level). It gives structure only; coefficients are
// learned from training data.
type Map struct {
	Network string `yaml:"network" json:"network,omitempty"`
	Tanks   []Tank `yaml:"tanks" json:"tanks,omitempty"`
	Pumps   []Link `yaml:"pumps" json:"pumps,omitempty"`
	Valves  []Link `yaml:"valves" json:"valves,omitempty"`
}

// Tank is a storage tank: its level signal and the metered flows that fill it.
type Tank struct {
	Name    string   `yaml:"name" json:"name"`
	Level   string   `yaml:"level" json:"level"`
	Inflows []string `yaml:"inflows" json:"inflows,omitempty"`
}

// Link is a pump or valve: its status, flow, the pressures either side
// (suction/inlet and discharge/outlet) and the level signal of the tank
// whose level switches it. Any field but Name may be empty.
type Link struct {
	Name      string `yaml:"name" json:"name"`
	Status    string `yaml:"status" json:"status,omitempty"`
	Flow      string `yaml:"flow" json:"flow,omitempty"`
	Suction   string `yaml:"suction" json:"suction,omitempty"`
	Discharge string `yaml:"discharge" json:"discharge,omitempty"`
	Inlet     string `yaml:"inlet" json:"inlet,omitempty"`
	Outlet    string `yaml:"outlet" json:"outlet,omitempty"`
	Tank      string `yaml:"tank" json:"tank,omitempty"`
}

// up and down are the pressures either side of a pump or valve.
func (l *Link) up() string {
	if l.Suction != "" {
		return l.Suction
	}
	return l.Inlet
}

func (l *Link) down() string {
	if l.Discharge != "" {
		return l.Discharge
	}
	return l.Outlet
}

//go:embed maps/ctown.yaml
var ctownYAML []byte

// CTownMap returns the built-in map of the C-Town network behind BATADAL.
func CTownMap() *Map {
	m, err := ParseMap(bytes.NewReader(ctownYAML), "maps/ctown.yaml")
	if err != nil {
		panic("heartbeat: built-in C-Town map: " + err.Error())
	}
	return m
}

// ReadMapFile reads a map from a YAML file.
func ReadMapFile(path string) (*Map, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseMap(f, path)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// ParseMap reads a YAML map; unknown fields are errors with their line.
func ParseMap(r io.Reader, name string) (*Map, error) {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	var m Map
	if err := dec.Decode(&m); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &diag.Diagnostic{File: name, Msg: "empty map file", Hint: "list tanks, pumps and valves"}
		}
		d := &diag.Diagnostic{File: name, Msg: err.Error(), Hint: "see docs/heartbeat.md for the map format"}
		if s := yamlLine.FindStringSubmatch(err.Error()); s != nil {
			d.Line, _ = strconv.Atoi(s[1])
		}
		return nil, d
	}
	return &m, nil
}

// Check reports map entries that name signals absent from signals.
func (m *Map) Check(name string, signals []string) error {
	have := make(map[string]bool, len(signals))
	for _, s := range signals {
		have[s] = true
	}
	var diags diag.List
	chk := func(field, sig string) {
		if sig != "" && !have[sig] {
			diags = append(diags, &diag.Diagnostic{File: name, Field: field, Msg: fmt.Sprintf("signal %s is not a column of the data", sig), Hint: "fix the map or the data"})
		}
	}
	for i, t := range m.Tanks {
		chk(fmt.Sprintf("tanks[%d].level", i), t.Level)
		for j, f := range t.Inflows {
			chk(fmt.Sprintf("tanks[%d].inflows[%d]", i, j), f)
		}
	}
	for kind, links := range map[string][]Link{"pumps": m.Pumps, "valves": m.Valves} {
		for i, l := range links {
			p := fmt.Sprintf("%s[%d].", kind, i)
			chk(p+"status", l.Status)
			chk(p+"flow", l.Flow)
			chk(p+"suction", l.Suction)
			chk(p+"discharge", l.Discharge)
			chk(p+"inlet", l.Inlet)
			chk(p+"outlet", l.Outlet)
			chk(p+"tank", l.Tank)
		}
	}
	return diags.Err()
}

// covers reports whether every signal the map names is in signals.
func (m *Map) covers(signals []string) bool { return m.Check("", signals) == nil }

// links returns pumps then valves.
func (m *Map) links() []Link {
	return append(append([]Link(nil), m.Pumps...), m.Valves...)
}

// modeSignals returns, per signal, the status signals whose state is the
// signal's operating mode: a tank level's mode is the status of the pumps
// and valves it switches; a flow's is its own link's status; a pressure's
// is the status of every link it sits beside.
func (m *Map) modeSignals(signals []string) [][]int {
	idx := indexOf(signals)
	out := make([][]int, len(signals))
	addMode := func(sig, status string) {
		i, ok := idx[sig]
		j, ok2 := idx[status]
		if !ok || !ok2 || sig == status {
			return
		}
		for _, k := range out[i] {
			if k == j {
				return
			}
		}
		if len(out[i]) < 4 {
			out[i] = append(out[i], j)
		}
	}
	if m == nil {
		return out
	}
	for _, l := range m.links() {
		if l.Status == "" {
			continue
		}
		addMode(l.Flow, l.Status)
		addMode(l.Tank, l.Status)
		addMode(l.up(), l.Status)
		addMode(l.down(), l.Status)
	}
	return out
}

func indexOf(signals []string) map[string]int {
	idx := make(map[string]int, len(signals))
	for i, s := range signals {
		idx[s] = i
	}
	return idx
}
