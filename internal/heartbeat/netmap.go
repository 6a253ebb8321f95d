package heartbeat

import (
	"container/heap"
	"io"
	"path/filepath"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/physics/water"
)

// stationReach is how far (pipe length, m) a pump's or valve's end may be
// from the junction whose pressure stands for it: pump stations are a few
// metres of pipe, so a sensor on the station manifold counts, a junction
// down the street does not.
const stationReach = 50.0

// MapFromNetwork derives a Map from an EPANET network file and the
// signal names, by the BATADAL naming convention: L_<tank> is a tank
// level, F_<link> and S_<link> a pump's or valve's flow and status,
// P_<junction> a pressure. A tank is fed by the links its level switches
// ([CONTROLS] LINK x OPEN IF NODE tank BELOW ...); a link's suction and
// discharge pressures are the measured junctions nearest each of its ends
// along pipes, within 50 m.
func MapFromNetwork(path string, signals []string) (*Map, error) {
	net, err := water.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return networkMap(net, path, signals)
}

type netLink struct{ id, n1, n2 string }

// parseNetworkMap is MapFromNetwork on a reader.
func parseNetworkMap(r io.Reader, name string, signals []string) (*Map, error) {
	net, err := water.Parse(name, r)
	if err != nil {
		return nil, err
	}
	return networkMap(net, name, signals)
}

func networkMap(net *water.Network, name string, signals []string) (*Map, error) {
	have := map[string]bool{}
	for _, s := range signals {
		have[s] = true
	}
	var (
		tanks         []string
		pumps, valves []netLink
		adj           = map[string][]edge{}
		controls      = map[string]string{} // link → node (tank) switching it
	)
	for _, n := range net.Nodes {
		if n.Kind == water.Tank {
			tanks = append(tanks, n.ID)
		}
	}
	for _, l := range net.Links {
		switch {
		case l.Kind == water.Pump:
			pumps = append(pumps, netLink{l.ID, l.From, l.To})
		case l.Kind.IsValve():
			valves = append(valves, netLink{l.ID, l.From, l.To})
		default: // pipe, with or without a check valve
			adj[l.From] = append(adj[l.From], edge{l.To, l.Length})
			adj[l.To] = append(adj[l.To], edge{l.From, l.Length})
		}
	}
	// LINK id OPEN|CLOSED IF NODE id BELOW|ABOVE value: the first such
	// control of a link names the tank whose level switches it.
	for _, c := range net.Controls {
		if c.Kind != water.LowLevel && c.Kind != water.HiLevel {
			continue
		}
		if _, done := controls[c.Link]; !done {
			controls[c.Link] = c.Node
		}
	}
	if len(tanks)+len(pumps)+len(valves) == 0 {
		return nil, &diag.Diagnostic{File: name, Msg: "no [TANKS], [PUMPS] or [VALVES]: not an EPANET network file", Hint: "pass the .inp file"}
	}
	sig := func(prefix, id string) string {
		if s := prefix + id; have[s] {
			return s
		}
		return ""
	}
	nearest := func(node string) string {
		// Dijkstra over pipes, up to stationReach.
		dist := map[string]float64{node: 0}
		pq := &edgeHeap{{node, 0}}
		for pq.Len() > 0 {
			e := heap.Pop(pq).(edge)
			if e.len > dist[e.to] {
				continue
			}
			if s := sig("P_", e.to); s != "" {
				return s
			}
			for _, n := range adj[e.to] {
				d := e.len + n.len
				if old, ok := dist[n.to]; d <= stationReach && (!ok || d < old) {
					dist[n.to] = d
					heap.Push(pq, edge{n.to, d})
				}
			}
		}
		return ""
	}
	m := &Map{Network: strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))}
	link := func(l netLink) (Link, bool) {
		k := Link{Name: l.id, Status: sig("S_", l.id), Flow: sig("F_", l.id), Tank: sig("L_", controls[l.id])}
		if k.Status == "" && k.Flow == "" {
			return k, false
		}
		return k, true
	}
	for _, p := range pumps {
		if k, ok := link(p); ok {
			k.Suction, k.Discharge = nearest(p.n1), nearest(p.n2)
			m.Pumps = append(m.Pumps, k)
		}
	}
	for _, v := range valves {
		if k, ok := link(v); ok {
			k.Inlet, k.Outlet = nearest(v.n1), nearest(v.n2)
			m.Valves = append(m.Valves, k)
		}
	}
	for _, t := range tanks {
		lv := sig("L_", t)
		if lv == "" {
			continue
		}
		tk := Tank{Name: t, Level: lv}
		for _, l := range append(append([]netLink(nil), pumps...), valves...) {
			if controls[l.id] == t {
				if f := sig("F_", l.id); f != "" {
					tk.Inflows = append(tk.Inflows, f)
				}
			}
		}
		m.Tanks = append(m.Tanks, tk)
	}
	return m, nil
}

type edge struct {
	to  string
	len float64
}

type edgeHeap []edge

func (h edgeHeap) Len() int           { return len(h) }
func (h edgeHeap) Less(i, j int) bool { return h[i].len < h[j].len }
func (h edgeHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *edgeHeap) Push(x any)        { *h = append(*h, x.(edge)) }
func (h *edgeHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
