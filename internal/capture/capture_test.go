package capture

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math/rand/v2"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
)

// frame builds an Ethernet/IPv4/TCP frame with valid checksums.
func frame(src, dst string, sport, dport uint16, seq uint32, flags uint8, payload []byte) []byte {
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	tcp := make([]byte, 20+len(payload))
	binary.BigEndian.PutUint16(tcp, sport)
	binary.BigEndian.PutUint16(tcp[2:], dport)
	binary.BigEndian.PutUint32(tcp[4:], seq)
	tcp[12] = 5 << 4
	tcp[13] = flags
	copy(tcp[20:], payload)
	ph := append(append(append([]byte{}, s[:]...), d[:]...), 0, 6, byte(len(tcp)>>8), byte(len(tcp)))
	binary.BigEndian.PutUint16(tcp[16:], ^fold(sum16(tcp, sum16(ph, 0))))
	ip := make([]byte, 20)
	ip[0] = 0x45
	binary.BigEndian.PutUint16(ip[2:], uint16(20+len(tcp)))
	ip[8], ip[9] = 64, 6
	copy(ip[12:], s[:])
	copy(ip[16:], d[:])
	binary.BigEndian.PutUint16(ip[10:], ^checksum(ip))
	eth := make([]byte, 14)
	eth[12], eth[13] = 0x08, 0x00
	return append(append(eth, ip...), tcp...)
}

func fold(s uint32) uint16 {
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

type rec struct {
	ts   time.Time
	link LinkType
	data []byte
}

func writePcap(order binary.ByteOrder, nano bool, link LinkType, recs []rec) []byte {
	var b bytes.Buffer
	h := make([]byte, 24)
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	order.PutUint32(h, magic)
	order.PutUint16(h[4:], 2)
	order.PutUint16(h[6:], 4)
	order.PutUint32(h[16:], 65535)
	order.PutUint32(h[20:], uint32(link))
	b.Write(h)
	for _, r := range recs {
		rh := make([]byte, 16)
		order.PutUint32(rh, uint32(r.ts.Unix()))
		if nano {
			order.PutUint32(rh[4:], uint32(r.ts.Nanosecond()))
		} else {
			order.PutUint32(rh[4:], uint32(r.ts.Nanosecond()/1000))
		}
		order.PutUint32(rh[8:], uint32(len(r.data)))
		order.PutUint32(rh[12:], uint32(len(r.data)))
		b.Write(rh)
		b.Write(r.data)
	}
	return b.Bytes()
}

func ngBlock(order binary.ByteOrder, typ uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	b := make([]byte, 8, 12+len(body))
	order.PutUint32(b, typ)
	order.PutUint32(b[4:], uint32(12+len(body)))
	b = append(b, body...)
	t := make([]byte, 4)
	order.PutUint32(t, uint32(12+len(body)))
	return append(b, t...)
}

// writePcapng writes interface 0 (Ethernet, microseconds) and interface 1
// (raw IP, nanoseconds), an unknown block, EPBs and one SPB.
func writePcapng(order binary.ByteOrder, recs []rec) []byte {
	var b bytes.Buffer
	shb := make([]byte, 16)
	order.PutUint32(shb, 0x1a2b3c4d)
	order.PutUint16(shb[4:], 1)
	order.PutUint64(shb[8:], ^uint64(0))
	b.Write(ngBlock(order, ngSHB, shb))
	idb0 := make([]byte, 8)
	order.PutUint16(idb0, uint16(LinkEthernet))
	b.Write(ngBlock(order, ngIDB, idb0))
	idb1 := make([]byte, 8, 20)
	order.PutUint16(idb1, uint16(LinkRaw))
	opt := make([]byte, 4)
	order.PutUint16(opt, 9)
	order.PutUint16(opt[2:], 1)
	idb1 = append(append(idb1, opt...), 9, 0, 0, 0, 0, 0, 0, 0) // if_tsresol=9, opt_endofopt
	b.Write(ngBlock(order, ngIDB, idb1))
	b.Write(ngBlock(order, 0x0bad, []byte{1, 2, 3, 4})) // unknown block: skipped
	for _, r := range recs {
		iface, ticks := uint32(0), uint64(r.ts.UnixMicro())
		if r.link == LinkRaw {
			iface, ticks = 1, uint64(r.ts.UnixNano())
		}
		epb := make([]byte, 20, 20+len(r.data))
		order.PutUint32(epb, iface)
		order.PutUint32(epb[4:], uint32(ticks>>32))
		order.PutUint32(epb[8:], uint32(ticks))
		order.PutUint32(epb[12:], uint32(len(r.data)))
		order.PutUint32(epb[16:], uint32(len(r.data)))
		b.Write(ngBlock(order, ngEPB, append(epb, r.data...)))
	}
	spb := make([]byte, 4)
	order.PutUint32(spb, uint32(len(recs[0].data)))
	b.Write(ngBlock(order, ngSPB, append(spb, recs[0].data...)))
	return b.Bytes()
}

func readAll(t *testing.T, data []byte) ([]Packet, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), "test.pcap")
	if err != nil {
		return nil, err
	}
	var out []Packet
	for {
		var p Packet
		err := r.Next(&p)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		p.Data = bytes.Clone(p.Data)
		out = append(out, p)
	}
}

func TestReaderFormats(t *testing.T) {
	eth := frame("10.0.0.1", "10.0.0.2", 40000, 502, 1, FlagPSH|FlagACK, []byte("hello"))
	raw := eth[14:]
	ts1 := time.Unix(1352718180, 264939123)
	ts2 := time.Unix(1352718181, 5000)
	tests := []struct {
		name  string
		data  []byte
		links []LinkType
		nano  bool
	}{
		{"pcap le usec", writePcap(binary.LittleEndian, false, LinkEthernet, []rec{{ts1, LinkEthernet, eth}, {ts2, LinkEthernet, eth}}), []LinkType{1, 1}, false},
		{"pcap be usec", writePcap(binary.BigEndian, false, LinkEthernet, []rec{{ts1, LinkEthernet, eth}, {ts2, LinkEthernet, eth}}), []LinkType{1, 1}, false},
		{"pcap le nsec", writePcap(binary.LittleEndian, true, LinkEthernet, []rec{{ts1, LinkEthernet, eth}, {ts2, LinkEthernet, eth}}), []LinkType{1, 1}, true},
		{"pcap be nsec", writePcap(binary.BigEndian, true, LinkEthernet, []rec{{ts1, LinkEthernet, eth}, {ts2, LinkEthernet, eth}}), []LinkType{1, 1}, true},
		{"pcapng le", writePcapng(binary.LittleEndian, []rec{{ts1, LinkEthernet, eth}, {ts2, LinkRaw, raw}}), []LinkType{1, 101, 1}, false},
		{"pcapng be", writePcapng(binary.BigEndian, []rec{{ts1, LinkEthernet, eth}, {ts2, LinkRaw, raw}}), []LinkType{1, 101, 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pkts, err := readAll(t, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if len(pkts) != len(tt.links) {
				t.Fatalf("%d packets, want %d", len(pkts), len(tt.links))
			}
			for i, p := range pkts {
				if p.Number != uint64(i+1) || p.LinkType != tt.links[i] {
					t.Errorf("packet %d: number %d link %d", i, p.Number, p.LinkType)
				}
				var l Layers
				if err := Decode(p.LinkType, p.Data, &l, Options{}); err != nil {
					t.Fatalf("packet %d: %v", i, err)
				}
				if string(l.Payload) != "hello" || l.DstPort != 502 || !l.TransportChecksumOK() {
					t.Errorf("packet %d: payload %q port %d", i, l.Payload, l.DstPort)
				}
			}
			want1 := ts1.Truncate(time.Microsecond)
			if tt.nano {
				want1 = ts1
			}
			if !pkts[0].TS.Equal(want1) {
				t.Errorf("ts = %v, want %v", pkts[0].TS, want1)
			}
			if !pkts[1].TS.Equal(ts2) {
				t.Errorf("ts2 = %v, want %v", pkts[1].TS, ts2)
			}
		})
	}
}

func TestReaderErrors(t *testing.T) {
	eth := frame("10.0.0.1", "10.0.0.2", 40000, 502, 1, FlagACK, []byte("x"))
	good := writePcap(binary.LittleEndian, false, LinkEthernet, []rec{{time.Unix(1, 0), 1, eth}, {time.Unix(2, 0), 1, eth}})
	ng := writePcapng(binary.LittleEndian, []rec{{time.Unix(1, 0), 1, eth}})
	huge := bytes.Clone(good[:24+16])
	binary.LittleEndian.PutUint32(huge[24+8:], 1<<30)
	tests := []struct {
		name, data, want string
		packet           int
	}{
		{"empty", "", "not a pcap or pcapng file", 0},
		{"bad magic", "hello, world, this is not a capture", "not a pcap or pcapng file", 0},
		{"short header", string(good[:10]), "pcap header truncated", 0},
		{"truncated data", string(good[:len(good)-3]), "packet data truncated", 2},
		{"truncated record header", string(good[:24+16+len(eth)+5]), "record header truncated", 2},
		{"absurd length", string(huge), "absurd", 1},
		{"pcapng truncated", string(ng[:len(ng)-7]), "pcapng block truncated", 2},
		{"pcapng bad block length", string(append(bytes.Clone(ng[:96]), 6, 0, 0, 0, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), "bad length", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readAll(t, []byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
			var d *diag.Diagnostic
			if !errors.As(err, &d) {
				t.Fatalf("err %T is not a *diag.Diagnostic", err)
			}
			if d.Packet != tt.packet || d.File != "test.pcap" {
				t.Errorf("diagnostic packet %d file %q, want packet %d", d.Packet, d.File, tt.packet)
			}
		})
	}
}

func TestDecodeLayers(t *testing.T) {
	eth := frame("10.0.0.1", "10.0.0.2", 40000, 502, 7, FlagSYN, nil)
	vlan := append(append(bytes.Clone(eth[:12]), 0x81, 0x00, 0x00, 0x2a), eth[12:]...)
	sll := append(make([]byte, 14), 0x08, 0x00)
	sll = append(sll, eth[14:]...)
	badsum := bytes.Clone(eth)
	badsum[14+10] ^= 0xff
	padded := append(bytes.Clone(eth), 0, 0, 0, 0, 0, 0)
	// IPv6 + hop-by-hop + UDP.
	v6 := make([]byte, 40)
	v6[0] = 0x60
	binary.BigEndian.PutUint16(v6[4:], 8+8+3)
	v6[6] = 0 // hop-by-hop
	copy(v6[8:], netip.MustParseAddr("2001:db8::1").AsSlice())
	copy(v6[24:], netip.MustParseAddr("2001:db8::2").AsSlice())
	v6 = append(v6, 17, 0, 0, 0, 0, 0, 0, 0)             // hop-by-hop → UDP
	v6 = append(v6, 0x4e, 0x20, 0x4e, 0x20, 0, 11, 0, 0) // UDP 20000 → 20000
	v6 = append(v6, 'a', 'b', 'c')
	udp := v6[48:]
	ph := append(append([]byte{}, v6[8:40]...), 0, 0, 0, byte(len(udp)), 0, 0, 0, 17)
	binary.BigEndian.PutUint16(udp[6:], ^fold(sum16(udp, sum16(ph, 0))))
	frag := bytes.Clone(eth)
	frag[14+6] = 0x20 // MF
	frag[14+10], frag[14+11] = 0, 0
	binary.BigEndian.PutUint16(frag[14+10:], ^checksum(frag[14:34]))
	tests := []struct {
		name string
		link LinkType
		data []byte
		err  error
		chk  func(l *Layers) bool
	}{
		{"ethernet", LinkEthernet, eth, nil, func(l *Layers) bool { return l.Seq == 7 && l.Flags == FlagSYN && l.Src.String() == "10.0.0.1" }},
		{"vlan", LinkEthernet, vlan, nil, func(l *Layers) bool { return l.NVLAN == 1 && l.VLANs[0] == 42 && l.DstPort == 502 }},
		{"sll", LinkSLL, sll, nil, func(l *Layers) bool { return l.DstPort == 502 }},
		{"raw", LinkRaw, eth[14:], nil, func(l *Layers) bool { return l.DstPort == 502 }},
		{"ethernet padding", LinkEthernet, padded, nil, func(l *Layers) bool { return len(l.Payload) == 0 }},
		{"ipv6 udp", LinkRaw, v6, nil, func(l *Layers) bool {
			return l.Proto == ProtoUDP && string(l.Payload) == "abc" && l.Dst.String() == "2001:db8::2" && l.TransportChecksumOK()
		}},
		{"bad ip checksum", LinkEthernet, badsum, ErrBadChecksum, nil},
		{"fragment", LinkEthernet, frag, ErrFragment, nil},
		{"truncated ethernet", LinkEthernet, eth[:10], ErrTruncated, nil},
		{"truncated ip", LinkEthernet, eth[:20], ErrTruncated, nil},
		{"truncated tcp", LinkEthernet, eth[:14+20+10], ErrTruncated, nil},
		{"arp", LinkEthernet, append(bytes.Clone(eth[:12]), 0x08, 0x06, 0, 0), ErrNotIP, nil},
		{"unknown link", 9999, eth, ErrUnsupported, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l Layers
			err := Decode(tt.link, tt.data, &l, Options{})
			if err != tt.err {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if tt.chk != nil && !tt.chk(&l) {
				t.Errorf("unexpected layers %+v", l)
			}
		})
	}
	var l Layers
	if err := Decode(LinkEthernet, badsum, &l, Options{IgnoreChecksums: true}); err != nil {
		t.Errorf("IgnoreChecksums: %v", err)
	}
	allocs := testing.AllocsPerRun(1000, func() { _ = Decode(LinkEthernet, vlan, &l, Options{}); _ = l.TransportChecksumOK() })
	if allocs != 0 {
		t.Errorf("Decode: %v allocs, want 0", allocs)
	}
}

// collector is a ByteSink recording bytes and gaps.
type collector struct {
	buf  bytes.Buffer
	gaps int
}

func (c *collector) Bytes(b []byte) { c.buf.Write(b) }
func (c *collector) Gap(n int)      { c.gaps += n; c.buf.Write(bytes.Repeat([]byte{'?'}, n)) }

func TestReassembler(t *testing.T) {
	type seg struct {
		seq   uint32
		flags uint8
		data  string
	}
	tests := []struct {
		name string
		max  int
		segs []seg
		want string
		gaps int
	}{
		{"in order", 0, []seg{{99, FlagSYN, ""}, {100, 0, "abc"}, {103, 0, "def"}}, "abcdef", 0},
		{"out of order", 0, []seg{{100, 0, "abc"}, {106, 0, "ghi"}, {103, 0, "def"}}, "abcdefghi", 0},
		{"retransmission", 0, []seg{{100, 0, "abc"}, {100, 0, "abc"}, {103, 0, "def"}, {101, 0, "bcd"}}, "abcdef", 0},
		{"overlap extends", 0, []seg{{100, 0, "abc"}, {102, 0, "cdef"}}, "abcdef", 0},
		{"duplicate pending", 0, []seg{{100, 0, "a"}, {103, 0, "d"}, {103, 0, "def"}, {101, 0, "bc"}}, "abcdef", 0},
		{"wraparound", 0, []seg{{0xfffffffe, 0, "ab"}, {1, 0, "d"}, {0, 0, "c"}}, "abcd", 0},
		{"overflow declares gap", 4, []seg{{100, 0, "ab"}, {104, 0, "ef"}, {106, 0, "ghi"}}, "ab??efghi", 2},
		{"flush at close", 0, []seg{{100, 0, "ab"}, {105, 0, "fg"}}, "ab???fg", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Reassembler{MaxPending: tt.max}
			var c collector
			for _, s := range tt.segs {
				r.Segment(s.seq, s.flags, []byte(s.data), &c)
			}
			r.Flush(&c)
			if c.buf.String() != tt.want || c.gaps != tt.gaps {
				t.Errorf("got %q (gaps %d), want %q (gaps %d)", c.buf.String(), c.gaps, tt.want, tt.gaps)
			}
			if r.Pending() != 0 {
				t.Errorf("%d bytes still pending", r.Pending())
			}
		})
	}
}

func TestReassemblerAck(t *testing.T) {
	var r Reassembler
	var c collector
	r.Segment(100, 0, []byte("ab"), &c)
	r.Segment(105, 0, []byte("fg"), &c)
	r.Ack(103, &c) // acknowledges a hole before the pending segment only
	if got := c.buf.String(); got != "ab?" {
		t.Fatalf("after ack 103: %q", got)
	}
	r.Ack(107, &c)
	if got := c.buf.String(); got != "ab???fg" {
		t.Fatalf("after ack 107: %q", got)
	}
	r.Ack(110, &c) // lost bytes at the end
	if got := c.buf.String(); got != "ab???fg???" {
		t.Fatalf("after ack 110: %q", got)
	}
	r.Segment(110, FlagFIN|FlagACK, []byte("z"), &c)
	r.Ack(112, &c) // acknowledges the FIN: no gap
	if got := c.buf.String(); got != "ab???fg???z" || c.gaps != 6 {
		t.Fatalf("after FIN ack: %q (gaps %d)", got, c.gaps)
	}
}

func TestReassemblerShuffled(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 200 {
		data := make([]byte, 500+rng.IntN(3000))
		for i := range data {
			data[i] = byte('a' + rng.IntN(26))
		}
		base := rng.Uint32()
		type seg struct{ off, n int }
		var segs []seg
		for off := 0; off < len(data); {
			n := 1 + rng.IntN(200)
			n = min(n, len(data)-off)
			segs = append(segs, seg{off, n})
			off += n
		}
		// Duplicates and overlapping retransmissions, then shuffle.
		for range len(segs) / 3 {
			s := segs[rng.IntN(len(segs))]
			segs = append(segs, seg{max(0, s.off-rng.IntN(20)), s.n})
		}
		rng.Shuffle(len(segs), func(i, j int) { segs[i], segs[j] = segs[j], segs[i] })
		r := Reassembler{MaxPending: 1 << 20}
		var c collector
		r.Segment(base-1, FlagSYN, nil, &c)
		for _, s := range segs {
			end := min(s.off+s.n, len(data))
			r.Segment(base+uint32(s.off), FlagACK, data[s.off:end], &c)
		}
		r.Flush(&c)
		if !bytes.Equal(c.buf.Bytes(), data) || c.gaps != 0 {
			t.Fatalf("iteration %d: reassembled %d bytes (gaps %d), want %d identical", iter, c.buf.Len(), c.gaps, len(data))
		}
	}
}

func TestTable(t *testing.T) {
	var evicted []string
	tab := NewTable[int](2, time.Minute)
	tab.OnEvict = func(e *Entry[int], why EvictReason) {
		evicted = append(evicted, e.Key.A.String()+"/"+string(rune('0'+why)))
	}
	key := func(s string) Key {
		k, _ := MakeKey(6, netip.MustParseAddrPort(s), netip.MustParseAddrPort("10.9.9.9:502"))
		return k
	}
	t0 := time.Unix(1000, 0)
	tab.Insert(key("10.0.0.1:1"), t0)
	tab.Insert(key("10.0.0.2:1"), t0)
	if tab.Lookup(key("10.0.0.1:1"), t0.Add(time.Second)) == nil {
		t.Fatal("lookup failed")
	}
	tab.Insert(key("10.0.0.3:1"), t0.Add(2*time.Second)) // evicts 10.0.0.2, the least recent
	tab.Expire(t0.Add(62 * time.Second))                 // 10.0.0.1 idle since t0+1s
	tab.Flush()
	want := []string{"10.0.0.2:1/2", "10.0.0.1:1/1", "10.0.0.3:1/3"}
	if strings.Join(evicted, " ") != strings.Join(want, " ") {
		t.Errorf("evicted %v, want %v", evicted, want)
	}
	if tab.Len() != 0 {
		t.Errorf("Len = %d after Flush", tab.Len())
	}
	k1, a1 := MakeKey(6, netip.MustParseAddrPort("10.0.0.1:5"), netip.MustParseAddrPort("10.0.0.2:6"))
	k2, a2 := MakeKey(6, netip.MustParseAddrPort("10.0.0.2:6"), netip.MustParseAddrPort("10.0.0.1:5"))
	if k1 != k2 || a1 == a2 {
		t.Errorf("MakeKey not symmetric: %v %v %v %v", k1, k2, a1, a2)
	}
}
