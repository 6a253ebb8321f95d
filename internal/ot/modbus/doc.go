// Package modbus decodes Modbus/TCP: the MBAP header, the PDUs of every
// public function code (1–8, 11, 12, 15–17, 20–24 and 43/14 read device
// identification) and exception responses. It does no I/O and no
// allocation: Framer cuts a TCP byte stream into ADUs (several per segment,
// or one split across segments) and Decode parses a PDU into a caller-owned
// PDU whose slices alias the input.
//
// Function and exception names follow Zeek's modbus.log (READ_COILS,
// unknown-156, ILLEGAL_FUNCTION ...) so that logs built from this package
// compare field by field with Zeek's.
package modbus
