package cascade

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/physics/water"
)

// DefaultMinPressure is the service pressure (metres of head for SI
// networks, psi for US ones) below which the water engine counts a
// junction as without water.
const DefaultMinPressure = 20

// maxWaterReportStep caps the reporting step of the engine's runs, in
// seconds, so that tank-empty and low-pressure times are read to 5 minutes.
const maxWaterReportStep = 300

// SampleNetwork names the embedded water network of the sample city,
// sample/riverton.inp, for NewWater.
const SampleNetwork = "sample"

//go:embed sample/riverton.inp
var rivertonNetwork []byte

// Water is the water engine: the elements whose ref is "pump:ID[,ID...]"
// (pumps of an EPANET network) or "link:ID[,ID...]" (any pipe, pump or
// valve) are cut off from the time they go out — a closed pipe is put in
// series with each link, closed by a timer control at that time, so that
// the link's own controls can no longer restart it — and the extended-period
// hydraulics of internal/physics/water are run to the horizon. It measures
// what the physics says: when each tank empties, which junctions fall
// below the service pressure and when, the share of the network's demand
// (and so of the people it serves) they carry, and the water not
// delivered (pressure-driven demand), all relative to the same run without
// outages. "tank:ID[,ID...]" refs (level readings) are checked against the
// network but change nothing in the hydraulics.
//
// The Engine interface reports energy and delay only, so the water figures
// go into the Measure's notes; Simulate returns them as data.
type Water struct {
	file        string
	src         []byte
	net         *water.Network
	links       map[*model.Element][]string
	tanks       map[*model.Element][]string
	people      int     // people the network serves: the largest population of a water element
	MinPressure float64 // service pressure, network units; DefaultMinPressure by default

	mu      sync.Mutex
	baseDur int64
	base    *waterRun               // the run without outages over baseDur
	runs    map[string]*WaterResult // by links cut, their times and the horizon: runs are deterministic
}

func init() {
	Register("epanet", func(c *model.City, arg string) (Engine, error) { return NewWater(c, arg) })
}

// NewWater reads the EPANET network in file (SampleNetwork: the embedded
// network of the sample city) and maps the city's pump, link and tank refs
// to it. A ref naming something the network lacks is bad input.
func NewWater(c *model.City, file string) (*Water, error) {
	if file == "" {
		return nil, diag.Errorf("the epanet engine needs a network: epanet:NET.inp (or epanet:sample for the sample city's network)")
	}
	w := &Water{file: file, links: map[*model.Element][]string{}, tanks: map[*model.Element][]string{}, MinPressure: DefaultMinPressure}
	if file == SampleNetwork {
		w.file, w.src = "riverton.inp", rivertonNetwork
	} else {
		src, err := os.ReadFile(file)
		if err != nil {
			return nil, diag.Errorf("epanet engine: %v", err)
		}
		w.file, w.src = filepath.Base(file), src
	}
	net, err := water.Parse(w.file, bytes.NewReader(w.src))
	if err != nil {
		return nil, err
	}
	w.net = net
	for i := range c.Elements {
		e := &c.Elements[i]
		if e.Sector == "water" {
			w.people = max(w.people, e.Population)
		}
		kind, list, ok := strings.Cut(e.Ref, ":")
		if !ok || (kind != "pump" && kind != "link" && kind != "tank") {
			continue
		}
		for _, id := range strings.Split(list, ",") {
			id = strings.TrimSpace(id)
			switch kind {
			case "tank":
				if n := net.Node(id); n == nil || n.Kind != water.Tank {
					return nil, diag.Errorf("element %s: ref %q: network %s has no tank %q", e.ID, e.Ref, w.file, id)
				}
				w.tanks[e] = append(w.tanks[e], id)
			default:
				l := net.Link(id)
				if l == nil || kind == "pump" && l.Kind != water.Pump {
					return nil, diag.Errorf("element %s: ref %q: network %s has no %s %q", e.ID, e.Ref, w.file, kind, id)
				}
				w.links[e] = append(w.links[e], id)
			}
		}
	}
	return w, nil
}

// Name implements Engine.
func (*Water) Name() string { return "epanet" }

// TankEmpty is a tank reaching its minimum level.
type TankEmpty struct {
	Tank string  `json:"tank"`
	AtH  float64 `json:"at_h"` // hours after the start
}

// LowPressure is a junction below the service pressure where the run
// without outages is not.
type LowPressure struct {
	Node        string  `json:"node"`
	FromH       float64 `json:"from_h"` // first time below
	HoursBelow  float64 `json:"hours_below"`
	DemandShare float64 `json:"demand_share"` // share of the network's base demand
}

// WaterResult is what the water engine measured for a set of outages.
type WaterResult struct {
	// Cut lists, per outage, the links cut and when.
	Cut []string `json:"cut"`
	// Tanks lists the tanks that empty within the horizon (and do not in
	// the run without outages), in time order.
	Tanks []TankEmpty `json:"tanks_empty"`
	// Low lists the junctions newly below the service pressure, by time.
	Low []LowPressure `json:"low_pressure"`
	// DemandShare sums Low's demand shares; People is that share of the
	// people the network serves (the largest population of the city's
	// water elements).
	DemandShare float64 `json:"demand_share"`
	People      int     `json:"people"`
	// UndeliveredM3 is the water the run without outages delivers and
	// this one does not (cubic metres; pressure-driven demand only).
	UndeliveredM3 float64 `json:"undelivered_m3"`
}

// waterRun holds what the engine keeps of one run: per reporting period,
// junction pressures and delivered demands, and tank levels.
type waterRun struct {
	times    []int64
	pressure [][]float32 // [period][junction]
	demand   [][]float32
	level    [][]float32 // [period][tank]
}

// Simulate runs the network with the links of the outages cut from their
// times over horizon hours and compares it with the run without outages.
// Outages of elements without a pump or link ref are ignored.
// Results are kept per set of cuts and horizon; the result must not be
// modified. Simulate is safe for concurrent use.
func (w *Water) Simulate(outages []Outage, horizon float64) (*WaterResult, error) {
	dur := int64(math.Round(horizon * 3600))
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.base == nil || w.baseDur != dur {
		net := w.net.Clone()
		base, err := w.run(net, dur)
		if err != nil {
			return nil, fmt.Errorf("network %s without outages: %w", w.file, err)
		}
		w.base, w.baseDur = base, dur
	}
	cutAt := map[string]float64{}
	var order []string
	res := &WaterResult{Cut: []string{}, Tanks: []TankEmpty{}, Low: []LowPressure{}}
	for _, o := range outages {
		ids, ok := w.links[o.Element]
		if !ok || o.At >= horizon {
			continue
		}
		res.Cut = append(res.Cut, fmt.Sprintf("%s (%s) at %s", o.Element.ID, strings.Join(ids, ", "), clock(minutes(o.At))))
		for _, id := range ids {
			if t, seen := cutAt[id]; !seen || o.At < t {
				if !seen {
					order = append(order, id)
				}
				cutAt[id] = o.At
			}
		}
	}
	if len(order) == 0 {
		return res, nil
	}
	key := fmt.Sprint(dur, "\x00", strings.Join(res.Cut, "\x00"))
	for _, id := range order {
		key += fmt.Sprintf("\x00%s@%g", id, cutAt[id])
	}
	if r, ok := w.runs[key]; ok {
		return r, nil
	}
	net, err := w.cutNetwork(order, cutAt)
	if err != nil {
		return nil, err
	}
	run, err := w.run(net, dur)
	if err != nil {
		return nil, fmt.Errorf("network %s with %s cut: %w", w.file, strings.Join(order, ", "), err)
	}
	w.compare(run, res)
	if w.runs == nil {
		w.runs = map[string]*WaterResult{}
	}
	w.runs[key] = res
	return res, nil
}

// cutNetwork writes the network's source again with, for each link, a new
// junction at its downstream end and a short wide pipe from there to the
// link's old end node, closed by a timer control at the link's time.
func (w *Water) cutNetwork(ids []string, at map[string]float64) (*water.Network, error) {
	lines := strings.Split(string(w.src), "\n")
	var extra strings.Builder
	maxD := 0.0
	for _, l := range w.net.Links {
		maxD = max(maxD, l.Diameter)
	}
	if maxD == 0 {
		maxD = 1000
	}
	rough := 140.0
	switch w.net.Options.Headloss {
	case water.DarcyWeisbach:
		rough = 0.01
	case water.ChezyManning:
		rough = 0.011
	}
	var junctions, pipes, controls strings.Builder
	for _, id := range ids {
		l := w.net.Link(id)
		cutNode, cutPipe := "CUTN_"+id, "CUTP_"+id
		for k := 0; w.net.Node(cutNode) != nil || w.net.Link(cutPipe) != nil; k++ {
			cutNode, cutPipe = fmt.Sprintf("CUTN%d_%s", k, id), fmt.Sprintf("CUTP%d_%s", k, id)
		}
		if l.Line < 1 || l.Line > len(lines) {
			return nil, fmt.Errorf("network %s: link %s has no source line", w.file, id)
		}
		line, err := replaceField(lines[l.Line-1], 2, l.To)
		if err != nil {
			return nil, fmt.Errorf("network %s:%d: link %s: %w", w.file, l.Line, id, err)
		}
		lines[l.Line-1] = strings.Replace(line, "\x00", cutNode, 1)
		to := w.net.Node(l.To)
		fmt.Fprintf(&junctions, " %s %g 0\n", cutNode, to.Elev)
		fmt.Fprintf(&pipes, " %s %s %s 1 %g %g 0 Open\n", cutPipe, cutNode, l.To, 4*maxD, rough)
		fmt.Fprintf(&controls, " LINK %s CLOSED AT TIME %.6f\n", cutPipe, at[id])
	}
	fmt.Fprintf(&extra, "[JUNCTIONS]\n%s[PIPES]\n%s[CONTROLS]\n%s", junctions.String(), pipes.String(), controls.String())
	// Insert before [END], if any: the reader stops there.
	src := strings.Join(lines, "\n")
	if i := indexEnd(src); i >= 0 {
		src = src[:i] + "\n" + extra.String() + src[i:]
	} else {
		src += "\n" + extra.String()
	}
	return water.Parse(w.file, strings.NewReader(src))
}

// indexEnd finds the [END] section header (any case) at the start of a line.
func indexEnd(src string) int {
	up := strings.ToUpper(src)
	for off := 0; ; {
		i := strings.Index(up[off:], "[END]")
		if i < 0 {
			return -1
		}
		i += off
		if j := strings.LastIndexByte(up[:i], '\n'); strings.TrimSpace(up[j+1:i]) == "" {
			return j + 1
		}
		off = i + 5
	}
}

// replaceField replaces the n-th (0-based) whitespace-separated field of
// an .inp line, which must equal want, with a NUL placeholder.
func replaceField(line string, n int, want string) (string, error) {
	body := line
	if i := strings.IndexByte(body, ';'); i >= 0 {
		body = body[:i]
	}
	k := 0
	for i := 0; i < len(body); {
		for i < len(body) && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r') {
			i++
		}
		if i >= len(body) {
			break
		}
		j := i
		for j < len(body) && body[j] != ' ' && body[j] != '\t' && body[j] != '\r' {
			j++
		}
		if k == n {
			if !strings.EqualFold(body[i:j], want) {
				return "", fmt.Errorf("field %d is %q, expected node %q", n+1, body[i:j], want)
			}
			return line[:i] + "\x00" + line[j:], nil
		}
		k++
		i = j
	}
	return "", fmt.Errorf("no field %d", n+1)
}

// run simulates net for dur seconds, reading every reporting period.
func (w *Water) run(net *water.Network, dur int64) (*waterRun, error) {
	if net.Options.ReportStep > maxWaterReportStep {
		net.Options.ReportStep = maxWaterReportStep
	}
	net.Options.ReportStart = 0
	sim, err := water.NewSimulator(net)
	if err != nil {
		return nil, err
	}
	var junc, tanks []int
	for _, n := range w.net.Nodes { // the original's nodes: cut junctions are left out
		switch n.Kind {
		case water.Junction:
			junc = append(junc, net.NodeIndex(n.ID))
		case water.Tank:
			tanks = append(tanks, net.NodeIndex(n.ID))
		}
	}
	r := &waterRun{}
	res, err := sim.Run(context.Background(), water.RunOptions{Duration: dur, OnPeriod: func(sn *water.Snapshot) {
		p := make([]float32, len(junc))
		d := make([]float32, len(junc))
		for k, i := range junc {
			p[k], d[k] = float32(sn.Pressure[i]), float32(sn.Demand[i])
		}
		lv := make([]float32, len(tanks))
		for k, i := range tanks {
			lv[k] = float32(sn.Head[i] - net.Nodes[i].Elev)
		}
		r.times = append(r.times, sn.Time)
		r.pressure = append(r.pressure, p)
		r.demand = append(r.demand, d)
		r.level = append(r.level, lv)
	}})
	if err != nil {
		return nil, err
	}
	if want := dur/net.Options.ReportStep + 1; int64(len(r.times)) < want && len(r.times) > 0 {
		return nil, fmt.Errorf("the simulation stopped at %s of %s (%s); set [OPTIONS] Unbalanced Continue", clock(minutes(float64(r.times[len(r.times)-1])/3600)), clock(minutes(float64(dur)/3600)), strings.Join(res.Warnings, "; "))
	}
	return r, nil
}

// compare fills res with what run shows and the base run does not.
func (w *Water) compare(run *waterRun, res *WaterResult) {
	base := w.base
	var junc, tanks []*water.Node
	total := 0.0
	for _, n := range w.net.Nodes {
		switch n.Kind {
		case water.Junction:
			junc = append(junc, n)
			for _, d := range n.Demands {
				total += max(0, d.Base)
			}
		case water.Tank:
			tanks = append(tanks, n)
		}
	}
	periods := min(len(run.times), len(base.times))
	dt := func(p int) float64 { // hours the period p stands for
		if p+1 < len(run.times) {
			return float64(run.times[p+1]-run.times[p]) / 3600
		}
		return 0
	}
	for k, t := range tanks {
		empty := func(r *waterRun) int {
			for p := range periods {
				if float64(r.level[p][k]) <= t.MinLevel+1e-3 {
					return p
				}
			}
			return -1
		}
		if p := empty(run); p >= 0 && empty(base) < 0 {
			res.Tanks = append(res.Tanks, TankEmpty{Tank: t.ID, AtH: float64(run.times[p]) / 3600})
		}
	}
	slices.SortStableFunc(res.Tanks, func(a, b TankEmpty) int { return cmpFloat(a.AtH, b.AtH) })
	flowM3 := flowToM3PerS(w.net.Options.Flow)
	for k, n := range junc {
		lp := LowPressure{Node: n.ID, FromH: -1}
		for p := range periods {
			if float64(run.pressure[p][k]) < w.MinPressure && float64(base.pressure[p][k]) >= w.MinPressure {
				if lp.FromH < 0 {
					lp.FromH = float64(run.times[p]) / 3600
				}
				lp.HoursBelow += dt(p)
			}
			res.UndeliveredM3 += max(0, float64(base.demand[p][k]-run.demand[p][k])) * flowM3 * dt(p) * 3600
		}
		base := 0.0
		for _, d := range n.Demands {
			base += max(0, d.Base)
		}
		if lp.FromH >= 0 && base > 0 { // junctions without demand serve nobody
			if total > 0 {
				lp.DemandShare = base / total
			}
			res.DemandShare += lp.DemandShare
			res.Low = append(res.Low, lp)
		}
	}
	slices.SortStableFunc(res.Low, func(a, b LowPressure) int { return cmpFloat(a.FromH, b.FromH) })
	res.People = int(math.Round(res.DemandShare * float64(w.people)))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// flowToM3PerS converts a flow unit to cubic metres per second.
func flowToM3PerS(u water.FlowUnits) float64 {
	switch u {
	case water.CFS:
		return 0.028316847
	case water.GPM:
		return 6.30901964e-5
	case water.MGD:
		return 0.0438126364
	case water.IMGD:
		return 0.0526167824
	case water.AFD:
		return 0.0142764102
	case water.LPS:
		return 1e-3
	case water.LPM:
		return 1e-3 / 60
	case water.MLD:
		return 1e6 / 1e3 / 86400
	case water.CMH:
		return 1.0 / 3600
	case water.CMD:
		return 1.0 / 86400
	case water.CMS:
		return 1
	}
	return 0
}

// Measure implements Engine: the water figures go into the notes; energy
// and delay are the declared ones of the outages (water elements seldom
// declare any).
func (w *Water) Measure(outages []Outage, horizon float64) (Measure, error) {
	var out Measure
	var declared []Outage
	for _, o := range outages {
		if _, ok := w.links[o.Element]; !ok {
			declared = append(declared, o)
		}
	}
	r, err := w.Simulate(outages, horizon)
	if err != nil {
		return Measure{}, err
	}
	out.Notes = append(out.Notes, w.notes(r)...)
	out.addDeclared(declared, horizon)
	return out, nil
}

func (w *Water) notes(r *WaterResult) []string {
	if len(r.Cut) == 0 {
		return []string{fmt.Sprintf("water (%s): no outage touches the network's pumps or links", w.file)}
	}
	n := []string{fmt.Sprintf("water (%s): cut %s", w.file, strings.Join(r.Cut, "; "))}
	if len(r.Tanks) == 0 {
		n = append(n, "water: no tank empties within the horizon")
	} else {
		var ts []string
		for _, t := range r.Tanks {
			ts = append(ts, fmt.Sprintf("%s at %s", t.Tank, clock(minutes(t.AtH))))
		}
		n = append(n, "water: tanks empty: "+strings.Join(ts, ", "))
	}
	if len(r.Low) == 0 {
		n = append(n, fmt.Sprintf("water: no junction falls below %g %s", w.MinPressure, w.pressureUnit()))
	} else {
		n = append(n, fmt.Sprintf("water: %d junctions (%.0f%% of demand, about %s people) below %g %s from %s; %.0f m³ not delivered",
			len(r.Low), 100*r.DemandShare, thousands(r.People), w.MinPressure, w.pressureUnit(), clock(minutes(r.Low[0].FromH)), r.UndeliveredM3))
	}
	return n
}

// pressureUnit names the network's pressure unit.
func (w *Water) pressureUnit() string {
	switch {
	case w.net.Options.Pressure == water.KPA:
		return "kPa"
	case w.net.Options.Pressure == water.Meters || w.net.Options.Flow >= water.LPS:
		return "m" // SI flow units: EPANET reports metres unless kPa is asked for
	}
	return "psi"
}
