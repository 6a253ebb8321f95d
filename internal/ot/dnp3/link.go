package dnp3

import (
	"encoding/binary"
	"strconv"
)

// Link-layer sizes.
const (
	// HeaderLen is the length of a link header including its CRC.
	HeaderLen = 10
	// MaxUserData is the largest number of user data bytes in one frame.
	MaxUserData = 250
	// MaxFrameLen is the largest encoded frame: header, 250 data bytes and
	// 16 block CRCs.
	MaxFrameLen = HeaderLen + MaxUserData + 2*16
	// BroadcastMin is the lowest broadcast address (0xFFFD..0xFFFF).
	BroadcastMin = 0xFFFD
)

// Control field bits of the link header.
const (
	CtlDIR = 0x80 // direction: set when sent by the master
	CtlPRM = 0x40 // primary (initiator) frame
	CtlFCB = 0x20 // frame count bit (primary)
	CtlFCV = 0x10 // frame count valid (primary); DFC on secondary frames
)

// LinkFunc is a link-layer function code combined with the PRM bit
// (0x40 set for primary frames), so that primary and secondary codes differ.
type LinkFunc uint8

// Link-layer function codes.
const (
	LinkResetLinkStates     LinkFunc = 0x40
	LinkTestLinkStates      LinkFunc = 0x42
	LinkConfirmedUserData   LinkFunc = 0x43
	LinkUnconfirmedUserData LinkFunc = 0x44
	LinkRequestLinkStatus   LinkFunc = 0x49
	LinkAck                 LinkFunc = 0x00
	LinkNack                LinkFunc = 0x01
	LinkStatus              LinkFunc = 0x0B
	LinkNotSupported        LinkFunc = 0x0F
)

// String returns the IEEE 1815 name of the link function, or
// "Unknown(0xNN)" with the PRM bit and function code.
func (f LinkFunc) String() string {
	switch f {
	case LinkResetLinkStates:
		return "RESET_LINK_STATES"
	case LinkTestLinkStates:
		return "TEST_LINK_STATES"
	case LinkConfirmedUserData:
		return "CONFIRMED_USER_DATA"
	case LinkUnconfirmedUserData:
		return "UNCONFIRMED_USER_DATA"
	case LinkRequestLinkStatus:
		return "REQUEST_LINK_STATUS"
	case LinkAck:
		return "ACK"
	case LinkNack:
		return "NACK"
	case LinkStatus:
		return "LINK_STATUS"
	case LinkNotSupported:
		return "NOT_SUPPORTED"
	}
	return "Unknown(0x" + hex2(uint8(f)) + ")"
}

// Code returns the 4-bit function code without the PRM bit.
func (f LinkFunc) Code() uint8 { return uint8(f) & 0x0F }

// UserData reports whether frames with this function carry transport
// segments.
func (f LinkFunc) UserData() bool {
	return f == LinkConfirmedUserData || f == LinkUnconfirmedUserData
}

// LinkHeader is a decoded link header.
type LinkHeader struct {
	Length  uint8  // LEN: bytes after LEN excluding CRCs (5 + user data)
	Control uint8  // CTL byte
	Dst     uint16 // destination address
	Src     uint16 // source address
}

// Dir reports the DIR bit: true when the frame was sent by a master.
func (h LinkHeader) Dir() bool { return h.Control&CtlDIR != 0 }

// Primary reports the PRM bit.
func (h LinkHeader) Primary() bool { return h.Control&CtlPRM != 0 }

// FCB reports the frame count bit.
func (h LinkHeader) FCB() bool { return h.Control&CtlFCB != 0 }

// FCV reports the frame count valid bit (DFC on secondary frames).
func (h LinkHeader) FCV() bool { return h.Control&CtlFCV != 0 }

// Func returns the link function with the PRM bit.
func (h LinkHeader) Func() LinkFunc { return LinkFunc(h.Control & 0x4F) }

// DataLen returns the number of user data bytes the frame carries.
func (h LinkHeader) DataLen() int {
	if h.Length < 5 {
		return 0
	}
	return int(h.Length) - 5
}

// FrameLen returns the encoded length of a frame whose LEN field is n,
// including all CRCs. It returns HeaderLen for n < 5.
func FrameLen(n uint8) int {
	if n <= 5 {
		return HeaderLen
	}
	d := int(n) - 5
	return HeaderLen + d + 2*((d+15)/16)
}

// Frame is a decoded link frame. Data holds the user data with the block
// CRCs removed; it aliases Frame's own buffer or the decoder's, and is valid
// until the next decode into the same Frame.
type Frame struct {
	Header LinkHeader
	Data   []byte
	buf    [MaxUserData]byte
}

// parseHeader checks sync and CRC of b[:HeaderLen] (len(b) >= HeaderLen).
func parseHeader(b []byte, h *LinkHeader) error {
	if b[0] != 0x05 || b[1] != 0x64 {
		return ErrNoSync
	}
	if !crcOK(b, 8) {
		return ErrHeaderCRC
	}
	h.Length = b[2]
	h.Control = b[3]
	h.Dst = binary.LittleEndian.Uint16(b[4:])
	h.Src = binary.LittleEndian.Uint16(b[6:])
	if h.Length < 5 {
		return ErrLinkLength
	}
	return nil
}

// DecodeFrame decodes the frame at the start of b into f and returns its
// encoded length. b must start with the frame sync. Every CRC is verified.
// It returns ErrShort (and 0) when b holds only part of the frame.
func DecodeFrame(b []byte, f *Frame) (int, error) {
	if len(b) < HeaderLen {
		return 0, ErrShort
	}
	if err := parseHeader(b, &f.Header); err != nil {
		return 0, err
	}
	n := FrameLen(f.Header.Length)
	if len(b) < n {
		return 0, ErrShort
	}
	d, err := unblock(b[HeaderLen:n], f.buf[:])
	if err != nil {
		return n, err
	}
	f.Data = f.buf[:d]
	return n, nil
}

// unblock copies the data blocks of body into dst, verifying each block
// CRC, and returns the number of data bytes.
func unblock(body, dst []byte) (int, error) {
	d := 0
	for len(body) > 0 {
		k := min(16, len(body)-2)
		if k <= 0 {
			return d, ErrShort
		}
		if !crcOK(body, k) {
			return d, ErrBlockCRC
		}
		d += copy(dst[d:], body[:k])
		body = body[k+2:]
	}
	return d, nil
}

// AppendFrame appends an encoded frame with header h and user data data to
// dst. h.Length is computed from data; at most MaxUserData bytes are sent.
func AppendFrame(dst []byte, h LinkHeader, data []byte) []byte {
	if len(data) > MaxUserData {
		data = data[:MaxUserData]
	}
	start := len(dst)
	dst = append(dst, 0x05, 0x64, byte(5+len(data)), h.Control,
		byte(h.Dst), byte(h.Dst>>8), byte(h.Src), byte(h.Src>>8))
	c := CRC(dst[start:])
	dst = append(dst, byte(c), byte(c>>8))
	for len(data) > 0 {
		k := min(16, len(data))
		c := CRC(data[:k])
		dst = append(dst, data[:k]...)
		dst = append(dst, byte(c), byte(c>>8))
		data = data[k:]
	}
	return dst
}

const hexDigits = "0123456789ABCDEF"

func hex2(b uint8) string { return string([]byte{hexDigits[b>>4], hexDigits[b&15]}) }

func itoa(n int) string { return strconv.Itoa(n) }
