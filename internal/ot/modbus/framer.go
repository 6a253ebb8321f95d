package modbus

// FrameHandler receives the ADUs a Framer cuts from a byte stream.
type FrameHandler interface {
	// Frame is called for each complete ADU: its header, function code and
	// the PDU data after the function code. pdu is only valid during the
	// call.
	Frame(h Header, fc uint8, pdu []byte)
	// Malformed is called when the stream cannot be Modbus/TCP (length
	// field outside 2..254). The framer then discards the direction's bytes
	// until Reset (the next gap in the stream).
	Malformed(h Header)
}

// Framer cuts one direction of a Modbus/TCP byte stream into ADUs. It
// buffers at most one partial ADU (MaxADU bytes) between calls and does not
// allocate. The zero value is ready to use.
type Framer struct {
	buf  [MaxADU]byte
	n    int
	lost bool // desynchronised: drop bytes until Reset
}

// Reset drops any partial ADU and resynchronises: the next byte fed is
// taken as the start of an ADU (call it after a gap in the stream).
func (f *Framer) Reset() { f.n, f.lost = 0, false }

// Buffered returns the number of bytes of a partial ADU held.
func (f *Framer) Buffered() int { return f.n }

// Feed consumes the next bytes of the stream.
func (f *Framer) Feed(b []byte, h FrameHandler) {
	if f.lost {
		return
	}
	// Complete a partial ADU first.
	for f.n > 0 && len(b) > 0 {
		want := HeaderLen
		if f.n >= HeaderLen {
			hd, _ := ParseHeader(f.buf[:f.n])
			want = 6 + int(hd.Length)
		}
		c := copy(f.buf[f.n:want], b)
		f.n += c
		b = b[c:]
		if f.n < want {
			return
		}
		if want == HeaderLen {
			hd, _ := ParseHeader(f.buf[:HeaderLen])
			if !validLength(hd.Length) {
				f.n, f.lost = 0, true
				h.Malformed(hd)
				return
			}
			continue
		}
		hd, _ := ParseHeader(f.buf[:f.n])
		h.Frame(hd, f.buf[HeaderLen], f.buf[HeaderLen+1:f.n])
		f.n = 0
	}
	for len(b) > 0 {
		hd, ok := ParseHeader(b)
		if !ok {
			f.n = copy(f.buf[:], b)
			return
		}
		if !validLength(hd.Length) {
			f.lost = true
			h.Malformed(hd)
			return
		}
		n := 6 + int(hd.Length)
		if len(b) < n {
			f.n = copy(f.buf[:], b)
			return
		}
		h.Frame(hd, b[HeaderLen], b[HeaderLen+1:n])
		b = b[n:]
	}
}

// validLength reports whether an MBAP length can hold a unit id and a
// function code and fits an ADU.
func validLength(l uint16) bool { return l >= 2 && l <= MaxADU-6 }
