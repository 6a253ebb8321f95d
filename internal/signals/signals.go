// Package signals turns what the OT sensor reads on the wire into the named
// process signals the heartbeat learns: the city model says which asset
// serves which signal at which data point (assets' signals and addresses),
// and a Watch feeds the values of every transaction into a trained
// heartbeat model, writing its alarms into the sensor's alerts.json in the
// one alert schema.
package signals

import (
	"fmt"
	"slices"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/heartbeat"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/sense"
)

// Map knows which signal each data point of each asset carries.
type Map struct {
	book   *model.AddressBook
	points map[pointKey]entry
	names  []string
}

type pointKey struct {
	asset   string
	station uint32 // 0: any station
	kind    sense.PointKind
	index   uint32
}

type entry struct {
	name          string
	scale, offset float64
}

// New builds the map of a validated city.
func New(c *model.City) *Map {
	m := &Map{book: c.AddressBook(), points: map[pointKey]entry{}}
	for _, a := range c.Assets {
		for _, s := range a.Signals {
			kind, idx, ok := model.ParsePoint(s.Point)
			if !ok {
				continue // Validate rejects it
			}
			scale := s.Scale
			if scale == 0 {
				scale = 1
			}
			m.points[pointKey{a.ID, uint32(s.Station), sense.PointKind(kind), idx}] = entry{s.Name, scale, s.Offset}
			m.names = append(m.names, s.Name)
		}
	}
	slices.Sort(m.names)
	return m
}

// Names returns the signals the map knows, sorted.
func (m *Map) Names() []string { return m.names }

// Samples calls emit for every value in tx that the map names. Values live
// at the responder (the server or outstation) of the flow; a read response
// and a write both carry them.
func (m *Map) Samples(tx *sense.Transaction, emit func(heartbeat.Sample)) {
	if tx.Flow == nil || len(m.points) == 0 {
		return
	}
	asset, ok := m.book.Lookup(tx.Flow.Resp.Addr())
	if !ok {
		return
	}
	t := tx.RespTS
	if t.IsZero() {
		t = tx.TS
	}
	for _, op := range tx.Ops {
		if !op.HasValue {
			continue
		}
		e, ok := m.points[pointKey{asset, tx.Station, op.Kind, op.Index}]
		if !ok {
			e, ok = m.points[pointKey{asset, 0, op.Kind, op.Index}]
		}
		if ok {
			emit(heartbeat.Sample{Time: t, Signal: e.name, Value: op.Value*e.scale + e.offset})
		}
	}
}

// Watch runs a heartbeat model on the values the sensor reads; it is a
// sense.Observer.
type Watch struct {
	m      *Map
	model  *heartbeat.Model
	asm    *heartbeat.Assembler
	stream *heartbeat.Stream
	assets []string // asset ids whose signals the model uses, for alerts

	Rows   int // rows scored
	Alarms int // alarms raised
}

// NewWatch checks that the map serves every signal the heartbeat model
// needs and returns a watch; a missing signal is a bad-input error naming it.
func NewWatch(m *Map, hb *heartbeat.Model, c *model.City) (*Watch, error) {
	var missing []string
	for _, s := range hb.Signals {
		if !slices.Contains(m.names, s) {
			missing = append(missing, s)
		}
	}
	if len(missing) > 0 {
		return nil, diag.Errorf("the heartbeat model needs signals the city model does not map to any asset's data point: %v (add them under the assets' 'signals')", missing)
	}
	w := &Watch{m: m, model: hb, asm: heartbeat.NewAssembler(hb.Signals), stream: hb.NewStream()}
	for _, a := range c.Assets {
		for _, s := range a.Signals {
			if slices.Contains(hb.Signals, s.Name) && !slices.Contains(w.assets, a.ID) {
				w.assets = append(w.assets, a.ID)
			}
		}
	}
	return w, nil
}

// Observe implements sense.Observer.
func (w *Watch) Observe(tx *sense.Transaction, alerts *sense.AlertWriter) {
	w.m.Samples(tx, func(s heartbeat.Sample) {
		if t, row, ok := w.asm.Add(s); ok {
			w.score(t, row, alerts)
		}
	})
}

// Finish implements sense.Observer: it scores the last row.
func (w *Watch) Finish(alerts *sense.AlertWriter) {
	if t, row, ok := w.asm.Flush(); ok {
		w.score(t, row, alerts)
	}
}

func (w *Watch) score(t time.Time, row []float64, alerts *sense.AlertWriter) {
	w.Rows++
	r := w.stream.Update(t, row)
	if !r.Rising {
		return
	}
	w.Alarms++
	a := heartbeat.NewAlert(t, "", r)
	a.Process.Signals = w.model.Signals
	a.OT = &sense.AlertOT{AssetIDs: w.assets, Function: "process values read from OT traffic"}
	alerts.Write(&a)
}

// String describes the watch for the CLI summary.
func (w *Watch) String() string {
	return fmt.Sprintf("heartbeat on %d signals from traffic: %d rows scored, %d alarms", len(w.model.Signals), w.Rows, w.Alarms)
}

var _ sense.Observer = (*Watch)(nil)
