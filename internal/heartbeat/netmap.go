package heartbeat

import (
	"bufio"
	"container/heap"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
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
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseNetworkMap(f, path, signals)
}

type netLink struct{ id, n1, n2 string }

func parseNetworkMap(r io.Reader, name string, signals []string) (*Map, error) {
	have := map[string]bool{}
	for _, s := range signals {
		have[s] = true
	}
	var (
		tanks         []string
		pumps, valves []netLink
		adj           = map[string][]edge{}
		controls      = map[string]string{} // link → tank switching it
		section       string
		lineNo        int
	)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lineNo++
		line := sc.Text()
		if i := strings.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		fs := strings.Fields(line)
		if len(fs) == 0 {
			continue
		}
		if strings.HasPrefix(fs[0], "[") {
			section = strings.ToUpper(fs[0])
			continue
		}
		bad := func(msg string) error {
			return &diag.Diagnostic{File: name, Line: lineNo, Field: section, Msg: msg, Hint: "check the EPANET file"}
		}
		switch section {
		case "[TANKS]":
			tanks = append(tanks, fs[0])
		case "[PUMPS]", "[VALVES]":
			if len(fs) < 3 {
				return nil, bad("a link needs an id and two nodes")
			}
			l := netLink{fs[0], fs[1], fs[2]}
			if section == "[PUMPS]" {
				pumps = append(pumps, l)
			} else {
				valves = append(valves, l)
			}
		case "[PIPES]":
			if len(fs) < 4 {
				return nil, bad("a pipe needs an id, two nodes and a length")
			}
			ln, err := strconv.ParseFloat(fs[3], 64)
			if err != nil || ln < 0 {
				return nil, bad(fmt.Sprintf("pipe length %q is not a number", fs[3]))
			}
			adj[fs[1]] = append(adj[fs[1]], edge{fs[2], ln})
			adj[fs[2]] = append(adj[fs[2]], edge{fs[1], ln})
		case "[CONTROLS]":
			// LINK id OPEN|CLOSED IF NODE id BELOW|ABOVE value
			if len(fs) >= 8 && strings.EqualFold(fs[0], "LINK") && strings.EqualFold(fs[3], "IF") && strings.EqualFold(fs[4], "NODE") {
				if _, done := controls[fs[1]]; !done {
					controls[fs[1]] = fs[5]
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
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
