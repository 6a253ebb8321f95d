package dnp3

// crcTables are the slicing-by-4 tables of the reflected CRC-16/DNP
// polynomial 0x3D65 (0xA6BC reflected), initial value 0, final xor 0xFFFF:
// crcTables[0] is the usual byte table, crcTables[k][i] the contribution of
// byte i followed by k zero bytes.
var crcTables = func() (t [4][256]uint16) {
	for i := range t[0] {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA6BC
			} else {
				c >>= 1
			}
		}
		t[0][i] = c
	}
	for k := 1; k < 4; k++ {
		for i := range t[k] {
			p := t[k-1][i]
			t[k][i] = p>>8 ^ t[0][byte(p)]
		}
	}
	return t
}()

// CRC returns the CRC-16/DNP of b. On the wire it is sent little-endian
// after the bytes it covers.
func CRC(b []byte) uint16 {
	var c uint16
	t := &crcTables
	for len(b) >= 4 {
		c ^= uint16(b[0]) | uint16(b[1])<<8
		c = t[3][byte(c)] ^ t[2][c>>8] ^ t[1][b[2]] ^ t[0][b[3]]
		b = b[4:]
	}
	for _, x := range b {
		c = c>>8 ^ t[0][byte(c)^x]
	}
	return ^c
}

// crcOK reports whether the two bytes following b[:n] are its CRC.
func crcOK(b []byte, n int) bool {
	c := CRC(b[:n])
	return b[n] == byte(c) && b[n+1] == byte(c>>8)
}
