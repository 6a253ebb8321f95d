package capture

import (
	"net/netip"
	"time"
)

// Key identifies a flow regardless of direction: the endpoint that sorts
// first is A.
type Key struct {
	A, B  netip.AddrPort
	Proto uint8
}

// MakeKey returns the direction-independent key of a packet from src to dst
// and whether src is the key's A side.
func MakeKey(proto uint8, src, dst netip.AddrPort) (Key, bool) {
	if c := src.Addr().Compare(dst.Addr()); c < 0 || c == 0 && src.Port() <= dst.Port() {
		return Key{A: src, B: dst, Proto: proto}, true
	}
	return Key{A: dst, B: src, Proto: proto}, false
}

// EvictReason says why a flow left the table.
type EvictReason uint8

// Reasons for eviction.
const (
	EvictIdle  EvictReason = iota + 1 // no packet for longer than Table.Idle
	EvictFull                         // the table hit Table.Max flows
	EvictFlush                        // Table.Flush at end of input
	EvictDone                         // Table.Remove: the flow ended
)

// Entry is one flow in a Table.
type Entry[V any] struct {
	Key   Key
	Last  time.Time // timestamp of the latest packet
	Value V

	prev, next *Entry[V]
}

// Table is a flow table with bounded size: at most Max flows, the least
// recently used one evicted first, and flows idle for longer than Idle
// (measured in packet time) expired by Expire. Evicted entries go to
// OnEvict and are then recycled. It is not safe for concurrent use.
type Table[V any] struct {
	Max     int           // maximum flows (0: unbounded)
	Idle    time.Duration // idle timeout (0: none)
	OnEvict func(e *Entry[V], why EvictReason)

	m    map[Key]*Entry[V]
	head Entry[V] // sentinel: head.next is most recent, head.prev least
	free []*Entry[V]
}

// NewTable returns a table holding at most max flows.
func NewTable[V any](max int, idle time.Duration) *Table[V] {
	t := &Table[V]{Max: max, Idle: idle, m: make(map[Key]*Entry[V])}
	t.head.next, t.head.prev = &t.head, &t.head
	return t
}

// Len returns the number of flows in the table.
func (t *Table[V]) Len() int { return len(t.m) }

// Lookup returns the flow of k, or nil, and marks it used at now.
func (t *Table[V]) Lookup(k Key, now time.Time) *Entry[V] {
	e := t.m[k]
	if e != nil {
		e.Last = now
		t.unlink(e)
		t.pushFront(e)
	}
	return e
}

// Insert adds a flow for k (which must not be present), evicting the least
// recently used flow if the table is full. The new entry's Value is the
// zero value or a recycled value: the caller initialises it.
func (t *Table[V]) Insert(k Key, now time.Time) *Entry[V] {
	if t.Max > 0 {
		for len(t.m) >= t.Max {
			t.evict(t.head.prev, EvictFull)
		}
	}
	var e *Entry[V]
	if n := len(t.free); n > 0 {
		e = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		e = new(Entry[V])
	}
	e.Key, e.Last = k, now
	t.m[k] = e
	t.pushFront(e)
	return e
}

// Expire evicts the flows idle since before now-Idle.
func (t *Table[V]) Expire(now time.Time) {
	if t.Idle <= 0 {
		return
	}
	limit := now.Add(-t.Idle)
	for t.head.prev != &t.head && t.head.prev.Last.Before(limit) {
		t.evict(t.head.prev, EvictIdle)
	}
}

// Remove evicts one flow (its connection ended).
func (t *Table[V]) Remove(e *Entry[V]) { t.evict(e, EvictDone) }

// Flush evicts every flow, least recently used first.
func (t *Table[V]) Flush() {
	for t.head.prev != &t.head {
		t.evict(t.head.prev, EvictFlush)
	}
}

func (t *Table[V]) evict(e *Entry[V], why EvictReason) {
	if t.m[e.Key] != e {
		return
	}
	delete(t.m, e.Key)
	t.unlink(e)
	if t.OnEvict != nil {
		t.OnEvict(e, why)
	}
	if len(t.free) < 1024 {
		t.free = append(t.free, e)
	}
}

func (t *Table[V]) unlink(e *Entry[V]) {
	e.prev.next = e.next
	e.next.prev = e.prev
	e.prev, e.next = nil, nil
}

func (t *Table[V]) pushFront(e *Entry[V]) {
	e.next = t.head.next
	e.prev = &t.head
	t.head.next.prev = e
	t.head.next = e
}
