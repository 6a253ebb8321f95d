package dnp3

// Transport header bits.
const (
	TransportFIN = 0x80
	TransportFIR = 0x40
)

// DefaultMaxFragment is the default reassembly limit. Devices commonly
// accept fragments of at most 2048 bytes (TypicalMaxFragment); the limit is
// eight times that so that oversized fragments, an overflow or evasion
// attempt, are still decoded and can be reported.
const DefaultMaxFragment = 16384

// TypicalMaxFragment is the usual device limit on fragment size.
const TypicalMaxFragment = 2048

// reassemblySlots bounds the (source, destination) pairs tracked per
// Reassembler; the least recently used pair is evicted.
const reassemblySlots = 4

type slot struct {
	src, dst uint16
	used     bool
	active   bool  // a fragment is in progress
	seq      uint8 // sequence of the last accepted segment
	tick     uint64
	buf      []byte
}

// ReassemblyStats counts transport events.
type ReassemblyStats struct {
	Segments  uint64 // segments accepted
	Fragments uint64 // fragments completed
	Dropped   uint64 // segments dropped (out of sequence, no FIR, too long)
	Abandoned uint64 // unfinished fragments replaced by a new FIR
	Evicted   uint64 // address pairs evicted to make room
}

// Reassembler joins transport segments into application fragments for one
// direction of a connection, separately for each (source, destination)
// link-address pair. Memory is bounded: at most a few pairs, each with a
// buffer that grows on demand up to MaxFragment bytes.
type Reassembler struct {
	// MaxFragment is the largest fragment accepted; 0 means
	// DefaultMaxFragment.
	MaxFragment int
	Stats       ReassemblyStats
	slots       [reassemblySlots]slot
	tick        uint64
}

// Reset drops every fragment in progress.
func (r *Reassembler) Reset() {
	for i := range r.slots {
		r.slots[i].active = false
	}
}

func (r *Reassembler) slot(src, dst uint16) *slot {
	r.tick++
	victim := &r.slots[0]
	for i := range r.slots {
		s := &r.slots[i]
		switch {
		case s.used && s.src == src && s.dst == dst:
			s.tick = r.tick
			return s
		case !s.used:
			if victim.used {
				victim = s
			}
		case victim.used && s.tick < victim.tick:
			victim = s
		}
	}
	if victim.used {
		r.Stats.Evicted++
	}
	victim.src, victim.dst, victim.used, victim.active = src, dst, true, false
	victim.tick = r.tick
	return victim
}

// Add accepts the user data of one link frame (transport header first) from
// src to dst. When the segment completes a fragment, Add returns it with
// done true. The fragment aliases seg (single-segment fragments) or the
// Reassembler's buffer, and is valid until the next call.
//
// Rules (IEEE 1815-2012 clause 8): a FIR segment starts a new fragment,
// abandoning any unfinished one; a non-FIR segment must carry the next
// sequence number (mod 64) of a fragment in progress, otherwise it is
// dropped; FIN completes the fragment.
func (r *Reassembler) Add(src, dst uint16, seg []byte) (frag []byte, done bool, err error) {
	if len(seg) == 0 {
		r.Stats.Dropped++
		return nil, false, ErrEmptySegment
	}
	th := seg[0]
	payload := seg[1:]
	max := r.MaxFragment
	if max <= 0 {
		max = DefaultMaxFragment
	}
	fir, fin, seq := th&TransportFIR != 0, th&TransportFIN != 0, th&0x3F
	if fir && fin {
		// Fast path: a whole fragment in one segment, no copy.
		s := r.lookup(src, dst)
		if s != nil && s.active {
			s.active = false
			r.Stats.Abandoned++
			err = ErrTransportAbandoned
		}
		if len(payload) > max {
			r.Stats.Dropped++
			return nil, false, ErrFragmentTooLong
		}
		r.Stats.Segments++
		r.Stats.Fragments++
		return payload, true, err
	}
	s := r.slot(src, dst)
	if fir {
		if s.active {
			r.Stats.Abandoned++
			err = ErrTransportAbandoned
		}
		if s.buf == nil {
			// Grown by append up to max only when fragments need it.
			s.buf = make([]byte, 0, min(max, TypicalMaxFragment))
		}
		s.buf = append(s.buf[:0], payload...)
		s.active, s.seq = true, seq
		if len(s.buf) > max {
			s.active = false
			r.Stats.Dropped++
			return nil, false, ErrFragmentTooLong
		}
		r.Stats.Segments++
		return nil, false, err
	}
	if !s.active {
		r.Stats.Dropped++
		return nil, false, ErrTransportNoFirst
	}
	if seq != (s.seq+1)&0x3F {
		// A repeat of the last segment is ignored silently by
		// outstations; count both as drops.
		r.Stats.Dropped++
		if seq != s.seq {
			s.active = false
		}
		return nil, false, ErrTransportSeq
	}
	if len(s.buf)+len(payload) > max {
		s.active = false
		r.Stats.Dropped++
		return nil, false, ErrFragmentTooLong
	}
	s.buf = append(s.buf, payload...)
	s.seq = seq
	r.Stats.Segments++
	if !fin {
		return nil, false, nil
	}
	s.active = false
	r.Stats.Fragments++
	return s.buf, true, nil
}

func (r *Reassembler) lookup(src, dst uint16) *slot {
	for i := range r.slots {
		s := &r.slots[i]
		if s.used && s.src == src && s.dst == dst {
			return s
		}
	}
	return nil
}

// AppendFragmentFrames splits an application fragment into transport
// segments and link frames with header h, starting at transport sequence
// seq, and appends the frames to dst. It returns dst and the next sequence.
func AppendFragmentFrames(dst []byte, h LinkHeader, seq uint8, frag []byte) ([]byte, uint8) {
	var seg [MaxUserData]byte
	first := true
	for {
		k := min(len(frag), MaxUserData-1)
		th := seq & 0x3F
		if first {
			th |= TransportFIR
		}
		if k == len(frag) {
			th |= TransportFIN
		}
		seg[0] = th
		copy(seg[1:], frag[:k])
		dst = AppendFrame(dst, h, seg[:1+k])
		seq = (seq + 1) & 0x3F
		frag = frag[k:]
		first = false
		if len(frag) == 0 {
			return dst, seq
		}
	}
}
