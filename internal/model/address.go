package model

import (
	"net/netip"
	"slices"
)

// AddressBook maps network addresses to asset ids, so that what a sensor
// sees on the wire is named with the city model's asset ids. Exact
// addresses win over prefixes, and longer prefixes over shorter ones.
type AddressBook struct {
	exact    map[netip.Addr]string
	prefixes []prefixEntry // longest first
}

type prefixEntry struct {
	p  netip.Prefix
	id string
}

// AddressBook returns the address book of the city's assets.
func (c *City) AddressBook() *AddressBook {
	b := &AddressBook{exact: map[netip.Addr]string{}}
	for _, a := range c.Assets {
		for _, s := range a.Addresses {
			if ad, err := netip.ParseAddr(s); err == nil {
				b.exact[ad.Unmap()] = a.ID
			} else if p, err := netip.ParsePrefix(s); err == nil {
				b.prefixes = append(b.prefixes, prefixEntry{p.Masked(), a.ID})
			}
		}
	}
	slices.SortStableFunc(b.prefixes, func(x, y prefixEntry) int { return y.p.Bits() - x.p.Bits() })
	return b
}

// Lookup returns the id of the asset that has addr.
func (b *AddressBook) Lookup(addr netip.Addr) (string, bool) {
	if b == nil {
		return "", false
	}
	addr = addr.Unmap()
	if id, ok := b.exact[addr]; ok {
		return id, true
	}
	for _, e := range b.prefixes {
		if e.p.Contains(addr) {
			return e.id, true
		}
	}
	return "", false
}
