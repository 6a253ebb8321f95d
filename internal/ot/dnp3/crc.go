package dnp3

// crcTable is the table of the reflected CRC-16/DNP polynomial 0x3D65
// (0xA6BC reflected), initial value 0, final xor 0xFFFF.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0xA6BC
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC returns the CRC-16/DNP of b. On the wire it is sent little-endian
// after the bytes it covers.
func CRC(b []byte) uint16 {
	var c uint16
	for _, x := range b {
		c = c>>8 ^ crcTable[byte(c)^x]
	}
	return ^c
}

// crcOK reports whether the two bytes following b[:n] are its CRC.
func crcOK(b []byte, n int) bool {
	c := CRC(b[:n])
	return b[n] == byte(c) && b[n+1] == byte(c>>8)
}
