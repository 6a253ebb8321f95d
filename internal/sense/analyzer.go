package sense

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// Transport is the transport protocol of a flow.
type Transport uint8

// Transports a flow can use.
const (
	TCP Transport = 6
	UDP Transport = 17
)

// String returns "tcp" or "udp" (Zeek's port suffix and EVE's proto, lower case).
func (t Transport) String() string {
	switch t {
	case TCP:
		return "tcp"
	case UDP:
		return "udp"
	}
	return fmt.Sprintf("proto-%d", uint8(t))
}

// Port is a transport port an analyzer claims by default.
type Port struct {
	Transport Transport
	Number    uint16
}

// Flow describes one connection (TCP) or one UDP conversation as an analyzer
// sees it. The originator is the side that sent the first packet (for TCP the
// SYN when it was captured; otherwise the side talking to the well-known
// port is taken as the responder). A Flow is owned by the pipeline: analyzers
// may keep the pointer for the life of their Stream but must not modify it.
type Flow struct {
	// UID is a Zeek-style connection uid ("C" + base62), unique in one run.
	UID       string
	Transport Transport
	Orig      netip.AddrPort // originator (client, master)
	Resp      netip.AddrPort // responder (server, outstation)
	// First is the timestamp of the flow's first packet.
	First time.Time

	// conn caches the five connection fields as a log writer formats them
	// ([TSV, JSON]), so rows do not format addresses again.
	conn [2][]byte
}

// Meta locates a chunk of payload: its direction, the capture packet that
// completed it and that packet's timestamp.
type Meta struct {
	// Packet is the 1-based number of the packet in the capture (across
	// several input files, the count continues).
	Packet uint64
	// TS is the capture timestamp of that packet.
	TS time.Time
	// IsOrig is true for bytes sent by the originator (Flow.Orig).
	IsOrig bool
}

// Stream consumes the payload of one flow, both directions, in order. The
// pipeline calls it from one goroutine; it needs no locking.
type Stream interface {
	// Data delivers the next in-order bytes of one direction (TCP) or one
	// datagram (UDP). b is only valid during the call: copy what you keep.
	// Bytes of one TCP segment may be delivered together with bytes of
	// earlier out-of-order segments, and a PDU can be split across calls.
	Data(m *Meta, b []byte)
	// Gap reports that n bytes of the direction m.IsOrig were never
	// captured (lost segments). The stream should drop its partial PDU of
	// that direction and resynchronise.
	Gap(m *Meta, n int)
	// Close ends the flow (FIN/RST seen on both sides, idle or memory
	// eviction, or end of input). Emit anything still pending (for example
	// requests that got no response).
	Close(m *Meta)
}

// Analyzer decodes one application protocol. Implementations are stateless
// factories registered once with Register; all per-flow state lives in the
// Stream returned by NewStream.
type Analyzer interface {
	// Name is the protocol name, lower case: "modbus", "dnp3". It names the
	// log (modbus.log) and appears as app_proto in alerts.
	Name() string
	// Version changes whenever the analyzer's output changes meaning, so
	// stored baselines and results can be invalidated.
	Version() int
	// Ports lists the ports the analyzer claims by default; a flow whose
	// responder port (or, for UDP, either port) matches is handed to it.
	Ports() []Port
	// Logs lists the Zeek-style logs the analyzer writes (Schema.Path is the
	// file name without ".log"). The pipeline opens them before any stream.
	Logs() []*Schema
	// NewStream starts decoding one flow. Records go to out.
	NewStream(f *Flow, out *Output) Stream
}

var (
	regMu     sync.RWMutex
	analyzers = map[string]Analyzer{}
)

// Register makes an analyzer available to the pipeline. It is meant to be
// called from an init function of the analyzer's package, which the command
// pulls in with a blank import (see package internal/sense/analyzers/all).
// Register panics if the name is empty or already registered.
func Register(a Analyzer) {
	regMu.Lock()
	defer regMu.Unlock()
	name := a.Name()
	if name == "" {
		panic("sense: Register with empty analyzer name")
	}
	if _, dup := analyzers[name]; dup {
		panic("sense: Register called twice for analyzer " + name)
	}
	analyzers[name] = a
}

// Analyzers returns the registered analyzers sorted by name.
func Analyzers() []Analyzer {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]Analyzer, 0, len(analyzers))
	for _, a := range analyzers {
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Analyzer) int { return strings.Compare(a.Name(), b.Name()) })
	return out
}

// PortNumbers returns the distinct port numbers of the registered analyzers
// (TCP and UDP alike), ascending: the default filter of a live capture.
func PortNumbers() []uint16 {
	var ps []uint16
	for _, a := range Analyzers() {
		for _, p := range a.Ports() {
			ps = append(ps, p.Number)
		}
	}
	slices.Sort(ps)
	return slices.Compact(ps)
}

// Lookup returns the analyzer registered under name, or nil.
func Lookup(name string) Analyzer {
	regMu.RLock()
	defer regMu.RUnlock()
	return analyzers[name]
}

// Output is where a Stream sends what it decodes: rows of its own logs,
// weird (malformed traffic) records and protocol-neutral transactions that
// feed the inventory, the baselines and the detectors. One Output serves all
// flows of a run; it is not safe for concurrent use.
type Output struct {
	logs  map[string]*LogWriter
	weird *LogWriter
	// OnTransaction, when set, receives every transaction (the pipeline
	// wires inventory, baseline and detection here).
	OnTransaction func(*Transaction)
	// Weirds counts weird records by name.
	Weirds map[string]int

	scratch Transaction
}

// NewTransaction returns the Output's scratch transaction, reset, with its
// Ops buffer kept: streams fill it and pass it to Transaction, so that a
// flow does not need a buffer of its own.
func (o *Output) NewTransaction() *Transaction {
	ops := o.scratch.Ops[:0]
	o.scratch = Transaction{Ops: ops}
	return &o.scratch
}

// NewOutput returns an Output writing the given logs; weird may be nil.
func NewOutput(weird *LogWriter, logs ...*LogWriter) *Output {
	o := &Output{logs: map[string]*LogWriter{}, weird: weird, Weirds: map[string]int{}}
	for _, l := range logs {
		o.logs[l.Schema().Path] = l
	}
	return o
}

// Log returns the writer of the log named path (for example "modbus"), or
// nil when the run does not write it. Look it up once in NewStream and keep
// it. A nil *LogWriter is valid: its rows are discarded.
func (o *Output) Log(path string) *LogWriter {
	if o == nil {
		return nil
	}
	return o.logs[path]
}

// Weird records malformed or unexpected traffic on flow f, in Zeek's
// weird.log format (name is a short snake_case identifier such as
// "modbus_invalid_protocol_id", addl free text or ""). f may be nil for
// packet-level problems without a flow.
func (o *Output) Weird(f *Flow, m *Meta, name, addl string) {
	if o == nil {
		return
	}
	o.Weirds[name]++
	w := o.weird
	if w == nil {
		return
	}
	r := w.Row()
	r.Time(m.TS)
	switch {
	case f != nil && f.UID == "":
		r.Unset().Addr(f.Orig.Addr()).Port(f.Orig.Port()).Addr(f.Resp.Addr()).Port(f.Resp.Port())
	case f != nil:
		r.Conn(f)
	default:
		r.Unset().Unset().Unset().Unset().Unset()
	}
	r.Str(name)
	if addl == "" {
		r.Unset()
	} else {
		r.Str(addl)
	}
	r.Bool(false).Str("citadel")
	if f != nil && f.UID == "" {
		r.Str("IP")
	} else {
		r.Unset()
	}
	r.End()
}

// Transaction emits one decoded protocol transaction (a request, a response
// or a request paired with its response). tx is only valid during the call.
func (o *Output) Transaction(tx *Transaction) {
	if o == nil || o.OnTransaction == nil {
		return
	}
	o.OnTransaction(tx)
}

// WeirdSchema is the schema of weird.log, as Zeek writes it.
var WeirdSchema = &Schema{Path: "weird", Fields: []Field{
	{"ts", "time"}, {"uid", "string"}, {"id.orig_h", "addr"}, {"id.orig_p", "port"},
	{"id.resp_h", "addr"}, {"id.resp_p", "port"}, {"name", "string"}, {"addl", "string"},
	{"notice", "bool"}, {"peer", "string"}, {"source", "string"},
}}

// PointKind names a kind of data point a transaction touches. Analyzers may
// define their own values; the constants below are the shared ones.
type PointKind string

// Point kinds used by the Modbus and DNP3 analyzers.
const (
	Coil            PointKind = "coil"             // Modbus 0x
	DiscreteInput   PointKind = "discrete_input"   // Modbus 1x
	InputRegister   PointKind = "input_register"   // Modbus 3x
	HoldingRegister PointKind = "holding_register" // Modbus 4x
	FileRecord      PointKind = "file_record"      // Modbus FC20/21 (Index = file<<16 | record)
	BinaryInput     PointKind = "binary_input"     // DNP3 g1/g2
	BinaryOutput    PointKind = "binary_output"    // DNP3 g10/g12 (CROB: Value 1 on/close, 0 off/trip)
	AnalogInput     PointKind = "analog_input"     // DNP3 g30/g32
	AnalogOutput    PointKind = "analog_output"    // DNP3 g40/g41
	Counter         PointKind = "counter"          // DNP3 g20/g21/g22/g23
)

// Op is one access to one data point inside a transaction.
type Op struct {
	Kind  PointKind
	Index uint32 // register/coil address or DNP3 point index
	Write bool   // the client sets the point (else it reads it)
	// HasValue tells whether Value is known (a read request has no value;
	// its response does).
	HasValue bool
	Value    float64
}

// Transaction is the protocol-neutral view of one request/response exchange
// that the inventory, the baselines and the detectors consume. Analyzers fill
// it in a reusable buffer and hand it to Output.Transaction; consumers copy
// what they keep.
type Transaction struct {
	Proto string // analyzer name: "modbus", "dnp3"
	Flow  *Flow
	// TS/Packet are those of the request when there is one, else of the
	// response. RespTS is zero when no response was seen.
	TS     time.Time
	Packet uint64
	RespTS time.Time
	// Station is the addressed device: Modbus unit id, DNP3 outstation
	// (destination) address. Client is the DNP3 master address (0 for
	// Modbus).
	Station uint32
	Client  uint32
	// Func is the function code and FuncName its name as logged.
	Func     uint8
	FuncName string
	// HasRequest / HasResponse tell which halves were seen. Unsolicited
	// DNP3 responses have only a response; Unsolicited is set for them.
	HasRequest, HasResponse, Unsolicited bool
	// Exception is the exception or status name of the response ("" when
	// the response is normal).
	Exception string
	// Write is true for operations that change state in the device
	// (writes, control operations, restarts, file writes).
	Write bool
	// Broadcast is true for Modbus unit 0 writes or DNP3 broadcast
	// addresses.
	Broadcast bool
	// Ops are the points read or written. The slice is reused.
	Ops []Op
	// HasAddr tells that the request addressed a range of points starting
	// at Addr (set even when the answer is an exception, which has no
	// Ops): it lets the detectors see address sweeps.
	HasAddr bool
	Addr    uint32
	// Ident holds device identification strings (Modbus FC43/14 object
	// id → value, e.g. 0 VendorName, 1 ProductCode, 2 Revision).
	Ident map[uint8]string
}
