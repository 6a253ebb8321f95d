package capture

// ByteSink receives the bytes of one reassembled TCP direction.
type ByteSink interface {
	// Bytes delivers the next in-order bytes; b is only valid during the
	// call.
	Bytes(b []byte)
	// Gap reports n bytes that will never arrive (lost in capture, or
	// given up on because the out-of-order buffer was full).
	Gap(n int)
}

// DefaultMaxPending is the default bound on out-of-order bytes buffered per
// direction.
const DefaultMaxPending = 64 << 10

// Reassembler rebuilds one direction of a TCP stream. Segments may arrive
// out of order, duplicated or overlapping (retransmissions); the first copy
// of each byte wins, as in most stacks. Out-of-order data is copied into a
// buffer of at most MaxPending bytes; when it would overflow, the
// reassembler declares the missing bytes lost (Gap) and moves on, so memory
// stays bounded. The zero value is ready to use.
type Reassembler struct {
	// MaxPending bounds the buffered out-of-order bytes (0 means
	// DefaultMaxPending).
	MaxPending int

	next    uint32 // next expected sequence number
	started bool
	fin     bool
	finSeq  uint32    // sequence number of the FIN (it occupies one)
	pending []segment // sorted by seq, non-overlapping starts
	nbytes  int
	free    [][]byte // recycled segment buffers
}

type segment struct {
	seq  uint32
	data []byte
}

// seqDiff returns a-b in sequence space.
func seqDiff(a, b uint32) int32 { return int32(a - b) }

// Segment processes one TCP segment of this direction.
func (r *Reassembler) Segment(seq uint32, flags uint8, payload []byte, sink ByteSink) {
	if flags&FlagSYN != 0 {
		if !r.started {
			r.next = seq + 1
			r.started = true
		}
		seq++
	}
	if !r.started {
		r.next = seq
		r.started = true
	}
	if flags&FlagFIN != 0 && !r.fin {
		r.fin = true
		r.finSeq = seq + uint32(len(payload))
	}
	if len(payload) == 0 {
		return
	}
	d := seqDiff(seq, r.next)
	if d <= 0 {
		skip := int(-d)
		if skip >= len(payload) {
			return // retransmission of delivered bytes
		}
		payload = payload[skip:]
		r.next += uint32(len(payload))
		sink.Bytes(payload)
		r.drain(sink)
		return
	}
	if int64(d) > 1<<30 {
		return // implausible jump: ignore
	}
	r.store(seq, payload, sink)
}

// store buffers an out-of-order segment, making room if needed.
func (r *Reassembler) store(seq uint32, payload []byte, sink ByteSink) {
	max := r.MaxPending
	if max <= 0 {
		max = DefaultMaxPending
	}
	if len(payload) > max {
		// Cannot buffer: give up on the hole before it.
		r.skipTo(seq, sink)
		r.next += uint32(len(payload))
		sink.Bytes(payload)
		r.drain(sink)
		return
	}
	for r.nbytes+len(payload) > max && len(r.pending) > 0 {
		r.skipTo(r.pending[0].seq, sink)
		r.drain(sink)
		if d := seqDiff(seq, r.next); d <= 0 {
			// The hole closed up to or past this segment.
			if int(-d) >= len(payload) {
				return
			}
			payload = payload[-d:]
			r.next += uint32(len(payload))
			sink.Bytes(payload)
			r.drain(sink)
			return
		}
	}
	// Insert sorted; an exact duplicate start keeps the longer one.
	i := len(r.pending)
	for i > 0 && seqDiff(r.pending[i-1].seq, seq) > 0 {
		i--
	}
	if i > 0 && r.pending[i-1].seq == seq {
		if len(r.pending[i-1].data) >= len(payload) {
			return
		}
		r.nbytes -= len(r.pending[i-1].data)
		r.release(r.pending[i-1].data)
		r.pending[i-1].data = r.copyOf(payload)
		r.nbytes += len(payload)
		return
	}
	r.pending = append(r.pending, segment{})
	copy(r.pending[i+1:], r.pending[i:])
	r.pending[i] = segment{seq: seq, data: r.copyOf(payload)}
	r.nbytes += len(payload)
}

func (r *Reassembler) copyOf(b []byte) []byte {
	for i := len(r.free) - 1; i >= 0; i-- {
		if cap(r.free[i]) >= len(b) {
			buf := r.free[i][:len(b)]
			r.free[i] = r.free[len(r.free)-1]
			r.free = r.free[:len(r.free)-1]
			copy(buf, b)
			return buf
		}
	}
	n := 2048
	for n < len(b) {
		n *= 2
	}
	buf := make([]byte, len(b), n)
	copy(buf, b)
	return buf
}

func (r *Reassembler) release(b []byte) {
	if len(r.free) < 16 {
		r.free = append(r.free, b[:0])
	}
}

// skipTo declares the bytes before seq lost.
func (r *Reassembler) skipTo(seq uint32, sink ByteSink) {
	if d := seqDiff(seq, r.next); d > 0 {
		sink.Gap(int(d))
		r.next = seq
	}
}

// drain delivers buffered segments that have become in order.
func (r *Reassembler) drain(sink ByteSink) {
	for len(r.pending) > 0 {
		s := r.pending[0]
		d := seqDiff(s.seq, r.next)
		if d > 0 {
			return
		}
		r.pending = r.pending[:copy(r.pending, r.pending[1:])]
		r.nbytes -= len(s.data)
		if skip := int(-d); skip < len(s.data) {
			b := s.data[skip:]
			r.next += uint32(len(b))
			sink.Bytes(b)
		}
		r.release(s.data)
	}
}

// Ack tells the reassembler that the peer acknowledged every byte before
// ack. Bytes acknowledged but never captured are declared lost (Gap), and
// buffered segments up to ack are delivered, as Zeek does for content gaps.
func (r *Reassembler) Ack(ack uint32, sink ByteSink) {
	if r.fin && seqDiff(ack, r.finSeq) > 0 {
		ack = r.finSeq // the FIN itself is acknowledged, not data
	}
	if !r.started || seqDiff(ack, r.next) <= 0 || seqDiff(ack, r.next) > 1<<30 {
		return
	}
	for len(r.pending) > 0 && seqDiff(r.pending[0].seq, ack) < 0 {
		r.skipTo(r.pending[0].seq, sink)
		r.drain(sink)
	}
	if seqDiff(ack, r.next) > 0 && (len(r.pending) == 0 || seqDiff(r.pending[0].seq, ack) >= 0) {
		// Acknowledged bytes we never saw: a hole before ack.
		r.skipTo(ack, sink)
		r.drain(sink)
	}
}

// Flush delivers whatever is buffered, declaring the holes before it lost.
// Call it when the flow ends.
func (r *Reassembler) Flush(sink ByteSink) {
	for len(r.pending) > 0 {
		r.skipTo(r.pending[0].seq, sink)
		r.drain(sink)
	}
}

// Pending returns the number of buffered out-of-order bytes.
func (r *Reassembler) Pending() int { return r.nbytes }

// Reset returns the reassembler to its zero state, keeping its buffers.
func (r *Reassembler) Reset() {
	for _, s := range r.pending {
		r.release(s.data)
	}
	max, free := r.MaxPending, r.free
	*r = Reassembler{MaxPending: max, free: free}
}
