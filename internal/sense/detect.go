package sense

import (
	"encoding/json"
	"fmt"
	"github.com/citadel-city/citadel/internal/alert"
	"io"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
)

// Signature ids of the sensor's rules (Suricata-style, in a private range).
const (
	SIDNewTalker       = 9100001
	SIDNewFunction     = 9100002
	SIDNewWriter       = 9100003
	SIDOutOfEnvelope   = 9100004
	SIDStationSweep    = 9100005
	SIDIdentEnum       = 9100006
	SIDBroadcastWrite  = 9100007
	SIDExceptionStorm  = 9100008
	SIDMassToggle      = 9100009
	SIDRestart         = 9100010
	SIDDisableUnsol    = 9100011
	SIDStopApplication = 9100012
	SIDFileTransfer    = 9100013
	SIDProgramDownload = 9100014
	SIDAddressSweep    = 9100015
	SIDPollingBreak    = 9100016
)

// techniques names the ATT&CK for ICS techniques the rules use, with
// their tactic.
var techniques = map[string][2]string{
	"T0806": {"Brute Force I/O", "Impair Process Control"},
	"T0814": {"Denial of Service", "Inhibit Response Function"},
	"T0815": {"Denial of View", "Impact"},
	"T0816": {"Device Restart/Shutdown", "Inhibit Response Function"},
	"T0836": {"Modify Parameter", "Impair Process Control"},
	"T0843": {"Program Download", "Lateral Movement"},
	"T0846": {"Remote System Discovery", "Discovery"},
	"T0855": {"Unauthorized Command Message", "Impair Process Control"},
	"T0861": {"Point & Tag Identification", "Collection"},
	"T0867": {"Lateral Tool Transfer", "Lateral Movement"},
	"T0878": {"Alarm Suppression", "Inhibit Response Function"},
	"T0881": {"Service Stop", "Inhibit Response Function"},
	"T0886": {"Remote Services", "Lateral Movement"},
	"T0888": {"Remote System Information Discovery", "Discovery"},
}

// Thresholds of the windowed rules.
var (
	SweepStations   = 10               // distinct stations one client addresses on one server...
	SweepWindow     = time.Minute      // ...within this window
	IdentTargets    = 3                // device-identification requests to distinct (server, station)...
	IdentWindow     = 5 * time.Minute  // ...within this window
	StormCount      = 20               // exception responses from one server...
	StormWindow     = 10 * time.Second // ...within this window
	ToggleCount     = 20               // coil / binary output writes by one client...
	ToggleWindow    = 10 * time.Second // ...within this window
	AddrSweepCount  = 100              // distinct start addresses one client requests on one station...
	AddrSweepWindow = time.Minute      // ...within this window
	RealertAfter    = 10 * time.Minute // a windowed rule fires again for the same key after this
	BaselineFormat  = 1
)

// Baseline is what --learn records: who talks to whom, which functions
// each station serves, and per point who writes it and the range of the
// values seen. It is written as baseline.json.
type Baseline struct {
	Format   int    `json:"format"`
	Analyzer string `json:"learned_from,omitempty"`
	// Talkers holds "proto client -> server:port".
	Talkers map[string]bool `json:"talkers"`
	// Functions maps "proto server station" to the functions seen.
	Functions map[string]map[string]bool `json:"functions"`
	// Points maps "proto server station kind index" to its envelope.
	Points map[string]*PointBaseline `json:"points"`
	// Polling maps "proto client server station function" to the learned
	// interval between consecutive requests.
	Polling map[string]*PollBaseline `json:"polling"`

	lastPoll map[string]time.Time
}

// PollBaseline is the learned period of one polled request.
type PollBaseline struct {
	Count  int     `json:"count"`  // intervals seen
	MeanS  float64 `json:"mean_s"` // mean interval, seconds
	M2     float64 `json:"m2"`     // sum of squared deviations (Welford)
	MaxGap float64 `json:"max_s"`  // largest interval seen, seconds
}

// MinPollSamples is how many intervals a poll needs before its breaks
// alert; PollBreakFactor how many times the largest learned interval a
// gap must exceed.
var (
	MinPollSamples  = 10
	PollBreakFactor = 3.0
)

func pollKey(tx *Transaction) string {
	return tx.Proto + " " + tx.Flow.Orig.Addr().String() + " " + tx.Flow.Resp.Addr().String() + " " +
		strconv.FormatUint(uint64(tx.Station), 10) + " " + tx.FuncName
}

// PointBaseline is the learned behaviour of one data point.
type PointBaseline struct {
	Writers  map[string]bool `json:"writers,omitempty"` // client addresses that wrote it
	Reads    uint64          `json:"reads"`
	Writes   uint64          `json:"writes"`
	HasValue bool            `json:"has_value"`
	Min      float64         `json:"min"`
	Max      float64         `json:"max"`
}

// NewBaseline returns an empty baseline.
func NewBaseline() *Baseline {
	return &Baseline{Format: BaselineFormat, Talkers: map[string]bool{}, Functions: map[string]map[string]bool{}, Points: map[string]*PointBaseline{},
		Polling: map[string]*PollBaseline{}, lastPoll: map[string]time.Time{}}
}

// LoadBaseline reads a baseline.json written by --learn.
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, diag.Errorf("read baseline: %v", err)
	}
	return ParseBaseline(path, data)
}

// ParseBaseline decodes a baseline.json; name is used in errors.
func ParseBaseline(name string, data []byte) (*Baseline, error) {
	b := NewBaseline()
	if err := json.Unmarshal(data, b); err != nil {
		return nil, &diag.Diagnostic{File: name, Msg: "not a baseline: " + err.Error(), Hint: "create one with citadel sense --learn"}
	}
	if b.Format != BaselineFormat {
		return nil, &diag.Diagnostic{File: name, Msg: fmt.Sprintf("baseline format %d, want %d", b.Format, BaselineFormat), Hint: "learn it again with this version"}
	}
	// "null" in the file leaves a nil map: make every map usable.
	if b.Talkers == nil {
		b.Talkers = map[string]bool{}
	}
	if b.Functions == nil {
		b.Functions = map[string]map[string]bool{}
	}
	if b.Points == nil {
		b.Points = map[string]*PointBaseline{}
	}
	if b.Polling == nil {
		b.Polling = map[string]*PollBaseline{}
	}
	for k, fs := range b.Functions {
		if fs == nil {
			b.Functions[k] = map[string]bool{}
		}
	}
	for k, p := range b.Points {
		if p == nil {
			delete(b.Points, k)
		}
	}
	for k, p := range b.Polling {
		if p == nil {
			delete(b.Polling, k)
		}
	}
	// A key the detector cannot read would silently switch its rule off.
	var bad []string
	for k := range b.Talkers {
		if _, ok := parseTalkKey(k); !ok {
			bad = append(bad, "talkers: "+strconv.Quote(k))
		}
	}
	for k := range b.Functions {
		if _, _, _, ok := parseStationKey(k); !ok {
			bad = append(bad, "functions: "+strconv.Quote(k))
		}
	}
	for k := range b.Points {
		if _, ok := parsePointKey(k); !ok {
			bad = append(bad, "points: "+strconv.Quote(k))
		}
	}
	for k := range b.Polling {
		if _, ok := parsePollKey(k); !ok {
			bad = append(bad, "polling: "+strconv.Quote(k))
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		if len(bad) > 5 {
			bad = append(bad[:5], fmt.Sprintf("and %d more", len(bad)-5))
		}
		return nil, &diag.Diagnostic{File: name, Msg: "unreadable baseline keys: " + strings.Join(bad, ", "),
			Hint: "keys are written by citadel sense --learn; learn the baseline again rather than editing them"}
	}
	return b, nil
}

// WriteJSON writes the baseline.
func (b *Baseline) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(b)
}

func talkerKey(tx *Transaction) string {
	return tx.Proto + " " + tx.Flow.Orig.Addr().String() + " -> " + tx.Flow.Resp.String()
}

func stationKeyOf(tx *Transaction) string {
	return tx.Proto + " " + tx.Flow.Resp.Addr().String() + " " + strconv.FormatUint(uint64(tx.Station), 10)
}

func pointKey(st string, op *Op) string {
	return st + " " + string(op.Kind) + " " + strconv.FormatUint(uint64(op.Index), 10)
}

// Learn adds a transaction to the baseline.
func (b *Baseline) Learn(tx *Transaction) {
	b.Talkers[talkerKey(tx)] = true
	if tx.HasRequest {
		pk := pollKey(tx)
		if last, ok := b.lastPoll[pk]; ok && tx.TS.After(last) {
			p := b.Polling[pk]
			if p == nil {
				p = &PollBaseline{}
				b.Polling[pk] = p
			}
			dt := tx.TS.Sub(last).Seconds()
			p.Count++
			d := dt - p.MeanS
			p.MeanS += d / float64(p.Count)
			p.M2 += d * (dt - p.MeanS)
			p.MaxGap = max(p.MaxGap, dt)
		}
		b.lastPoll[pk] = tx.TS
	}
	sk := stationKeyOf(tx)
	fs := b.Functions[sk]
	if fs == nil {
		fs = map[string]bool{}
		b.Functions[sk] = fs
	}
	fs[tx.FuncName] = true
	if tx.Exception != "" {
		return
	}
	client := tx.Flow.Orig.Addr().String()
	for i := range tx.Ops {
		op := &tx.Ops[i]
		pk := pointKey(sk, op)
		p := b.Points[pk]
		if p == nil {
			p = &PointBaseline{}
			b.Points[pk] = p
		}
		if op.Write {
			p.Writes++
			if p.Writers == nil {
				p.Writers = map[string]bool{}
			}
			p.Writers[client] = true
		} else {
			p.Reads++
		}
		if op.HasValue {
			if !p.HasValue {
				p.HasValue, p.Min, p.Max = true, op.Value, op.Value
			} else {
				p.Min, p.Max = min(p.Min, op.Value), max(p.Max, op.Value)
			}
		}
	}
}

// window counts events of one key in a time window.
type window struct {
	start    time.Time
	n        int
	distinct map[uint64]struct{}
	fired    time.Time
}

// add counts one event at ts; with distinct set it returns the number of
// distinct items in the window, else the number of events.
func (w *window) add(ts time.Time, span time.Duration, item uint64, distinct bool) int {
	if ts.Sub(w.start) > span || ts.Before(w.start) {
		w.start, w.n = ts, 0
		clear(w.distinct)
	}
	w.n++
	if distinct {
		if w.distinct == nil {
			w.distinct = map[uint64]struct{}{}
		}
		w.distinct[item] = struct{}{}
		return len(w.distinct)
	}
	return w.n
}

// Rules with windows.
const (
	ruleSweep uint8 = iota + 1
	ruleAddr
	ruleIdent
	ruleStorm
	ruleToggle
	ruleEnvelope
	ruleEvent // per-transaction events (restarts, broadcast writes ...), keyed by signature
)

// winKey identifies the window of a rule; unused fields stay zero.
type winKey struct {
	rule    uint8
	proto   string
	client  netip.Addr
	server  netip.Addr
	station uint32
	point   string
	sid     int
}

// maxWindows bounds the state of the windowed rules; it is cleared when
// full (an attacker spraying addresses cannot grow it without limit).
const maxWindows = 1 << 16

type talkKey struct {
	proto  string
	client netip.Addr
	server netip.AddrPort
}

type fnKey struct {
	proto   string
	server  netip.Addr
	station uint32
	fn      string
}

type ptKey struct {
	proto   string
	server  netip.Addr
	station uint32
	kind    PointKind
	index   uint32
}

type pollKeyT struct {
	proto          string
	client, server netip.Addr
	station        uint32
	fn             string
}

type ptIdx struct {
	writers map[netip.Addr]bool
	pb      *PointBaseline
}

// Detector turns transactions into alerts: stateless rules always, and
// deviations from a baseline when one is given. It allocates nothing per
// transaction unless an alert fires.
type Detector struct {
	// Assets, when set, gives the asset id of an address; alerts then list
	// the asset ids of both ends in ot.asset_ids.
	Assets func(netip.Addr) (string, bool)

	base  *Baseline
	out   *AlertWriter
	wins  map[winKey]*window
	once  map[string]bool
	count map[int]int
	// Indexes of base with typed keys.
	talkers map[talkKey]bool
	fns     map[fnKey]bool
	pts     map[ptKey]*ptIdx
	fnList  map[string][]string // "proto server station" → functions, for messages
	last    map[ptKey]float64   // last state written to each coil/relay
	polls   map[pollKeyT]*PollBaseline
	lastReq map[pollKeyT]time.Time
	// byFlow caches the sweep windows of a flow (keyed by pointer, cheaper
	// to hash than the window keys); cleared with wins.
	byFlow map[*Flow]*flowWins
}

type flowWins struct {
	proto   string
	sweep   *window
	station uint32
	addr    *window
}

// NewDetector returns a detector writing to out; base may be nil.
func NewDetector(base *Baseline, out *AlertWriter) *Detector {
	d := &Detector{base: base, out: out, wins: map[winKey]*window{}, once: map[string]bool{}, count: map[int]int{}, last: map[ptKey]float64{}, byFlow: map[*Flow]*flowWins{}}
	if base != nil {
		d.index(base)
	}
	return d
}

// index turns the baseline's string keys into typed ones; keys that do not
// parse are ignored.
func (d *Detector) index(b *Baseline) {
	d.talkers, d.fns, d.pts, d.fnList = map[talkKey]bool{}, map[fnKey]bool{}, map[ptKey]*ptIdx{}, map[string][]string{}
	d.polls, d.lastReq = map[pollKeyT]*PollBaseline{}, map[pollKeyT]time.Time{}
	for k, p := range b.Polling {
		if pk, ok := parsePollKey(k); ok && p.Count >= MinPollSamples {
			d.polls[pk] = p
		}
	}
	for k := range b.Talkers {
		if tk, ok := parseTalkKey(k); ok {
			d.talkers[tk] = true
		}
	}
	for k, fns := range b.Functions {
		proto, srv, st, ok := parseStationKey(k)
		if !ok {
			continue
		}
		for fn := range fns {
			d.fns[fnKey{proto, srv, st, fn}] = true
			d.fnList[k] = append(d.fnList[k], fn)
		}
		slices.Sort(d.fnList[k])
	}
	for k, pb := range b.Points {
		pk, ok := parsePointKey(k)
		if !ok {
			continue
		}
		pi := &ptIdx{writers: map[netip.Addr]bool{}, pb: pb}
		for w := range pb.Writers {
			if a, err := netip.ParseAddr(w); err == nil {
				pi.writers[a] = true
			}
		}
		d.pts[pk] = pi
	}
}

// The baseline's keys, as Learn writes them:
//
//	talkers   "PROTO CLIENT -> SERVER:PORT"
//	functions "PROTO SERVER STATION"
//	points    "PROTO SERVER STATION KIND INDEX"
//	polling   "PROTO CLIENT SERVER STATION FUNCTION"

func parseTalkKey(k string) (talkKey, bool) {
	f := strings.Fields(k)
	if len(f) != 4 {
		return talkKey{}, false
	}
	c, err1 := netip.ParseAddr(f[1])
	s, err2 := netip.ParseAddrPort(f[3])
	return talkKey{f[0], c, s}, err1 == nil && err2 == nil
}

func parseStationKey(k string) (proto string, srv netip.Addr, st uint32, ok bool) {
	f := strings.Fields(k)
	if len(f) != 3 {
		return "", netip.Addr{}, 0, false
	}
	srv, err1 := netip.ParseAddr(f[1])
	n, err2 := strconv.ParseUint(f[2], 10, 32)
	return f[0], srv, uint32(n), err1 == nil && err2 == nil
}

func parsePointKey(k string) (ptKey, bool) {
	f := strings.Fields(k)
	if len(f) != 5 {
		return ptKey{}, false
	}
	srv, err1 := netip.ParseAddr(f[1])
	st, err2 := strconv.ParseUint(f[2], 10, 32)
	ix, err3 := strconv.ParseUint(f[4], 10, 32)
	return ptKey{f[0], srv, uint32(st), PointKind(f[3]), uint32(ix)}, err1 == nil && err2 == nil && err3 == nil
}

func parsePollKey(k string) (pollKeyT, bool) {
	f := strings.SplitN(k, " ", 5)
	if len(f) != 5 {
		return pollKeyT{}, false
	}
	c, err1 := netip.ParseAddr(f[1])
	srv, err2 := netip.ParseAddr(f[2])
	st, err3 := strconv.ParseUint(f[3], 10, 32)
	return pollKeyT{f[0], c, srv, uint32(st), f[4]}, err1 == nil && err2 == nil && err3 == nil
}

// Counts returns the number of alerts per signature id.
func (d *Detector) Counts() map[int]int { return d.count }

func (d *Detector) win(key winKey) *window {
	w := d.wins[key]
	if w == nil {
		if len(d.wins) >= maxWindows {
			clear(d.wins)
			clear(d.byFlow)
		}
		w = &window{}
		d.wins[key] = w
	}
	return w
}

// fire emits an alert unless the same key fired in the last RealertAfter
// (windowed rules) or ever (once rules: pass a once key).
func (d *Detector) fire(tx *Transaction, sid, sev int, tech, sig, expected, observed string, w *window, onceKey string) {
	if onceKey != "" {
		if d.once[onceKey] {
			return
		}
		if len(d.once) >= maxWindows {
			clear(d.once)
		}
		d.once[onceKey] = true
	}
	if w != nil {
		if !w.fired.IsZero() && tx.TS.Sub(w.fired) < RealertAfter {
			return
		}
		w.fired = tx.TS
	}
	t := techniques[tech]
	al := alert.New(tx.TS, sig, sid, sev, t[1], tech, t[0], t[1])
	a := &al
	a.FlowID = tx.Flow.UID
	a.SrcIP, a.SrcPort = tx.Flow.Orig.Addr().String(), tx.Flow.Orig.Port()
	a.DestIP, a.DestPort = tx.Flow.Resp.Addr().String(), tx.Flow.Resp.Port()
	a.Proto, a.AppProto = "TCP", tx.Proto
	a.OT = &AlertOT{Packet: tx.Packet, Station: tx.Station, Function: tx.FuncName, Expected: expected, Observed: observed}
	if tx.Flow.Transport == UDP {
		a.Proto = "UDP"
	}
	if d.Assets != nil {
		for _, ap := range [...]netip.AddrPort{tx.Flow.Orig, tx.Flow.Resp} {
			if id, ok := d.Assets(ap.Addr()); ok {
				a.OT.AssetIDs = append(a.OT.AssetIDs, id)
			}
		}
	}
	for i := range tx.Ops {
		if i == 8 {
			a.OT.Points = append(a.OT.Points, fmt.Sprintf("... %d more", len(tx.Ops)-i))
			break
		}
		op := &tx.Ops[i]
		p := string(op.Kind) + ":" + strconv.FormatUint(uint64(op.Index), 10)
		if op.HasValue {
			p += "=" + strconv.FormatFloat(op.Value, 'g', -1, 64)
		}
		a.OT.Points = append(a.OT.Points, p)
	}
	d.count[sid]++
	d.out.Write(a)
}

// ready reports whether a windowed rule may fire again.
func ready(w *window, ts time.Time) bool {
	return w.fired.IsZero() || ts.Sub(w.fired) >= RealertAfter || ts.Before(w.fired)
}

// addrID folds an address and a station into one distinct-item id.
func addrID(a netip.Addr, station uint32) uint64 {
	b := a.As16()
	h := uint64(14695981039346656037)
	for _, c := range b {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return h ^ uint64(station)<<1
}

func isToggle(k PointKind) bool { return k == Coil || k == BinaryOutput }

// Observe runs every rule on one transaction.
func (d *Detector) Observe(tx *Transaction) {
	d.stateless(tx)
	if d.base != nil {
		d.deviations(tx)
	}
}

func (d *Detector) stateless(tx *Transaction) {
	client, server := tx.Flow.Orig.Addr(), tx.Flow.Resp.Addr()
	if tx.HasRequest {
		fw := d.byFlow[tx.Flow]
		if fw == nil || fw.proto != tx.Proto {
			if len(d.byFlow) >= maxWindows {
				clear(d.byFlow)
			}
			fw = &flowWins{proto: tx.Proto, sweep: d.win(winKey{rule: ruleSweep, proto: tx.Proto, client: client, server: server})}
			d.byFlow[tx.Flow] = fw
		}
		if fw.addr == nil || fw.station != tx.Station {
			fw.station = tx.Station
			fw.addr = d.win(winKey{rule: ruleAddr, proto: tx.Proto, client: client, server: server, station: tx.Station})
		}
		// Station sweeps: one client addressing many unit ids/addresses.
		if w := fw.sweep; w.add(tx.TS, SweepWindow, uint64(tx.Station), true) >= SweepStations && ready(w, tx.TS) {
			d.fire(tx, SIDStationSweep, 2, "T0846", "OT "+tx.Proto+" station sweep", fmt.Sprintf("< %d stations per %v", SweepStations, SweepWindow),
				fmt.Sprintf("%d stations addressed by %s", len(w.distinct), client), w, "")
		}
		if tx.HasAddr {
			if w := fw.addr; w.add(tx.TS, AddrSweepWindow, uint64(tx.Addr), true) >= AddrSweepCount && ready(w, tx.TS) {
				d.fire(tx, SIDAddressSweep, 2, "T0861", "OT point address sweep", fmt.Sprintf("< %d start addresses per %v", AddrSweepCount, AddrSweepWindow),
					fmt.Sprintf("%d start addresses requested by %s", len(w.distinct), client), w, "")
			}
		}
		if tx.Proto == "modbus" && (tx.Func == 43 || tx.Func == 17) {
			if w := d.win(winKey{rule: ruleIdent, client: client}); w.add(tx.TS, IdentWindow, addrID(server, tx.Station), true) >= IdentTargets && ready(w, tx.TS) {
				d.fire(tx, SIDIdentEnum, 2, "T0888", "OT device identification enumeration", fmt.Sprintf("< %d targets per %v", IdentTargets, IdentWindow),
					fmt.Sprintf("%d stations asked for identification by %s", len(w.distinct), client), w, "")
			}
		}
	}
	// Events fire once per client, server and signature every RealertAfter.
	event := func(sid int) *window {
		w := d.win(winKey{rule: ruleEvent, proto: tx.Proto, client: client, server: server, sid: sid})
		if !ready(w, tx.TS) {
			return nil
		}
		return w
	}
	if tx.Broadcast && tx.Write {
		if w := event(SIDBroadcastWrite); w != nil {
			d.fire(tx, SIDBroadcastWrite, 1, "T0855", "OT broadcast write", "no broadcast writes", "write to broadcast station "+strconv.FormatUint(uint64(tx.Station), 10), w, "")
		}
	}
	if tx.Exception != "" {
		if w := d.win(winKey{rule: ruleStorm, server: server}); w.add(tx.TS, StormWindow, 0, false) >= StormCount && ready(w, tx.TS) {
			d.fire(tx, SIDExceptionStorm, 2, "T0814", "OT exception storm", fmt.Sprintf("< %d exceptions per %v", StormCount, StormWindow),
				fmt.Sprintf("%d exceptions from %s", w.n, server), w, "")
		}
	}
	// Mass switching: state changes (not repeated writes of the same
	// state, which is normal polling) of many distinct coils or relays by
	// one client in a short window; a heartbeat bit toggling on one point
	// does not count more than once.
	var w *window
	n := 0
	for i := range tx.Ops {
		op := &tx.Ops[i]
		if !op.Write || !op.HasValue || !isToggle(op.Kind) || tx.Exception != "" {
			continue
		}
		k := ptKey{tx.Proto, server, tx.Station, op.Kind, op.Index}
		last, seen := d.last[k]
		if !seen && len(d.last) >= maxWindows {
			clear(d.last)
		}
		d.last[k] = op.Value
		if seen && last != op.Value {
			if w == nil {
				w = d.win(winKey{rule: ruleToggle, client: client})
			}
			n = w.add(tx.TS, ToggleWindow, addrID(server, tx.Station)^uint64(op.Index)<<32^uint64(len(op.Kind)), true)
		}
	}
	if w != nil && n >= ToggleCount && ready(w, tx.TS) {
		d.fire(tx, SIDMassToggle, 1, "T0806", "OT mass toggling of coils/relays", fmt.Sprintf("< %d points switched per %v", ToggleCount, ToggleWindow),
			fmt.Sprintf("%d points switched by %s", n, client), w, "")
	}
	var sid, sev int
	var tech, sig string
	switch tx.FuncName {
	case "COLD_RESTART", "WARM_RESTART":
		sid, sev, tech, sig = SIDRestart, 1, "T0816", "OT device restart command"
	case "DISABLE_UNSOLICITED":
		sid, sev, tech, sig = SIDDisableUnsol, 2, "T0878", "OT unsolicited reporting disabled"
	case "STOP_APPL":
		sid, sev, tech, sig = SIDStopApplication, 1, "T0881", "OT application stopped"
	case "OPEN_FILE", "CLOSE_FILE", "DELETE_FILE", "GET_FILE_INFO", "ABORT_FILE", "AUTHENTICATE_FILE":
		sid, sev, tech, sig = SIDFileTransfer, 2, "T0867", "OT file transfer"
	case "PROGRAM_484", "PROGRAM_584_984", "PROGRAM_884_U84", "PROGRAM_CONCEPT", "PROGRAM_584_984_2", "PROGRAM_UNITY", "FIRMWARE_REPLACEMENT":
		sid, sev, tech, sig = SIDProgramDownload, 1, "T0843", "OT programming or firmware function"
	}
	if sid != 0 && tx.HasRequest {
		if w := event(sid); w != nil {
			d.fire(tx, sid, sev, tech, sig, "", tx.FuncName, w, "")
		}
	}
}

func (d *Detector) deviations(tx *Transaction) {
	client, server := tx.Flow.Orig.Addr(), tx.Flow.Resp.Addr()
	if tx.HasRequest {
		k := pollKeyT{tx.Proto, client, server, tx.Station, tx.FuncName}
		if p := d.polls[k]; p != nil {
			if last, ok := d.lastReq[k]; ok && tx.TS.After(last) {
				gap := tx.TS.Sub(last).Seconds()
				if limit := PollBreakFactor * p.MaxGap; gap > limit {
					d.fire(tx, SIDPollingBreak, 2, "T0815", "OT polling interrupted",
						fmt.Sprintf("%s every %.3gs (at most %.3gs)", tx.FuncName, p.MeanS, p.MaxGap), fmt.Sprintf("no request for %.3gs", gap), nil, "")
				}
			}
			d.lastReq[k] = tx.TS
		}
	}
	if !d.talkers[talkKey{tx.Proto, client, tx.Flow.Resp}] {
		tk := talkerKey(tx)
		d.fire(tx, SIDNewTalker, 2, "T0886", "OT new talker", "only learned talkers", tk, nil, "talker "+tk)
	}
	if tx.HasRequest && !d.fns[fnKey{tx.Proto, server, tx.Station, tx.FuncName}] {
		tech := "T0861"
		if tx.Write {
			tech = "T0855"
		}
		sk := stationKeyOf(tx)
		d.fire(tx, SIDNewFunction, 2, tech, "OT function never used on this station", fmt.Sprint(d.fnList[sk]), tx.FuncName, nil, "func "+sk+" "+tx.FuncName)
	}
	if tx.Exception != "" {
		return
	}
	for i := range tx.Ops {
		op := &tx.Ops[i]
		if !op.Write {
			continue
		}
		p := d.pts[ptKey{tx.Proto, server, tx.Station, op.Kind, op.Index}]
		if p == nil || !p.writers[client] {
			pk := pointKey(stationKeyOf(tx), op)
			exp := "no writes"
			if p != nil && len(p.writers) > 0 {
				ws := make([]string, 0, len(p.writers))
				for w := range p.writers {
					ws = append(ws, w.String())
				}
				slices.Sort(ws)
				exp = fmt.Sprint("writers ", ws)
			}
			d.fire(tx, SIDNewWriter, 1, "T0855", "OT write from a host that never wrote this point", exp, client.String()+" wrote "+pk, nil, "writer "+client.String()+" "+pk)
			continue
		}
		if pb := p.pb; op.HasValue && pb.HasValue && (op.Value < pb.Min || op.Value > pb.Max) {
			pk := pointKey(stationKeyOf(tx), op)
			d.fire(tx, SIDOutOfEnvelope, 1, "T0836", "OT value outside the learned envelope",
				fmt.Sprintf("%s in [%g, %g]", pk, pb.Min, pb.Max), fmt.Sprintf("%g", op.Value), d.win(winKey{rule: ruleEnvelope, point: pk}), "")

		}
	}
}
