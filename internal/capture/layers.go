package capture

import (
	"encoding/binary"
	"errors"
	"net/netip"
)

// IP protocol numbers.
const (
	ProtoTCP = 6
	ProtoUDP = 17
)

// TCP flags.
const (
	FlagFIN = 0x01
	FlagSYN = 0x02
	FlagRST = 0x04
	FlagPSH = 0x08
	FlagACK = 0x10
)

// Decode errors. ErrNotIP and ErrFragment are not malformations: the caller
// just skips the packet. The others describe malformed packets (Zeek
// reports them in weird.log).
var (
	ErrNotIP       = errors.New("not an IP packet")
	ErrUnsupported = errors.New("unsupported link type")
	ErrFragment    = errors.New("IP fragment")
	ErrTruncated   = errors.New("truncated packet")
	ErrBadIPHeader = errors.New("bad IP header")
	ErrBadChecksum = errors.New("bad IP checksum")
	ErrBadTCP      = errors.New("bad TCP header")
	ErrBadUDP      = errors.New("bad UDP header")
)

// Layers is the decoded network and transport layers of one packet. Decode
// fills it in place; Payload aliases the packet data.
type Layers struct {
	VLANs     [2]uint16 // outer first
	NVLAN     int
	IPVersion uint8
	Src, Dst  netip.Addr
	Proto     uint8 // ProtoTCP, ProtoUDP or another IP protocol
	SrcPort   uint16
	DstPort   uint16
	Seq, Ack  uint32 // TCP only
	Flags     uint8  // TCP only
	Payload   []byte // transport payload (IP payload for other protocols)
	// Segment is the whole transport segment (header and payload) as
	// captured; TransportChecksumOK verifies it.
	Segment []byte
	// Truncated is set when the capture holds fewer bytes than the IP
	// length says (snap length): the transport checksum cannot be checked.
	Truncated bool
}

// TransportChecksumOK verifies the TCP or UDP checksum of the decoded
// packet (a UDP checksum of 0 means none). It returns true when the
// segment was cut by the snap length and cannot be verified.
func (l *Layers) TransportChecksumOK() bool {
	if l.Truncated || (l.Proto != ProtoTCP && l.Proto != ProtoUDP) {
		return true
	}
	seg := l.Segment
	if l.Proto == ProtoUDP && len(seg) >= 8 && seg[6] == 0 && seg[7] == 0 {
		return l.IPVersion == 4
	}
	var s uint32
	if l.IPVersion == 4 {
		a, b := l.Src.As4(), l.Dst.As4()
		s = sum16(a[:], 0)
		s = sum16(b[:], s)
	} else {
		a, b := l.Src.As16(), l.Dst.As16()
		s = sum16(a[:], 0)
		s = sum16(b[:], s)
	}
	s += uint32(l.Proto) + uint32(len(seg))>>16 + uint32(len(seg))&0xffff
	s = sum16(seg, s)
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return s == 0xffff
}

func sum16(b []byte, s uint32) uint32 {
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	return s
}

// Options tunes Decode.
type Options struct {
	// IgnoreChecksums skips IPv4 header checksum verification (Zeek -C).
	IgnoreChecksums bool
}

// Decode parses the link, network and transport headers of data captured
// with link type lt. It never allocates and never panics.
func Decode(lt LinkType, data []byte, l *Layers, o Options) error {
	l.NVLAN = 0
	l.Proto = 0
	l.Src, l.Dst = netip.Addr{}, netip.Addr{}
	l.Segment, l.Truncated = nil, false
	l.SrcPort, l.DstPort, l.Seq, l.Ack, l.Flags = 0, 0, 0, 0, 0
	l.Payload = nil
	var etype uint16
	switch lt {
	case LinkEthernet:
		if len(data) < 14 {
			return ErrTruncated
		}
		etype = binary.BigEndian.Uint16(data[12:])
		data = data[14:]
		for etype == 0x8100 || etype == 0x88a8 || etype == 0x9100 {
			if len(data) < 4 {
				return ErrTruncated
			}
			if l.NVLAN < len(l.VLANs) {
				l.VLANs[l.NVLAN] = binary.BigEndian.Uint16(data) & 0x0fff
				l.NVLAN++
			}
			etype = binary.BigEndian.Uint16(data[2:])
			data = data[4:]
		}
	case LinkRaw, LinkRawAlt, LinkIPv4, LinkIPv6:
		if len(data) < 1 {
			return ErrTruncated
		}
		switch data[0] >> 4 {
		case 4:
			etype = 0x0800
		case 6:
			etype = 0x86dd
		default:
			return ErrNotIP
		}
	case LinkSLL:
		if len(data) < 16 {
			return ErrTruncated
		}
		etype = binary.BigEndian.Uint16(data[14:])
		data = data[16:]
	case LinkSLL2:
		if len(data) < 20 {
			return ErrTruncated
		}
		etype = binary.BigEndian.Uint16(data)
		data = data[20:]
	case LinkNull, LinkLoop:
		if len(data) < 4 {
			return ErrTruncated
		}
		fam := binary.LittleEndian.Uint32(data)
		if lt == LinkLoop || fam > 0xffff {
			fam = binary.BigEndian.Uint32(data)
		}
		data = data[4:]
		switch fam {
		case 2:
			etype = 0x0800
		case 10, 24, 28, 30:
			etype = 0x86dd
		default:
			return ErrNotIP
		}
	default:
		return ErrUnsupported
	}
	switch etype {
	case 0x0800:
		return decodeIPv4(data, l, o)
	case 0x86dd:
		return decodeIPv6(data, l)
	}
	return ErrNotIP
}

func decodeIPv4(b []byte, l *Layers, o Options) error {
	if len(b) < 20 {
		return ErrTruncated
	}
	if b[0]>>4 != 4 {
		return ErrBadIPHeader
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:]))
	if ihl < 20 || total < ihl {
		return ErrBadIPHeader
	}
	if len(b) < ihl {
		return ErrTruncated
	}
	l.IPVersion = 4
	l.Src = netip.AddrFrom4([4]byte(b[12:16]))
	l.Dst = netip.AddrFrom4([4]byte(b[16:20]))
	if !o.IgnoreChecksums && checksum(b[:ihl]) != 0xffff {
		return ErrBadChecksum
	}
	l.Proto = b[9]
	if total > len(b) {
		// Captured with a snap length, or cut: decode what we have; the
		// transport layer notices missing bytes.
		total = len(b)
		l.Truncated = true
	}
	frag := binary.BigEndian.Uint16(b[6:])
	if frag&0x3fff != 0 { // MF set or offset != 0
		l.Payload = b[ihl:total]
		return ErrFragment
	}
	return decodeTransport(b[ihl:total], l)
}

func decodeIPv6(b []byte, l *Layers) error {
	if len(b) < 40 {
		return ErrTruncated
	}
	if b[0]>>4 != 6 {
		return ErrBadIPHeader
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	l.IPVersion = 6
	l.Src = netip.AddrFrom16([16]byte(b[8:24]))
	l.Dst = netip.AddrFrom16([16]byte(b[24:40]))
	next := b[6]
	b = b[40:]
	if plen < len(b) {
		b = b[:plen] // strip link-layer padding (plen 0 = jumbogram: keep)
	} else if plen > len(b) {
		l.Truncated = true
	}
	for {
		switch next {
		case 0, 43, 60: // hop-by-hop, routing, destination options
			if len(b) < 8 {
				return ErrTruncated
			}
			n := (int(b[1]) + 1) * 8
			if len(b) < n {
				return ErrTruncated
			}
			next, b = b[0], b[n:]
		case 44: // fragment
			if len(b) < 8 {
				return ErrTruncated
			}
			l.Proto = b[0]
			if binary.BigEndian.Uint16(b[2:])&0xfff9 != 0 {
				l.Payload = b[8:]
				return ErrFragment
			}
			next, b = b[0], b[8:]
		default:
			l.Proto = next
			return decodeTransport(b, l)
		}
	}
}

func decodeTransport(b []byte, l *Layers) error {
	l.Segment = b
	switch l.Proto {
	case ProtoTCP:
		if len(b) < 20 {
			return ErrTruncated
		}
		off := int(b[12]>>4) * 4
		if off < 20 {
			return ErrBadTCP
		}
		if len(b) < off {
			return ErrTruncated
		}
		l.SrcPort = binary.BigEndian.Uint16(b)
		l.DstPort = binary.BigEndian.Uint16(b[2:])
		l.Seq = binary.BigEndian.Uint32(b[4:])
		l.Ack = binary.BigEndian.Uint32(b[8:])
		l.Flags = b[13]
		l.Payload = b[off:]
	case ProtoUDP:
		if len(b) < 8 {
			return ErrTruncated
		}
		l.SrcPort = binary.BigEndian.Uint16(b)
		l.DstPort = binary.BigEndian.Uint16(b[2:])
		n := int(binary.BigEndian.Uint16(b[4:]))
		if n < 8 {
			return ErrBadUDP
		}
		if n > len(b) {
			l.Payload = b[8:]
			return ErrTruncated
		}
		l.Payload = b[8:n]
	default:
		l.Payload = b
	}
	return nil
}

// checksum returns the ones'-complement sum of b (0xffff for a valid IPv4
// header including its checksum field).
func checksum(b []byte) uint16 {
	var s uint32
	for len(b) >= 2 {
		s += uint32(b[0])<<8 | uint32(b[1])
		b = b[2:]
	}
	if len(b) == 1 {
		s += uint32(b[0]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}
