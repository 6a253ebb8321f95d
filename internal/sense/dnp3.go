package sense

import (
	"errors"
	"time"

	"github.com/citadel-city/citadel/internal/ot/dnp3"
)

// This file is the sensor's DNP3 analyzer (TCP and UDP port 20000). It runs
// the link, transport and application decoders of internal/ot/dnp3 on both
// directions of a flow, writes dnp3.log as Zeek does, pairs requests with
// responses and SELECTs with OPERATEs, and emits Transactions.
//
// dnp3.log follows Zeek's base/protocols/dnp3 script exactly: a fragment
// sent by the originator is parsed as a request and remembered (a later
// request overwrites it); a fragment sent by the responder is parsed as a
// response and written on one row with the remembered request, stamped with
// the response's time; a request still remembered when the flow ends is
// written without reply. As in Zeek, the direction of the flow, not the
// function code, decides which is which.
//
// Unlike Zeek, which stops analysing a connection at the first bad CRC or
// missing sync, the analyzer resynchronises and carries on; every problem
// goes to weird.log.

func init() { Register(DNP3Analyzer{}) }

// DNP3Schema is dnp3.log as Zeek writes it.
var DNP3Schema = &Schema{Path: "dnp3", Fields: []Field{
	{Name: "ts", Type: "time"}, {Name: "uid", Type: "string"},
	{Name: "id.orig_h", Type: "addr"}, {Name: "id.orig_p", Type: "port"},
	{Name: "id.resp_h", Type: "addr"}, {Name: "id.resp_p", Type: "port"},
	{Name: "fc_request", Type: "string"}, {Name: "fc_reply", Type: "string"},
	{Name: "iin", Type: "count"},
}}

// DNP3Analyzer decodes DNP3 over TCP and UDP.
type DNP3Analyzer struct{}

// Name returns "dnp3".
func (DNP3Analyzer) Name() string { return "dnp3" }

// Version of the analyzer's output.
func (DNP3Analyzer) Version() int { return 1 }

// Ports claims TCP and UDP 20000.
func (DNP3Analyzer) Ports() []Port {
	return []Port{{Transport: TCP, Number: 20000}, {Transport: UDP, Number: 20000}}
}

// Logs returns dnp3.log.
func (DNP3Analyzer) Logs() []*Schema { return []*Schema{DNP3Schema} }

// NewStream starts decoding one flow.
func (DNP3Analyzer) NewStream(f *Flow, out *Output) Stream {
	// Buffers (op lists, reassembly, select copy) grow on first use, so
	// that a flow costs about 2.5 KiB until it carries such traffic.
	return &dnp3Stream{flow: f, out: out, log: out.Log("dnp3")}
}

const (
	// dnp3MaxOps bounds the points reported per transaction.
	dnp3MaxOps = 256
	// dnp3MaxPending bounds requests awaiting a response per flow (one per
	// master/outstation pair in practice).
	dnp3MaxPending = 4
)

// dnp3Request is a request waiting for its response.
type dnp3Request struct {
	used     bool
	write    bool // the request changes outstation state
	meta     Meta
	src, dst uint16
	fc       dnp3.FuncCode
	seq      uint8
	ops      []Op
}

type dnp3Dir struct {
	link    dnp3.Stream
	reasm   dnp3.Reassembler
	dirWarn bool // a DIR bit contradicting the flow direction was reported
}

type dnp3Stream struct {
	flow *Flow
	out  *Output
	log  *LogWriter
	dir  [2]dnp3Dir // 0: originator, 1: responder
	fr   dnp3.Frame
	frag dnp3.Fragment

	// Zeek's pending dnp3.log record.
	zeekPending bool
	zeekTS      time.Time
	zeekReq     dnp3.FuncCode

	pend [dnp3MaxPending]dnp3Request
	sel  dnp3.SelectTracker
	tx   Transaction
}

func dirIndex(m *Meta) int {
	if m.IsOrig {
		return 0
	}
	return 1
}

// Data decodes the next bytes of one direction.
func (s *dnp3Stream) Data(m *Meta, b []byte) {
	d := &s.dir[dirIndex(m)]
	for len(b) > 0 {
		n, ok, err := d.link.Next(b, &s.fr)
		b = b[n:]
		if err != nil {
			s.errWeird(m, err, "dnp3_link_error")
		}
		if ok {
			s.frame(m, d)
		}
	}
}

// Gap drops the partial frame and fragments of the direction.
func (s *dnp3Stream) Gap(m *Meta, n int) {
	d := &s.dir[dirIndex(m)]
	if d.link.Buffered() > 0 {
		s.out.Weird(s.flow, m, "dnp3_partial_frame_lost", "")
	}
	d.link.Reset()
	d.reasm.Reset()
}

// Close writes what is still pending.
func (s *dnp3Stream) Close(m *Meta) {
	if s.zeekPending {
		s.log.Row().Time(s.zeekTS).Conn(s.flow).Str(s.zeekReq.String()).Unset().Unset().End()
		s.zeekPending = false
	}
	for i := range s.pend {
		if s.pend[i].used {
			s.emitRequestOnly(&s.pend[i])
		}
	}
}

// dnp3ErrWeirds names the weird.log entry (Zeek's name) of each link and
// transport error.
var dnp3ErrWeirds = [...]struct {
	err  error
	name string
}{
	{dnp3.ErrNoSync, "dnp3_header_lacks_magic"},
	{dnp3.ErrHeaderCRC, "dnp3_corrupt_header_checksum"},
	{dnp3.ErrBlockCRC, "dnp3_corrupt_app_chunk_checksum"},
	{dnp3.ErrLinkLength, "dnp3_negative_or_zero_length_link_layer"},
	{dnp3.ErrTransportNoFirst, "dnp3_first_application_layer_chunk_missing"},
	{dnp3.ErrTransportSeq, "dnp3_transport_sequence_error"},
	{dnp3.ErrTransportAbandoned, "dnp3_unfinished_fragment_abandoned"},
	{dnp3.ErrFragmentTooLong, "dnp3_fragment_too_long"},
}

// errWeird writes the weird of a link or transport error; an error with no
// name of its own goes under fallback, with its text.
func (s *dnp3Stream) errWeird(m *Meta, err error, fallback string) {
	for _, w := range dnp3ErrWeirds {
		if errors.Is(err, w.err) {
			s.out.Weird(s.flow, m, w.name, "")
			return
		}
	}
	s.out.Weird(s.flow, m, fallback, err.Error())
}

// frame handles one verified link frame.
func (s *dnp3Stream) frame(m *Meta, d *dnp3Dir) {
	h := s.fr.Header
	if h.Dir() != m.IsOrig && !d.dirWarn {
		d.dirWarn = true
		s.out.Weird(s.flow, m, "dnp3_unexpected_flow_direction", "")
	}
	if len(s.fr.Data) == 0 {
		return // link-layer only (reset, status, ack)
	}
	if !h.Func().UserData() {
		// Only (un)confirmed user data frames carry transport segments.
		// Zeek decodes the data anyway, and so do we, for dnp3.log
		// compatibility; the frame itself is suspicious.
		s.out.Weird(s.flow, m, "dnp3_data_in_non_user_data_frame", h.Func().String())
	}
	frag, done, err := d.reasm.Add(h.Src, h.Dst, s.fr.Data)
	if err != nil {
		s.errWeird(m, err, "dnp3_transport_error")
	}
	if done {
		if len(frag) > dnp3.TypicalMaxFragment {
			s.out.Weird(s.flow, m, "dnp3_oversized_fragment", "")
		}
		s.fragment(m, h, frag)
	}
}

// fragment handles one reassembled application fragment.
func (s *dnp3Stream) fragment(m *Meta, h dnp3.LinkHeader, frag []byte) {
	// dnp3.log, the Zeek way: direction decides request or response.
	if m.IsOrig {
		if len(frag) >= 2 {
			s.zeekPending, s.zeekTS, s.zeekReq = true, m.TS, dnp3.FuncCode(frag[1])
		}
	} else if len(frag) >= 4 {
		r := s.log.Row().Time(m.TS).Conn(s.flow)
		if s.zeekPending {
			r.Str(s.zeekReq.String())
		} else {
			r.Unset()
		}
		r.Str(dnp3.FuncCode(frag[1]).String()).Count(uint64(frag[2])<<8 | uint64(frag[3])).End()
		s.zeekPending = false
	}

	f := &s.frag
	if err := dnp3.ParseFragment(frag, f); err != nil {
		s.out.Weird(s.flow, m, "dnp3_truncated_application_header", "")
		return
	}
	if f.Func.IsResponse() {
		s.response(m, h)
		return
	}
	s.request(m, h)
}

// request handles a request fragment from a master.
func (s *dnp3Stream) request(m *Meta, h dnp3.LinkHeader) {
	f := &s.frag
	switch f.Func {
	case dnp3.FuncSelect:
		s.sel.Select(h.Src, h.Dst, f.Control.Seq(), f.Objects)
	case dnp3.FuncOperate:
		if r := s.sel.Operate(h.Src, h.Dst, f.Control.Seq(), f.Objects); r != dnp3.OperateMatched {
			s.out.Weird(s.flow, m, "dnp3_operate_without_matching_select", r.String())
		}
	}
	p := s.slot(h.Src, h.Dst)
	p.used, p.meta, p.src, p.dst, p.fc, p.seq = true, *m, h.Src, h.Dst, f.Func, f.Control.Seq()
	p.write = f.Func.IsWrite() || f.Func == dnp3.FuncOpenFile && s.opensForWriting()
	p.ops = p.ops[:0]
	if f.Func != dnp3.FuncRead {
		p.ops = s.collectOps(m, p.ops, p.write)
	} else {
		s.walkObjects(m) // validate only
	}
	switch f.Func {
	case dnp3.FuncConfirm, dnp3.FuncDirectOperateNR, dnp3.FuncImmedFreezeNR, dnp3.FuncFreezeClearNR,
		dnp3.FuncFreezeAtTimeNR, dnp3.FuncAuthReqNoAck:
		// No response is expected.
		s.emitRequestOnly(p)
	}
}

// slot returns the pending slot for master src and outstation dst,
// reporting an earlier unanswered request it replaces.
func (s *dnp3Stream) slot(src, dst uint16) *dnp3Request {
	free := -1
	oldest := 0
	for i := range s.pend {
		p := &s.pend[i]
		if p.used && p.src == src && p.dst == dst {
			s.emitRequestOnly(p)
			return p
		}
		if !p.used && free < 0 {
			free = i
		}
		if p.meta.Packet < s.pend[oldest].meta.Packet {
			oldest = i
		}
	}
	if free >= 0 {
		return &s.pend[free]
	}
	s.emitRequestOnly(&s.pend[oldest])
	return &s.pend[oldest]
}

// response handles a response or unsolicited response from an outstation.
func (s *dnp3Stream) response(m *Meta, h dnp3.LinkHeader) {
	f := &s.frag
	tx := &s.tx
	s.resetTx()
	tx.Station, tx.Client = uint32(h.Src), uint32(h.Dst)
	tx.Func, tx.FuncName = uint8(f.Func), f.Func.String()
	tx.HasResponse = true
	tx.RespTS = m.TS
	tx.Exception = iinException(f.IIN)
	tx.Broadcast = h.Dst >= dnp3.BroadcastMin
	var req *dnp3Request
	if f.Func == dnp3.FuncResponse {
		for i := range s.pend {
			p := &s.pend[i]
			if p.used && p.src == h.Dst && p.dst == h.Src {
				req = p
				break
			}
		}
	}
	if f.Func == dnp3.FuncUnsolicited {
		tx.Unsolicited = true
	}
	if req != nil {
		tx.HasRequest = true
		tx.TS, tx.Packet = req.meta.TS, req.meta.Packet
		tx.Func, tx.FuncName = uint8(req.fc), req.fc.String()
		tx.Write = req.write
		tx.Broadcast = req.dst >= dnp3.BroadcastMin
		tx.Ops = append(tx.Ops, req.ops...)
		req.used = false
	} else {
		tx.TS, tx.Packet = m.TS, m.Packet
	}
	if req == nil || !req.write {
		tx.Ops = s.collectOps(m, tx.Ops, false)
	} else {
		s.walkObjects(m)
	}
	s.out.Transaction(tx)
}

func (s *dnp3Stream) resetTx() {
	tx := &s.tx
	ops := tx.Ops[:0]
	*tx = Transaction{Proto: "dnp3", Flow: s.flow, Ops: ops}
}

// emitRequestOnly reports a request that got (or expects) no response.
func (s *dnp3Stream) emitRequestOnly(p *dnp3Request) {
	if !p.used {
		return
	}
	p.used = false
	tx := &s.tx
	s.resetTx()
	tx.TS, tx.Packet = p.meta.TS, p.meta.Packet
	tx.Station, tx.Client = uint32(p.dst), uint32(p.src)
	tx.Func, tx.FuncName = uint8(p.fc), p.fc.String()
	tx.HasRequest = true
	tx.Write = p.write
	tx.Broadcast = p.dst >= dnp3.BroadcastMin
	tx.Ops = append(tx.Ops, p.ops...)
	s.out.Transaction(tx)
}

// opensForWriting reports whether the OPEN_FILE request in s.frag opens a
// file for writing or appending.
func (s *dnp3Stream) opensForWriting() bool {
	var oh dnp3.ObjectHeader
	var pt dnp3.Point
	r := s.frag.ObjectReader()
	for r.Next(&oh) {
		if oh.GV() != 0x4603 {
			continue
		}
		pr := oh.Points()
		var c dnp3.FileCommand
		for pr.Next(&pt) {
			if dnp3.ParseFileCommand(pt.Raw, &c) == nil && (c.Mode == dnp3.FileModeWrite || c.Mode == dnp3.FileModeAppend) {
				return true
			}
		}
	}
	return false
}

// iinException names the error bits of IIN2, or "".
func iinException(v dnp3.IIN) string {
	switch {
	case v&dnp3.IINFuncNotSupported != 0:
		return "FUNC_NOT_SUPPORTED"
	case v&dnp3.IINObjectUnknown != 0:
		return "OBJECT_UNKNOWN"
	case v&dnp3.IINParamError != 0:
		return "PARAMETER_ERROR"
	case v&dnp3.IINAlreadyExecuting != 0:
		return "ALREADY_EXECUTING"
	case v&dnp3.IINConfigCorrupt != 0:
		return "CONFIG_CORRUPT"
	case v&dnp3.IINEventBufferOverflow != 0:
		return "EVENT_BUFFER_OVERFLOW"
	}
	return ""
}

// pointKind maps an object group to the shared point kinds; "" for groups
// that are not data points.
func pointKind(g uint8) PointKind {
	switch {
	case g >= 1 && g <= 4:
		return BinaryInput
	case g >= 10 && g <= 13:
		return BinaryOutput
	case g >= 20 && g <= 23:
		return Counter
	case g >= 30 && g <= 34:
		return AnalogInput
	case g >= 40 && g <= 43:
		return AnalogOutput
	}
	return ""
}

// collectOps walks the fragment's objects, appending one Op per data point
// (at most dnp3MaxOps), and reports malformed objects.
func (s *dnp3Stream) collectOps(m *Meta, ops []Op, write bool) []Op {
	// The header and point live on the stack: writing them into the
	// heap-allocated stream would cost a GC write barrier per point.
	var oh dnp3.ObjectHeader
	var pt dnp3.Point
	r := s.frag.ObjectReader()
	for r.Next(&oh) {
		kind := pointKind(oh.Group)
		if kind == "" || len(oh.Data) == 0 {
			continue
		}
		pr := oh.Points()
		for pr.Next(&pt) {
			if len(ops) >= dnp3MaxOps {
				break
			}
			ops = append(ops, Op{})
			op := &ops[len(ops)-1]
			op.Kind, op.Index, op.Write = kind, pt.Index, write
			switch {
			case pt.Kind == dnp3.KindCROB:
				op.HasValue = true
				if pt.CROB.On() {
					op.Value = 1
				}
			case pt.HasValue:
				op.HasValue, op.Value = true, pt.Value
			}
		}
		if err := pr.Err(); err != nil {
			s.objectWeird(m, err)
			return ops
		}
	}
	if err := r.Err(); err != nil {
		s.objectWeird(m, err)
	}
	return ops
}

// walkObjects validates the objects without collecting points.
func (s *dnp3Stream) walkObjects(m *Meta) {
	var oh dnp3.ObjectHeader
	r := s.frag.ObjectReader()
	for r.Next(&oh) {
	}
	if err := r.Err(); err != nil {
		s.objectWeird(m, err)
	}
}

func (s *dnp3Stream) objectWeird(m *Meta, err error) {
	name := "dnp3_malformed_objects"
	if errors.Is(err, dnp3.ErrUnknownObject) {
		name = "dnp3_unknown_object"
	}
	s.out.Weird(s.flow, m, name, s.frag.Func.String()+": "+err.Error())
}
