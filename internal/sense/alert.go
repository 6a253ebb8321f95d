package sense

import (
	"bufio"
	"encoding/json"
	"io"
	"time"
)

// Alert is Citadel's one alert schema, shared by the sensor, the SOC and
// the drills. It is shaped like a Suricata EVE alert record, so EVE
// tooling reads alerts.json as is, with the OT details in "ot".
type Alert struct {
	Timestamp EVETime   `json:"timestamp"`
	FlowID    string    `json:"flow_id,omitempty"` // connection uid, as in the logs
	EventType string    `json:"event_type"`        // always "alert"
	SrcIP     string    `json:"src_ip"`
	SrcPort   uint16    `json:"src_port"`
	DestIP    string    `json:"dest_ip"`
	DestPort  uint16    `json:"dest_port"`
	Proto     string    `json:"proto"`     // "TCP" or "UDP"
	AppProto  string    `json:"app_proto"` // analyzer name: "modbus", "dnp3"
	Alert     AlertInfo `json:"alert"`
	OT        *AlertOT  `json:"ot,omitempty"`
}

// AlertInfo is the "alert" object of an EVE record.
type AlertInfo struct {
	Action      string        `json:"action"` // "allowed": the sensor is passive
	Signature   string        `json:"signature"`
	SignatureID int           `json:"signature_id"`
	Rev         int           `json:"rev"`
	Severity    int           `json:"severity"` // 1 high, 2 medium, 3 low (Suricata's scale)
	Category    string        `json:"category"`
	Metadata    AlertMetadata `json:"metadata"`
}

// AlertMetadata carries the ATT&CK for ICS technique of the alert.
type AlertMetadata struct {
	MitreTechniqueID   []string `json:"mitre_technique_id"`
	MitreTechniqueName []string `json:"mitre_technique_name"`
	MitreTactic        []string `json:"mitre_tactic_name,omitempty"`
}

// AlertOT is the offending transaction and the learned expectation it
// broke.
type AlertOT struct {
	Packet   uint64   `json:"packet"`             // capture packet of the transaction
	Station  uint32   `json:"station"`            // Modbus unit id / DNP3 outstation address
	Function string   `json:"function"`           // function name as logged
	Points   []string `json:"points,omitempty"`   // e.g. "holding_register:40001=1234"
	Expected string   `json:"expected,omitempty"` // what the baseline or rule expected
	Observed string   `json:"observed,omitempty"` // what was seen instead
	AssetIDs []string `json:"asset_ids,omitempty"`
}

// EVETime formats as Suricata does: 2006-01-02T15:04:05.000000+0000.
type EVETime time.Time

// MarshalJSON implements json.Marshaler.
func (t EVETime) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 34)
	b = append(b, '"')
	b = time.Time(t).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000-0700")
	return append(b, '"'), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *EVETime) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse("2006-01-02T15:04:05.000000-0700", s)
	*t = EVETime(v)
	return err
}

// AlertWriter writes alerts as JSON lines (alerts.json).
type AlertWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
	n   int
	err error
}

// NewAlertWriter writes alerts to w, buffered: call Flush at the end.
func NewAlertWriter(w io.Writer) *AlertWriter {
	bw := bufio.NewWriter(w)
	return &AlertWriter{bw: bw, enc: json.NewEncoder(bw)}
}

// Flush writes buffered alerts and returns the first error.
func (w *AlertWriter) Flush() error {
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	return w.err
}

// Write writes one alert.
func (w *AlertWriter) Write(a *Alert) {
	if w == nil || w.err != nil {
		return
	}
	w.err = w.enc.Encode(a)
	w.n++
}

// Count returns the number of alerts written.
func (w *AlertWriter) Count() int {
	if w == nil {
		return 0
	}
	return w.n
}

// Err returns the first write error.
func (w *AlertWriter) Err() error { return w.err }
