package capture

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"time"
)

func FuzzReader(f *testing.F) {
	eth := frame("10.0.0.1", "10.0.0.2", 40000, 502, 1, FlagPSH|FlagACK, []byte("hello"))
	f.Add(writePcap(binary.LittleEndian, false, LinkEthernet, []rec{{time.Unix(1, 0), 1, eth}}))
	f.Add(writePcap(binary.BigEndian, true, LinkEthernet, []rec{{time.Unix(1, 0), 1, eth}}))
	f.Add(writePcapng(binary.LittleEndian, []rec{{time.Unix(1, 0), 1, eth}, {time.Unix(2, 0), LinkRaw, eth[14:]}}))
	f.Add(writePcapng(binary.BigEndian, []rec{{time.Unix(1, 0), 1, eth}}))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			return
		}
		var p Packet
		var l Layers
		for range 10000 {
			if err := r.Next(&p); err != nil {
				if err != io.EOF && p.Number > r.Packets() {
					t.Fatalf("packet number went back")
				}
				return
			}
			_ = Decode(p.LinkType, p.Data, &l, Options{})
		}
	})
}

func FuzzDecode(f *testing.F) {
	eth := frame("10.0.0.1", "10.0.0.2", 40000, 502, 1, FlagPSH|FlagACK, []byte("hello"))
	f.Add(uint16(LinkEthernet), eth)
	f.Add(uint16(LinkRaw), eth[14:])
	f.Add(uint16(LinkSLL), append(make([]byte, 14), append([]byte{8, 0}, eth[14:]...)...))
	f.Fuzz(func(t *testing.T, link uint16, data []byte) {
		var l Layers
		if err := Decode(LinkType(link), data, &l, Options{}); err == nil {
			_ = l.TransportChecksumOK()
		}
	})
}

// FuzzReassembler feeds segments cut from a fuzzed stream in a fuzzed
// order; with room for everything, the output must be the stream.
func FuzzReassembler(f *testing.F) {
	f.Add([]byte("the quick brown fox jumps over the lazy dog"), []byte{3, 1, 2, 0, 5, 4}, uint32(1000))
	f.Fuzz(func(t *testing.T, data, order []byte, base uint32) {
		if len(order) == 0 || len(data) == 0 {
			return
		}
		n := len(order)
		size := (len(data) + n - 1) / n
		r := Reassembler{MaxPending: 1 << 20}
		var c collector
		r.Segment(base-1, FlagSYN, nil, &c)
		seen := map[int]bool{}
		for _, o := range order {
			i := int(o) % n
			seen[i] = true
			lo := min(i*size, len(data))
			hi := min(lo+size, len(data))
			r.Segment(base+uint32(lo), FlagACK, data[lo:hi], &c)
		}
		r.Flush(&c)
		if len(seen) == n && (!bytes.Equal(c.buf.Bytes(), data) || c.gaps != 0) {
			t.Fatalf("got %q gaps %d, want %q", c.buf.Bytes(), c.gaps, data)
		}
		if c.buf.Len() > len(data) {
			t.Fatalf("delivered %d bytes of %d", c.buf.Len(), len(data))
		}
	})
}
