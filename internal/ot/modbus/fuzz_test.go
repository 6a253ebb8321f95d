package modbus

import (
	"encoding/hex"
	"testing"
)

// seeds are ADU streams: hand-built ones for every function code and
// exception, plus frames as they appear in the reference captures
// (ct-samples Plant1, Zeek's fuzz-72 and the digitalbond test data).
var seeds = []string{
	"000100000006010300000002",
	"00010000000701030400010002",
	"0002000000090110000000010200ff",
	"7cfe000000f3ff04f0",       // Plant1: FC4 response header, PDU split over segments
	"000000000003019c01",       // fuzz-72: unknown-156 exception
	"000000000006011d00000000", // fuzz-72: unknown-29 request
	"00000200000301a201",       // fuzz-72: protocol id 0x0200
	"0000000000250026",         // fuzz-72: header of a PDU running into lost bytes
	"000000000006000000000000", // fuzz-72: garbage header with length 0... (after gap)
	"00000000000600080000a537", // digitalbond: DIAGNOSTICS request
	"000000000003088b0b",       // digitalbond: DIAGNOSTICS exception 0x0b
	"00000000000200110000000000150011" + "12" + "00112233445566778899aabbccddeeff0011ff",
	"0001000000050a2b0e0100", // FC43/14 request
	"000100000036012b0e01010000030017436f6d70616e7920206964656e74696669636174696f6e0105505230313202055631302e31",
	"0001000000080114060006000400010002",   // FC20
	"00010000000b011700030006000000030600", // FC23 truncated
	"00010000000501180004",                 // FC24
}

func FuzzDecode(f *testing.F) {
	for _, s := range seeds {
		b, _ := hex.DecodeString(s)
		if len(b) > HeaderLen {
			f.Add(b[HeaderLen], b[HeaderLen+1:], false)
			f.Add(b[HeaderLen], b[HeaderLen+1:], true)
		}
	}
	f.Fuzz(func(t *testing.T, fc uint8, data []byte, resp bool) {
		var p PDU
		if err := Decode(fc, data, resp, &p); err != nil {
			return
		}
		// Accessors must stay in bounds for what Decode accepted.
		for i := range p.NumRegisters() {
			_ = p.Register(i)
		}
		for i := range len(p.Data) * 8 {
			_ = p.Bit(i)
		}
		for r := p.Objects; ; {
			_, _, rest, ok := NextObject(r)
			if !ok {
				break
			}
			r = rest
		}
		_ = FuncName(fc)
	})
}

// FuzzFramer feeds a stream whole and in chunks of a fuzzed size: for a
// stream without malformed headers the frames must be the same.
func FuzzFramer(f *testing.F) {
	for _, s := range seeds {
		b, _ := hex.DecodeString(s)
		f.Add(b, uint8(3))
		f.Add(append(append([]byte{}, b...), b...), uint8(1))
	}
	f.Fuzz(func(t *testing.T, stream []byte, chunk uint8) {
		var whole, parts recorder
		var f1, f2 Framer
		f1.Feed(stream, &whole)
		n := int(chunk%32) + 1
		for b := stream; len(b) > 0; {
			k := min(n, len(b))
			f2.Feed(b[:k], &parts)
			b = b[k:]
		}
		if f1.Buffered() > MaxADU || f2.Buffered() > MaxADU {
			t.Fatalf("buffered %d/%d > MaxADU", f1.Buffered(), f2.Buffered())
		}
		if whole.malformed > 0 || parts.malformed > 0 {
			return // resynchronisation depends on chunk boundaries
		}
		if len(whole.frames) != len(parts.frames) {
			t.Fatalf("whole: %d frames, chunks of %d: %d", len(whole.frames), n, len(parts.frames))
		}
		for i := range whole.frames {
			if whole.frames[i] != parts.frames[i] {
				t.Fatalf("frame %d: %s vs %s", i, whole.frames[i], parts.frames[i])
			}
		}
	})
}
