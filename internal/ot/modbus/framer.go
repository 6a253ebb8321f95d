package modbus

// FrameHandler receives what a Framer cuts from a byte stream.
type FrameHandler interface {
	// Header is called as soon as the MBAP header and the function code of
	// an ADU are available (Zeek raises modbus_message at this point and
	// stamps the log row with the time), before Frame and even if the ADU
	// never completes.
	Header(h Header, fc uint8)
	// Frame is called for each complete ADU: its header, function code and
	// the PDU data after the function code. pdu is only valid during the
	// call.
	Frame(h Header, fc uint8, pdu []byte)
	// Malformed is called when the bytes cannot be a Modbus/TCP ADU: a
	// protocol identifier other than 0, or a length field outside
	// 2..254. The framer drops the rest of the chunk being fed and
	// resynchronises at the start of the next one (the next TCP segment),
	// as Zeek's analyzer does after a parse error.
	Malformed(h Header)
}

// Framer cuts one direction of a Modbus/TCP byte stream into ADUs. It
// buffers at most one partial ADU (MaxADU bytes) between calls and does not
// allocate. The zero value is ready to use.
type Framer struct {
	buf    [MaxADU]byte
	n      int
	headed bool // Header was called for the partial ADU in buf
}

// Reset drops any partial ADU: the next byte fed is taken as the start of
// an ADU (call it after a gap in the stream).
func (f *Framer) Reset() { f.n, f.headed = 0, false }

// Buffered returns the number of bytes of a partial ADU held.
func (f *Framer) Buffered() int { return f.n }

// check validates a header; ok false means malformed (already reported).
func check(hd Header, fc uint8, h FrameHandler) bool {
	if hd.PID != 0 || hd.Length < 2 {
		h.Malformed(hd)
		return false
	}
	h.Header(hd, fc)
	if hd.Length > MaxADU-6 {
		h.Malformed(hd)
		return false
	}
	return true
}

// Feed consumes the next bytes of the stream.
func (f *Framer) Feed(b []byte, h FrameHandler) {
	// Complete a partial ADU first.
	for f.n > 0 && len(b) > 0 {
		want := HeaderLen + 1
		if f.n >= HeaderLen+1 {
			hd, _ := ParseHeader(f.buf[:f.n])
			want = 6 + int(hd.Length)
		}
		c := copy(f.buf[f.n:want], b)
		f.n += c
		b = b[c:]
		if f.n < want {
			return
		}
		hd, _ := ParseHeader(f.buf[:f.n])
		if !f.headed {
			f.headed = true
			if !check(hd, f.buf[HeaderLen], h) {
				f.Reset()
				return
			}
			if f.n < 6+int(hd.Length) {
				continue
			}
		}
		h.Frame(hd, f.buf[HeaderLen], f.buf[HeaderLen+1:f.n])
		f.Reset()
	}
	for len(b) > 0 {
		if len(b) < HeaderLen+1 {
			f.n = copy(f.buf[:], b)
			return
		}
		hd, _ := ParseHeader(b)
		if !check(hd, b[HeaderLen], h) {
			return
		}
		n := 6 + int(hd.Length)
		if len(b) < n {
			f.n = copy(f.buf[:], b)
			f.headed = true
			return
		}
		h.Frame(hd, b[HeaderLen], b[HeaderLen+1:n])
		b = b[n:]
	}
}
