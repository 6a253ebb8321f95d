package dnp3

import "encoding/binary"

// FuncCode is an application-layer function code.
type FuncCode uint8

// Application function codes of IEEE 1815-2012, table 4-1.
const (
	FuncConfirm            FuncCode = 0x00
	FuncRead               FuncCode = 0x01
	FuncWrite              FuncCode = 0x02
	FuncSelect             FuncCode = 0x03
	FuncOperate            FuncCode = 0x04
	FuncDirectOperate      FuncCode = 0x05
	FuncDirectOperateNR    FuncCode = 0x06
	FuncImmedFreeze        FuncCode = 0x07
	FuncImmedFreezeNR      FuncCode = 0x08
	FuncFreezeClear        FuncCode = 0x09
	FuncFreezeClearNR      FuncCode = 0x0A
	FuncFreezeAtTime       FuncCode = 0x0B
	FuncFreezeAtTimeNR     FuncCode = 0x0C
	FuncColdRestart        FuncCode = 0x0D
	FuncWarmRestart        FuncCode = 0x0E
	FuncInitializeData     FuncCode = 0x0F
	FuncInitializeAppl     FuncCode = 0x10
	FuncStartAppl          FuncCode = 0x11
	FuncStopAppl           FuncCode = 0x12
	FuncSaveConfig         FuncCode = 0x13
	FuncEnableUnsolicited  FuncCode = 0x14
	FuncDisableUnsolicited FuncCode = 0x15
	FuncAssignClass        FuncCode = 0x16
	FuncDelayMeasure       FuncCode = 0x17
	FuncRecordCurrentTime  FuncCode = 0x18
	FuncOpenFile           FuncCode = 0x19
	FuncCloseFile          FuncCode = 0x1A
	FuncDeleteFile         FuncCode = 0x1B
	FuncGetFileInfo        FuncCode = 0x1C
	FuncAuthenticateFile   FuncCode = 0x1D
	FuncAbortFile          FuncCode = 0x1E
	FuncActivateConfig     FuncCode = 0x1F
	FuncAuthenticateReq    FuncCode = 0x20
	FuncAuthReqNoAck       FuncCode = 0x21
	FuncResponse           FuncCode = 0x81
	FuncUnsolicited        FuncCode = 0x82
	FuncAuthenticateResp   FuncCode = 0x83
)

// funcNames are the names Zeek's dnp3.log uses (DNP3::function_codes).
var funcNames = [...]string{
	"CONFIRM", "READ", "WRITE", "SELECT", "OPERATE", "DIRECT_OPERATE",
	"DIRECT_OPERATE_NR", "IMMED_FREEZE", "IMMED_FREEZE_NR", "FREEZE_CLEAR",
	"FREEZE_CLEAR_NR", "FREEZE_AT_TIME", "FREEZE_AT_TIME_NR", "COLD_RESTART",
	"WARM_RESTART", "INITIALIZE_DATA", "INITIALIZE_APPL", "START_APPL",
	"STOP_APPL", "SAVE_CONFIG", "ENABLE_UNSOLICITED", "DISABLE_UNSOLICITED",
	"ASSIGN_CLASS", "DELAY_MEASURE", "RECORD_CURRENT_TIME", "OPEN_FILE",
	"CLOSE_FILE", "DELETE_FILE", "GET_FILE_INFO", "AUTHENTICATE_FILE",
	"ABORT_FILE", "ACTIVATE_CONFIG", "AUTHENTICATE_REQ", "AUTHENTICATE_REQ_NR",
}

var unknownNames = func() (t [256]string) {
	for i := range t {
		t[i] = "unknown-" + itoa(i)
	}
	return t
}()

// String returns the Zeek name of the function code (READ, RESPONSE,
// UNSOLICITED_RESPONSE, ...), or "unknown-N" as Zeek does. It does not
// allocate.
func (f FuncCode) String() string {
	if int(f) < len(funcNames) {
		return funcNames[f]
	}
	switch f {
	case FuncResponse:
		return "RESPONSE"
	case FuncUnsolicited:
		return "UNSOLICITED_RESPONSE"
	case FuncAuthenticateResp:
		return "AUTHENTICATE_RESPONSE"
	}
	return unknownNames[f]
}

// Known reports whether f is defined by IEEE 1815-2012.
func (f FuncCode) Known() bool {
	return int(f) < len(funcNames) || f >= FuncResponse && f <= FuncAuthenticateResp
}

// IsResponse reports whether f is sent by an outstation (0x81..0x83);
// responses carry IIN bits.
func (f FuncCode) IsResponse() bool { return f >= FuncResponse && f <= FuncAuthenticateResp }

// IsRestart reports a cold or warm restart request.
func (f FuncCode) IsRestart() bool { return f == FuncColdRestart || f == FuncWarmRestart }

// IsControl reports a function that operates outputs (select, operate,
// direct operate with or without acknowledgement).
func (f FuncCode) IsControl() bool { return f >= FuncSelect && f <= FuncDirectOperateNR }

// IsFile reports a file-transfer function (open, close, delete, get info,
// authenticate, abort).
func (f FuncCode) IsFile() bool { return f >= FuncOpenFile && f <= FuncAbortFile }

// IsWrite reports a request that changes outstation state: writes and
// controls, freezes, restarts, application start/stop and initialisation,
// configuration, unsolicited enable/disable, class assignment, file delete
// and configuration activation. OPEN_FILE is a write only when it opens
// for writing or appending, which FileCommand tells; it is not included.
func (f FuncCode) IsWrite() bool {
	switch {
	case f >= FuncWrite && f <= FuncAssignClass:
		return true
	case f == FuncDeleteFile, f == FuncActivateConfig:
		return true
	}
	return false
}

// AppControl is the application control octet.
type AppControl uint8

// Application control bits.
const (
	AppFIR AppControl = 0x80
	AppFIN AppControl = 0x40
	AppCON AppControl = 0x20
	AppUNS AppControl = 0x10
)

// FIR reports the first-fragment bit.
func (c AppControl) FIR() bool { return c&AppFIR != 0 }

// FIN reports the final-fragment bit.
func (c AppControl) FIN() bool { return c&AppFIN != 0 }

// CON reports the confirmation-requested bit.
func (c AppControl) CON() bool { return c&AppCON != 0 }

// UNS reports the unsolicited bit.
func (c AppControl) UNS() bool { return c&AppUNS != 0 }

// Seq returns the 4-bit application sequence number.
func (c AppControl) Seq() uint8 { return uint8(c) & 0x0F }

// IIN holds the internal indications of a response: IIN1 in the high byte,
// IIN2 in the low byte, which is the decimal count Zeek logs.
type IIN uint16

// IIN bits.
const (
	IINBroadcast           IIN = 0x0100
	IINClass1Events        IIN = 0x0200
	IINClass2Events        IIN = 0x0400
	IINClass3Events        IIN = 0x0800
	IINNeedTime            IIN = 0x1000
	IINLocalControl        IIN = 0x2000
	IINDeviceTrouble       IIN = 0x4000
	IINDeviceRestart       IIN = 0x8000
	IINFuncNotSupported    IIN = 0x0001
	IINObjectUnknown       IIN = 0x0002
	IINParamError          IIN = 0x0004
	IINEventBufferOverflow IIN = 0x0008
	IINAlreadyExecuting    IIN = 0x0010
	IINConfigCorrupt       IIN = 0x0020
	IINReserved2           IIN = 0x0040
	IINReserved1           IIN = 0x0080
)

// iinNames lists the bits from IIN1.7 down to IIN2.0.
var iinNames = [16]struct {
	bit  IIN
	name string
}{
	{IINDeviceRestart, "DeviceRestart"}, {IINDeviceTrouble, "DeviceTrouble"},
	{IINLocalControl, "LocalControl"}, {IINNeedTime, "NeedTime"},
	{IINClass3Events, "Class3Events"}, {IINClass2Events, "Class2Events"},
	{IINClass1Events, "Class1Events"}, {IINBroadcast, "Broadcast"},
	{IINReserved1, "Reserved1"}, {IINReserved2, "Reserved2"},
	{IINConfigCorrupt, "ConfigCorrupt"}, {IINAlreadyExecuting, "AlreadyExecuting"},
	{IINEventBufferOverflow, "EventBufferOverflow"}, {IINParamError, "ParamError"},
	{IINObjectUnknown, "ObjectUnknown"}, {IINFuncNotSupported, "FuncNotSupported"},
}

// AppendNames appends the names of the set bits, comma-separated, from
// IIN1.7 down to IIN2.0 (for example "DeviceRestart, NeedTime").
func (v IIN) AppendNames(dst []byte) []byte {
	first := true
	for _, n := range iinNames {
		if v&n.bit == 0 {
			continue
		}
		if !first {
			dst = append(dst, ", "...)
		}
		first = false
		dst = append(dst, n.name...)
	}
	return dst
}

// String returns the set bit names, as AppendNames.
func (v IIN) String() string { return string(v.AppendNames(nil)) }

// AppHeader is a decoded application header.
type AppHeader struct {
	Control AppControl
	Func    FuncCode
	IIN     IIN // responses only
}

// Fragment is a decoded application fragment: its header and the raw
// object bytes that follow. Objects aliases the input.
type Fragment struct {
	AppHeader
	Objects []byte
}

// ObjectReader returns a reader over the fragment's object headers.
func (f *Fragment) ObjectReader() ObjectReader {
	return ObjectReader{b: f.Objects, fc: f.Func}
}

// ParseFragment decodes the application header of frag into f. Requests
// have a 2-byte header, responses (function 0x81..0x83) a 4-byte one with
// the IIN. It does not read the objects; see ObjectReader.
func ParseFragment(frag []byte, f *Fragment) error {
	if len(frag) < 2 {
		return ErrShort
	}
	f.Control = AppControl(frag[0])
	f.Func = FuncCode(frag[1])
	f.IIN = 0
	if f.Func.IsResponse() {
		if len(frag) < 4 {
			f.Objects = nil
			return ErrShort
		}
		f.IIN = IIN(binary.BigEndian.Uint16(frag[2:]))
		f.Objects = frag[4:]
		return nil
	}
	f.Objects = frag[2:]
	return nil
}

// AppendRequestHeader appends a request application header.
func AppendRequestHeader(dst []byte, c AppControl, fc FuncCode) []byte {
	return append(dst, byte(c), byte(fc))
}

// AppendResponseHeader appends a response application header with its IIN.
func AppendResponseHeader(dst []byte, c AppControl, fc FuncCode, iin IIN) []byte {
	return append(dst, byte(c), byte(fc), byte(iin>>8), byte(iin))
}
