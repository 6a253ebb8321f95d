package alert

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestEVEShape(t *testing.T) {
	at := time.Date(2026, 11, 27, 18, 4, 5, 123456000, time.UTC)
	a := New(at, "CITADEL test", 9000001, 1, "Test", "T0855", "Unauthorized Command Message", "impair-process-control")
	a.SrcIP, a.DestIP, a.Proto, a.AppProto = "10.0.0.1", "10.0.0.2", "TCP", "modbus"
	var buf bytes.Buffer
	w := NewWriter(&buf)
	w.Write(&a)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	line := buf.String()
	for _, want := range []string{`"timestamp":"2026-11-27T18:04:05.123456+0000"`, `"event_type":"alert"`,
		`"mitre_technique_id":["T0855"]`, `"signature_id":9000001`, `"action":"allowed"`} {
		if !strings.Contains(line, want) {
			t.Errorf("alert JSON lacks %s:\n%s", want, line)
		}
	}
	var back Alert
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if !time.Time(back.Timestamp).Equal(at) || back.Technique() != "T0855" || w.Count() != 1 {
		t.Errorf("round trip: %+v", back)
	}
}
