package heartbeat

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sort"
	"time"

	"github.com/citadel-city/citadel/internal/alert"
	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/intel"
)

// Alert is what a live heartbeat raises when an alarm starts, in
// Citadel's one alert schema (internal/alert): app_proto "heartbeat", the
// score and explanation under "process". It carries the ATT&CK for ICS
// technique the strongest hit points at: T0832 Manipulation of View for
// readings that contradict the process (spoofed, replayed, offset values),
// T0836 Modify Parameter for a process that behaves differently (a slowed
// pump, a changed threshold).
type Alert = alert.Alert

// Signature ids of heartbeat alerts, beside the sensor's.
const (
	sidViewContradiction = 9300001
	sidProcessChanged    = 9300002
)

// NewAlert builds the alert for a row whose alarm started. Severity follows
// Suricata's scale: 1 (high) when the score is 3 thresholds or more, else 2.
func NewAlert(t time.Time, stamp string, r Result) Alert {
	name, tactic := "", ""
	if tech, ok := intel.LookupTechnique(r.Technique); ok {
		name = tech.Name
		if len(tech.Tactics) > 0 {
			tactic = tech.Tactics[0]
		}
	}
	sev := 2
	if r.Score >= 3 {
		sev = 1
	}
	sig, sid := "CITADEL HEARTBEAT process values contradict the learned physics", sidViewContradiction
	if r.Technique == TechModifyParameter {
		sig, sid = "CITADEL HEARTBEAT process behaves outside its learned envelope", sidProcessChanged
	}
	a := alert.New(t, sig, sid, sev, "Process anomaly", r.Technique, name, tactic)
	a.AppProto = "heartbeat"
	a.Process = &alert.Process{Stamp: stamp, Score: r.Score, Explain: r.Explain}
	return a
}

// columnMap returns, for each of want, its index in have; a missing or
// extra signal is a bad-input error naming the file.
func columnMap(file string, have, want []string) ([]int, error) {
	t := &Table{Path: file, Signals: have}
	idx := indexOf(have)
	if _, err := t.Reorder(want); err != nil {
		return nil, err
	}
	perm := make([]int, len(want))
	for k, s := range want {
		perm[k] = idx[s]
	}
	return perm, nil
}

// WatchRows runs the rows of rr through a fresh stream of m as they are
// read, calling emit with an alert whenever an alarm starts. It stops at
// the end of input, at the first bad row (a diag.List), or when ctx ends.
func (m *Model) WatchRows(ctx context.Context, rr *RowReader, emit func(Alert) error) (rows int, err error) {
	perm, err := columnMap(rr.name, rr.Signals, m.Signals)
	if err != nil {
		return 0, err
	}
	s := m.NewStream()
	x := make([]float64, len(m.Signals))
	for {
		if err := ctx.Err(); err != nil {
			return rows, err
		}
		row, err := rr.Next()
		if err == io.EOF {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		for k, i := range perm {
			x[k] = row.X[i]
		}
		res := s.Update(row.Time, x)
		rows++
		if res.Rising {
			if err := emit(NewAlert(row.Time, row.Stamp, res)); err != nil {
				return rows, err
			}
		}
	}
}

// Sample is one reading of one signal, as IoT telemetry delivers them.
type Sample struct {
	Time   time.Time
	Signal string
	Value  float64
}

// Assembler turns a stream of samples into rows: a row is complete when
// the first sample of a later timestamp arrives, and holds the latest
// value of every signal (sample and hold), so a sensor that reports less
// often keeps its last reading. Rows start once every signal has reported.
type Assembler struct {
	idx     map[string]int
	last    []float64
	seen    []bool
	nSeen   int
	cur     time.Time
	pending bool
	out     []float64

	Late    int // samples older than the current row, dropped
	Unknown int // samples of signals the model does not know, dropped
}

// NewAssembler returns an assembler for rows of signals (in that order).
func NewAssembler(signals []string) *Assembler {
	n := len(signals)
	return &Assembler{idx: indexOf(signals), last: make([]float64, n), seen: make([]bool, n), out: make([]float64, n)}
}

// Add records a sample. When the sample opens a new timestamp and the
// previous one is complete, that row is returned (ok true); the slice is
// reused by the next call.
func (a *Assembler) Add(s Sample) (t time.Time, row []float64, ok bool) {
	j, known := a.idx[s.Signal]
	if !known {
		a.Unknown++
		return time.Time{}, nil, false
	}
	if a.pending && s.Time.Before(a.cur) {
		a.Late++
		return time.Time{}, nil, false
	}
	if a.pending && s.Time.After(a.cur) {
		t, row, ok = a.emit()
	}
	a.cur, a.pending = s.Time, true
	a.last[j] = s.Value
	if !a.seen[j] {
		a.seen[j] = true
		a.nSeen++
	}
	return t, row, ok
}

// Flush returns the row being assembled, if complete.
func (a *Assembler) Flush() (t time.Time, row []float64, ok bool) {
	if !a.pending {
		return time.Time{}, nil, false
	}
	a.pending = false
	return a.emit()
}

func (a *Assembler) emit() (time.Time, []float64, bool) {
	if a.nSeen < len(a.last) {
		return time.Time{}, nil, false
	}
	copy(a.out, a.last)
	return a.cur, a.out, true
}

// telemetryMsg is the JSON of one telemetry message: either many signals
// ("values") or one ("signal", "value"), at "time".
type telemetryMsg struct {
	Time   string             `json:"time"`
	Values map[string]float64 `json:"values"`
	Signal string             `json:"signal"`
	Value  *float64           `json:"value"`
}

// ParseTelemetry decodes one telemetry message:
//
//	{"time": "2016-07-04T00:00:00Z", "values": {"L_T1": 2.44, "S_PU1": 1}}
//	{"time": "04/07/16 00", "signal": "L_T1", "value": 2.44}
//
// Samples come back sorted by signal name.
func ParseTelemetry(payload []byte) ([]Sample, error) {
	var m telemetryMsg
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, diag.Errorf("telemetry message: %v", err)
	}
	t, err := ParseTime(m.Time)
	if err != nil {
		return nil, diag.Errorf("telemetry message: %v", err)
	}
	var out []Sample
	for k, v := range m.Values {
		out = append(out, Sample{Time: t, Signal: k, Value: v})
	}
	if m.Signal != "" {
		if m.Value == nil {
			return nil, diag.Errorf("telemetry message: signal %s without a value", m.Signal)
		}
		out = append(out, Sample{Time: t, Signal: m.Signal, Value: *m.Value})
	}
	if len(out) == 0 {
		return nil, diag.Errorf("telemetry message: no values")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Signal < out[j].Signal })
	return out, nil
}

// WatchSamples runs telemetry messages from msgs through a fresh stream of
// m until msgs is closed or ctx ends, assembling rows with an Assembler
// and calling emit whenever an alarm starts. A bad message is reported to
// bad (when not nil) and skipped: one broken sensor must not stop the
// watch. maxRows > 0 stops after that many rows.
func (m *Model) WatchSamples(ctx context.Context, msgs <-chan []byte, maxRows int, emit func(Alert) error, bad func(error)) (rows int, err error) {
	s := m.NewStream()
	a := NewAssembler(m.Signals)
	step := func(t time.Time, row []float64, ok bool) error {
		if !ok {
			return nil
		}
		res := s.Update(t, row)
		rows++
		if res.Rising {
			return emit(NewAlert(t, "", res))
		}
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			return rows, ctx.Err()
		case p, open := <-msgs:
			if !open {
				t, row, ok := a.Flush()
				return rows, step(t, row, ok)
			}
			samples, err := ParseTelemetry(p)
			if err != nil {
				if bad != nil {
					bad(err)
				}
				continue
			}
			for _, sm := range samples {
				if err := step(a.Add(sm)); err != nil {
					return rows, err
				}
				if maxRows > 0 && rows >= maxRows {
					return rows, nil
				}
			}
		}
	}
}
