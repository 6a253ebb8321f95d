// Package modbus is the sensor's Modbus/TCP analyzer: it frames both
// directions of a flow with internal/ot/modbus, writes Zeek-compatible
// modbus.log rows, pairs requests and responses by transaction id and emits
// sense.Transactions for the inventory, the baselines and the detectors.
package modbus

import (
	"strconv"

	mb "github.com/citadel-city/citadel/internal/ot/modbus"
	"github.com/citadel-city/citadel/internal/sense"
)

func init() { sense.Register(Analyzer{}) }

// Schema is modbus.log as current Zeek writes it.
var Schema = &sense.Schema{Path: "modbus", Fields: []sense.Field{
	{Name: "ts", Type: "time"}, {Name: "uid", Type: "string"},
	{Name: "id.orig_h", Type: "addr"}, {Name: "id.orig_p", Type: "port"},
	{Name: "id.resp_h", Type: "addr"}, {Name: "id.resp_p", Type: "port"},
	{Name: "tid", Type: "count"}, {Name: "unit", Type: "count"},
	{Name: "func", Type: "string"}, {Name: "pdu_type", Type: "string"},
	{Name: "exception", Type: "string"},
}}

// Analyzer is the Modbus/TCP analyzer.
type Analyzer struct {
	// OnPDU, when set, observes every complete ADU (tools and tests use it
	// to compare with per-packet dissectors such as tshark).
	OnPDU func(PDUEvent)
}

// PDUEvent describes one complete ADU seen by the analyzer.
type PDUEvent struct {
	Packet    uint64 // capture packet that completed the ADU
	IsOrig    bool
	TID       uint16
	Unit      uint8
	Func      uint8 // raw function code, exception bit included
	Exception int   // exception code, -1 when not an exception response
}

// Name returns "modbus".
func (Analyzer) Name() string { return "modbus" }

// Version of the analyzer's output.
func (Analyzer) Version() int { return 1 }

// Ports claims TCP 502.
func (Analyzer) Ports() []sense.Port { return []sense.Port{{Transport: sense.TCP, Number: 502}} }

// Logs returns modbus.log.
func (Analyzer) Logs() []*sense.Schema { return []*sense.Schema{Schema} }

// NewStream starts a flow.
func (a Analyzer) NewStream(f *sense.Flow, out *sense.Output) sense.Stream {
	s := &stream{flow: f, out: out, log: out.Log("modbus"), onPDU: a.OnPDU}
	s.dir[0] = dirHandler{s: s, orig: true}
	s.dir[1] = dirHandler{s: s, orig: false}
	return s
}

// maxPending bounds the requests awaiting a response per flow; the oldest
// is reported unanswered when a new one does not fit.
const maxPending = 4

// maxWriteValues bounds the register values kept per pending write.
const maxWriteValues = 123

type pending struct {
	used    bool
	hdr     mb.Header
	fc      uint8
	meta    sense.Meta
	addr    uint16
	qty     uint16
	waddr   uint16
	wqty    uint16
	value   uint16
	orMask  uint16
	nvals   int
	vals    []uint16 // allocated on the first multiple write of the flow
	bits    bool     // vals hold coil bits (FC15)
	objID   uint8
	decoded bool
}

type stream struct {
	flow   *sense.Flow
	out    *sense.Output
	log    *sense.LogWriter
	framer [2]mb.Framer
	dir    [2]dirHandler
	meta   *sense.Meta
	pdu    mb.PDU
	pend   [maxPending]pending
	fmeta  *sense.Meta // meta of the ADU being handled
	onPDU  func(PDUEvent)
}

type dirHandler struct {
	s    *stream
	orig bool
}

func (s *stream) Data(m *sense.Meta, b []byte) {
	s.meta = m
	i := 1
	if m.IsOrig {
		i = 0
	}
	s.framer[i].Feed(b, &s.dir[i])
}

func (s *stream) Gap(m *sense.Meta, n int) {
	i := 1
	if m.IsOrig {
		i = 0
	}
	if s.framer[i].Buffered() > 0 {
		s.out.Weird(s.flow, m, "modbus_partial_pdu_lost", "")
	}
	s.framer[i].Reset()
}

func (s *stream) Close(m *sense.Meta) {
	s.meta = m
	for i := range s.pend {
		if s.pend[i].used {
			s.emitRequestOnly(&s.pend[i])
		}
	}
}

func (d *dirHandler) Malformed(h mb.Header) {
	s := d.s
	if h.PID != 0 {
		s.out.Weird(s.flow, s.meta, "modbus_nonzero_protocol_id", "protocol id "+strconv.Itoa(int(h.PID)))
		return
	}
	s.out.Weird(s.flow, s.meta, "modbus_invalid_length", "MBAP length "+strconv.Itoa(int(h.Length)))
}

// Header logs the PDU as Zeek does: a row per request and per normal
// response as soon as its header is parsed; exception responses are logged
// in Frame, with their exception code.
func (d *dirHandler) Header(h mb.Header, fc uint8) {
	if fc >= 0x80 {
		return
	}
	s := d.s
	r := s.log.Row()
	r.Time(s.meta.TS).Conn(s.flow).Count(uint64(h.TID)).Count(uint64(h.Unit)).Str(mb.FuncName(fc))
	if d.orig {
		r.Str("REQ")
	} else {
		r.Str("RESP")
	}
	r.Unset()
	r.End()
}

func (d *dirHandler) Frame(h mb.Header, fc uint8, data []byte) {
	s := d.s
	m := s.meta
	s.fmeta = m
	isResp := !d.orig
	if isResp && fc >= 0x80 && len(data) > 0 {
		r := s.log.Row()
		r.Time(m.TS).Conn(s.flow).Count(uint64(h.TID)).Count(uint64(h.Unit)).Str(mb.FuncName(fc)).Str("RESP").Str(mb.ExceptionName(data[0]))
		r.End()
	}
	if s.onPDU != nil {
		ev := PDUEvent{Packet: m.Packet, IsOrig: d.orig, TID: h.TID, Unit: h.Unit, Func: fc, Exception: -1}
		if isResp && fc >= 0x80 && len(data) > 0 {
			ev.Exception = int(data[0])
		}
		s.onPDU(ev)
	}
	err := mb.Decode(fc, data, isResp, &s.pdu)
	if err != nil {
		s.out.Weird(s.flow, m, "modbus_malformed_pdu", mb.FuncName(fc)+": "+err.Error())
	}
	if !isResp {
		s.request(h, fc, err == nil)
		return
	}
	s.response(h, fc, err == nil)
}

// request stores a request until its response arrives.
func (s *stream) request(h mb.Header, fc uint8, ok bool) {
	slot := -1
	for i := range s.pend {
		if s.pend[i].used && s.pend[i].hdr.TID == h.TID {
			// A retried tid: the earlier one went unanswered.
			s.emitRequestOnly(&s.pend[i])
			slot = i
			break
		}
	}
	if slot < 0 {
		for i := range s.pend {
			if !s.pend[i].used {
				slot = i
				break
			}
		}
	}
	if slot < 0 {
		oldest := 0
		for i := range s.pend {
			if s.pend[i].meta.Packet < s.pend[oldest].meta.Packet {
				oldest = i
			}
		}
		s.emitRequestOnly(&s.pend[oldest])
		slot = oldest
	}
	p := &s.pend[slot]
	p.used, p.hdr, p.fc, p.meta, p.decoded = true, h, fc, *s.fmeta, ok
	q := &s.pdu
	p.addr, p.qty, p.waddr, p.wqty, p.value, p.orMask, p.objID = q.Address, q.Quantity, q.WriteAddress, q.WriteQuantity, q.Value, q.OrMask, q.ObjectID
	p.nvals, p.bits = 0, false
	if !ok {
		return
	}
	switch fc {
	case mb.WriteMultipleRegisters, mb.ReadWriteMultipleRegisters, mb.WriteMultipleCoils:
		if p.vals == nil {
			p.vals = make([]uint16, maxWriteValues)
		}
	}
	switch fc {
	case mb.WriteMultipleRegisters, mb.ReadWriteMultipleRegisters:
		n := min(q.NumRegisters(), maxWriteValues)
		for i := range n {
			p.vals[i] = q.Register(i)
		}
		p.nvals = n
	case mb.WriteMultipleCoils:
		n := min(int(q.Quantity), len(q.Data)*8, maxWriteValues)
		for i := range n {
			if q.Bit(i) {
				p.vals[i] = 1
			} else {
				p.vals[i] = 0
			}
		}
		p.nvals, p.bits = n, true
	}
}

func (s *stream) response(h mb.Header, fc uint8, ok bool) {
	var p *pending
	for i := range s.pend {
		if s.pend[i].used && s.pend[i].hdr.TID == h.TID && s.pend[i].fc == fc&0x7f {
			p = &s.pend[i]
			break
		}
	}
	tx := s.begin()
	tx.Station = uint32(h.Unit)
	tx.Func = fc & 0x7f
	tx.FuncName = mb.FuncName(fc & 0x7f)
	tx.HasResponse = true
	tx.RespTS = s.fmeta.TS
	if p != nil {
		tx.TS, tx.Packet, tx.HasRequest = p.meta.TS, p.meta.Packet, true
		tx.HasAddr, tx.Addr = p.decoded && hasAddress(p.fc), uint32(p.addr)
	} else {
		tx.TS, tx.Packet = s.fmeta.TS, s.fmeta.Packet
	}
	q := &s.pdu
	if fc&0x80 != 0 {
		tx.Exception = mb.ExceptionName(q.Exception)
		if !ok {
			tx.Exception = "malformed"
		}
	}
	if p != nil && p.decoded {
		s.requestOps(tx, p)
	}
	if ok && fc&0x80 == 0 {
		s.responseOps(tx, p)
	}
	tx.Write = isWrite(tx.Func)
	tx.Broadcast = h.Unit == 0 && tx.Write
	s.emit(tx)
	if p != nil {
		p.used = false
	}
}

func (s *stream) begin() *sense.Transaction {
	tx := s.out.NewTransaction()
	tx.Proto, tx.Flow = "modbus", s.flow
	return tx
}

func (s *stream) emit(tx *sense.Transaction) {
	s.out.Transaction(tx)
}

func (s *stream) emitRequestOnly(p *pending) {
	tx := s.begin()
	tx.Station = uint32(p.hdr.Unit)
	tx.Func = p.fc
	tx.FuncName = mb.FuncName(p.fc)
	tx.TS, tx.Packet, tx.HasRequest = p.meta.TS, p.meta.Packet, true
	tx.HasAddr, tx.Addr = p.decoded && hasAddress(p.fc), uint32(p.addr)
	if p.decoded {
		s.requestOps(tx, p)
	}
	tx.Write = isWrite(p.fc)
	tx.Broadcast = p.hdr.Unit == 0 && tx.Write
	s.emit(tx)
	p.used = false
}

// hasAddress tells whether requests of fc carry a start address.
func hasAddress(fc uint8) bool {
	switch fc {
	case mb.ReadCoils, mb.ReadDiscreteInputs, mb.ReadHoldingRegisters, mb.ReadInputRegisters,
		mb.WriteSingleCoil, mb.WriteSingleRegister, mb.WriteMultipleCoils, mb.WriteMultipleRegisters,
		mb.MaskWriteRegister, mb.ReadWriteMultipleRegisters, mb.ReadFIFOQueue:
		return true
	}
	return false
}

func isWrite(fc uint8) bool {
	switch fc {
	case mb.WriteSingleCoil, mb.WriteSingleRegister, mb.WriteMultipleCoils, mb.WriteMultipleRegisters,
		mb.WriteFileRecord, mb.MaskWriteRegister, mb.ReadWriteMultipleRegisters:
		return true
	case mb.Diagnostics:
		return false
	}
	return false
}

// requestOps adds the points a request writes (with values) and, for
// reads, nothing: their values come with the response.
func (s *stream) requestOps(tx *sense.Transaction, p *pending) {
	switch p.fc {
	case mb.WriteSingleCoil:
		v := 0.0
		if p.value == 0xFF00 {
			v = 1
		}
		tx.Ops = append(tx.Ops, sense.Op{Kind: sense.Coil, Index: uint32(p.addr), Write: true, HasValue: true, Value: v})
	case mb.WriteSingleRegister:
		tx.Ops = append(tx.Ops, sense.Op{Kind: sense.HoldingRegister, Index: uint32(p.addr), Write: true, HasValue: true, Value: float64(p.value)})
	case mb.MaskWriteRegister:
		tx.Ops = append(tx.Ops, sense.Op{Kind: sense.HoldingRegister, Index: uint32(p.addr), Write: true})
	case mb.WriteMultipleCoils:
		tx.Ops = p.appendWrites(tx.Ops, sense.Coil, p.addr, p.qty)
	case mb.WriteMultipleRegisters:
		tx.Ops = p.appendWrites(tx.Ops, sense.HoldingRegister, p.addr, p.qty)
	case mb.ReadWriteMultipleRegisters:
		tx.Ops = p.appendWrites(tx.Ops, sense.HoldingRegister, p.waddr, p.wqty)
	}
}

// appendWrites appends the writes of qty points of kind from addr, with
// the values the request carried.
func (p *pending) appendWrites(ops []sense.Op, kind sense.PointKind, addr, qty uint16) []sense.Op {
	for i := range int(qty) {
		op := sense.Op{Kind: kind, Index: uint32(addr) + uint32(i), Write: true}
		if i < p.nvals {
			op.HasValue, op.Value = true, float64(p.vals[i])
		}
		ops = append(ops, op)
	}
	return ops
}

// responseOps adds the points a response reports, with their values; p is
// the matching request or nil (then the start address is unknown and read
// values are not attributed).
func (s *stream) responseOps(tx *sense.Transaction, p *pending) {
	q := &s.pdu
	switch q.Func {
	case mb.ReadCoils, mb.ReadDiscreteInputs:
		if p == nil || !p.decoded {
			return
		}
		kind := sense.Coil
		if q.Func == mb.ReadDiscreteInputs {
			kind = sense.DiscreteInput
		}
		n := min(int(p.qty), len(q.Data)*8)
		for i := range n {
			v := 0.0
			if q.Bit(i) {
				v = 1
			}
			tx.Ops = append(tx.Ops, sense.Op{Kind: kind, Index: uint32(p.addr) + uint32(i), HasValue: true, Value: v})
		}
	case mb.ReadHoldingRegisters, mb.ReadInputRegisters, mb.ReadWriteMultipleRegisters:
		if p == nil || !p.decoded {
			return
		}
		kind := sense.HoldingRegister
		if q.Func == mb.ReadInputRegisters {
			kind = sense.InputRegister
		}
		n := min(int(p.qty), q.NumRegisters())
		for i := range n {
			tx.Ops = append(tx.Ops, sense.Op{Kind: kind, Index: uint32(p.addr) + uint32(i), HasValue: true, Value: float64(q.Register(i))})
		}
	case mb.EncapsulatedInterface:
		if q.SubFunction != mb.MEIReadDeviceIdentity {
			return
		}
		tx.Ident = map[uint8]string{}
		r := q.Objects
		for range int(q.NumObjects) {
			id, v, rest, ok := mb.NextObject(r)
			if !ok {
				break
			}
			tx.Ident[id] = string(v)
			r = rest
		}
	}
}
