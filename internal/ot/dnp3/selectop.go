package dnp3

import "bytes"

// MaxSelectObjects is the largest SELECT object block a SelectTracker
// remembers; larger selects are compared by length and prefix only.
const MaxSelectObjects = 512

// OperateResult tells how an OPERATE request relates to the preceding
// SELECT.
type OperateResult uint8

// Results of SelectTracker.Operate.
const (
	// OperateMatched: the OPERATE repeats the objects of the SELECT sent
	// by the same master to the same outstation with the previous
	// application sequence number, as IEEE 1815-2012 4.4.4 requires.
	OperateMatched OperateResult = iota
	// OperateNoSelect: no SELECT is pending for this master/outstation.
	OperateNoSelect
	// OperateObjectsDiffer: a SELECT is pending but its objects differ.
	OperateObjectsDiffer
	// OperateSequence: the objects match but the sequence number is not
	// the SELECT's plus one.
	OperateSequence
)

// String names the result.
func (r OperateResult) String() string {
	switch r {
	case OperateMatched:
		return "matched"
	case OperateNoSelect:
		return "no_select"
	case OperateObjectsDiffer:
		return "objects_differ"
	case OperateSequence:
		return "sequence_mismatch"
	}
	return "unknown"
}

// SelectTracker pairs SELECT and OPERATE requests of one connection. It
// remembers the last SELECT; an OPERATE consumes it. The zero value is
// ready to use; it allocates its buffer (MaxSelectObjects bytes) on the
// first SELECT only, so that idle connections stay small.
type SelectTracker struct {
	valid    bool
	src, dst uint16
	seq      uint8
	n        int
	objs     []byte
}

// Select records a SELECT from master src to outstation dst with
// application sequence seq and object bytes objects.
func (t *SelectTracker) Select(src, dst uint16, seq uint8, objects []byte) {
	t.valid, t.src, t.dst, t.seq = true, src, dst, seq&0x0F
	t.n = len(objects)
	if t.objs == nil {
		t.objs = make([]byte, MaxSelectObjects)
	}
	copy(t.objs, objects)
}

// Operate checks an OPERATE against the pending SELECT and consumes it.
func (t *SelectTracker) Operate(src, dst uint16, seq uint8, objects []byte) OperateResult {
	if !t.valid || t.src != src || t.dst != dst {
		return OperateNoSelect
	}
	t.valid = false
	kept := min(t.n, MaxSelectObjects)
	if len(objects) != t.n || !bytes.Equal(objects[:kept], t.objs[:kept]) {
		return OperateObjectsDiffer
	}
	if seq&0x0F != (t.seq+1)&0x0F {
		return OperateSequence
	}
	return OperateMatched
}

// Reset forgets the pending SELECT.
func (t *SelectTracker) Reset() { t.valid = false }
