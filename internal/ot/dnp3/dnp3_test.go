package dnp3

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Frames taken from the opendnp3 conformance logs (ITI/ICS-Security-Tools,
// conformance 6.1.2 and 8.11.2.5) and the Zeek DNP3 traces.
const (
	// Read class 0 (g60v1 all objects), master 1 -> outstation 1024.
	frameRead = "05 64 0B C4 00 04 01 00 CA 8A C0 C0 01 3C 01 06 FF 50"
	// Unsolicited response with one g2v1 event, 1024 -> 1.
	frameUnsol = "05 64 12 44 01 00 00 04 7A 6A C2 F1 82 90 00 02 01 28 01 00 00 04 81 F4 97"
	// Confirm of an unsolicited response.
	frameConfirm = "05 64 08 C4 00 04 01 00 9A 19 C0 D0 00 1B 49"
	// Enable unsolicited for classes 1..3.
	frameEnable = "05 64 11 C4 00 04 01 00 60 4E C0 C0 14 3C 02 06 3C 03 06 3C 04 06 78 96"
)

func TestCRC(t *testing.T) {
	tests := []struct {
		in   string
		want uint16
	}{
		{hex.EncodeToString([]byte("123456789")), 0xEA82}, // CRC-16/DNP check value
		{"05 64 0B C4 00 04 01 00", 0x8ACA},
		{"05 64 12 44 01 00 00 04", 0x6A7A},
	}
	for _, tt := range tests {
		if got := CRC(unhex(t, tt.in)); got != tt.want {
			t.Errorf("CRC(%s) = %#04x, want %#04x", tt.in, got, tt.want)
		}
	}
}

func TestDecodeFrame(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		n       int
		err     error
		hdr     LinkHeader
		data    string
		fn      LinkFunc
		master  bool
		primary bool
	}{
		{name: "read", in: frameRead, n: 18, hdr: LinkHeader{0x0B, 0xC4, 1024, 1}, data: "C0 C0 01 3C 01 06",
			fn: LinkUnconfirmedUserData, master: true, primary: true},
		{name: "unsolicited", in: frameUnsol, n: 25, hdr: LinkHeader{0x12, 0x44, 1, 1024},
			data: "C2 F1 82 90 00 02 01 28 01 00 00 04 81", fn: LinkUnconfirmedUserData, primary: true},
		{name: "ack", in: "05 64 05 00 01 00 00 04" + crcHex("05 64 05 00 01 00 00 04"), n: 10, hdr: LinkHeader{5, 0, 1, 1024}, data: "", fn: LinkAck},
		{name: "short header", in: "05 64 0B C4 00", err: ErrShort},
		{name: "short body", in: "05 64 0B C4 00 04 01 00 CA 8A C0 C0", err: ErrShort},
		{name: "no sync", in: "09 64 0B D3 00 04 01 00 92 21", err: ErrNoSync},
		{name: "header crc", in: "05 64 05 C4 00 04 01 00 D0 7B", err: ErrHeaderCRC},
		{name: "block crc", in: "05 64 0B C4 00 04 01 00 CA 8A C0 C0 01 3C 01 06 FF 51", n: 18, err: ErrBlockCRC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f Frame
			n, err := DecodeFrame(unhex(t, tt.in), &f)
			if !errors.Is(err, tt.err) || n != tt.n {
				t.Fatalf("DecodeFrame = %d, %v; want %d, %v", n, err, tt.n, tt.err)
			}
			if err != nil {
				return
			}
			if f.Header != tt.hdr {
				t.Errorf("header = %+v, want %+v", f.Header, tt.hdr)
			}
			if got := hex.EncodeToString(f.Data); got != strings.ToLower(strings.ReplaceAll(tt.data, " ", "")) {
				t.Errorf("data = %s, want %s", got, tt.data)
			}
			if f.Header.Func() != tt.fn || f.Header.Dir() != tt.master || f.Header.Primary() != tt.primary {
				t.Errorf("func/dir/prm = %v/%v/%v", f.Header.Func(), f.Header.Dir(), f.Header.Primary())
			}
			if re := AppendFrame(nil, f.Header, f.Data); hex.EncodeToString(re) != hex.EncodeToString(unhex(t, tt.in)) {
				t.Errorf("AppendFrame round trip = % X", re)
			}
		})
	}
}

// streamAll feeds chunks to a Stream and collects the user data of the
// frames and the errors.
func streamAll(s *Stream, chunks [][]byte) (frames []string, errs []error) {
	var f Frame
	for _, p := range chunks {
		for len(p) > 0 {
			n, ok, err := s.Next(p, &f)
			p = p[n:]
			if err != nil {
				errs = append(errs, err)
			}
			if ok {
				frames = append(frames, hex.EncodeToString(f.Data))
			}
			if n == 0 && !ok && err == nil {
				panic("no progress")
			}
		}
	}
	return frames, errs
}

func TestStreamSplitsAndResync(t *testing.T) {
	all := unhex(t, frameRead+frameUnsol+frameConfirm+frameEnable)
	want, _ := streamAll(new(Stream), [][]byte{all})
	if len(want) != 4 {
		t.Fatalf("whole stream: %d frames, want 4", len(want))
	}
	// Every split point, and byte by byte.
	for cut := 1; cut < len(all); cut++ {
		got, errs := streamAll(new(Stream), [][]byte{all[:cut], all[cut:]})
		if strings.Join(got, ",") != strings.Join(want, ",") || len(errs) > 0 {
			t.Fatalf("cut at %d: %v %v", cut, got, errs)
		}
	}
	var bytewise [][]byte
	for i := range all {
		bytewise = append(bytewise, all[i:i+1])
	}
	if got, errs := streamAll(new(Stream), bytewise); strings.Join(got, ",") != strings.Join(want, ",") || len(errs) > 0 {
		t.Fatalf("byte by byte: %v %v", got, errs)
	}

	tests := []struct {
		name   string
		in     string
		frames int
		errs   []error
	}{
		{"garbage before", "FF 00 05 11" + frameRead, 1, []error{ErrNoSync}},
		{"garbage between", frameRead + "01 02 03" + frameConfirm, 2, []error{ErrNoSync}},
		{"bad header crc then frame", "05 64 05 C4 00 04 01 00 D0 7B" + frameConfirm, 1, []error{ErrHeaderCRC}},
		{"bad block crc then frame", "05 64 0B C4 00 04 01 00 CA 8A C0 C0 01 3C 01 06 FF 51" + frameConfirm, 1, []error{ErrBlockCRC}},
		{"bad length", "05 64 03 C4 00 04 01 00 " + crcHex("05 64 03 C4 00 04 01 00") + frameConfirm, 1, []error{ErrLinkLength}},
		{"sync inside bad header", "05 64 05 64" + frameRead, 1, []error{ErrHeaderCRC}},
		{"trailing partial", frameRead + "05 64 0B", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := unhex(t, tt.in)
			for cut := 0; cut <= len(in); cut++ {
				got, errs := streamAll(new(Stream), [][]byte{in[:cut], in[cut:]})
				if len(got) != tt.frames || !sameErrs(errs, tt.errs) {
					t.Fatalf("cut %d: %d frames, errs %v; want %d, %v", cut, len(got), errs, tt.frames, tt.errs)
				}
			}
		})
	}
}

func crcHex(s string) string {
	b, _ := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	c := CRC(b)
	return hex.EncodeToString([]byte{byte(c), byte(c >> 8)})
}

// sameErrs compares error kinds ignoring repeats of the same error.
func sameErrs(got, want []error) bool {
	var dedup []error
	for _, e := range got {
		if len(dedup) == 0 || dedup[len(dedup)-1] != e {
			dedup = append(dedup, e)
		}
	}
	if len(dedup) != len(want) {
		return false
	}
	for i := range want {
		if !errors.Is(dedup[i], want[i]) {
			return false
		}
	}
	return true
}

func TestReassembler(t *testing.T) {
	type seg struct {
		src, dst uint16
		data     string
		done     bool
		frag     string
		err      error
	}
	tests := []struct {
		name string
		max  int
		segs []seg
	}{
		{"single", 0, []seg{{1, 2, "C0 AA BB", true, "AABB", nil}}},
		{"three segments", 0, []seg{
			{1, 2, "41 01", false, "", nil}, {1, 2, "02 02", false, "", nil}, {1, 2, "83 03", true, "010203", nil}}},
		{"sequence wraps", 0, []seg{{1, 2, "7F 01", false, "", nil}, {1, 2, "80 02", true, "0102", nil}}},
		{"out of sequence", 0, []seg{{1, 2, "41 01", false, "", nil}, {1, 2, "83 03", false, "", ErrTransportSeq},
			{1, 2, "82 02", false, "", ErrTransportNoFirst}}},
		{"repeat keeps fragment", 0, []seg{{1, 2, "41 01", false, "", nil}, {1, 2, "01 01", false, "", ErrTransportSeq},
			{1, 2, "82 02", true, "0102", nil}}},
		{"no first", 0, []seg{{1, 2, "81 01", false, "", ErrTransportNoFirst}}},
		{"abandoned", 0, []seg{{1, 2, "41 01", false, "", nil}, {1, 2, "C5 09", true, "09", ErrTransportAbandoned}}},
		{"pairs separate", 0, []seg{{1, 2, "41 01", false, "", nil}, {3, 2, "41 0A", false, "", nil},
			{1, 2, "82 02", true, "0102", nil}, {3, 2, "82 0B", true, "0A0B", nil}}},
		{"too long", 3, []seg{{1, 2, "41 01 02", false, "", nil}, {1, 2, "82 03 04", false, "", ErrFragmentTooLong}}},
		{"too long single", 1, []seg{{1, 2, "C0 01 02", false, "", ErrFragmentTooLong}}},
		{"empty", 0, []seg{{1, 2, "", false, "", ErrEmptySegment}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Reassembler{MaxFragment: tt.max}
			for i, s := range tt.segs {
				frag, done, err := r.Add(s.src, s.dst, unhex(t, s.data))
				if done != s.done || !errors.Is(err, s.err) || done && !strings.EqualFold(hex.EncodeToString(frag), s.frag) {
					t.Fatalf("segment %d: %x %v %v; want %s %v %v", i, frag, done, err, s.frag, s.done, s.err)
				}
			}
		})
	}
}

func TestReassemblerEviction(t *testing.T) {
	var r Reassembler
	for a := range uint16(10) {
		r.Add(a, 0, []byte{0x40, byte(a)})
	}
	if r.Stats.Evicted != 10-reassemblySlots {
		t.Errorf("evicted %d, want %d", r.Stats.Evicted, 10-reassemblySlots)
	}
	// The most recent pairs survive.
	if frag, done, err := r.Add(9, 0, []byte{0x81, 0xFF}); !done || err != nil || frag[0] != 9 {
		t.Errorf("pair 9: %x %v %v", frag, done, err)
	}
	if _, _, err := r.Add(0, 0, []byte{0x81, 0xFF}); !errors.Is(err, ErrTransportNoFirst) {
		t.Errorf("evicted pair 0: %v", err)
	}
}

func TestAppendFragmentFrames(t *testing.T) {
	frag := make([]byte, 600)
	for i := range frag {
		frag[i] = byte(i)
	}
	h := LinkHeader{Control: 0x44, Dst: 1, Src: 1024}
	wire, next := AppendFragmentFrames(nil, h, 62, frag)
	if next != 1 {
		t.Errorf("next seq = %d, want 1", next)
	}
	var s Stream
	var r Reassembler
	var f Frame
	var got []byte
	for p := wire; len(p) > 0; {
		n, ok, err := s.Next(p, &f)
		p = p[n:]
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if fr, done, err := r.Add(f.Header.Src, f.Header.Dst, f.Data); err != nil {
				t.Fatal(err)
			} else if done {
				got = append(got, fr...)
			}
		}
	}
	if string(got) != string(frag) || s.Stats.Frames != 3 {
		t.Errorf("round trip: %d bytes in %d frames", len(got), s.Stats.Frames)
	}
}

func TestFragment(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
		err  error
	}{
		{"read class 0", "C0 01 3C 01 06", []string{"Read(0x01) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00", "g60v1, All Objects"}, nil},
		{"unsolicited", "F1 82 90 00 02 01 28 01 00 00 04 81", []string{
			"Unsolicited Response(0x82) fir: 1 fin: 1 con: 1 uns: 1 seq: 0x01 IIN(DeviceRestart, NeedTime)",
			"g2v1, 2-Byte Count and Index, count: 1", "[1024] - flags: 0x81"}, nil},
		{"crob select", "C0 03 0C 01 28 01 00 03 00 03 01 64 00 00 00 C8 00 00 00 00", []string{
			"Select(0x03) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00", "g12v1, 2-Byte Count and Index, count: 1",
			"[3] - code: 3 count: 1 onTime: 100 offTime: 200 status: 0"}, nil},
		{"analog float32 and float64", "C0 81 00 00 1E 05 00 00 01 01 00 00 C0 3F 01 00 00 20 40 20 06 00 05 05 01 00 00 00 00 00 00 F0 BF", []string{
			"Response(0x81) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00 IIN()", "g30v5, 1-Byte Start/Stop, start: 0 stop: 1",
			"[0] - flags: 0x01 value: 1.5", "[1] - flags: 0x01 value: 2.5",
			"g32v6, 1-Byte Start/Stop, start: 5 stop: 5", "[5] - flags: 0x01 value: -1"}, nil},
		{"aob g41v1", "C0 05 29 01 17 01 02 D2 04 00 00 00", []string{
			"Direct Operate(0x05) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00", "g41v1, 1-Byte Count and Index, count: 1",
			"[2] - value: 1234 status: 0"}, nil},
		{"packed binaries", "C0 81 00 00 01 01 00 00 09 2D 01", []string{
			"Response(0x81) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00 IIN()", "g1v1, 1-Byte Start/Stop, start: 0 stop: 9",
			"[0] - value: 1", "[1] - value: 0", "[2] - value: 1", "[3] - value: 1", "[4] - value: 0",
			"[5] - value: 1", "[6] - value: 0", "[7] - value: 0", "[8] - value: 1", "[9] - value: 0"}, nil},
		{"counter event with time", "C0 81 00 01 16 05 17 01 07 01 0A 00 00 00 E8 03 00 00 00 00", []string{
			"Response(0x81) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00 IIN(FuncNotSupported)",
			"g22v5, 1-Byte Count and Index, count: 1", "[7] - flags: 0x01 count: 10 time: 1000"}, nil},
		{"file open free format", "C0 19 46 03 5B 01 04 00 AA BB CC DD", []string{
			"Open File(0x19) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00", "g70v3, Free Format, count: 1", "[0] - raw: AA BB CC DD"}, nil},
		{"file read with free format data", "C0 01 46 05 5B 01 05 00 01 02 03 04 05", []string{
			"Read(0x01) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00", "g70v5, Free Format, count: 1", "[0] - raw: 01 02 03 04 05"}, nil},
		{"aggressive mode g120v3", "C0 04 78 03 07 01 01 00 00 00 01 00 0C 01 17 01 03 03 01 64 00 00 00 C8 00 00 00 00", []string{
			"Operate(0x04) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00", "g120v3, 1-Byte Count, count: 1", "[0] - raw: 01 00 00 00 01 00",
			"g12v1, 1-Byte Count and Index, count: 1", "[3] - code: 3 count: 1 onTime: 100 offTime: 200 status: 0"}, nil},
		{"cold restart", "C0 0D", []string{"Cold Restart(0x0D) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00"}, nil},
		{"time write", "C0 02 32 01 07 01 E8 03 00 00 00 00", []string{
			"Write(0x02) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00", "g50v1, 1-Byte Count, count: 1", "time: 1000"}, nil},
		{"short header", "C0", nil, ErrShort},
		{"short response", "C0 81 00", nil, ErrShort},
		{"bad range", "C0 01 01 02 00 05 01", []string{"Read(0x01) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00"}, ErrRange},
		{"reserved qualifier", "C0 01 01 02 0A", []string{"Read(0x01) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00"}, ErrQualifier},
		{"count beyond fragment", "C0 81 00 00 1E 01 00 00 05 01 00 00 00 00", []string{"Response(0x81) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00 IIN()",
			"g30v1, 1-Byte Start/Stop, start: 0 stop: 5", "[0] - flags: 0x01 value: 0"}, ErrShort},
		{"unknown object with data", "C0 81 00 00 63 01 00 00 00 AA", []string{"Response(0x81) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00 IIN()",
			"g99v1, 1-Byte Start/Stop, start: 0 stop: 0"}, ErrUnknownObject},
		{"huge attribute count, truncated", "C0 81 00 00 00 F0 09 FF FF FF FF 01", []string{"Response(0x81) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00 IIN()",
			"g0v240, 4-Byte Count, count: 4294967295"}, ErrShort},
		{"huge packed count, truncated", "C0 81 00 00 01 01 09 FF FF FF FF 01", []string{"Response(0x81) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00 IIN()",
			"g1v1, 4-Byte Count, count: 4294967295", "[0] - value: 1", "[1] - value: 0", "[2] - value: 0", "[3] - value: 0",
			"[4] - value: 0", "[5] - value: 0", "[6] - value: 0", "[7] - value: 0"}, ErrShort},
		{"truncated header", "C0 01 01", []string{"Read(0x01) fir: 1 fin: 1 con: 0 uns: 0 seq: 0x00"}, ErrShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := fmtFragment(unhex(t, tt.in))
			if !errors.Is(err, tt.err) || strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Fatalf("got (%v)\n%s\nwant (%v)\n%s", err, strings.Join(got, "\n"), tt.err, strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestFuncCodeNames(t *testing.T) {
	tests := map[FuncCode]string{
		FuncConfirm: "CONFIRM", FuncRead: "READ", FuncDirectOperateNR: "DIRECT_OPERATE_NR",
		FuncColdRestart: "COLD_RESTART", FuncAuthReqNoAck: "AUTHENTICATE_REQ_NR",
		FuncResponse: "RESPONSE", FuncUnsolicited: "UNSOLICITED_RESPONSE", 0x22: "unknown-34", 0xFF: "unknown-255",
	}
	for fc, want := range tests {
		if got := fc.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", fc, got, want)
		}
	}
	if IIN(0x9004).String() != "DeviceRestart, NeedTime, ParamError" {
		t.Errorf("IIN names: %q", IIN(0x9004).String())
	}
}

func TestSelectTracker(t *testing.T) {
	crob := unhex(t, "0C 01 28 01 00 03 00 03 01 64 00 00 00 C8 00 00 00 00")
	other := unhex(t, "0C 01 28 01 00 04 00 03 01 64 00 00 00 C8 00 00 00 00")
	tests := []struct {
		name   string
		sel    bool
		opSrc  uint16
		opSeq  uint8
		opObjs []byte
		want   OperateResult
	}{
		{"matched", true, 1, 6, crob, OperateMatched},
		{"no select", false, 1, 6, crob, OperateNoSelect},
		{"other master", true, 2, 6, crob, OperateNoSelect},
		{"objects differ", true, 1, 6, other, OperateObjectsDiffer},
		{"shorter", true, 1, 6, crob[:10], OperateObjectsDiffer},
		{"sequence", true, 1, 7, crob, OperateSequence},
	}
	for _, tt := range tests {
		var st SelectTracker
		if tt.sel {
			st.Select(1, 1024, 5, crob)
		}
		if got := st.Operate(tt.opSrc, 1024, tt.opSeq, tt.opObjs); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
		// An OPERATE from another master leaves the SELECT pending; any
		// other consumes it.
		if got := st.Operate(1, 1024, 6, crob); got != OperateNoSelect && tt.opSrc == 1 {
			t.Errorf("%s: second operate %v, want no_select", tt.name, got)
		}
	}
	// Sequence wraps from 15 to 0.
	var st SelectTracker
	st.Select(1, 1024, 15, crob)
	if got := st.Operate(1, 1024, 0, crob); got != OperateMatched {
		t.Errorf("wrap: %v", got)
	}
}

func TestParseFileCommand(t *testing.T) {
	// OPEN_FILE request of Zeek's dnp3_file_read.pcap trace.
	frag := unhex(t, "CE 19 46 03 5B 01 24 00 1A 00 0A 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00 04 04 00 2E 2F 74 65 73 74 2E 78 6D 6C")
	var f Fragment
	if err := ParseFragment(frag, &f); err != nil || f.Func != FuncOpenFile {
		t.Fatalf("ParseFragment: %v %v", err, f.Func)
	}
	r := f.ObjectReader()
	var h ObjectHeader
	var p Point
	if !r.Next(&h) || h.GV() != 0x4603 {
		t.Fatalf("object header: %v %+v", r.Err(), h)
	}
	pr := h.Points()
	if !pr.Next(&p) || len(p.Raw) != 36 {
		t.Fatalf("point: %v %d", pr.Err(), len(p.Raw))
	}
	var c FileCommand
	if err := ParseFileCommand(p.Raw, &c); err != nil {
		t.Fatal(err)
	}
	if c.Mode != FileModeRead || c.MaxBlock != 1024 || c.RequestID != 4 || string(c.Name) != "./test.xml" {
		t.Errorf("file command %+v name %q", c, c.Name)
	}
	if err := ParseFileCommand(p.Raw[:20], &c); !errors.Is(err, ErrShort) {
		t.Errorf("short: %v", err)
	}
}

// TestObjectSizes checks the object layout table against the object sizes
// of IEEE 1815-2012 (octets per object, without prefix).
func TestObjectSizes(t *testing.T) {
	sizes := map[[2]uint8]uint8{
		{1, 2}: 1, {2, 1}: 1, {2, 2}: 7, {2, 3}: 3, {3, 2}: 1, {4, 1}: 1, {4, 2}: 7, {4, 3}: 3,
		{10, 2}: 1, {11, 1}: 1, {11, 2}: 7, {12, 1}: 11, {12, 2}: 11, {13, 1}: 1, {13, 2}: 7,
		{20, 1}: 5, {20, 2}: 3, {20, 3}: 5, {20, 4}: 3, {20, 5}: 4, {20, 6}: 2, {20, 7}: 4, {20, 8}: 2,
		{21, 1}: 5, {21, 2}: 3, {21, 5}: 11, {21, 6}: 9, {21, 7}: 11, {21, 8}: 9, {21, 9}: 4, {21, 10}: 2, {21, 11}: 4, {21, 12}: 2,
		{22, 1}: 5, {22, 2}: 3, {22, 5}: 11, {22, 6}: 9, {23, 1}: 5, {23, 2}: 3, {23, 5}: 11, {23, 6}: 9,
		{30, 1}: 5, {30, 2}: 3, {30, 3}: 4, {30, 4}: 2, {30, 5}: 5, {30, 6}: 9,
		{31, 1}: 5, {31, 2}: 3, {31, 3}: 11, {31, 4}: 9, {31, 5}: 4, {31, 6}: 2, {31, 7}: 5, {31, 8}: 9,
		{32, 1}: 5, {32, 2}: 3, {32, 3}: 11, {32, 4}: 9, {32, 5}: 5, {32, 6}: 9, {32, 7}: 11, {32, 8}: 15,
		{33, 1}: 5, {33, 2}: 3, {33, 3}: 11, {33, 4}: 9, {33, 5}: 5, {33, 6}: 9, {33, 7}: 11, {33, 8}: 15,
		{34, 1}: 2, {34, 2}: 4, {34, 3}: 4,
		{40, 1}: 5, {40, 2}: 3, {40, 3}: 5, {40, 4}: 9, {41, 1}: 5, {41, 2}: 3, {41, 3}: 5, {41, 4}: 9,
		{42, 1}: 5, {42, 2}: 3, {42, 3}: 11, {42, 4}: 9, {42, 5}: 5, {42, 6}: 9, {42, 7}: 11, {42, 8}: 15,
		{43, 1}: 5, {43, 2}: 3, {43, 3}: 11, {43, 4}: 9, {43, 5}: 5, {43, 6}: 9, {43, 7}: 11, {43, 8}: 15,
		{50, 1}: 6, {50, 2}: 10, {50, 3}: 6, {50, 4}: 11, {51, 1}: 6, {51, 2}: 6, {52, 1}: 2, {52, 2}: 2,
		{101, 1}: 2, {101, 2}: 4, {101, 3}: 8, {102, 1}: 1, {110, 5}: 5, {112, 12}: 12,
	}
	for gv, want := range sizes {
		if got := layoutOf(gv[0], gv[1]); got.size != want || got.kind == KindUnknown {
			t.Errorf("g%dv%d: size %d kind %d, want size %d", gv[0], gv[1], got.size, got.kind, want)
		}
	}
	for _, gv := range [][2]uint8{{1, 1}, {3, 1}, {10, 1}, {12, 3}, {80, 1}} {
		if l := layoutOf(gv[0], gv[1]); l.bits == 0 {
			t.Errorf("g%dv%d should be packed bits", gv[0], gv[1])
		}
	}
}

// TestAppendPointRoundTrip encodes a point of every fixed-size object and
// decodes it back.
func TestAppendPointRoundTrip(t *testing.T) {
	n := 0
	for g := range maxLayoutGroup + 1 {
		for v := range maxLayoutVariation + 1 {
			l := layoutOf(uint8(g), uint8(v))
			if l.size == 0 || l.bits > 0 || l.kind == KindRaw || l.kind == KindBCD || l.kind == KindOctets || l.kind == KindAuth {
				continue
			}
			in := Point{Flags: 0x81, Value: 1234, Status: 4, Time: 1586534430148, CROB: CROB{Code: 0x41, Count: 2, OnTime: 100, OffTime: 200, Status: 0}}
			if l.val == vF32 || l.val == vF64 {
				in.Value = -2.5
			}
			if l.val == vU8 {
				in.Value = 200
			}
			if l.tm == tRel16 {
				in.Time = 5000
			}
			obj, err := AppendPoint(nil, uint8(g), uint8(v), &in)
			if err != nil || len(obj) != int(l.size) {
				t.Fatalf("g%dv%d: %d bytes, %v; want %d", g, v, len(obj), err, l.size)
			}
			frag := AppendResponseHeader(nil, AppFIR|AppFIN, FuncResponse, 0)
			frag = AppendObjectHeader(frag, uint8(g), uint8(v), Qual16BitIndexCount, 0, 0, 1)
			frag = append(frag, 7, 0)
			frag = append(frag, obj...)
			var f Fragment
			if err := ParseFragment(frag, &f); err != nil {
				t.Fatal(err)
			}
			r := f.ObjectReader()
			var h ObjectHeader
			var p Point
			if !r.Next(&h) {
				t.Fatalf("g%dv%d: %v", g, v, r.Err())
			}
			pr := h.Points()
			if !pr.Next(&p) || p.Index != 7 {
				t.Fatalf("g%dv%d: point %v %+v", g, v, pr.Err(), p)
			}
			switch {
			case l.kind == KindCROB:
				if p.CROB != in.CROB {
					t.Errorf("g%dv%d: CROB %+v", g, v, p.CROB)
				}
			case l.val != vNone && p.Value != in.Value:
				t.Errorf("g%dv%d: value %v, want %v", g, v, p.Value, in.Value)
			case l.flags && p.Flags != in.Flags:
				t.Errorf("g%dv%d: flags %#x", g, v, p.Flags)
			case (l.pre || l.post) && p.Status != in.Status:
				t.Errorf("g%dv%d: status %d", g, v, p.Status)
			case l.tm != tNone && p.Time != in.Time:
				t.Errorf("g%dv%d: time %d, want %d", g, v, p.Time, in.Time)
			}
			n++
		}
	}
	if n < 90 {
		t.Errorf("only %d object types round-tripped", n)
	}
	if _, err := AppendPoint(nil, 1, 1, &Point{}); !errors.Is(err, ErrUnknownObject) {
		t.Errorf("packed g1v1: %v", err)
	}
	if got := AppendCROB(nil, CROB{Code: 3, Count: 1, OnTime: 100, OffTime: 200}); hex.EncodeToString(got) != "030164000000c80000000000"[:22] {
		t.Errorf("AppendCROB = %x", got)
	}
}

// crcBitwise is the textbook bit-at-a-time CRC-16/DNP, the reference for
// the table-driven CRC.
func crcBitwise(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c ^= uint16(x)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA6BC
			} else {
				c >>= 1
			}
		}
	}
	return ^c
}

func FuzzCRC(f *testing.F) {
	f.Add([]byte("123456789"))
	f.Add(unhex(f, frameRead))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := CRC(b), crcBitwise(b); got != want {
			t.Fatalf("CRC(%x) = %#04x, bitwise %#04x", b, got, want)
		}
	})
}

func TestCRCLengths(t *testing.T) {
	b := unhex(t, seedStatic)
	for n := range len(b) {
		if got, want := CRC(b[:n]), crcBitwise(b[:n]); got != want {
			t.Fatalf("length %d: %#04x, want %#04x", n, got, want)
		}
	}
}
