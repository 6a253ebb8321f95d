package dnp3

import (
	"fmt"
	"strconv"
	"strings"
)

// This file renders decoded DNP3 in the text format of the opendnp3 3.0
// conformance harness logs (ics-security-tools conformance/*/log.html), so
// that the decoder can be compared with them line by line.

var opendnp3FuncNames = map[FuncCode]string{
	FuncConfirm: "Confirm", FuncRead: "Read", FuncWrite: "Write", FuncSelect: "Select",
	FuncOperate: "Operate", FuncDirectOperate: "Direct Operate",
	FuncDirectOperateNR: "Direct Operate No Ack", FuncImmedFreeze: "Freeze",
	FuncImmedFreezeNR: "Freeze No Ack", FuncFreezeClear: "Freeze Clear",
	FuncFreezeClearNR: "Freeze Clear No Ack", FuncFreezeAtTime: "Freeze At Time",
	FuncFreezeAtTimeNR: "Freeze At Time No Ack", FuncColdRestart: "Cold Restart",
	FuncWarmRestart: "Warm Restart", FuncInitializeData: "Initialize Data",
	FuncInitializeAppl: "Initialize Application", FuncStartAppl: "Start Application",
	FuncStopAppl: "Stop Application", FuncSaveConfig: "Save Configuration",
	FuncEnableUnsolicited: "Enable Unsolicited", FuncDisableUnsolicited: "Disable Unsolicited",
	FuncAssignClass: "Assign Class", FuncDelayMeasure: "Delay Meas",
	FuncRecordCurrentTime: "Record Current Time", FuncOpenFile: "Open File",
	FuncCloseFile: "Close File", FuncDeleteFile: "Delete File", FuncGetFileInfo: "Get File Info",
	FuncAuthenticateFile: "Authenticate File", FuncAbortFile: "Abort File",
	FuncResponse: "Response", FuncUnsolicited: "Unsolicited Response",
	FuncAuthenticateResp: "Auth Response",
}

func b01(b bool) int {
	if b {
		return 1
	}
	return 0
}

func fmtLink(h LinkHeader) string {
	name := h.Func().String()
	switch h.Func() {
	case LinkRequestLinkStatus:
		name = "REQUEST_LINK_STATES"
	}
	if strings.HasPrefix(name, "Unknown") {
		name = "Unknown"
	} else {
		name = fmt.Sprintf("%s(0x%02X)", name, h.Func().Code())
	}
	return fmt.Sprintf("master: %d pri: %d fcb: %d fcv: %d func: %s 0x%02X length: %d dest: %d src: %d",
		b01(h.Dir()), b01(h.Primary()), b01(h.FCB()), b01(h.FCV()), name, h.Control, h.Length, h.Dst, h.Src)
}

func fmtTransport(th byte) string {
	return fmt.Sprintf("fir: %d fin: %d seq: %d", b01(th&TransportFIR != 0), b01(th&TransportFIN != 0), th&0x3F)
}

func fmtApp(h AppHeader) string {
	name, ok := opendnp3FuncNames[h.Func]
	if !ok {
		name = "Unknown"
	}
	s := fmt.Sprintf("%s(0x%02X) fir: %d fin: %d con: %d uns: %d seq: 0x%02X", name, uint8(h.Func),
		b01(h.Control.FIR()), b01(h.Control.FIN()), b01(h.Control.CON()), b01(h.Control.UNS()), h.Control.Seq())
	if h.Func.IsResponse() {
		s += " IIN(" + h.IIN.String() + ")"
	}
	return s
}

func fmtObjectHeader(h *ObjectHeader) string {
	s := fmt.Sprintf("g%dv%d, %s", h.Group, h.Variation, h.Qualifier)
	switch r := h.Qualifier.Range(); {
	case r <= 5:
		s += fmt.Sprintf(", start: %d stop: %d", h.Start, h.Stop)
	case r == 6:
	default:
		s += fmt.Sprintf(", count: %d", h.Count)
	}
	return s
}

// cppDouble formats like a C++ ostream with default precision.
func cppDouble(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func fmtPoint(h *ObjectHeader, p *Point) string {
	idx := fmt.Sprintf("[%d] - ", p.Index)
	tm := ""
	if p.HasTime {
		if p.RelTime {
			tm = fmt.Sprintf(" cto: %d", p.Time)
		} else {
			tm = fmt.Sprintf(" time: %d", p.Time)
		}
	}
	switch p.Kind {
	case KindBinary, KindDoubleBit, KindBinaryOutput:
		if !p.HasFlags {
			return idx + fmt.Sprintf("value: %d", int(p.Value))
		}
		return idx + fmt.Sprintf("flags: 0x%02X", p.Flags) + tm
	case KindCounter:
		return idx + fmt.Sprintf("flags: 0x%02X count: %d", p.Flags, uint32(p.Value)) + tm
	case KindAnalog, KindAnalogOutput:
		return idx + fmt.Sprintf("flags: 0x%02X value: %s", p.Flags, cppDouble(p.Value)) + tm
	case KindAnalogCommand:
		return idx + fmt.Sprintf("value: %s status: %d", cppDouble(p.Value), p.Status)
	case KindCROB:
		c := p.CROB
		return idx + fmt.Sprintf("code: %d count: %d onTime: %d offTime: %d status: %d", c.Code, c.Count, c.OnTime, c.OffTime, c.Status)
	case KindTime:
		return fmt.Sprintf("time: %d", p.Time)
	case KindDelay:
		return fmt.Sprintf("delay: %d", int(p.Value))
	case KindIIN:
		return idx + fmt.Sprintf("BooleanValue(%t)", p.Value != 0)
	}
	return idx + fmt.Sprintf("raw: % X", p.Raw)
}

// fmtFragment renders the application layer of a fragment: the header line
// then, for each object header, its line and its point lines.
func fmtFragment(frag []byte) ([]string, error) {
	var f Fragment
	if err := ParseFragment(frag, &f); err != nil {
		return nil, err
	}
	out := []string{fmtApp(f.AppHeader)}
	r := f.ObjectReader()
	var h ObjectHeader
	var p Point
	for r.Next(&h) {
		out = append(out, fmtObjectHeader(&h))
		pr := h.Points()
		for pr.Next(&p) {
			out = append(out, fmtPoint(&h, &p))
		}
		if err := pr.Err(); err != nil {
			return out, err
		}
	}
	return out, r.Err()
}
