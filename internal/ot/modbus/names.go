package modbus

import "strconv"

// Function codes.
const (
	ReadCoils                  = 0x01
	ReadDiscreteInputs         = 0x02
	ReadHoldingRegisters       = 0x03
	ReadInputRegisters         = 0x04
	WriteSingleCoil            = 0x05
	WriteSingleRegister        = 0x06
	ReadExceptionStatus        = 0x07
	Diagnostics                = 0x08
	GetCommEventCounter        = 0x0B
	GetCommEventLog            = 0x0C
	WriteMultipleCoils         = 0x0F
	WriteMultipleRegisters     = 0x10
	ReportServerID             = 0x11
	ReadFileRecord             = 0x14
	WriteFileRecord            = 0x15
	MaskWriteRegister          = 0x16
	ReadWriteMultipleRegisters = 0x17
	ReadFIFOQueue              = 0x18
	EncapsulatedInterface      = 0x2B
)

// MEI types of function 43.
const (
	MEICANopen            = 13
	MEIReadDeviceIdentity = 14
)

// functionNames are Zeek's Modbus::function_codes.
var functionNames = map[uint8]string{
	0x01: "READ_COILS", 0x02: "READ_DISCRETE_INPUTS", 0x03: "READ_HOLDING_REGISTERS",
	0x04: "READ_INPUT_REGISTERS", 0x05: "WRITE_SINGLE_COIL", 0x06: "WRITE_SINGLE_REGISTER",
	0x07: "READ_EXCEPTION_STATUS", 0x08: "DIAGNOSTICS", 0x0B: "GET_COMM_EVENT_COUNTER",
	0x0C: "GET_COMM_EVENT_LOG", 0x0F: "WRITE_MULTIPLE_COILS", 0x10: "WRITE_MULTIPLE_REGISTERS",
	0x11: "REPORT_SLAVE_ID", 0x14: "READ_FILE_RECORD", 0x15: "WRITE_FILE_RECORD",
	0x16: "MASK_WRITE_REGISTER", 0x17: "READ_WRITE_MULTIPLE_REGISTERS", 0x18: "READ_FIFO_QUEUE",
	0x2B: "ENCAP_INTERFACE_TRANSPORT", 0x5B: "OBJECT_MESSAGING",
	0x09: "PROGRAM_484", 0x0A: "POLL_484", 0x0D: "PROGRAM_584_984", 0x0E: "POLL_584_984",
	0x12: "PROGRAM_884_U84", 0x13: "RESET_COMM_LINK_884_U84", 0x28: "PROGRAM_CONCEPT",
	0x29: "MULTIPLE_FUNCTION_CODES", 0x5A: "PROGRAM_UNITY", 0x7D: "FIRMWARE_REPLACEMENT",
	0x7E: "PROGRAM_584_984_2", 0x7F: "REPORT_LOCAL_ADDRESS",
}

var exceptionNames = map[uint8]string{
	0x01: "ILLEGAL_FUNCTION", 0x02: "ILLEGAL_DATA_ADDRESS", 0x03: "ILLEGAL_DATA_VALUE",
	0x04: "SLAVE_DEVICE_FAILURE", 0x05: "ACKNOWLEDGE", 0x06: "SLAVE_DEVICE_BUSY",
	0x08: "MEMORY_PARITY_ERROR", 0x0A: "GATEWAY_PATH_UNAVAILABLE",
	0x0B: "GATEWAY_TARGET_DEVICE_FAILED_TO_RESPOND",
}

var funcTable, excTable [256]string

func init() {
	for i := range 256 {
		fc := uint8(i)
		masked := fc &^ 0x80
		name, known := functionNames[fc]
		mname, mknown := functionNames[masked]
		switch {
		case known:
			funcTable[i] = name
		case !mknown:
			funcTable[i] = "unknown-" + strconv.Itoa(i)
		default:
			funcTable[i] = mname + "_EXCEPTION"
		}
		if e, ok := exceptionNames[fc]; ok {
			excTable[i] = e
		} else {
			excTable[i] = "unknown-" + strconv.Itoa(i)
		}
	}
}

// FuncName returns the name Zeek logs for a raw function code: the known
// name, "unknown-N" when neither the code nor the code without its
// exception bit is known, else the name with "_EXCEPTION" appended.
func FuncName(fc uint8) string { return funcTable[fc] }

// ExceptionName returns the name of an exception code ("unknown-N" for
// unassigned codes).
func ExceptionName(code uint8) string { return excTable[code] }
