package dnp3

import "bytes"

var syncBytes = []byte{0x05, 0x64}

// StreamStats counts what a Stream has seen.
type StreamStats struct {
	Frames       uint64 // frames decoded with every CRC correct
	SkippedBytes uint64 // bytes skipped while looking for frame sync
	HeaderCRC    uint64 // headers rejected for a bad CRC
	BlockCRC     uint64 // frames dropped for a bad data block CRC
	BadLength    uint64 // headers with LEN below 5
}

// Stream decodes link frames from one direction of a byte stream. It keeps
// partial frames across calls, so frames may be split across TCP segments
// and a segment may hold several frames. On garbage it resynchronises on
// the next 0x05 0x64. The zero value is ready to use.
type Stream struct {
	buf [MaxFrameLen]byte
	n   int // bytes buffered in buf
	// hunting is set while skipping a run of bytes that has already been
	// reported (garbage or a bad header), so that each run yields one error.
	hunting bool
	Stats   StreamStats
}

// Reset drops any partial frame (for example after a TCP gap).
func (s *Stream) Reset() { s.n = 0 }

// Buffered returns the number of bytes of a partial frame held.
func (s *Stream) Buffered() int { return s.n }

// Next consumes bytes from p until one frame is decoded into f (ok true),
// an error is found, or p is exhausted. It returns the number of bytes of p
// consumed. The caller loops until p is empty:
//
//	for len(p) > 0 {
//		n, ok, err := s.Next(p, &f)
//		p = p[n:]
//		...
//	}
//
// Errors are reported once per event and never stop the stream: ErrNoSync
// (garbage skipped), ErrHeaderCRC (resynchronising), ErrLinkLength and
// ErrBlockCRC (frame dropped). f.Data is valid until the next call.
func (s *Stream) Next(p []byte, f *Frame) (consumed int, ok bool, err error) {
	if s.n > 0 {
		return s.nextBuffered(p, f)
	}
	if len(p) == 0 {
		return 0, false, nil
	}
	// Fast path: decode straight from p.
	if p[0] != 0x05 || len(p) > 1 && p[1] != 0x64 {
		i := bytes.Index(p, syncBytes)
		if i < 0 {
			i = len(p)
			if p[i-1] == 0x05 {
				i-- // keep a trailing 0x05: the 0x64 may follow
			}
		}
		if i > 0 {
			s.Stats.SkippedBytes += uint64(i)
			return i, false, s.garbage()
		}
	}
	if len(p) < HeaderLen {
		s.n = copy(s.buf[:], p)
		return len(p), false, nil
	}
	if err := parseHeader(p, &f.Header); err != nil {
		return s.headerError(err)
	}
	s.hunting = false
	n := FrameLen(f.Header.Length)
	if len(p) < n {
		s.n = copy(s.buf[:], p)
		return len(p), false, nil
	}
	d, err := unblock(p[HeaderLen:n], f.buf[:])
	if err != nil {
		s.Stats.BlockCRC++
		return n, false, err
	}
	f.Data = f.buf[:d]
	s.Stats.Frames++
	return n, true, nil
}

// headerError accounts for a bad header at the start of the input. For a bad
// CRC one byte is skipped, so that a sync inside the bad header is found;
// for a bad length the whole header is skipped.
func (s *Stream) headerError(err error) (int, bool, error) {
	if err == ErrLinkLength {
		s.Stats.BadLength++
		s.hunting = false
		return HeaderLen, false, err
	}
	s.Stats.HeaderCRC++
	return 1, false, s.badHeader()
}

// garbage returns ErrNoSync at the start of a run of skipped bytes.
func (s *Stream) garbage() error {
	if s.hunting {
		return nil
	}
	s.hunting = true
	return ErrNoSync
}

// badHeader returns ErrHeaderCRC unless the header is part of a run of
// skipped bytes already reported.
func (s *Stream) badHeader() error {
	if s.hunting {
		return nil
	}
	s.hunting = true
	return ErrHeaderCRC
}

// nextBuffered continues a frame that started in an earlier call.
func (s *Stream) nextBuffered(p []byte, f *Frame) (int, bool, error) {
	used := 0
	// Complete the header.
	if s.n < HeaderLen {
		k := copy(s.buf[s.n:HeaderLen], p[used:])
		s.n += k
		used += k
		if s.n < 2 || s.n < HeaderLen && s.buf[1] == 0x64 {
			return used, false, nil
		}
		if s.buf[1] != 0x64 {
			// A lone buffered 0x05 not followed by 0x64.
			s.Stats.SkippedBytes++
			s.shift(1)
			return used, false, s.garbage()
		}
	}
	err := parseHeader(s.buf[:], &f.Header)
	if err != nil {
		if err == ErrLinkLength {
			s.Stats.BadLength++
			s.hunting = false
			s.shift(HeaderLen)
			return used, false, err
		}
		s.Stats.HeaderCRC++
		s.shift(1)
		return used, false, s.badHeader()
	}
	s.hunting = false
	n := FrameLen(f.Header.Length)
	if s.n > n {
		// Cannot happen: bytes beyond a header are buffered only
		// after it was validated. Drop them rather than panic.
		s.n = 0
		return used, false, ErrShort
	}
	k := copy(s.buf[s.n:n], p[used:])
	s.n += k
	used += k
	if s.n < n {
		return used, false, nil
	}
	s.n = 0
	d, err := unblock(s.buf[HeaderLen:n], f.buf[:])
	if err != nil {
		s.Stats.BlockCRC++
		return used, false, err
	}
	f.Data = f.buf[:d]
	s.Stats.Frames++
	return used, true, nil
}

// shift drops the first k buffered bytes and then everything before the
// next frame sync among the rest.
func (s *Stream) shift(k int) {
	rest := s.buf[k:s.n]
	i := bytes.Index(rest, syncBytes)
	if i < 0 {
		i = len(rest)
		if i > 0 && rest[i-1] == 0x05 {
			i--
		}
	}
	s.Stats.SkippedBytes += uint64(i)
	s.n = copy(s.buf[:], rest[i:])
}
