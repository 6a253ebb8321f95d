package capture

import (
	"bufio"
	"encoding/binary"
	"io"
	"time"
)

// Writer writes a little-endian pcap file with nanosecond timestamps.
type Writer struct {
	bw  *bufio.Writer
	hdr [16]byte
}

// NewWriter writes the pcap file header for link type lt and returns a
// writer for its records. Call Flush at the end.
func NewWriter(w io.Writer, lt LinkType) (*Writer, error) {
	pw := &Writer{bw: bufio.NewWriterSize(w, 1<<20)}
	var h [24]byte
	binary.LittleEndian.PutUint32(h[0:], 0xa1b23c4d)
	binary.LittleEndian.PutUint16(h[4:], 2)
	binary.LittleEndian.PutUint16(h[6:], 4)
	binary.LittleEndian.PutUint32(h[16:], 262144)
	binary.LittleEndian.PutUint32(h[20:], uint32(lt))
	_, err := pw.bw.Write(h[:])
	return pw, err
}

// Write appends one packet.
func (w *Writer) Write(ts time.Time, data []byte, origLen int) error {
	binary.LittleEndian.PutUint32(w.hdr[0:], uint32(ts.Unix()))
	binary.LittleEndian.PutUint32(w.hdr[4:], uint32(ts.Nanosecond()))
	binary.LittleEndian.PutUint32(w.hdr[8:], uint32(len(data)))
	binary.LittleEndian.PutUint32(w.hdr[12:], uint32(max(origLen, len(data))))
	if _, err := w.bw.Write(w.hdr[:]); err != nil {
		return err
	}
	_, err := w.bw.Write(data)
	return err
}

// Flush writes buffered records.
func (w *Writer) Flush() error { return w.bw.Flush() }

// FixChecksums recomputes the IPv4 header checksum and the TCP/UDP
// checksum of an Ethernet or raw-IP frame in place (after its addresses
// were rewritten). It does nothing for frames Decode rejects.
func FixChecksums(lt LinkType, frame []byte) {
	var l Layers
	if err := Decode(lt, frame, &l, Options{IgnoreChecksums: true}); err != nil || len(l.Segment) == 0 {
		return
	}
	seg := l.Segment
	if l.IPVersion == 4 {
		// The IPv4 header ends where the segment starts.
		off := cap(frame) - cap(seg)
		ipStart := -1
		for i := off - 20; i >= 0 && i >= off-60; i-- {
			if frame[i]>>4 == 4 && int(frame[i]&0x0f)*4 == off-i {
				ipStart = i
				break
			}
		}
		if ipStart >= 0 {
			ip := frame[ipStart:off]
			ip[10], ip[11] = 0, 0
			binary.BigEndian.PutUint16(ip[10:], ^checksum(ip))
		}
	}
	var ck int
	switch l.Proto {
	case ProtoTCP:
		ck = 16
	case ProtoUDP:
		ck = 6
	default:
		return
	}
	if len(seg) < ck+2 || l.Truncated {
		return
	}
	seg[ck], seg[ck+1] = 0, 0
	var s uint32
	if l.IPVersion == 4 {
		a, b := l.Src.As4(), l.Dst.As4()
		s = sum16(b[:], sum16(a[:], 0))
	} else {
		a, b := l.Src.As16(), l.Dst.As16()
		s = sum16(b[:], sum16(a[:], 0))
	}
	s += uint32(l.Proto) + uint32(len(seg))>>16 + uint32(len(seg))&0xffff
	s = sum16(seg, s)
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	binary.BigEndian.PutUint16(seg[ck:], ^uint16(s))
}
