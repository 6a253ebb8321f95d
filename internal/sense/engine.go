package sense

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"github.com/citadel-city/citadel/internal/capture"
)

// Default flow-table limits.
const (
	DefaultMaxFlows   = 200_000
	DefaultTCPTimeout = 5 * time.Minute // Zeek's tcp_inactivity_timeout
)

// Stats counts what the engine saw.
type Stats struct {
	Packets      uint64 `json:"packets"`      // packets read
	Bytes        uint64 `json:"bytes"`        // captured bytes read
	Decoded      uint64 `json:"decoded"`      // packets handed to an analyzer flow
	Flows        uint64 `json:"flows"`        // flows created
	Evicted      uint64 `json:"evicted"`      // flows evicted because the table was full
	Skipped      uint64 `json:"skipped"`      // packets not IP, fragments, unclaimed ports
	Transactions uint64 `json:"transactions"` // transactions emitted by analyzers
}

// Engine runs packets through the flow table, TCP reassembly and the
// analyzers. It is the pipeline without file handling, so benchmarks and
// live capture drive it directly. It is not safe for concurrent use.
type Engine struct {
	out       *Output
	analyzers []Analyzer
	ports     [2][]uint8 // [tcp, udp][port] → 1 + index in analyzers, 0 none
	table     *capture.Table[flowState]
	opts      capture.Options
	layers    capture.Layers
	meta      Meta
	rng       *rand.PCG
	stats     Stats
	lastExp   time.Time
	// perOrig holds the (weird, source) pairs already reported for the
	// weirds Zeek logs once per originator.
	perOrig map[perOrigKey]bool
}

// EngineConfig tunes an Engine.
type EngineConfig struct {
	Analyzers       []Analyzer // default: all registered
	MaxFlows        int        // default DefaultMaxFlows
	IdleTimeout     time.Duration
	IgnoreChecksums bool   // do not drop packets with a bad IPv4 header checksum (Zeek -C)
	Seed            uint64 // seeds connection uids (deterministic per run)
}

type flowState struct {
	stream  Stream
	origIsA bool
	done    bool // the stream was closed; late packets are ignored
	finMask uint8
	reasm   [2]capture.Reassembler // 0 = originator, 1 = responder
	sink    [2]dirSink
}

// dirSink adapts one direction of a flow to capture.ByteSink.
type dirSink struct {
	fs   *flowState
	e    *Engine
	orig bool
}

func (d *dirSink) Bytes(b []byte) {
	d.e.meta.IsOrig = d.orig
	d.fs.stream.Data(&d.e.meta, b)
}

func (d *dirSink) Gap(n int) {
	d.e.meta.IsOrig = d.orig
	d.fs.stream.Gap(&d.e.meta, n)
}

// NewEngine returns an engine sending analyzer output to out.
func NewEngine(cfg EngineConfig, out *Output) *Engine {
	e := &Engine{out: out, analyzers: cfg.Analyzers, opts: capture.Options{IgnoreChecksums: cfg.IgnoreChecksums}}
	if e.analyzers == nil {
		e.analyzers = Analyzers()
	}
	e.ports[0] = make([]uint8, 1<<16)
	e.ports[1] = make([]uint8, 1<<16)
	for i, a := range e.analyzers {
		for _, p := range a.Ports() {
			t := 0
			if p.Transport == UDP {
				t = 1
			}
			if e.ports[t][p.Number] == 0 {
				e.ports[t][p.Number] = uint8(i + 1)
			}
		}
	}
	max := cfg.MaxFlows
	if max == 0 {
		max = DefaultMaxFlows
	}
	idle := cfg.IdleTimeout
	if idle == 0 {
		idle = DefaultTCPTimeout
	}
	e.table = capture.NewTable[flowState](max, idle)
	e.table.OnEvict = e.evicted
	e.rng = rand.NewPCG(cfg.Seed, 0x5e45e)
	return e
}

// Stats returns the counters so far.
func (e *Engine) Stats() Stats { return e.stats }

// Packet processes one captured packet. p.Number should count across all
// inputs of a run.
func (e *Engine) Packet(p *capture.Packet) {
	e.stats.Packets++
	e.stats.Bytes += uint64(len(p.Data))
	e.meta.Packet = p.Number
	e.meta.TS = p.TS
	l := &e.layers
	if err := capture.Decode(p.LinkType, p.Data, l, e.opts); err != nil {
		e.decodeError(err, p)
		return
	}
	var t int
	var tr Transport
	switch l.Proto {
	case capture.ProtoTCP:
		t, tr = 0, TCP
	case capture.ProtoUDP:
		t, tr = 1, UDP
	default:
		e.stats.Skipped++
		return
	}
	ai := e.ports[t][l.DstPort]
	if ai == 0 {
		ai = e.ports[t][l.SrcPort]
		if ai == 0 {
			e.stats.Skipped++
			return
		}
	}
	if !e.opts.IgnoreChecksums && !l.TransportChecksumOK() {
		name := "bad_TCP_checksum"
		if tr == UDP {
			name = "bad_UDP_checksum"
		}
		e.stats.Skipped++
		if e.firstPerOrig(name, l.Src) {
			e.out.Weird(&Flow{Orig: netip.AddrPortFrom(l.Src, l.SrcPort), Resp: netip.AddrPortFrom(l.Dst, l.DstPort)}, &e.meta, name, "")
		} else {
			e.out.Weirds[name]++
		}
		return
	}
	if tr == TCP && l.Flags&capture.FlagSYN != 0 && l.Flags&(capture.FlagFIN|capture.FlagRST) != 0 {
		// SYN together with FIN or RST is no valid segment: drop it.
		e.stats.Skipped++
		e.out.Weird(&Flow{Orig: netip.AddrPortFrom(l.Src, l.SrcPort), Resp: netip.AddrPortFrom(l.Dst, l.DstPort)}, &e.meta, "SYN_with_FIN_or_RST", "")
		return
	}
	src := netip.AddrPortFrom(l.Src, l.SrcPort)
	dst := netip.AddrPortFrom(l.Dst, l.DstPort)
	key, srcIsA := capture.MakeKey(l.Proto, src, dst)
	ent := e.table.Lookup(key, p.TS)
	syn := tr == TCP && l.Flags&capture.FlagSYN != 0 && l.Flags&capture.FlagACK == 0
	if ent != nil && ent.Value.done && syn {
		// A new connection on a reused 4-tuple.
		e.table.Remove(ent)
		ent = nil
	}
	if ent == nil {
		if tr == TCP && len(l.Payload) == 0 && l.Flags&capture.FlagSYN == 0 {
			// A bare ACK/FIN/RST of a connection we never saw: nothing to
			// decode, do not start a flow for it.
			e.stats.Skipped++
			return
		}
		ent = e.table.Insert(key, p.TS)
		origIsSrc := e.origIsSrc(t, tr, l)
		e.startFlow(ent, tr, src, dst, origIsSrc, srcIsA, int(ai-1))
	}
	fs := &ent.Value
	if fs.done {
		e.stats.Skipped++
		return
	}
	e.stats.Decoded++
	isOrig := srcIsA == fs.origIsA
	dir := 1
	if isOrig {
		dir = 0
	}
	if tr == UDP {
		e.meta.IsOrig = isOrig
		fs.stream.Data(&e.meta, l.Payload)
	} else {
		fs.reasm[dir].Segment(l.Seq, l.Flags, l.Payload, &fs.sink[dir])
		if l.Flags&capture.FlagACK != 0 && !fs.done {
			fs.reasm[1-dir].Ack(l.Ack, &fs.sink[1-dir])
		}
		if l.Flags&capture.FlagRST != 0 {
			e.closeFlow(fs)
		} else if l.Flags&capture.FlagFIN != 0 {
			fs.finMask |= 1 << dir
			if fs.finMask == 3 {
				e.closeFlow(fs)
			}
		}
	}
	if p.TS.Sub(e.lastExp) > time.Second || p.TS.Before(e.lastExp) {
		e.lastExp = p.TS
		e.table.Expire(p.TS)
	}
}

// origIsSrc decides whether the sender of a flow's first packet is the
// originator, as Zeek does: a SYN without ACK comes from the originator;
// otherwise a sender on a port an analyzer claims (a likely server port)
// is taken as the responder (when both ports are claimed, only a non-SYN
// packet from the lower port flips).
func (e *Engine) origIsSrc(t int, tr Transport, l *capture.Layers) bool {
	syn := l.Flags&capture.FlagSYN != 0
	if tr == TCP && syn && l.Flags&capture.FlagACK == 0 {
		return true
	}
	if e.ports[t][l.SrcPort] == 0 {
		return true
	}
	if e.ports[t][l.DstPort] != 0 {
		return syn || l.SrcPort >= l.DstPort
	}
	return false
}

func (e *Engine) startFlow(ent *capture.Entry[flowState], tr Transport, src, dst netip.AddrPort, origIsSrc, srcIsA bool, ai int) {
	fs := &ent.Value
	for i := range fs.reasm {
		fs.reasm[i].Reset()
	}
	fs.done, fs.finMask = false, 0
	// The stream may keep the pointer for its life.
	flow := &Flow{UID: e.newUID(), Transport: tr, First: e.meta.TS}
	if origIsSrc {
		flow.Orig, flow.Resp = src, dst
		fs.origIsA = srcIsA
	} else {
		flow.Orig, flow.Resp = dst, src
		fs.origIsA = !srcIsA
	}
	fs.sink[0] = dirSink{fs: fs, e: e, orig: true}
	fs.sink[1] = dirSink{fs: fs, e: e, orig: false}
	fs.stream = e.analyzers[ai].NewStream(flow, e.out)
	e.stats.Flows++
}

// closeFlow ends the stream of a flow; the entry stays until it idles out,
// so that late packets of the connection do not start a new flow.
func (e *Engine) closeFlow(fs *flowState) {
	if fs.done {
		return
	}
	fs.done = true
	fs.reasm[0].Flush(&fs.sink[0])
	fs.reasm[1].Flush(&fs.sink[1])
	fs.stream.Close(&e.meta)
	fs.stream = nil
}

func (e *Engine) evicted(ent *capture.Entry[flowState], why capture.EvictReason) {
	if why == capture.EvictFull {
		e.stats.Evicted++
	}
	fs := &ent.Value
	if !fs.done {
		e.closeFlow(fs)
	}
}

// Finish flushes every flow (end of input).
func (e *Engine) Finish() {
	e.table.Flush()
}

// decodeError reports malformed packets as Zeek does in weird.log.
func (e *Engine) decodeError(err error, p *capture.Packet) {
	switch err {
	case capture.ErrNotIP, capture.ErrUnsupported, capture.ErrFragment:
		e.stats.Skipped++
		return
	}
	e.stats.Skipped++
	l := &e.layers
	var f *Flow
	if l.Src.IsValid() && err == capture.ErrBadChecksum {
		// Zeek's weird for a bad IP checksum has the addresses and port 0.
		f = &Flow{Orig: netip.AddrPortFrom(l.Src, 0), Resp: netip.AddrPortFrom(l.Dst, 0)}
	}
	if err == capture.ErrBadChecksum && f != nil && !e.firstPerOrig("bad_IP_checksum", l.Src) {
		e.out.Weirds["bad_IP_checksum"]++
		return
	}
	name := "truncated_header"
	switch err {
	case capture.ErrBadChecksum:
		name = "bad_IP_checksum"
	case capture.ErrBadIPHeader:
		name = "bad_IP_header"
	case capture.ErrBadTCP:
		name = "bad_TCP_header_len"
	case capture.ErrBadUDP:
		name = "bad_UDP_length"
	}
	e.out.Weird(f, &e.meta, name, "")
}

// perOrigKey is a weird name and the originator it was reported for.
type perOrigKey struct {
	name string
	src  netip.Addr
}

// firstPerOrig reports whether weird name has not been logged for src yet
// (Zeek's ACTION_LOG_PER_ORIG for checksum weirds), and records it.
func (e *Engine) firstPerOrig(name string, src netip.Addr) bool {
	k := perOrigKey{name, src}
	if e.perOrig[k] {
		return false
	}
	if e.perOrig == nil || len(e.perOrig) >= 1<<16 {
		e.perOrig = map[perOrigKey]bool{}
	}
	e.perOrig[k] = true
	return true
}

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// newUID returns a Zeek-style connection uid: "C" and 17 base62 digits.
func (e *Engine) newUID() string {
	var b [18]byte
	b[0] = 'C'
	hi, lo := e.rng.Uint64(), e.rng.Uint64()
	for i := 1; i < len(b); i++ {
		if i < 10 {
			b[i] = base62[hi%62]
			hi /= 62
		} else {
			b[i] = base62[lo%62]
			lo /= 62
		}
	}
	return string(b[:])
}
