package sense

import (
	"cmp"
	"io"
	"net/netip"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"
)

// MaxPointsPerStation bounds the points the inventory tracks for one
// (device, protocol, station, kind), so a register sweep cannot grow it
// without limit.
const MaxPointsPerStation = 65536

// Roles of devices per protocol: [client, server].
var roleNames = map[string][2]string{
	"modbus": {"modbus_client", "modbus_server"},
	"dnp3":   {"dnp3_master", "dnp3_outstation"},
}

func roles(proto string) [2]string {
	if r, ok := roleNames[proto]; ok {
		return r
	}
	return [2]string{proto + "_client", proto + "_server"}
}

// Inventory builds a passive asset inventory (GRASSMARLIN-style) from
// transactions: devices with their roles, peers, protocol stations (Modbus
// unit ids, DNP3 addresses), the points they serve with read/write counts
// and value ranges, device identification and first/last seen times.
type Inventory struct {
	// Assets, when set, gives the asset id of an address; devices with one
	// take it as their id instead of ip-ADDRESS.
	Assets func(netip.Addr) (string, bool)

	devices map[netip.Addr]*invDevice
	// byFlow caches, per flow, the devices and the station of its last
	// transaction, which saves every other map lookup in Add.
	byFlow map[*Flow]*flowCache
}

type flowCache struct {
	proto   string
	station uint32
	cl, sv  *invDevice
	st      *invStation
}

// maxFlowCache bounds Inventory.byFlow; it is cleared when full.
const maxFlowCache = 1 << 14

type invDevice struct {
	addr        netip.Addr
	first, last time.Time
	roles       map[string]bool
	peers       map[netip.Addr]bool
	ident       map[uint8]string
	stations    map[stationKey]*invStation
	funcs       map[string]uint64
	services    map[svcKey]bool
}

type svcKey struct {
	proto string
	port  uint16
}

type stationKey struct {
	proto   string
	station uint32
}

type invStation struct {
	kinds  []PointKind
	tables []*pointTable
	funcs  [256]uint64
	names  [256]string
}

func (st *invStation) table(k PointKind) *pointTable {
	for i, kk := range st.kinds {
		if kk == k {
			return st.tables[i]
		}
	}
	t := &pointTable{idx: map[uint32]int32{}, lastI: -1}
	st.kinds = append(st.kinds, k)
	st.tables = append(st.tables, t)
	return t
}

type pointTable struct {
	idx      map[uint32]int32
	pts      []pointStat
	lastAddr uint32
	lastI    int32
}

type pointStat struct {
	addr          uint32
	reads, writes uint64
	hasValue      bool
	min, max      float64
}

// NewInventory returns an empty inventory.
func NewInventory() *Inventory {
	return &Inventory{devices: map[netip.Addr]*invDevice{}, byFlow: map[*Flow]*flowCache{}}
}

func (inv *Inventory) device(a netip.Addr, ts time.Time) *invDevice {
	d := inv.devices[a]
	if d == nil {
		d = &invDevice{addr: a, first: ts, last: ts, roles: map[string]bool{}, peers: map[netip.Addr]bool{},
			stations: map[stationKey]*invStation{}, funcs: map[string]uint64{}, services: map[svcKey]bool{}}
		inv.devices[a] = d
	}
	d.seen(ts)
	return d
}

func (d *invDevice) seen(ts time.Time) {
	if ts.Before(d.first) {
		d.first = ts
	}
	if ts.After(d.last) {
		d.last = ts
	}
}

// Add records one transaction.
func (inv *Inventory) Add(tx *Transaction) {
	f := tx.Flow
	ts := tx.TS
	if tx.RespTS.After(ts) {
		ts = tx.RespTS
	}
	var cl, sv *invDevice
	var st *invStation
	if c := inv.byFlow[tx.Flow]; c != nil && c.proto == tx.Proto && c.station == tx.Station {
		cl, sv, st = c.cl, c.sv, c.st
		cl.seen(ts)
		sv.seen(ts)
	} else {
		r := roles(tx.Proto)
		cl = inv.device(f.Orig.Addr(), ts)
		sv = inv.device(f.Resp.Addr(), ts)
		cl.roles[r[0]] = true
		sv.roles[r[1]] = true
		cl.peers[sv.addr] = true
		sv.peers[cl.addr] = true
		sv.services[svcKey{tx.Proto, f.Resp.Port()}] = true
		sk := stationKey{tx.Proto, tx.Station}
		st = sv.stations[sk]
		if st == nil {
			st = &invStation{}
			sv.stations[sk] = st
		}
		if len(inv.byFlow) >= maxFlowCache {
			clear(inv.byFlow)
		}
		inv.byFlow[tx.Flow] = &flowCache{proto: tx.Proto, station: tx.Station, cl: cl, sv: sv, st: st}
	}
	for id, v := range tx.Ident {
		if sv.ident == nil {
			sv.ident = map[uint8]string{}
		}
		sv.ident[id] = v
	}
	st.funcs[tx.Func]++
	st.names[tx.Func] = tx.FuncName
	if tx.Exception != "" {
		return
	}
	var tab *pointTable
	var kind PointKind
	for i := range tx.Ops {
		op := &tx.Ops[i]
		if tab == nil || op.Kind != kind {
			kind = op.Kind
			tab = st.table(kind)
		}
		p := tab.point(op.Index)
		if p == nil {
			continue
		}
		if op.Write {
			p.writes++
		} else {
			p.reads++
		}
		if op.HasValue {
			if !p.hasValue {
				p.min, p.max, p.hasValue = op.Value, op.Value, true
			} else {
				p.min = min(p.min, op.Value)
				p.max = max(p.max, op.Value)
			}
		}
	}
}

// point returns the stats of addr, creating them; nil when the table is
// full. Sequential addresses (register ranges) hit a one-entry cache.
func (t *pointTable) point(addr uint32) *pointStat {
	if n := t.lastI + 1; t.lastI >= 0 && addr == t.lastAddr+1 && int(n) < len(t.pts) && t.pts[n].addr == addr {
		t.lastI, t.lastAddr = n, addr
		return &t.pts[n]
	}
	i, ok := t.idx[addr]
	if !ok {
		if len(t.pts) >= MaxPointsPerStation {
			return nil
		}
		i = int32(len(t.pts))
		t.pts = append(t.pts, pointStat{addr: addr})
		t.idx[addr] = i
	}
	t.lastI, t.lastAddr = i, addr
	return &t.pts[i]
}

// InventoryFile is the YAML document written as inventory.yaml. Its
// devices use the city model's asset fields (id, ip, roles, vendor,
// product) so they merge into a twin by IP address.
type InventoryFile struct {
	Source  string      `yaml:"source"`
	Devices []InvDevice `yaml:"devices"`
}

// InvDevice is one device seen on the network.
type InvDevice struct {
	ID        string            `yaml:"id"`
	IP        string            `yaml:"ip"`
	Roles     []string          `yaml:"roles"`
	Vendor    string            `yaml:"vendor,omitempty"`
	Product   string            `yaml:"product,omitempty"`
	Revision  string            `yaml:"revision,omitempty"`
	Kind      string            `yaml:"kind,omitempty"` // city-model asset kind, guessed from the roles
	Ident     map[string]string `yaml:"identification,omitempty"`
	Services  []InvService      `yaml:"services,omitempty"`
	Peers     []string          `yaml:"peers"`
	FirstSeen string            `yaml:"first_seen"`
	LastSeen  string            `yaml:"last_seen"`
	Stations  []InvStation      `yaml:"stations,omitempty"`
}

// InvService is a service the device answers, as the city model writes
// services.
type InvService struct {
	Protocol string `yaml:"protocol"`
	Port     uint16 `yaml:"port"`
}

// InvStation is one protocol station (Modbus unit id, DNP3 address) served
// by a device.
type InvStation struct {
	Protocol  string            `yaml:"protocol"`
	Station   uint32            `yaml:"station"`
	Functions map[string]uint64 `yaml:"functions"`
	Points    []InvPoints       `yaml:"points,omitempty"`
}

// InvPoints is a run of consecutive points of one kind with the same
// access pattern, compacted so that a 125-register poll is one entry.
type InvPoints struct {
	Kind   string   `yaml:"kind"`
	Start  uint32   `yaml:"start"`
	Count  uint32   `yaml:"count"`
	Reads  uint64   `yaml:"reads"`
	Writes uint64   `yaml:"writes"`
	Min    *float64 `yaml:"min,omitempty"`
	Max    *float64 `yaml:"max,omitempty"`
}

var identNames = map[uint8]string{0: "vendor_name", 1: "product_code", 2: "revision", 3: "vendor_url",
	4: "product_name", 5: "model_name", 6: "user_application_name"}

// File returns the inventory as a document, sorted for stable output.
func (inv *Inventory) File() *InventoryFile {
	out := &InventoryFile{Source: "citadel sense (passive)", Devices: []InvDevice{}}
	addrs := make([]netip.Addr, 0, len(inv.devices))
	for a := range inv.devices {
		addrs = append(addrs, a)
	}
	slices.SortFunc(addrs, netip.Addr.Compare)
	for _, a := range addrs {
		d := inv.devices[a]
		dev := InvDevice{ID: "ip-" + a.String(), IP: a.String(), Peers: []string{},
			FirstSeen: d.first.UTC().Format(time.RFC3339Nano), LastSeen: d.last.UTC().Format(time.RFC3339Nano)}
		if inv.Assets != nil {
			if id, ok := inv.Assets(a); ok {
				dev.ID = id
			}
		}
		for r := range d.roles {
			dev.Roles = append(dev.Roles, r)
		}
		slices.Sort(dev.Roles)
		peers := make([]netip.Addr, 0, len(d.peers))
		for p := range d.peers {
			peers = append(peers, p)
		}
		slices.SortFunc(peers, netip.Addr.Compare)
		for _, p := range peers {
			dev.Peers = append(dev.Peers, p.String())
		}
		for k := range d.services {
			dev.Services = append(dev.Services, InvService{Protocol: k.proto, Port: k.port})
		}
		slices.SortFunc(dev.Services, func(a, b InvService) int {
			return cmp.Or(cmp.Compare(a.Protocol, b.Protocol), cmp.Compare(a.Port, b.Port))
		})
		switch {
		case d.roles["dnp3_outstation"]:
			dev.Kind = "rtu"
		case d.roles["modbus_server"]:
			dev.Kind = "plc"
		}
		if len(d.ident) > 0 {
			dev.Ident = map[string]string{}
			for id, v := range d.ident {
				name, ok := identNames[id]
				if !ok {
					name = "object_" + itoa(int(id))
				}
				dev.Ident[name] = v
			}
			dev.Vendor = d.ident[0]
			dev.Product = cmp.Or(d.ident[4], d.ident[5], d.ident[1])
			dev.Revision = d.ident[2]
		}
		keys := make([]stationKey, 0, len(d.stations))
		for k := range d.stations {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b stationKey) int {
			return cmp.Or(cmp.Compare(a.proto, b.proto), cmp.Compare(a.station, b.station))
		})
		for _, k := range keys {
			st := d.stations[k]
			is := InvStation{Protocol: k.proto, Station: k.station, Functions: map[string]uint64{}}
			for fc, n := range st.funcs {
				if n > 0 {
					is.Functions[st.names[fc]] += n
				}
			}
			kinds := slices.Clone(st.kinds)
			slices.Sort(kinds)
			for _, kd := range kinds {
				is.Points = append(is.Points, compact(kd, st.table(kd).pts)...)
			}
			dev.Stations = append(dev.Stations, is)
		}
		out.Devices = append(out.Devices, dev)
	}
	return out
}

// compact sorts points and merges runs of consecutive addresses read and
// written the same number of times (a polled block of registers) into one
// entry whose min/max span the values seen anywhere in the run.
func compact(kind PointKind, pts []pointStat) []InvPoints {
	s := slices.Clone(pts)
	slices.SortFunc(s, func(a, b pointStat) int { return cmp.Compare(a.addr, b.addr) })
	var out []InvPoints
	for i := 0; i < len(s); {
		j := i + 1
		for j < len(s) && s[j].addr == s[j-1].addr+1 && s[j].reads == s[i].reads && s[j].writes == s[i].writes {
			j++
		}
		p := InvPoints{Kind: string(kind), Start: s[i].addr, Count: uint32(j - i), Reads: s[i].reads, Writes: s[i].writes}
		for _, q := range s[i:j] {
			if !q.hasValue {
				continue
			}
			if p.Min == nil {
				lo, hi := q.min, q.max
				p.Min, p.Max = &lo, &hi
			} else {
				*p.Min = min(*p.Min, q.min)
				*p.Max = max(*p.Max, q.max)
			}
		}
		out = append(out, p)
		i = j
	}
	return out
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b [20]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}

// WriteYAML writes the inventory as YAML, one device at a time so that
// memory stays bounded by the largest device.
func (inv *Inventory) WriteYAML(w io.Writer) error {
	f := inv.File()
	if _, err := io.WriteString(w, "source: "+f.Source+"\ndevices:"); err != nil {
		return err
	}
	if len(f.Devices) == 0 {
		_, err := io.WriteString(w, " []\n")
		return err
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	for i := range f.Devices {
		b, err := yaml.Marshal([]InvDevice{f.Devices[i]})
		if err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		f.Devices[i] = InvDevice{} // let it go
	}
	return nil
}
