package dnp3

import (
	"encoding/binary"
	"math"
)

// Kind says what a point represents and which Point fields are set.
type Kind uint8

// Point kinds.
const (
	KindUnknown       Kind = iota
	KindBinary             // g1, g2: binary input (+event); Value 0/1
	KindDoubleBit          // g3, g4: double-bit binary input; Value 0..3
	KindBinaryOutput       // g10, g11, g13: binary output status/event; Value 0/1
	KindCROB               // g12v1, g12v2: control relay output block / pattern control block
	KindPatternMask        // g12v3: pattern mask bit
	KindCounter            // g20..g23: counters, frozen counters and events
	KindAnalog             // g30..g33: analog inputs, frozen, events
	KindDeadband           // g34: analog input deadband
	KindAnalogOutput       // g40, g42: analog output status and events
	KindAnalogCommand      // g41, g43: analog output block and command events
	KindTime               // g50, g51: absolute time, common time of occurrence
	KindDelay              // g52: time delay (coarse seconds or fine milliseconds)
	KindIIN                // g80: internal indication bits
	KindBCD                // g101: binary-coded decimal
	KindUnsigned           // g102: unsigned 8-bit integer
	KindOctets             // g110..g113: octet strings and virtual terminal
	KindFile               // g70: file transfer objects (raw)
	KindAuth               // g120: secure authentication objects (raw)
	KindAttribute          // g0: device attributes
	KindRaw                // other sized objects, raw bytes only
)

type valType uint8

const (
	vNone valType = iota
	vU8
	vU16
	vU32
	vI16
	vI32
	vF32
	vF64
)

var valSize = [...]uint8{0, 1, 2, 4, 2, 4, 4, 8}

type timeType uint8

const (
	tNone  timeType = iota
	tAbs48          // 48-bit milliseconds since 1970
	tRel16          // 16-bit milliseconds relative to a CTO
)

// layout describes how one object is encoded: [status][flags][value]
// [status][time][extra].
type layout struct {
	kind     Kind
	size     uint8 // bytes per object (0 for packed or variable objects)
	bits     uint8 // bits per object for packed objects
	pre      bool  // leading status octet (g43)
	flags    bool
	val      valType
	post     bool // trailing status octet (g41)
	tm       timeType
	extra    uint8 // trailing bytes not decoded (g50v2/v4 interval)
	stateBit uint8 // 0x80 for binaries; 0xC0 for double bits
}

func mk(kind Kind, flags bool, val valType, tm timeType) layout {
	l := layout{kind: kind, flags: flags, val: val, tm: tm}
	l.size = valSize[val]
	if flags {
		l.size++
	}
	switch tm {
	case tAbs48:
		l.size += 6
	case tRel16:
		l.size += 2
	}
	return l
}

func (l layout) withStatus(pre bool) layout {
	if pre {
		l.pre = true
	} else {
		l.post = true
	}
	l.size++
	return l
}

func (l layout) withState(mask uint8) layout { l.stateBit = mask; return l }

func (l layout) withExtra(n uint8) layout { l.extra = n; l.size += n; return l }

func packed(kind Kind, bits uint8) layout { return layout{kind: kind, bits: bits} }

const (
	maxLayoutGroup     = 122
	maxLayoutVariation = 12
)

// layouts is indexed by group and variation.
var layouts = func() *[maxLayoutGroup + 1][maxLayoutVariation + 1]layout {
	m := new([maxLayoutGroup + 1][maxLayoutVariation + 1]layout)
	set := func(g, v uint8, l layout) { m[g][v] = l }
	// Binary inputs and events.
	set(1, 1, packed(KindBinary, 1))
	set(1, 2, mk(KindBinary, true, vNone, tNone).withState(0x80))
	set(2, 1, mk(KindBinary, true, vNone, tNone).withState(0x80))
	set(2, 2, mk(KindBinary, true, vNone, tAbs48).withState(0x80))
	set(2, 3, mk(KindBinary, true, vNone, tRel16).withState(0x80))
	set(3, 1, packed(KindDoubleBit, 2))
	set(3, 2, mk(KindDoubleBit, true, vNone, tNone).withState(0xC0))
	set(4, 1, mk(KindDoubleBit, true, vNone, tNone).withState(0xC0))
	set(4, 2, mk(KindDoubleBit, true, vNone, tAbs48).withState(0xC0))
	set(4, 3, mk(KindDoubleBit, true, vNone, tRel16).withState(0xC0))
	// Binary outputs, events, commands.
	set(10, 1, packed(KindBinaryOutput, 1))
	set(10, 2, mk(KindBinaryOutput, true, vNone, tNone).withState(0x80))
	set(11, 1, mk(KindBinaryOutput, true, vNone, tNone).withState(0x80))
	set(11, 2, mk(KindBinaryOutput, true, vNone, tAbs48).withState(0x80))
	set(12, 1, layout{kind: KindCROB, size: 11})
	set(12, 2, layout{kind: KindCROB, size: 11})
	set(12, 3, packed(KindPatternMask, 1))
	set(13, 1, mk(KindBinaryOutput, true, vNone, tNone).withState(0x80))
	set(13, 2, mk(KindBinaryOutput, true, vNone, tAbs48).withState(0x80))
	// Counters.
	for _, g := range []uint8{20, 21, 22, 23} {
		set(g, 1, mk(KindCounter, true, vU32, tNone))
		set(g, 2, mk(KindCounter, true, vU16, tNone))
		set(g, 3, mk(KindCounter, true, vU32, tNone))
		set(g, 4, mk(KindCounter, true, vU16, tNone))
	}
	set(20, 5, mk(KindCounter, false, vU32, tNone))
	set(20, 6, mk(KindCounter, false, vU16, tNone))
	set(20, 7, mk(KindCounter, false, vU32, tNone))
	set(20, 8, mk(KindCounter, false, vU16, tNone))
	for _, g := range []uint8{21, 22, 23} {
		set(g, 5, mk(KindCounter, true, vU32, tAbs48))
		set(g, 6, mk(KindCounter, true, vU16, tAbs48))
		set(g, 7, mk(KindCounter, true, vU32, tAbs48))
		set(g, 8, mk(KindCounter, true, vU16, tAbs48))
	}
	set(21, 9, mk(KindCounter, false, vU32, tNone))
	set(21, 10, mk(KindCounter, false, vU16, tNone))
	set(21, 11, mk(KindCounter, false, vU32, tNone))
	set(21, 12, mk(KindCounter, false, vU16, tNone))
	// Analog inputs.
	set(30, 1, mk(KindAnalog, true, vI32, tNone))
	set(30, 2, mk(KindAnalog, true, vI16, tNone))
	set(30, 3, mk(KindAnalog, false, vI32, tNone))
	set(30, 4, mk(KindAnalog, false, vI16, tNone))
	set(30, 5, mk(KindAnalog, true, vF32, tNone))
	set(30, 6, mk(KindAnalog, true, vF64, tNone))
	set(31, 1, mk(KindAnalog, true, vI32, tNone))
	set(31, 2, mk(KindAnalog, true, vI16, tNone))
	set(31, 3, mk(KindAnalog, true, vI32, tAbs48))
	set(31, 4, mk(KindAnalog, true, vI16, tAbs48))
	set(31, 5, mk(KindAnalog, false, vI32, tNone))
	set(31, 6, mk(KindAnalog, false, vI16, tNone))
	set(31, 7, mk(KindAnalog, true, vF32, tNone))
	set(31, 8, mk(KindAnalog, true, vF64, tNone))
	for _, g := range []uint8{32, 33} {
		set(g, 1, mk(KindAnalog, true, vI32, tNone))
		set(g, 2, mk(KindAnalog, true, vI16, tNone))
		set(g, 3, mk(KindAnalog, true, vI32, tAbs48))
		set(g, 4, mk(KindAnalog, true, vI16, tAbs48))
		set(g, 5, mk(KindAnalog, true, vF32, tNone))
		set(g, 6, mk(KindAnalog, true, vF64, tNone))
		set(g, 7, mk(KindAnalog, true, vF32, tAbs48))
		set(g, 8, mk(KindAnalog, true, vF64, tAbs48))
	}
	set(34, 1, mk(KindDeadband, false, vU16, tNone))
	set(34, 2, mk(KindDeadband, false, vU32, tNone))
	set(34, 3, mk(KindDeadband, false, vF32, tNone))
	// Analog outputs.
	set(40, 1, mk(KindAnalogOutput, true, vI32, tNone))
	set(40, 2, mk(KindAnalogOutput, true, vI16, tNone))
	set(40, 3, mk(KindAnalogOutput, true, vF32, tNone))
	set(40, 4, mk(KindAnalogOutput, true, vF64, tNone))
	set(41, 1, mk(KindAnalogCommand, false, vI32, tNone).withStatus(false))
	set(41, 2, mk(KindAnalogCommand, false, vI16, tNone).withStatus(false))
	set(41, 3, mk(KindAnalogCommand, false, vF32, tNone).withStatus(false))
	set(41, 4, mk(KindAnalogCommand, false, vF64, tNone).withStatus(false))
	set(42, 1, mk(KindAnalogOutput, true, vI32, tNone))
	set(42, 2, mk(KindAnalogOutput, true, vI16, tNone))
	set(42, 3, mk(KindAnalogOutput, true, vI32, tAbs48))
	set(42, 4, mk(KindAnalogOutput, true, vI16, tAbs48))
	set(42, 5, mk(KindAnalogOutput, true, vF32, tNone))
	set(42, 6, mk(KindAnalogOutput, true, vF64, tNone))
	set(42, 7, mk(KindAnalogOutput, true, vF32, tAbs48))
	set(42, 8, mk(KindAnalogOutput, true, vF64, tAbs48))
	set(43, 1, mk(KindAnalogCommand, false, vI32, tNone).withStatus(true))
	set(43, 2, mk(KindAnalogCommand, false, vI16, tNone).withStatus(true))
	set(43, 3, mk(KindAnalogCommand, false, vI32, tAbs48).withStatus(true))
	set(43, 4, mk(KindAnalogCommand, false, vI16, tAbs48).withStatus(true))
	set(43, 5, mk(KindAnalogCommand, false, vF32, tNone).withStatus(true))
	set(43, 6, mk(KindAnalogCommand, false, vF64, tNone).withStatus(true))
	set(43, 7, mk(KindAnalogCommand, false, vF32, tAbs48).withStatus(true))
	set(43, 8, mk(KindAnalogCommand, false, vF64, tAbs48).withStatus(true))
	// Time.
	set(50, 1, mk(KindTime, false, vNone, tAbs48))
	set(50, 2, mk(KindTime, false, vNone, tAbs48).withExtra(4))
	set(50, 3, mk(KindTime, false, vNone, tAbs48))
	set(50, 4, mk(KindTime, false, vNone, tAbs48).withExtra(5))
	set(51, 1, mk(KindTime, false, vNone, tAbs48))
	set(51, 2, mk(KindTime, false, vNone, tAbs48))
	set(52, 1, mk(KindDelay, false, vU16, tNone))
	set(52, 2, mk(KindDelay, false, vU16, tNone))
	// Internal indications, BCD, small integers.
	set(80, 1, packed(KindIIN, 1))
	set(101, 1, layout{kind: KindBCD, size: 2})
	set(101, 2, layout{kind: KindBCD, size: 4})
	set(101, 3, layout{kind: KindBCD, size: 8})
	set(102, 1, mk(KindUnsigned, false, vU8, tNone))
	// Security statistics.
	set(121, 1, layout{kind: KindRaw, size: 7})
	set(122, 1, layout{kind: KindRaw, size: 7})
	set(122, 2, layout{kind: KindRaw, size: 13})
	return m
}()

// layoutOf returns the layout of an object; variable objects (g0, g70,
// g110..g113, g120) get a kind and, for octet strings, the variation as
// size.
func layoutOf(g, v uint8) layout {
	switch g {
	case 0:
		return layout{kind: KindAttribute}
	case 70:
		return layout{kind: KindFile}
	case 110, 111, 112, 113:
		return layout{kind: KindOctets, size: v}
	case 120:
		switch v {
		case 3: // aggressive mode request: challenge sequence, user number
			return layout{kind: KindAuth, size: 6}
		case 4: // session key status request: user number
			return layout{kind: KindAuth, size: 2}
		}
		return layout{kind: KindAuth}
	}
	if g > maxLayoutGroup || v > maxLayoutVariation {
		return layout{}
	}
	return layouts[g][v]
}

// CROB is a control relay output block (g12v1) or pattern control block
// (g12v2).
type CROB struct {
	Code    uint8 // control code: op type (bits 0..3), queue, clear, trip/close (bits 6..7)
	Count   uint8
	OnTime  uint32 // milliseconds
	OffTime uint32 // milliseconds
	Status  uint8
}

// OpType returns the operation type (1 pulse on, 2 pulse off, 3 latch on,
// 4 latch off).
func (c CROB) OpType() uint8 { return c.Code & 0x0F }

// TripClose returns the trip/close code (0 NUL, 1 close, 2 trip).
func (c CROB) TripClose() uint8 { return c.Code >> 6 }

// On reports whether the command switches the output on (latch on, pulse
// on, or close).
func (c CROB) On() bool {
	return c.OpType() == 1 || c.OpType() == 3 || c.TripClose() == 1
}

// Point is one decoded object value. Fields are set according to Kind and
// the Has* flags; Raw holds the object bytes without their prefix.
type Point struct {
	Index    uint32 // point index (from the prefix, or start + position)
	Kind     Kind
	HasFlags bool
	Flags    uint8
	HasValue bool
	Value    float64 // state (binaries), count, analog or output value
	IsFloat  bool    // Value came from a float32/float64 encoding
	HasTime  bool
	RelTime  bool   // Time is relative to a common time of occurrence (g2v3, g4v3)
	Time     uint64 // milliseconds since 1970-01-01 UTC, or relative
	Status   uint8  // command status (g12, g41, g43)
	CROB     CROB
	Raw      []byte
}

// objectInfo is the part of an ObjectHeader a PointReader needs; it is
// copied so that the reader does not retain the header.
type objectInfo struct {
	Group, Variation uint8
	Qualifier        Qualifier
	Start, Count     uint32
}

// PointReader walks the objects of one object header.
type PointReader struct {
	h   objectInfo
	l   layout
	b   []byte
	i   uint32
	off int
	err error
}

// Err returns the error that stopped Next.
func (r *PointReader) Err() error { return r.err }

// Next decodes the next object into p; it returns false after the last
// object or on error.
func (r *PointReader) Next(p *Point) bool {
	h := &r.h
	if r.err != nil || r.i >= h.Count || len(r.b) == 0 {
		return false
	}
	*p = Point{}
	pc := h.Qualifier.Prefix()
	ps := prefixSizes[pc]
	l := &r.l
	p.Kind = l.kind
	if p.Kind == KindUnknown {
		p.Kind = KindRaw
	}
	p.Index = r.i
	if h.Qualifier.Range() <= 5 {
		p.Index = h.Start + r.i
	}
	b := r.b[r.off:]
	if l.bits > 0 {
		bit := int(r.i) * int(l.bits)
		if bit/8 >= len(b) {
			r.err = ErrShort
			return false
		}
		v := (r.b[bit/8] >> (bit % 8)) & (1<<l.bits - 1)
		p.HasValue, p.Value = true, float64(v)
		r.i++
		return true
	}
	if len(b) < ps {
		r.err = ErrShort
		return false
	}
	size := int(l.size)
	switch {
	case pc >= 1 && pc <= 3:
		p.Index = readUint(b, ps)
	case pc >= 4:
		size = int(readUint(b, ps))
	}
	b = b[ps:]
	if l.kind == KindAttribute && pc < 4 {
		// Device attribute: data type, length, value.
		if len(b) < 2 {
			r.err = ErrShort
			return false
		}
		size = 2 + int(b[1])
	}
	// Every object consumes at least one byte (its size prefix or its
	// data), so a huge count cannot spin on empty objects.
	if size == 0 && pc < 4 {
		r.err = ErrUnknownObject
		return false
	}
	if size > len(b) {
		r.err = ErrShort
		return false
	}
	obj := b[:size]
	p.Raw = obj
	r.off += ps + size
	r.i++
	if pc >= 4 || l.size == 0 || size != int(l.size) {
		return true // variable objects: raw only
	}
	decodeFixed(l, obj, p)
	return true
}

func decodeFixed(l *layout, b []byte, p *Point) {
	if l.kind == KindCROB {
		p.CROB = CROB{Code: b[0], Count: b[1],
			OnTime:  binary.LittleEndian.Uint32(b[2:]),
			OffTime: binary.LittleEndian.Uint32(b[6:]), Status: b[10]}
		p.Status = b[10]
		return
	}
	if l.kind == KindBCD {
		return
	}
	if l.pre {
		p.Status = b[0]
		b = b[1:]
	}
	if l.flags {
		p.HasFlags, p.Flags = true, b[0]
		b = b[1:]
		if l.stateBit != 0 && l.val == vNone {
			p.HasValue = true
			if l.stateBit == 0xC0 {
				p.Value = float64(p.Flags >> 6)
			} else if p.Flags&l.stateBit != 0 {
				p.Value = 1
			}
		}
	}
	if l.val != vNone {
		p.HasValue = true
		switch l.val {
		case vU8:
			p.Value = float64(b[0])
		case vU16:
			p.Value = float64(binary.LittleEndian.Uint16(b))
		case vU32:
			p.Value = float64(binary.LittleEndian.Uint32(b))
		case vI16:
			p.Value = float64(int16(binary.LittleEndian.Uint16(b)))
		case vI32:
			p.Value = float64(int32(binary.LittleEndian.Uint32(b)))
		case vF32:
			p.Value = float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
			p.IsFloat = true
		case vF64:
			p.Value = math.Float64frombits(binary.LittleEndian.Uint64(b))
			p.IsFloat = true
		}
		b = b[valSize[l.val]:]
	}
	if l.post {
		p.Status = b[0]
		b = b[1:]
	}
	switch l.tm {
	case tAbs48:
		p.HasTime = true
		p.Time = uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint16(b[4:]))<<32
	case tRel16:
		p.HasTime, p.RelTime = true, true
		p.Time = uint64(binary.LittleEndian.Uint16(b))
	}
}

// File operation modes of a g70v3 file command.
const (
	FileModeNull   = 0
	FileModeRead   = 1
	FileModeWrite  = 2
	FileModeAppend = 3
)

// FileCommand is the fixed part of a g70v3 file command object (OPEN_FILE,
// DELETE_FILE) and its file name, which aliases the object.
type FileCommand struct {
	Created     uint64 // milliseconds since 1970
	Permissions uint16
	AuthKey     uint32
	FileSize    uint32
	Mode        uint16 // FileModeRead, FileModeWrite, FileModeAppend
	MaxBlock    uint16
	RequestID   uint16
	Name        []byte
}

// ParseFileCommand decodes the raw bytes of a g70v3 object (Point.Raw).
func ParseFileCommand(raw []byte, c *FileCommand) error {
	if len(raw) < 26 {
		return ErrShort
	}
	off := int(binary.LittleEndian.Uint16(raw))
	n := int(binary.LittleEndian.Uint16(raw[2:]))
	c.Created = uint64(binary.LittleEndian.Uint32(raw[4:])) | uint64(binary.LittleEndian.Uint16(raw[8:]))<<32
	c.Permissions = binary.LittleEndian.Uint16(raw[10:])
	c.AuthKey = binary.LittleEndian.Uint32(raw[12:])
	c.FileSize = binary.LittleEndian.Uint32(raw[16:])
	c.Mode = binary.LittleEndian.Uint16(raw[20:])
	c.MaxBlock = binary.LittleEndian.Uint16(raw[22:])
	c.RequestID = binary.LittleEndian.Uint16(raw[24:])
	c.Name = nil
	// The name offset counts from the start of the object (26 when the
	// name follows the fixed part).
	if off >= 26 && off <= len(raw) && n <= len(raw)-off {
		c.Name = raw[off : off+n]
	}
	return nil
}
