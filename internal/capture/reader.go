package capture

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"os"
	"slices"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
)

// LinkType is a pcap LINKTYPE_ value.
type LinkType uint16

// Link types Decode understands.
const (
	LinkNull     LinkType = 0   // BSD loopback, host-order family
	LinkEthernet LinkType = 1   // Ethernet II
	LinkRaw      LinkType = 101 // raw IPv4/IPv6
	LinkRawAlt   LinkType = 12  // DLT_RAW on some BSDs
	LinkLoop     LinkType = 108 // OpenBSD loopback, network-order family
	LinkSLL      LinkType = 113 // Linux cooked capture v1
	LinkIPv4     LinkType = 228 // raw IPv4
	LinkIPv6     LinkType = 229 // raw IPv6
	LinkSLL2     LinkType = 276 // Linux cooked capture v2
)

// Packet is one captured frame. Data aliases the reader's buffer and is only
// valid until the next call to Next.
type Packet struct {
	Number   uint64 // 1-based position in the capture
	TS       time.Time
	LinkType LinkType
	Iface    int // pcapng interface index (0 for pcap)
	OrigLen  int // length on the wire
	Data     []byte
}

// Source is a stream of packets: a capture file or a live interface.
type Source interface {
	// Next fills p with the next packet. It returns io.EOF at the end.
	Next(p *Packet) error
	Close() error
}

// maxBlock bounds a pcap record or pcapng block, so that a corrupt length
// cannot make the reader allocate without limit.
const maxBlock = 16 << 20

// maxPacket is the largest packet tools write without a larger snap length
// (libpcap's and Wireshark's 262144).
const maxPacket = 262144

// Reader reads a pcap or pcapng stream.
type Reader struct {
	name string
	br   *bufio.Reader
	c    io.Closer
	n    uint64 // packets returned so far
	off  int64  // byte offset of the next record
	big  []byte // buffer for records larger than the bufio buffer

	ng bool
	// pcap
	order   binary.ByteOrder
	nano    bool
	link    LinkType
	snaplen uint32
	// pcapng
	ifaces []ngIface
}

type ngIface struct {
	link    LinkType
	snaplen uint32
	// tsUnit is the duration of one timestamp tick in nanoseconds when
	// tsDiv == 0, else ticks per second divide by tsDiv.
	tsMul int64
	tsDiv int64
	tsOff int64 // if_tsoffset, seconds
}

// Open opens a pcap or pcapng file; the format is detected from its magic
// number.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.c = f
	return r, nil
}

// NewReader reads a pcap or pcapng stream from rd; name is used in errors.
func NewReader(rd io.Reader, name string) (*Reader, error) {
	r := &Reader{name: name, br: bufio.NewReaderSize(rd, 1<<20)}
	magic, err := r.br.Peek(4)
	if err != nil {
		return nil, r.errf(0, "not a pcap or pcapng file: too short (%d bytes)", len(magic))
	}
	switch {
	case magic[0] == 0x0a && magic[1] == 0x0d && magic[2] == 0x0d && magic[3] == 0x0a:
		r.ng = true
		return r, nil
	}
	hdr, err := r.br.Peek(24)
	if err != nil {
		return nil, r.errf(0, "pcap header truncated (%d of 24 bytes)", len(hdr))
	}
	switch binary.LittleEndian.Uint32(hdr) {
	case 0xa1b2c3d4:
		r.order = binary.LittleEndian
	case 0xa1b23c4d:
		r.order, r.nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		r.order = binary.BigEndian
	case 0x4d3cb2a1:
		r.order, r.nano = binary.BigEndian, true
	default:
		return nil, r.errf(0, "not a pcap or pcapng file (magic %02x%02x%02x%02x)", hdr[0], hdr[1], hdr[2], hdr[3])
	}
	if major := r.order.Uint16(hdr[4:]); major != 2 {
		return nil, r.errf(0, "unsupported pcap version %d.%d", major, r.order.Uint16(hdr[6:]))
	}
	r.snaplen = r.order.Uint32(hdr[16:])
	r.link = LinkType(r.order.Uint32(hdr[20:]) & 0xffff)
	r.br.Discard(24)
	r.off = 24
	return r, nil
}

// Close closes the underlying file, if Open opened it.
func (r *Reader) Close() error {
	if r.c != nil {
		return r.c.Close()
	}
	return nil
}

// Packets returns the number of packets read so far.
func (r *Reader) Packets() uint64 { return r.n }

func (r *Reader) errf(packet uint64, format string, args ...any) error {
	return &diag.Diagnostic{File: r.name, Packet: int(packet), Msg: fmt.Sprintf(format, args...),
		Hint: "the capture is truncated or corrupt; check it with capinfos or tshark"}
}

// read returns the next n bytes, valid until the next call, and advances.
func (r *Reader) read(n int) ([]byte, error) {
	if n <= r.br.Size() {
		b, err := r.br.Peek(n)
		if err != nil {
			return b, err
		}
		r.br.Discard(n)
		r.off += int64(n)
		return b, nil
	}
	// Grow with the data actually read, so that a corrupt length near the
	// end of a file does not allocate megabytes for nothing.
	b := r.big[:0]
	for len(b) < n {
		k := min(n-len(b), 1<<20)
		b = slices.Grow(b, k)
		m, err := io.ReadFull(r.br, b[len(b):len(b)+k])
		b = b[:len(b)+m]
		r.off += int64(m)
		if err != nil {
			r.big = b
			return b, err
		}
	}
	r.big = b
	return b, nil
}

// Next reads the next packet into p.
func (r *Reader) Next(p *Packet) error {
	if r.ng {
		return r.nextNG(p)
	}
	hdr, err := r.read(16)
	if err != nil {
		if len(hdr) == 0 && (err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF)) {
			return io.EOF
		}
		return r.wrap(r.n+1, err, "record header")
	}
	sec := r.order.Uint32(hdr[0:])
	frac := r.order.Uint32(hdr[4:])
	caplen := r.order.Uint32(hdr[8:])
	origlen := r.order.Uint32(hdr[12:])
	if caplen > maxPacket && caplen > r.snaplen || caplen > maxBlock {
		return r.errf(r.n+1, "record length %d at offset %d is absurd (snap length %d)", caplen, r.off-16, r.snaplen)
	}
	data, err := r.read(int(caplen))
	if err != nil {
		return r.wrap(r.n+1, err, "packet data")
	}
	r.n++
	p.Number = r.n
	if r.nano {
		p.TS = time.Unix(int64(sec), int64(frac))
	} else {
		p.TS = time.Unix(int64(sec), int64(frac)*1000)
	}
	p.LinkType = r.link
	p.Iface = 0
	p.OrigLen = int(origlen)
	p.Data = data
	return nil
}

func (r *Reader) wrap(packet uint64, err error, what string) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return r.errf(packet, "%s truncated at offset %d (file cut short)", what, r.off)
	}
	return fmt.Errorf("read %s: packet %d: %w", r.name, packet, err)
}

// pcapng block types.
const (
	ngSHB = 0x0a0d0d0a
	ngIDB = 1
	ngOPB = 2 // obsolete packet block
	ngSPB = 3
	ngEPB = 6
)

func (r *Reader) nextNG(p *Packet) error {
	for {
		hdr, err := r.br.Peek(12)
		if len(hdr) == 0 && err == io.EOF {
			return io.EOF
		}
		if len(hdr) < 8 {
			return r.errf(r.n+1, "pcapng block header truncated at offset %d", r.off)
		}
		btype := binary.LittleEndian.Uint32(hdr)
		if btype == ngSHB {
			if len(hdr) < 12 {
				return r.errf(r.n+1, "pcapng section header truncated at offset %d", r.off)
			}
			switch binary.LittleEndian.Uint32(hdr[8:]) {
			case 0x1a2b3c4d:
				r.order = binary.LittleEndian
			case 0x4d3c2b1a:
				r.order = binary.BigEndian
			default:
				return r.errf(r.n+1, "pcapng section header at offset %d has bad byte-order magic", r.off)
			}
			r.ifaces = r.ifaces[:0]
		} else if r.order == nil {
			return r.errf(0, "pcapng file does not start with a section header block")
		} else {
			btype = r.order.Uint32(hdr)
		}
		blen := r.order.Uint32(hdr[4:])
		if blen < 12 || blen%4 != 0 || blen > maxBlock {
			return r.errf(r.n+1, "pcapng block at offset %d has bad length %d", r.off, blen)
		}
		start := r.off
		b, err := r.read(int(blen))
		if err != nil {
			return r.wrap(r.n+1, err, "pcapng block")
		}
		if tail := r.order.Uint32(b[blen-4:]); tail != blen {
			return r.errf(r.n+1, "pcapng block at offset %d: trailing length %d != %d", start, tail, blen)
		}
		body := b[8 : blen-4]
		switch btype {
		case ngSHB:
			// Nothing else needed from the section header.
		case ngIDB:
			if len(body) < 8 {
				return r.errf(r.n+1, "pcapng interface block at offset %d too short", start)
			}
			ifc := ngIface{link: LinkType(r.order.Uint16(body)), snaplen: r.order.Uint32(body[4:]), tsMul: 1000}
			r.parseIDBOptions(&ifc, body[8:])
			r.ifaces = append(r.ifaces, ifc)
		case ngEPB, ngOPB:
			if len(body) < 20 {
				return r.errf(r.n+1, "pcapng packet block at offset %d too short", start)
			}
			var id uint32
			if btype == ngEPB {
				id = r.order.Uint32(body)
			} else {
				id = uint32(r.order.Uint16(body))
			}
			if int(id) >= len(r.ifaces) {
				return r.errf(r.n+1, "pcapng packet block at offset %d names interface %d, but only %d are defined", start, id, len(r.ifaces))
			}
			ts := uint64(r.order.Uint32(body[4:]))<<32 | uint64(r.order.Uint32(body[8:]))
			caplen := r.order.Uint32(body[12:])
			if uint64(caplen) > uint64(len(body)-20) {
				return r.errf(r.n+1, "pcapng packet block at offset %d: captured length %d exceeds block", start, caplen)
			}
			ifc := &r.ifaces[id]
			r.n++
			p.Number = r.n
			p.TS = ifc.time(ts)
			p.LinkType = ifc.link
			p.Iface = int(id)
			p.OrigLen = int(r.order.Uint32(body[16:]))
			p.Data = body[20 : 20+caplen]
			return nil
		case ngSPB:
			if len(body) < 4 {
				return r.errf(r.n+1, "pcapng simple packet block at offset %d too short", start)
			}
			if len(r.ifaces) == 0 {
				return r.errf(r.n+1, "pcapng simple packet block at offset %d before any interface block", start)
			}
			ifc := &r.ifaces[0]
			orig := r.order.Uint32(body)
			n := uint32(len(body) - 4)
			if orig < n {
				n = orig
			}
			if ifc.snaplen != 0 && ifc.snaplen < n {
				n = ifc.snaplen
			}
			r.n++
			p.Number = r.n
			p.TS = time.Time{}
			p.LinkType = ifc.link
			p.Iface = 0
			p.OrigLen = int(orig)
			p.Data = body[4 : 4+n]
			return nil
		default:
			// Name resolution, statistics, custom blocks: skipped.
		}
	}
}

// parseIDBOptions reads if_tsresol (9) and if_tsoffset (14).
func (r *Reader) parseIDBOptions(ifc *ngIface, opts []byte) {
	for len(opts) >= 4 {
		code := r.order.Uint16(opts)
		olen := int(r.order.Uint16(opts[2:]))
		if code == 0 || 4+olen > len(opts) {
			return
		}
		v := opts[4 : 4+olen]
		switch {
		case code == 9 && olen >= 1:
			res := v[0]
			if res&0x80 == 0 {
				// Ticks of 10^-res seconds.
				exp := int(res)
				if exp <= 9 {
					ifc.tsMul, ifc.tsDiv = pow10(9-exp), 0
				} else if exp <= 18 {
					ifc.tsMul, ifc.tsDiv = 0, pow10(exp-9)
				}
			} else if e := int(res & 0x7f); e < 63 {
				// Ticks of 2^-e seconds.
				ifc.tsMul, ifc.tsDiv = -1, int64(1)<<e
			}
		case code == 14 && olen >= 8:
			ifc.tsOff = int64(r.order.Uint64(v))
		}
		opts = opts[4+(olen+3)&^3:]
	}
}

func pow10(n int) int64 {
	v := int64(1)
	for range n {
		v *= 10
	}
	return v
}

// time converts a pcapng timestamp in interface ticks to a time.
func (ifc *ngIface) time(ticks uint64) time.Time {
	switch {
	case ifc.tsMul > 0:
		ns := ticks * uint64(ifc.tsMul)
		return time.Unix(ifc.tsOff+int64(ns/1e9), int64(ns%1e9))
	case ifc.tsMul == 0 && ifc.tsDiv > 0:
		ns := ticks / uint64(ifc.tsDiv)
		return time.Unix(ifc.tsOff+int64(ns/1e9), int64(ns%1e9))
	default:
		// Binary resolution: ticks per second = tsDiv.
		d := uint64(ifc.tsDiv)
		sec := ticks / d
		frac := ticks % d
		hi, lo := bits.Mul64(frac, 1e9)
		ns, _ := bits.Div64(hi, lo, d) // frac < d, so no overflow
		return time.Unix(ifc.tsOff+int64(sec), int64(ns))
	}
}
