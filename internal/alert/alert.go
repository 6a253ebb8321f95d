// Package alert is Citadel's one alert schema, shared by the OT sensor
// (internal/sense), the process heartbeat (internal/heartbeat) and, later,
// the SOC and the drills. An alert is shaped like a Suricata EVE alert
// record, so EVE tooling and SIEM parsers read Citadel's alerts as they are:
// the ATT&CK technique travels in alert.metadata as Suricata rules carry it,
// OT details in "ot" and process-value details in "process".
package alert

import (
	"bufio"
	"encoding/json"
	"io"
	"time"
)

// Alert is one alert. Network alerts fill the flow fields; process-value
// alerts from the heartbeat leave them empty and fill Process.
type Alert struct {
	Timestamp Time     `json:"timestamp"`
	FlowID    string   `json:"flow_id,omitempty"` // connection uid, as in the logs
	EventType string   `json:"event_type"`        // always "alert"
	SrcIP     string   `json:"src_ip"`
	SrcPort   uint16   `json:"src_port"`
	DestIP    string   `json:"dest_ip"`
	DestPort  uint16   `json:"dest_port"`
	Proto     string   `json:"proto"`     // "TCP" or "UDP"
	AppProto  string   `json:"app_proto"` // analyzer name: "modbus", "dnp3"; "heartbeat" for process values
	Alert     Info     `json:"alert"`
	OT        *OT      `json:"ot,omitempty"`
	Process   *Process `json:"process,omitempty"`
}

// Process is what a process-value (heartbeat) alert saw: the anomaly score
// and which signals and physical relation it broke.
type Process struct {
	Stamp   string   `json:"stamp,omitempty"` // the input's own timestamp text, when it had one
	Score   float64  `json:"score"`           // in units of the alarm threshold: 1 is at the threshold
	Explain string   `json:"explain"`         // which signals and which relation
	Signals []string `json:"signals,omitempty"`
}

// New returns an alert of the given signature with its ATT&CK technique;
// callers fill the flow, OT or process details.
func New(t time.Time, sig string, sid, severity int, category, techID, techName, tactic string) Alert {
	a := Alert{Timestamp: Time(t), EventType: "alert",
		Alert: Info{Action: "allowed", Signature: sig, SignatureID: sid, Rev: 1, Severity: severity, Category: category,
			Metadata: Metadata{MitreTechniqueID: []string{techID}, MitreTechniqueName: []string{techName}}}}
	if tactic != "" {
		a.Alert.Metadata.MitreTactic = []string{tactic}
	}
	return a
}

// Technique returns the alert's ATT&CK technique id.
func (a *Alert) Technique() string {
	if len(a.Alert.Metadata.MitreTechniqueID) == 0 {
		return ""
	}
	return a.Alert.Metadata.MitreTechniqueID[0]
}

// Info is the "alert" object of an EVE record.
type Info struct {
	Action      string   `json:"action"` // "allowed": the sensor is passive
	Signature   string   `json:"signature"`
	SignatureID int      `json:"signature_id"`
	Rev         int      `json:"rev"`
	Severity    int      `json:"severity"` // 1 high, 2 medium, 3 low (Suricata's scale)
	Category    string   `json:"category"`
	Metadata    Metadata `json:"metadata"`
}

// Metadata carries the ATT&CK for ICS technique of the alert.
type Metadata struct {
	MitreTechniqueID   []string `json:"mitre_technique_id"`
	MitreTechniqueName []string `json:"mitre_technique_name"`
	MitreTactic        []string `json:"mitre_tactic_name,omitempty"`
}

// OT is the offending transaction and the learned expectation it
// broke.
type OT struct {
	Packet   uint64   `json:"packet"`             // capture packet of the transaction
	Station  uint32   `json:"station"`            // Modbus unit id / DNP3 outstation address
	Function string   `json:"function"`           // function name as logged
	Points   []string `json:"points,omitempty"`   // e.g. "holding_register:40001=1234"
	Expected string   `json:"expected,omitempty"` // what the baseline or rule expected
	Observed string   `json:"observed,omitempty"` // what was seen instead
	AssetIDs []string `json:"asset_ids,omitempty"`
}

// Time formats as Suricata does: 2006-01-02T15:04:05.000000+0000.
type Time time.Time

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 34)
	b = append(b, '"')
	b = time.Time(t).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000-0700")
	return append(b, '"'), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.Parse("2006-01-02T15:04:05.000000-0700", s)
	*t = Time(v)
	return err
}

// Writer writes alerts as JSON lines (alerts.json).
type Writer struct {
	bw  *bufio.Writer
	enc *json.Encoder
	n   int
	err error
}

// NewWriter writes alerts to w, buffered: call Flush at the end.
func NewWriter(w io.Writer) *Writer {
	bw := bufio.NewWriter(w)
	return &Writer{bw: bw, enc: json.NewEncoder(bw)}
}

// Flush writes buffered alerts and returns the first error.
func (w *Writer) Flush() error {
	if w.err == nil {
		w.err = w.bw.Flush()
	}
	return w.err
}

// Write writes one alert.
func (w *Writer) Write(a *Alert) {
	if w == nil || w.err != nil {
		return
	}
	w.err = w.enc.Encode(a)
	w.n++
}

// Count returns the number of alerts written.
func (w *Writer) Count() int {
	if w == nil {
		return 0
	}
	return w.n
}

// Err returns the first write error.
func (w *Writer) Err() error { return w.err }
