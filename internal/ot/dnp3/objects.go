package dnp3

import (
	"encoding/binary"
)

// Qualifier is an object-header qualifier octet: an index/size prefix code
// in bits 4..6 and a range specifier code in bits 0..3.
type Qualifier uint8

// Common qualifiers.
const (
	Qual8BitStartStop   Qualifier = 0x00
	Qual16BitStartStop  Qualifier = 0x01
	Qual32BitStartStop  Qualifier = 0x02
	QualAllObjects      Qualifier = 0x06
	Qual8BitCount       Qualifier = 0x07
	Qual16BitCount      Qualifier = 0x08
	Qual32BitCount      Qualifier = 0x09
	Qual8BitIndexCount  Qualifier = 0x17
	Qual16BitIndexCount Qualifier = 0x28
	Qual32BitIndexCount Qualifier = 0x39
	QualFreeFormat      Qualifier = 0x5B
)

// Prefix returns the object prefix code (0: none, 1..3: 1/2/4-byte index,
// 4..6: 1/2/4-byte object size).
func (q Qualifier) Prefix() uint8 { return uint8(q>>4) & 7 }

// Range returns the range specifier code.
func (q Qualifier) Range() uint8 { return uint8(q) & 0x0F }

// String names the common qualifiers ("2-Byte Start/Stop",
// "1-Byte Count and Index", ...); others are "Qualifier(0xNN)".
func (q Qualifier) String() string {
	switch q {
	case 0x00:
		return "1-Byte Start/Stop"
	case 0x01:
		return "2-Byte Start/Stop"
	case 0x02:
		return "4-Byte Start/Stop"
	case 0x06:
		return "All Objects"
	case 0x07:
		return "1-Byte Count"
	case 0x08:
		return "2-Byte Count"
	case 0x09:
		return "4-Byte Count"
	case 0x17:
		return "1-Byte Count and Index"
	case 0x28:
		return "2-Byte Count and Index"
	case 0x39:
		return "4-Byte Count and Index"
	case 0x5B:
		return "Free Format"
	}
	return "Qualifier(0x" + hex2(uint8(q)) + ")"
}

var prefixSizes = [8]int{0, 1, 2, 4, 1, 2, 4, -1}

// ObjectHeader is one decoded object header and the bytes of its objects.
type ObjectHeader struct {
	Group     uint8
	Variation uint8
	Qualifier Qualifier
	// Start and Stop hold the range for range codes 0..5.
	Start, Stop uint32
	// Count is the number of objects: stop-start+1 for ranges, the count
	// field for count qualifiers, 0 for "all objects".
	Count uint32
	// Data holds the objects (with their prefixes) following the header;
	// it is empty when the header carries none (reads, class data,
	// variation 0). It aliases the fragment.
	Data []byte
}

// HasRange reports whether the header carries a start/stop range.
func (h *ObjectHeader) HasRange() bool { return h.Qualifier.Range() <= 5 }

// GV returns group<<8 | variation.
func (h *ObjectHeader) GV() uint16 { return uint16(h.Group)<<8 | uint16(h.Variation) }

// Points returns a reader over the objects' points.
func (h *ObjectHeader) Points() PointReader {
	return PointReader{h: objectInfo{h.Group, h.Variation, h.Qualifier, h.Start, h.Count},
		l: layoutOf(h.Group, h.Variation), b: h.Data}
}

// ObjectReader walks the object headers of a fragment. Use it as
//
//	r := frag.ObjectReader()
//	var h dnp3.ObjectHeader
//	for r.Next(&h) { ... }
//	if err := r.Err(); err != nil { ... }
type ObjectReader struct {
	b   []byte
	fc  FuncCode
	off int
	err error
}

// NewObjectReader returns a reader over the object bytes b of a fragment
// with function fc (which decides whether objects carry data).
func NewObjectReader(fc FuncCode, b []byte) ObjectReader { return ObjectReader{b: b, fc: fc} }

// Err returns the error that stopped Next, if any.
func (r *ObjectReader) Err() error { return r.err }

// Offset returns the number of object bytes consumed so far.
func (r *ObjectReader) Offset() int { return r.off }

// Next decodes the next object header into h. It returns false at the end
// of the objects or on error (see Err). A header whose objects do not fit
// in the fragment, or whose object size is unknown, is still returned, with
// the rest of the fragment as Data; Err then reports ErrShort or
// ErrUnknownObject and the following call returns false.
func (r *ObjectReader) Next(h *ObjectHeader) bool {
	if r.err != nil || r.off >= len(r.b) {
		return false
	}
	b := r.b[r.off:]
	if len(b) < 3 {
		return r.fail(ErrShort)
	}
	h.Group, h.Variation, h.Qualifier = b[0], b[1], Qualifier(b[2])
	h.Start, h.Stop, h.Count, h.Data = 0, 0, 0, nil
	n := 3
	rc := h.Qualifier.Range()
	switch rc {
	case 0, 3:
		if len(b) < n+2 {
			return r.fail(ErrShort)
		}
		h.Start, h.Stop = uint32(b[n]), uint32(b[n+1])
		n += 2
	case 1, 4:
		if len(b) < n+4 {
			return r.fail(ErrShort)
		}
		h.Start = uint32(binary.LittleEndian.Uint16(b[n:]))
		h.Stop = uint32(binary.LittleEndian.Uint16(b[n+2:]))
		n += 4
	case 2, 5:
		if len(b) < n+8 {
			return r.fail(ErrShort)
		}
		h.Start = binary.LittleEndian.Uint32(b[n:])
		h.Stop = binary.LittleEndian.Uint32(b[n+4:])
		n += 8
	case 6:
	case 7, 0xB:
		if len(b) < n+1 {
			return r.fail(ErrShort)
		}
		h.Count = uint32(b[n])
		n++
	case 8:
		if len(b) < n+2 {
			return r.fail(ErrShort)
		}
		h.Count = uint32(binary.LittleEndian.Uint16(b[n:]))
		n += 2
	case 9:
		if len(b) < n+4 {
			return r.fail(ErrShort)
		}
		h.Count = binary.LittleEndian.Uint32(b[n:])
		n += 4
	default:
		return r.fail(ErrQualifier)
	}
	if rc <= 5 {
		if h.Stop < h.Start {
			return r.fail(ErrRange)
		}
		h.Count = h.Stop - h.Start + 1 // may wrap to 0 for 0..0xFFFFFFFF
		if h.Count == 0 {
			return r.fail(ErrTooManyObjects)
		}
	}
	pc := h.Qualifier.Prefix()
	if pc == 7 || rc == 0xB && pc < 4 {
		return r.fail(ErrQualifier)
	}
	r.off += n
	// Objects with a size prefix (prefix codes 4..6, as in the free-format
	// qualifier 0x5B of file transfer and authentication) always carry
	// their data, even in READ requests (g70v5 file transport reads).
	if rc == 6 || pc < 4 && !hasData(r.fc, h.Group, h.Variation) {
		return true
	}
	size, err := dataSize(h, b[n:])
	if err != nil {
		// Deliver the header with what is left of the fragment, so that
		// callers see what was announced (a "max points" attack, an
		// unknown object); the next call reports the error.
		h.Data = b[n:]
		r.off = len(r.b)
		r.err = err
		return true
	}
	h.Data = b[n : n+size]
	r.off += size
	return true
}

func (r *ObjectReader) fail(err error) bool {
	r.err = err
	return false
}

// hasData reports whether objects of group g, variation v carry data in a
// fragment with function fc.
func hasData(fc FuncCode, g, v uint8) bool {
	switch {
	case fc == FuncRead, g == 60, v == 0:
		return false
	case g == 0:
		return fc.IsResponse() || fc == FuncWrite
	}
	return true
}

// dataSize returns the byte length of h.Count objects with their prefixes
// at the start of b.
func dataSize(h *ObjectHeader, b []byte) (int, error) {
	pc := h.Qualifier.Prefix()
	ps := prefixSizes[pc]
	count := int64(h.Count)
	if pc >= 4 {
		// Each object is preceded by its size.
		off := 0
		for range count {
			if len(b)-off < ps {
				return 0, ErrShort
			}
			sz := int(readUint(b[off:], ps))
			off += ps
			if sz > len(b)-off {
				return 0, ErrShort
			}
			off += sz
		}
		return off, nil
	}
	l := layoutOf(h.Group, h.Variation)
	switch {
	case l.bits > 0:
		if ps != 0 {
			return 0, ErrQualifier
		}
		nb := (count*int64(l.bits) + 7) / 8
		if nb > int64(len(b)) {
			return 0, ErrShort
		}
		return int(nb), nil
	case l.size > 0:
		per := int64(ps + int(l.size))
		if count > int64(len(b))/per {
			return 0, ErrShort
		}
		return int(count * per), nil
	case l.kind == KindAttribute:
		// Device attributes: prefix, data type, length, value.
		off := 0
		for range count {
			if len(b)-off < ps+2 {
				return 0, ErrShort
			}
			sz := int(b[off+ps+1])
			off += ps + 2
			if sz > len(b)-off {
				return 0, ErrShort
			}
			off += sz
		}
		return off, nil
	}
	return 0, ErrUnknownObject
}

func readUint(b []byte, n int) uint32 {
	switch n {
	case 1:
		return uint32(b[0])
	case 2:
		return uint32(binary.LittleEndian.Uint16(b))
	case 4:
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

// AppendObjectHeader appends an object header. For range qualifiers (range
// codes 0..5) start and stop are written; for count qualifiers (7, 8, 9,
// 0xB) count is written; for 0x06 nothing.
func AppendObjectHeader(dst []byte, g, v uint8, q Qualifier, start, stop, count uint32) []byte {
	dst = append(dst, g, v, byte(q))
	switch q.Range() {
	case 0, 3:
		dst = append(dst, byte(start), byte(stop))
	case 1, 4:
		dst = binary.LittleEndian.AppendUint16(dst, uint16(start))
		dst = binary.LittleEndian.AppendUint16(dst, uint16(stop))
	case 2, 5:
		dst = binary.LittleEndian.AppendUint32(dst, start)
		dst = binary.LittleEndian.AppendUint32(dst, stop)
	case 7, 0xB:
		dst = append(dst, byte(count))
	case 8:
		dst = binary.LittleEndian.AppendUint16(dst, uint16(count))
	case 9:
		dst = binary.LittleEndian.AppendUint32(dst, count)
	}
	return dst
}
