package modbus

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		fc   uint8
		resp bool
		data string
		want PDU
		err  error
	}{
		{"read coils req", 1, false, "00130013", PDU{Func: 1, Address: 0x13, Quantity: 0x13}, nil},
		{"read coils qty 0", 1, false, "00130000", PDU{Func: 1, Address: 0x13}, ErrQuantity},
		{"read coils resp", 1, true, "03cd6b05", PDU{Func: 1, Response: true, Data: []byte{0xcd, 0x6b, 0x05}}, nil},
		{"read holding req", 3, false, "006b0003", PDU{Func: 3, Address: 0x6b, Quantity: 3}, nil},
		{"read holding qty 126", 3, false, "006b007e", PDU{Func: 3, Address: 0x6b, Quantity: 126}, ErrQuantity},
		{"read holding resp", 3, true, "06022b00000064", PDU{Func: 3, Response: true, Data: mustHex(t, "022b00000064")}, nil},
		{"read holding resp odd", 3, true, "03022b00", PDU{Func: 3, Response: true, Data: mustHex(t, "022b00")}, ErrByteCount},
		{"read input short", 4, true, "04022b", PDU{Func: 4, Response: true}, ErrShort},
		{"write coil", 5, false, "00acff00", PDU{Func: 5, Address: 0xac, Value: 0xff00}, nil},
		{"write coil bad value", 5, false, "00ac1234", PDU{Func: 5, Address: 0xac, Value: 0x1234}, ErrValue},
		{"write register", 6, true, "00010003", PDU{Func: 6, Response: true, Address: 1, Value: 3}, nil},
		{"read exception status", 7, true, "6d", PDU{Func: 7, Response: true, Value: 0x6d}, nil},
		{"diagnostics", 8, false, "0000a537", PDU{Func: 8, SubFunction: 0, Data: mustHex(t, "a537")}, nil},
		{"comm event counter", 11, true, "ffff0108", PDU{Func: 11, Response: true, Value: 0xffff, Count: 0x108}, nil},
		{"comm event log", 12, true, "080000010801212000", PDU{Func: 12, Response: true, Count: 0x108, Quantity: 0x121, Data: mustHex(t, "2000")}, nil},
		{"write coils", 15, false, "0013000a02cd01", PDU{Func: 15, Address: 0x13, Quantity: 10, Data: []byte{0xcd, 0x01}}, nil},
		{"write coils bad count", 15, false, "0013000a01cd", PDU{Func: 15, Address: 0x13, Quantity: 10, Data: []byte{0xcd}}, ErrByteCount},
		{"write registers", 16, false, "0001000204000a0102", PDU{Func: 16, Address: 1, Quantity: 2, Data: mustHex(t, "000a0102")}, nil},
		{"write registers resp", 16, true, "00010002", PDU{Func: 16, Response: true, Address: 1, Quantity: 2}, nil},
		{"report server id", 17, true, "03aaff01", PDU{Func: 17, Response: true, Data: mustHex(t, "aaff01")}, nil},
		{"read file record", 20, false, "0e0600040001000206000300090002", PDU{Func: 20, Data: mustHex(t, "0600040001000206000300090002")}, nil},
		{"read file record resp", 20, true, "0c05060dfe0020050633cd0040", PDU{Func: 20, Response: true, Data: mustHex(t, "05060dfe0020050633cd0040")}, nil},
		{"write file record", 21, false, "0d0600040007000306af04be100d", PDU{Func: 21, Data: mustHex(t, "0600040007000306af04be100d")}, nil},
		{"mask write", 22, false, "000400f20025", PDU{Func: 22, Address: 4, Value: 0xf2, OrMask: 0x25}, nil},
		{"read/write registers ok", 23, false, "0003000600000003060000ff00ff", PDU{Func: 23, Address: 3, Quantity: 6, WriteAddress: 0, WriteQuantity: 3}, ErrShort},
		{"read/write registers good", 23, false, "000300060000000306000aff00ff00", PDU{Func: 23, Address: 3, Quantity: 6, WriteQuantity: 3, Data: mustHex(t, "000aff00ff00")}, nil},
		{"fifo", 24, true, "0006000201b80000", PDU{Func: 24, Response: true, Count: 2, Data: mustHex(t, "01b80000")}, nil},
		{"device id req", 43, false, "0e0100", PDU{Func: 43, SubFunction: 14, DevIDCode: 1}, nil},
		{"device id resp", 43, true, "0e01010000030017436f6d70616e7920206964656e74696669636174696f6e0105505230313202055631302e31",
			PDU{Func: 43, Response: true, SubFunction: 14, DevIDCode: 1, Conformity: 1, NumObjects: 3,
				Objects: mustHex(t, "0017436f6d70616e7920206964656e74696669636174696f6e0105505230313202055631302e31")}, nil},
		{"device id truncated", 43, true, "0e010100000300ff41", PDU{}, ErrMEI},
		{"exception", 0x83, true, "02", PDU{Func: 0x83, Response: true, Exception: 2}, nil},
		{"exception short", 0x83, true, "", PDU{Func: 0x83, Response: true}, ErrShort},
		{"unknown", 0x41, false, "0102", PDU{Func: 0x41, Data: []byte{1, 2}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p PDU
			err := Decode(tt.fc, mustHex(t, tt.data), tt.resp, &p)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err != nil && tt.want.Func == 0 {
				return
			}
			if !equalPDU(p, tt.want) {
				t.Errorf("got  %+v\nwant %+v", p, tt.want)
			}
		})
	}
}

func equalPDU(a, b PDU) bool {
	ad, bd, ao, bo := a.Data, b.Data, a.Objects, b.Objects
	a.Data, b.Data, a.Objects, b.Objects = nil, nil, nil, nil
	return fmt.Sprint(a) == fmt.Sprint(b) && bytes.Equal(ad, bd) && bytes.Equal(ao, bo)
}

func TestDeviceObjects(t *testing.T) {
	var p PDU
	data := mustHex(t, "0e01010000030017436f6d70616e7920206964656e74696669636174696f6e0105505230313202055631302e31")
	if err := Decode(43, data, true, &p); err != nil {
		t.Fatal(err)
	}
	var got []string
	for r := p.Objects; ; {
		id, v, rest, ok := NextObject(r)
		if !ok {
			break
		}
		got = append(got, string(rune('0'+id))+"="+string(v))
		r = rest
	}
	want := []string{"0=Company  identification", "1=PR012", "2=V10.1"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("object %d = %q, want %q", i, got[i], want[i])
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		fc   uint8
		want string
	}{
		{0x03, "READ_HOLDING_REGISTERS"}, {0x83, "READ_HOLDING_REGISTERS_EXCEPTION"},
		{0x9c, "unknown-156"}, {0x1d, "unknown-29"}, {0x2b, "ENCAP_INTERFACE_TRANSPORT"},
		{0x11, "REPORT_SLAVE_ID"}, {0xff, "REPORT_LOCAL_ADDRESS_EXCEPTION"},
	}
	for _, tt := range tests {
		if got := FuncName(tt.fc); got != tt.want {
			t.Errorf("FuncName(%#x) = %q, want %q", tt.fc, got, tt.want)
		}
	}
	if got := ExceptionName(0x0b); got != "GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND" {
		t.Errorf("ExceptionName(11) = %q", got)
	}
	if got := ExceptionName(0x07); got != "unknown-7" {
		t.Errorf("ExceptionName(7) = %q", got)
	}
}

// recorder collects what a Framer reports.
type recorder struct {
	headers, frames []string
	malformed       int
}

func (r *recorder) Header(h Header, fc uint8) {
	r.headers = append(r.headers, hex.EncodeToString([]byte{byte(h.TID >> 8), byte(h.TID), h.Unit, fc}))
}
func (r *recorder) Frame(h Header, fc uint8, pdu []byte) {
	r.frames = append(r.frames, hex.EncodeToString([]byte{byte(h.TID >> 8), byte(h.TID), h.Unit, fc})+":"+hex.EncodeToString(pdu))
}
func (r *recorder) Malformed(h Header) { r.malformed++ }

func TestFramerSplitsAndJoins(t *testing.T) {
	// Three ADUs: FC3 request, FC3 response, FC16 request.
	stream := mustHex(t, "000100000006010300000002"+"00010000000701030400010002"+"0002000000090110000000010200ff")
	want := []string{"00010103:00000002", "00010103:0400010002", "00020110:000000010200ff"}
	for _, chunk := range []int{1, 2, 3, 5, 7, 8, 11, 13, len(stream)} {
		var f Framer
		var r recorder
		for b := stream; len(b) > 0; {
			n := min(chunk, len(b))
			f.Feed(b[:n], &r)
			b = b[n:]
		}
		if len(r.frames) != len(want) || len(r.headers) != len(want) || r.malformed != 0 {
			t.Fatalf("chunk %d: frames %q headers %q malformed %d", chunk, r.frames, r.headers, r.malformed)
		}
		for i := range want {
			if r.frames[i] != want[i] {
				t.Errorf("chunk %d: frame %d = %s, want %s", chunk, i, r.frames[i], want[i])
			}
		}
		if f.Buffered() != 0 {
			t.Errorf("chunk %d: %d bytes left buffered", chunk, f.Buffered())
		}
	}
}

func TestFramerMalformedResyncsAtNextChunk(t *testing.T) {
	var f Framer
	var r recorder
	f.Feed(mustHex(t, "0001000000010103"), &r)         // length 1: malformed
	f.Feed(mustHex(t, "000100050006010300000002"), &r) // protocol id 5: malformed
	f.Feed(mustHex(t, "000100000006010300000002"), &r) // good
	if r.malformed != 2 || len(r.frames) != 1 {
		t.Fatalf("malformed %d frames %q", r.malformed, r.frames)
	}
	// A header is reported as soon as 8 bytes are there, even if the ADU
	// never completes.
	f.Reset()
	r = recorder{}
	f.Feed(mustHex(t, "0009000000250026"), &r)
	if len(r.headers) != 1 || len(r.frames) != 0 {
		t.Fatalf("headers %q frames %q", r.headers, r.frames)
	}
}

type nopHandler struct{ n int }

func (h *nopHandler) Header(Header, uint8)        { h.n++ }
func (h *nopHandler) Frame(Header, uint8, []byte) { h.n++ }
func (h *nopHandler) Malformed(Header)            { h.n++ }

func TestNoAllocs(t *testing.T) {
	stream := mustHex(t, "000100000006010300000002"+"00010000000701030400010002"+"0002000000090110000000010200ff")
	resp := mustHex(t, "0e01010000030017436f6d70616e7920206964656e74696669636174696f6e0105505230313202055631302e31")
	var f Framer
	var h nopHandler
	var p PDU
	allocs := testing.AllocsPerRun(1000, func() {
		f.Feed(stream[:5], &h)
		f.Feed(stream[5:], &h)
		_ = Decode(3, stream[20:25], true, &p)
		_ = Decode(43, resp, true, &p)
		_ = Decode(16, stream[33:], false, &p)
	})
	if allocs != 0 {
		t.Errorf("%v allocations per run, want 0", allocs)
	}
}

func BenchmarkFramerDecode(b *testing.B) {
	stream := mustHex(b, "000100000006010300000002"+"00010000000701030400010002"+"0002000000090110000000010200ff")
	var f Framer
	var h decodeHandler
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		f.Feed(stream, &h)
	}
}

type decodeHandler struct{ p PDU }

func (h *decodeHandler) Header(Header, uint8) {}
func (h *decodeHandler) Frame(hd Header, fc uint8, pdu []byte) {
	_ = Decode(fc, pdu, hd.TID == 1 && fc == 3 && len(pdu) == 5, &h.p)
}
func (h *decodeHandler) Malformed(Header) {}
