package modbus

import (
	"encoding/binary"
	"errors"
)

// MaxADU is the largest Modbus/TCP application data unit: the 7-byte MBAP
// header and a PDU of at most 253 bytes.
const MaxADU = 260

// HeaderLen is the length of the MBAP header (without the function code).
const HeaderLen = 7

// Decode errors.
var (
	ErrShort     = errors.New("modbus: PDU too short")
	ErrByteCount = errors.New("modbus: byte count does not match the data")
	ErrQuantity  = errors.New("modbus: quantity out of range")
	ErrValue     = errors.New("modbus: invalid value")
	ErrMEI       = errors.New("modbus: malformed encapsulated interface transport")
)

// Header is the MBAP header of an ADU.
type Header struct {
	TID    uint16 // transaction identifier
	PID    uint16 // protocol identifier (0 for Modbus)
	Length uint16 // bytes following the length field (unit + PDU)
	Unit   uint8  // unit identifier
}

// ParseHeader reads an MBAP header from the first 7 bytes of b.
func ParseHeader(b []byte) (Header, bool) {
	if len(b) < HeaderLen {
		return Header{}, false
	}
	return Header{
		TID:    binary.BigEndian.Uint16(b),
		PID:    binary.BigEndian.Uint16(b[2:]),
		Length: binary.BigEndian.Uint16(b[4:]),
		Unit:   b[6],
	}, true
}

// PDU is a decoded protocol data unit. Decode fills it in place; Data and
// Objects alias the input and are only valid as long as it is.
type PDU struct {
	Func      uint8 // raw function code as on the wire (exception bit included)
	Response  bool
	Exception uint8 // exception code of an exception response (Func&0x80 != 0)

	Address  uint16 // start address (read address for FC23); FC24 FIFO pointer
	Quantity uint16 // number of coils/registers (read quantity for FC23)
	// WriteAddress/WriteQuantity are FC23's write half.
	WriteAddress, WriteQuantity uint16
	Value                       uint16 // FC5/FC6 value; FC22 AND mask; FC7 status; FC11 status
	OrMask                      uint16 // FC22 OR mask
	Count                       uint16 // FC11 event count; FC24 FIFO count
	SubFunction                 uint16 // FC8 sub-function; FC43 MEI type
	// Data holds the values: packed coil bits (FC1/2/15), big-endian
	// registers (FC3/4/16/23/24), FC8 data, FC17 server id, file records.
	Data []byte

	// FC43/14 read device identification.
	DevIDCode, ObjectID, Conformity, MoreFollows, NextObjectID, NumObjects uint8
	// Objects is the raw object list of a device identification response
	// (id, length, value)...; iterate with NextObject.
	Objects []byte
}

// IsException reports whether the PDU is an exception response.
func (p *PDU) IsException() bool { return p.Response && p.Func&0x80 != 0 }

// NumRegisters returns the number of 16-bit registers in Data.
func (p *PDU) NumRegisters() int { return len(p.Data) / 2 }

// Register returns register i of Data.
func (p *PDU) Register(i int) uint16 { return binary.BigEndian.Uint16(p.Data[2*i:]) }

// Bit returns coil/input bit i of Data (LSB of the first byte is bit 0).
func (p *PDU) Bit(i int) bool { return p.Data[i/8]>>(i%8)&1 == 1 }

// NextObject returns the first device identification object of objs and
// the rest; ok is false at the end or on a truncated object.
func NextObject(objs []byte) (id uint8, value []byte, rest []byte, ok bool) {
	if len(objs) < 2 || len(objs) < 2+int(objs[1]) {
		return 0, nil, nil, false
	}
	n := 2 + int(objs[1])
	return objs[0], objs[2:n], objs[n:], true
}

func u16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }

// Decode parses the PDU whose function code is fc and whose remaining bytes
// are data. response tells the direction (server to client). It never
// allocates and never panics; on error p holds what was decoded.
func Decode(fc uint8, data []byte, response bool, p *PDU) error {
	*p = PDU{Func: fc, Response: response}
	if response && fc&0x80 != 0 {
		if len(data) < 1 {
			return ErrShort
		}
		p.Exception = data[0]
		return nil
	}
	if response {
		return decodeResponse(fc, data, p)
	}
	return decodeRequest(fc, data, p)
}

func need(data []byte, n int) error {
	if len(data) < n {
		return ErrShort
	}
	return nil
}

// counted returns the bytes that follow the byte count at d[at].
func counted(d []byte, at int) ([]byte, error) {
	if len(d) < at+1 || len(d) < at+1+int(d[at]) {
		return nil, ErrShort
	}
	return d[at+1 : at+1+int(d[at])], nil
}

func decodeRequest(fc uint8, d []byte, p *PDU) error {
	switch fc {
	case ReadCoils, ReadDiscreteInputs, ReadHoldingRegisters, ReadInputRegisters:
		if err := need(d, 4); err != nil {
			return err
		}
		p.Address, p.Quantity = u16(d), u16(d[2:])
		max := uint16(2000)
		if fc >= ReadHoldingRegisters {
			max = 125
		}
		if p.Quantity == 0 || p.Quantity > max {
			return ErrQuantity
		}
	case WriteSingleCoil, WriteSingleRegister:
		if err := need(d, 4); err != nil {
			return err
		}
		p.Address, p.Value = u16(d), u16(d[2:])
		if fc == WriteSingleCoil && p.Value != 0 && p.Value != 0xFF00 {
			return ErrValue
		}
	case WriteMultipleCoils, WriteMultipleRegisters:
		if err := need(d, 5); err != nil {
			return err
		}
		p.Address, p.Quantity = u16(d), u16(d[2:])
		var err error
		if p.Data, err = counted(d, 4); err != nil {
			return err
		}
		bc := len(p.Data)
		if fc == WriteMultipleCoils {
			if p.Quantity == 0 || p.Quantity > 0x7B0 {
				return ErrQuantity
			}
			if bc != (int(p.Quantity)+7)/8 {
				return ErrByteCount
			}
		} else {
			if p.Quantity == 0 || p.Quantity > 123 {
				return ErrQuantity
			}
			if bc != 2*int(p.Quantity) {
				return ErrByteCount
			}
		}
	case ReadExceptionStatus, GetCommEventCounter, GetCommEventLog, ReportServerID:
		// No request data.
	case Diagnostics:
		if err := need(d, 2); err != nil {
			return err
		}
		p.SubFunction = u16(d)
		p.Data = d[2:]
	case ReadFileRecord:
		data, err := counted(d, 0)
		if err != nil {
			return err
		}
		if bc := len(data); bc%7 != 0 || bc < 7 || bc > 0xF5 {
			return ErrByteCount
		}
		p.Data = data
	case WriteFileRecord:
		return decodeFileWrite(d, p)
	case MaskWriteRegister:
		if err := need(d, 6); err != nil {
			return err
		}
		p.Address, p.Value, p.OrMask = u16(d), u16(d[2:]), u16(d[4:])
	case ReadWriteMultipleRegisters:
		if err := need(d, 9); err != nil {
			return err
		}
		p.Address, p.Quantity = u16(d), u16(d[2:])
		p.WriteAddress, p.WriteQuantity = u16(d[4:]), u16(d[6:])
		var err error
		if p.Data, err = counted(d, 8); err != nil {
			return err
		}
		if p.Quantity == 0 || p.Quantity > 125 || p.WriteQuantity == 0 || p.WriteQuantity > 121 {
			return ErrQuantity
		}
		if len(p.Data) != 2*int(p.WriteQuantity) {
			return ErrByteCount
		}
	case ReadFIFOQueue:
		if err := need(d, 2); err != nil {
			return err
		}
		p.Address = u16(d)
	case EncapsulatedInterface:
		if err := need(d, 1); err != nil {
			return err
		}
		p.SubFunction = uint16(d[0])
		if d[0] == MEIReadDeviceIdentity {
			if len(d) < 3 {
				return ErrShort
			}
			p.DevIDCode, p.ObjectID = d[1], d[2]
			if p.DevIDCode < 1 || p.DevIDCode > 4 {
				return ErrMEI
			}
		} else {
			p.Data = d[1:]
		}
	default:
		p.Data = d
	}
	return nil
}

func decodeFileWrite(d []byte, p *PDU) error {
	data, err := counted(d, 0)
	if err != nil {
		return err
	}
	if len(data) < 7 || len(data) > 0xF5 {
		return ErrByteCount
	}
	p.Data = data
	// Each sub-request: ref type 6, file, record, length, length*2 bytes.
	for r := p.Data; len(r) > 0; {
		if len(r) < 7 {
			return ErrByteCount
		}
		n := 7 + 2*int(u16(r[5:]))
		if r[0] != 6 || len(r) < n {
			return ErrByteCount
		}
		r = r[n:]
	}
	return nil
}

func decodeResponse(fc uint8, d []byte, p *PDU) error {
	switch fc {
	case ReadCoils, ReadDiscreteInputs, ReadHoldingRegisters, ReadInputRegisters, ReadWriteMultipleRegisters:
		var err error
		if p.Data, err = counted(d, 0); err != nil {
			return err
		}
		if fc >= ReadHoldingRegisters && len(p.Data)%2 != 0 {
			return ErrByteCount
		}
	case WriteSingleCoil, WriteSingleRegister, Diagnostics, WriteFileRecord, MaskWriteRegister:
		// The normal response echoes the request.
		return decodeRequest(fc, d, p)
	case WriteMultipleCoils, WriteMultipleRegisters:
		if err := need(d, 4); err != nil {
			return err
		}
		p.Address, p.Quantity = u16(d), u16(d[2:])
	case ReadExceptionStatus:
		if err := need(d, 1); err != nil {
			return err
		}
		p.Value = uint16(d[0])
	case GetCommEventCounter:
		if err := need(d, 4); err != nil {
			return err
		}
		p.Value, p.Count = u16(d), u16(d[2:])
	case GetCommEventLog:
		if err := need(d, 7); err != nil {
			return err
		}
		bc := int(d[0])
		if bc < 6 || len(d) < 1+bc {
			return ErrByteCount
		}
		p.Value, p.Count = u16(d[1:]), u16(d[3:])
		p.Quantity = u16(d[5:]) // message count
		p.Data = d[7 : 1+bc]
	case ReportServerID:
		var err error
		p.Data, err = counted(d, 0)
		return err
	case ReadFileRecord:
		var err error
		if p.Data, err = counted(d, 0); err != nil {
			return err
		}
		for r := p.Data; len(r) > 0; {
			if len(r) < 2 || int(r[0]) < 1 || len(r) < 1+int(r[0]) || r[1] != 6 {
				return ErrByteCount
			}
			r = r[1+int(r[0]):]
		}
	case ReadFIFOQueue:
		if err := need(d, 4); err != nil {
			return err
		}
		bc := int(u16(d))
		p.Count = u16(d[2:])
		if bc < 2 || len(d) < 2+bc || int(p.Count)*2 != bc-2 || p.Count > 31 {
			return ErrByteCount
		}
		p.Data = d[4 : 2+bc]
	case EncapsulatedInterface:
		if err := need(d, 1); err != nil {
			return err
		}
		p.SubFunction = uint16(d[0])
		if d[0] != MEIReadDeviceIdentity {
			p.Data = d[1:]
			return nil
		}
		if len(d) < 7 {
			return ErrShort
		}
		p.DevIDCode, p.Conformity, p.MoreFollows = d[1], d[2], d[3]
		p.NextObjectID, p.NumObjects = d[4], d[5]
		p.Objects = d[6:]
		r := p.Objects
		for range int(p.NumObjects) {
			var ok bool
			if _, _, r, ok = NextObject(r); !ok {
				return ErrMEI
			}
		}
	default:
		p.Data = d
	}
	return nil
}
