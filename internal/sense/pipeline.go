package sense

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/citadel-city/citadel/internal/atomicfile"
	"github.com/citadel-city/citadel/internal/capture"
	"github.com/citadel-city/citadel/internal/diag"
)

// Config is one run of the sensor.
type Config struct {
	// Pcaps are capture files (pcap or pcapng), read in order as one
	// capture: packet numbers continue from file to file.
	Pcaps []string
	// Sources are extra packet sources (a live interface), read after
	// Pcaps until they return io.EOF or ctx is done.
	Sources []capture.Source
	// OutDir receives the logs, inventory.yaml and alerts.json. It is
	// created if missing.
	OutDir string
	// JSON writes logs as JSON lines instead of Zeek TSV.
	JSON bool
	// Engine tunes the flow table and chooses the analyzers.
	Engine EngineConfig
	// Now gives the wall-clock time written in #open/#close (default
	// time.Now).
	Now func() time.Time
	// Learn records a baseline of the traffic and writes baseline.json.
	Learn bool
	// Baseline, when set, turns on the rules that compare traffic with a
	// learned baseline (new talker, new function, new writer, value
	// outside the envelope). The stateless rules always run.
	Baseline *Baseline
	// Assets, when set, names an address with the city model's asset id
	// (model.City.AddressBook().Lookup): inventory devices take that id and
	// alerts list the asset ids of both ends.
	Assets func(netip.Addr) (string, bool)
	// Observer, when set, sees every transaction after the sensor's own
	// consumers and may write alerts of its own (the process heartbeat fed
	// from traffic); its Finish runs after the last transaction.
	Observer Observer
}

// Observer consumes transactions beside the sensor: see Config.Observer.
type Observer interface {
	Observe(tx *Transaction, alerts *AlertWriter)
	Finish(alerts *AlertWriter)
}

// Result summarises a run.
type Result struct {
	Stats  Stats          `json:"stats"`
	Rows   map[string]int `json:"rows"`   // rows written per log path
	Weirds map[string]int `json:"weirds"` // weird records by name
	Files  []string       `json:"files"`  // files written
	Alerts map[int]int    `json:"alerts"` // alerts per signature id
}

// Run reads the captures, decodes them and writes the outputs into
// cfg.OutDir atomically. A capture that is cut short or corrupt in the
// middle still yields the outputs for the packets before the damage; Run
// then returns the capture's error (a *diag.Diagnostic naming the packet).
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.OutDir == "" {
		return nil, diag.Errorf("no output directory given")
	}
	if len(cfg.Pcaps) == 0 && len(cfg.Sources) == 0 {
		return nil, diag.Errorf("no capture given")
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	// Open every capture first, so a wrong path fails before any output.
	readers := make([]*capture.Reader, 0, len(cfg.Pcaps))
	defer func() {
		for _, r := range readers {
			r.Close()
		}
	}()
	for _, p := range cfg.Pcaps {
		r, err := capture.Open(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) || errors.Is(err, os.ErrPermission) {
				return nil, diag.Errorf("open capture: %v", err)
			}
			return nil, err
		}
		readers = append(readers, r)
	}
	if err := os.MkdirAll(cfg.OutDir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	analyzers := cfg.Engine.Analyzers
	if analyzers == nil {
		analyzers = Analyzers()
	}
	cfg.Engine.Analyzers = analyzers
	format, ext := TSV, ".log"
	if cfg.JSON {
		format = JSON
	}
	schemas := []*Schema{WeirdSchema}
	for _, a := range analyzers {
		schemas = append(schemas, a.Logs()...)
	}
	res := &Result{Rows: map[string]int{}}
	var inputErr error
	// Each output file is written through atomicfile; the nesting keeps
	// all of them open while the packets flow, and renames them only when
	// the run completes.
	writers := make([]*LogWriter, len(schemas))
	var alerts *AlertWriter
	var run func(i int) error
	run = func(i int) error {
		if i == len(schemas) {
			return runEngine(ctx, &cfg, res, writers, alerts, readers, &inputErr, now)
		}
		path := filepath.Join(cfg.OutDir, schemas[i].Path+ext)
		err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
			writers[i] = NewLogWriter(w, schemas[i], format, now())
			return run(i + 1)
		})
		if err == nil {
			res.Files = append(res.Files, path)
		}
		return err
	}
	alertsPath := filepath.Join(cfg.OutDir, "alerts.json")
	err := atomicfile.Write(alertsPath, 0o644, func(w io.Writer) error {
		alerts = NewAlertWriter(w)
		if err := run(0); err != nil {
			return err
		}
		return alerts.Flush()
	})
	if err != nil {
		return nil, err
	}
	res.Files = append(res.Files, alertsPath)
	return res, inputErr
}

// runEngine feeds the captures through the engine with every output open,
// then writes inventory.yaml (and baseline.json when learning).
func runEngine(ctx context.Context, cfg *Config, res *Result, writers []*LogWriter, alerts *AlertWriter,
	readers []*capture.Reader, inputErr *error, now func() time.Time) error {
	out := NewOutput(writers[0], writers[1:]...)
	inv := NewInventory()
	inv.Assets = cfg.Assets
	det := NewDetector(cfg.Baseline, alerts)
	det.Assets = cfg.Assets
	var learned *Baseline
	if cfg.Learn {
		learned = NewBaseline()
	}
	out.OnTransaction = func(tx *Transaction) {
		res.Stats.Transactions++
		inv.Add(tx)
		det.Observe(tx)
		if learned != nil {
			learned.Learn(tx)
		}
		if cfg.Observer != nil {
			cfg.Observer.Observe(tx, alerts)
		}
	}
	eng := NewEngine(cfg.Engine, out)
	var err error
	*inputErr, err = feed(ctx, eng, readers, cfg.Sources)
	if err != nil {
		return err
	}
	eng.Finish()
	if cfg.Observer != nil {
		cfg.Observer.Finish(alerts)
	}
	tr := res.Stats.Transactions
	res.Stats = eng.Stats()
	res.Stats.Transactions = tr
	res.Weirds = out.Weirds
	res.Alerts = det.Counts()
	closeT := now()
	for _, w := range writers {
		if err := w.Close(closeT); err != nil {
			return err
		}
		res.Rows[w.Schema().Path] = w.Rows()
	}
	invPath := filepath.Join(cfg.OutDir, "inventory.yaml")
	if err := atomicfile.Write(invPath, 0o644, inv.WriteYAML); err != nil {
		return err
	}
	res.Files = append(res.Files, invPath)
	if learned != nil {
		bp := filepath.Join(cfg.OutDir, "baseline.json")
		if err := atomicfile.Write(bp, 0o644, learned.WriteJSON); err != nil {
			return err
		}
		res.Files = append(res.Files, bp)
	}
	return nil
}

// feed reads every source into the engine. It returns the first capture
// error (the run still completes with what was read) and any other error.
func feed(ctx context.Context, eng *Engine, readers []*capture.Reader, sources []capture.Source) (inputErr, err error) {
	var p capture.Packet
	var base uint64
	all := make([]capture.Source, 0, len(readers)+len(sources))
	for _, r := range readers {
		all = append(all, r)
	}
	all = append(all, sources...)
	for _, src := range all {
		var n uint64
		for {
			if n&0xfff == 0 && ctx.Err() != nil {
				if _, file := src.(*capture.Reader); file {
					return inputErr, ctx.Err()
				}
				break // a live source ends when the context does
			}
			e := src.Next(&p)
			if e == io.EOF {
				break
			}
			if e != nil {
				if inputErr == nil {
					inputErr = e
				}
				eng.out.Weird(nil, &eng.meta, "capture_truncated_or_corrupt", e.Error())
				break
			}
			n++
			p.Number = base + n
			eng.Packet(&p)
		}
		base += n
	}
	return inputErr, nil
}
