package dnp3

import (
	"encoding/binary"
	"math"
)

// AppendPoint appends the encoding of one object of group g, variation v
// (without index prefix) from p: the inverse of PointReader for objects of
// fixed size. Binary states of flag-carrying objects are taken from
// p.Flags (set the state bit there). It returns ErrUnknownObject for packed,
// variable-size or unknown objects.
func AppendPoint(dst []byte, g, v uint8, p *Point) ([]byte, error) {
	l := layoutOf(g, v)
	if l.bits > 0 || l.size == 0 || l.kind == KindOctets || l.kind == KindAuth || l.kind == KindRaw || l.kind == KindBCD {
		return dst, ErrUnknownObject
	}
	if l.kind == KindCROB {
		c := p.CROB
		dst = append(dst, c.Code, c.Count)
		dst = binary.LittleEndian.AppendUint32(dst, c.OnTime)
		dst = binary.LittleEndian.AppendUint32(dst, c.OffTime)
		return append(dst, c.Status), nil
	}
	if l.pre {
		dst = append(dst, p.Status)
	}
	if l.flags {
		dst = append(dst, p.Flags)
	}
	switch l.val {
	case vU8:
		dst = append(dst, uint8(p.Value))
	case vU16:
		dst = binary.LittleEndian.AppendUint16(dst, uint16(p.Value))
	case vU32:
		dst = binary.LittleEndian.AppendUint32(dst, uint32(p.Value))
	case vI16:
		dst = binary.LittleEndian.AppendUint16(dst, uint16(int16(p.Value)))
	case vI32:
		dst = binary.LittleEndian.AppendUint32(dst, uint32(int32(p.Value)))
	case vF32:
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(float32(p.Value)))
	case vF64:
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(p.Value))
	}
	if l.post {
		dst = append(dst, p.Status)
	}
	switch l.tm {
	case tAbs48:
		dst = binary.LittleEndian.AppendUint32(dst, uint32(p.Time))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(p.Time>>32))
	case tRel16:
		dst = binary.LittleEndian.AppendUint16(dst, uint16(p.Time))
	}
	for range l.extra {
		dst = append(dst, 0)
	}
	return dst, nil
}

// AppendCROB appends a g12v1 control relay output block.
func AppendCROB(dst []byte, c CROB) []byte {
	dst, _ = AppendPoint(dst, 12, 1, &Point{CROB: c})
	return dst
}
