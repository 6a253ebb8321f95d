package sense

import "github.com/citadel-city/citadel/internal/alert"

// The sensor's alerts use Citadel's one alert schema (internal/alert); these
// names keep the sensor's code short.
type (
	// Alert is an alert record (alert.Alert).
	Alert = alert.Alert
	// AlertInfo is the "alert" object of an EVE record.
	AlertInfo = alert.Info
	// AlertMetadata carries the ATT&CK technique.
	AlertMetadata = alert.Metadata
	// AlertOT is the offending transaction.
	AlertOT = alert.OT
	// EVETime formats as Suricata does.
	EVETime = alert.Time
	// AlertWriter writes alerts as JSON lines.
	AlertWriter = alert.Writer
)

// NewAlertWriter writes alerts to w, buffered: call Flush at the end.
var NewAlertWriter = alert.NewWriter
