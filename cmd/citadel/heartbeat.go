package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/citadel-city/citadel/internal/atomicfile"
	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/heartbeat"
	"github.com/spf13/cobra"
)

func init() { register(newHeartbeatCmd) }

func newHeartbeatCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "heartbeat",
		Short: "Learn a physical process's normal behaviour and flag manipulated values",
		Long: `Heartbeat learns the normal joint behaviour of a process (tank levels, pump
and valve flows and states, pressures) from attack-free historian data, then
flags rows that break it: values outside the envelope of their operating
mode, slow drifts, broken correlations and broken physical relations (mass
balance of tanks, pump flow against head). Input is a wide CSV: a DATETIME
column and one column per signal (the BATADAL layout).

  citadel heartbeat train  --data normal.csv --out model.json
  citadel heartbeat detect --model model.json --data new.csv --out scores.csv
  citadel heartbeat score  --scores scores.csv --labels labels.csv
  citadel heartbeat watch  --model model.json --mqtt mqtt://127.0.0.1:1883 --topic 'city/+/telemetry'`,
	}
	cmd.AddCommand(newHeartbeatTrainCmd(), newHeartbeatDetectCmd(), newHeartbeatScoreCmd(), newHeartbeatWatchCmd())
	return cmd
}

func newHeartbeatTrainCmd() *cobra.Command {
	var (
		data       []string
		out        string
		labelCol   string
		mapPath    string
		network    string
		detectors  []string
		far, calFr float64
		resolution float64
		unlabelled bool
		hold       int
		off        float64
	)
	cmd := &cobra.Command{
		Use:   "train --data CSV [--data CSV ...] --out MODEL.json",
		Short: "Fit the detectors on attack-free data and calibrate their thresholds",
		Long: `Train fits every detector (envelope, cusum, pca and, when the signals are
mapped to a network, physics) on the attack-free rows of the data, holds out
the last --calibration share of each file, and sets the thresholds so that
the share of held-out rows raising an alarm (after alarm persistence) is at
most --far. The detectors are then refitted on all training rows.

With --label-column, rows labelled 1 (attack) are left out, and so are rows
labelled -999 (unlabelled) unless --use-unlabelled is given. The built-in
C-Town map is used when the data has the BATADAL signal names; --map names
another map (YAML, see docs/heartbeat.md), or --network derives one from an
EPANET .inp file by the BATADAL naming convention (L_<tank>, F_<link>,
S_<link>, P_<junction>; feeders from [CONTROLS], station pressures along
pipes within 50 m).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(data) == 0 || out == "" {
				return diag.Errorf("train needs --data and --out")
			}
			var tabs []*heartbeat.Table
			for _, p := range data {
				t, err := heartbeat.ReadFile(p, heartbeat.ReadOptions{LabelColumn: labelCol})
				if err != nil {
					return fmt.Errorf("read data: %w", err)
				}
				tabs = append(tabs, t)
			}
			opt := heartbeat.TrainOptions{Detectors: detectors, FAR: far, CalFraction: calFr, Resolution: resolution, UseUnlabelled: unlabelled}
			if cmd.Flags().Changed("hold") || cmd.Flags().Changed("off") {
				opt.Alarm = &heartbeat.AlarmRule{Hold: hold, Off: off}
			}
			switch {
			case mapPath != "":
				m, err := heartbeat.ReadMapFile(mapPath)
				if err != nil {
					return fmt.Errorf("read map: %w", err)
				}
				opt.Map = m
			case network != "":
				m, err := heartbeat.MapFromNetwork(network, tabs[0].Signals)
				if err != nil {
					return fmt.Errorf("read network: %w", err)
				}
				opt.Map = m
			}
			m, err := heartbeat.Train(tabs, opt)
			if err != nil {
				return fmt.Errorf("train: %w", err)
			}
			if err := atomicfile.Write(out, 0o644, m.WriteJSON); err != nil {
				return fmt.Errorf("write model: %w", err)
			}
			var names []string
			for _, d := range m.Detectors {
				names = append(names, d.Name)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "trained %s on %d rows (%d held out for calibration, alarm rate there %.4f, target %.4f) → %s\n",
				strings.Join(names, ","), m.TrainRows, m.CalRows, m.CalAlarm, m.FAR, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&data, "data", nil, "training CSV (repeatable)")
	f.StringVar(&out, "out", "", "model file to write (JSON)")
	f.StringVar(&labelCol, "label-column", "", "label column: 1 attack (left out), 0 normal, -999 unlabelled")
	f.StringVar(&mapPath, "map", "", "YAML map of signals to tanks, pumps and valves (default: built-in C-Town map when it fits)")
	f.StringVar(&network, "network", "", "EPANET .inp to derive the signal map from (when --map is not given)")
	f.StringSliceVar(&detectors, "detectors", nil, "detectors to use (default all: cusum,envelope,pca,physics)")
	f.Float64Var(&far, "far", 0.01, "target false-alarm rate on held-out attack-free rows")
	f.Float64Var(&calFr, "calibration", 0.25, "share of each file's last rows held out to calibrate thresholds")
	f.Float64Var(&resolution, "resolution", 0.01, "reading resolution: the smallest scale any signal is given")
	f.BoolVar(&unlabelled, "use-unlabelled", false, "train on rows labelled -999 too")
	f.IntVar(&hold, "hold", heartbeat.DefaultAlarmRule.Hold, "rows an alarm is held after the score last reached the threshold")
	f.Float64Var(&off, "off", heartbeat.DefaultAlarmRule.Off, "an alarm is held while the score stays above this share of the threshold")
	return cmd
}

func newHeartbeatDetectCmd() *cobra.Command {
	var modelPath, data, out, labelCol string
	cmd := &cobra.Command{
		Use:   "detect --model MODEL.json --data CSV --out SCORES.csv",
		Short: "Score every row of a CSV and raise alarms",
		Long: `Detect runs the trained detectors over the data one row at a time (the
same code as streaming) and writes DATETIME,score,alarm,explain: score is the
largest detector score over its threshold, alarm is 0 or 1 after alarm
persistence, explain names the detectors, signals and relations behind an
alarm. A label column (--label-column, default ATT_FLAG when present) is
ignored.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if modelPath == "" || data == "" || out == "" {
				return diag.Errorf("detect needs --model, --data and --out")
			}
			m, err := readModel(modelPath)
			if err != nil {
				return err
			}
			t, err := heartbeat.ReadFile(data, heartbeat.ReadOptions{IgnoreColumns: []string{labelCol}})
			if err != nil {
				return fmt.Errorf("read data: %w", err)
			}
			res, err := m.Detect(t)
			if err != nil {
				return fmt.Errorf("detect: %w", err)
			}
			if err := atomicfile.Write(out, 0o644, func(w io.Writer) error { return heartbeat.WriteScores(w, t, res) }); err != nil {
				return fmt.Errorf("write scores: %w", err)
			}
			n := 0
			for _, r := range res {
				if r.Alarm {
					n++
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d rows, %d alarmed → %s\n", len(res), n, out)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model file from heartbeat train")
	f.StringVar(&data, "data", "", "CSV to score")
	f.StringVar(&out, "out", "", "scores CSV to write")
	f.StringVar(&labelCol, "label-column", "ATT_FLAG", "label column to ignore when present")
	return cmd
}

func readModel(path string) (*heartbeat.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	defer f.Close()
	m, err := heartbeat.ReadModel(f, path)
	if err != nil {
		return nil, fmt.Errorf("read model: %w", err)
	}
	return m, nil
}

func newHeartbeatScoreCmd() *cobra.Command {
	var scores, labels, labelCol string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "score --scores SCORES.csv --labels CSV [--json]",
		Short: "Compute the BATADAL metrics of alarms against labels",
		Long: `Score joins the alarms of a detect output with a labels CSV on DATETIME and
computes the BATADAL metrics: S = 0.5·S_TTD + 0.5·S_CLF, with
S_TTD = 1 − mean over attacks of TTD/Δt (TTD: rows from the attack's first
row to its first alarmed row, Δt when never alarmed; Δt: rows of the attack)
and S_CLF = (TPR + TNR)/2; also precision, F1 and per-attack detection.
An attack is a run of rows labelled 1 (split where an attack_id column
changes); rows labelled -999 are left out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if scores == "" || labels == "" {
				return diag.Errorf("score needs --scores and --labels")
			}
			m, err := heartbeat.ScoreFiles(scores, labels, labelCol)
			if err != nil {
				return fmt.Errorf("score: %w", err)
			}
			w := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(m)
			}
			fmt.Fprintf(w, "S %.4f  S_TTD %.4f  S_CLF %.4f\n", m.S, m.STTD, m.SCLF)
			fmt.Fprintf(w, "TPR %.4f  TNR %.4f  precision %.4f  F1 %.4f  (TP %d FP %d TN %d FN %d, %d unlabelled rows left out)\n",
				m.TPR, m.TNR, m.Precision, m.F1, m.TP, m.FP, m.TN, m.FN, m.Skipped)
			for _, a := range m.Attacks {
				det := fmt.Sprintf("detected after %d h", a.TTD)
				if !a.Detected {
					det = "not detected"
				}
				fmt.Fprintf(w, "attack %d  %s → %s  %3d h  %s  (%d h alarmed)\n", a.ID, a.Start, a.End, a.Duration, det, a.Alarmed)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&scores, "scores", "", "scores CSV from heartbeat detect")
	f.StringVar(&labels, "labels", "", "CSV with DATETIME and a label column")
	f.StringVar(&labelCol, "label-column", "ATT_FLAG", "label column: 1 attack, 0 normal, -999 unlabelled")
	f.BoolVar(&asJSON, "json", false, "print the metrics as JSON")
	return cmd
}

func newHeartbeatWatchCmd() *cobra.Command {
	var modelPath, data, broker, topic, clientID, labelCol string
	var maxRows int
	cmd := &cobra.Command{
		Use:   "watch --model MODEL.json (--data CSV|- | --mqtt URL --topic FILTER)",
		Short: "Score live rows one at a time and print an alert when an alarm starts",
		Long: `Watch runs the trained detectors online, one row at a time, and prints one
JSON alert per line when an alarm starts: time, ATT&CK for ICS technique
(T0832 Manipulation of View for readings that contradict the process, T0836
Modify Parameter for a process that behaves differently), severity, score
and explanation.

Rows come from a CSV file or standard input (--data -), read as they arrive,
or from IoT telemetry over MQTT v5 (--mqtt, --topic). A telemetry message is
JSON, either {"time": T, "values": {"L_T1": 2.44, ...}} or
{"time": T, "signal": "L_T1", "value": 2.44}; rows are assembled per
timestamp, holding each signal's latest value. Bad telemetry messages are
logged and skipped; a bad CSV row stops the watch with its position.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if modelPath == "" || (data == "") == (broker == "") {
				return diag.Errorf("watch needs --model and one of --data or --mqtt")
			}
			m, err := readModel(modelPath)
			if err != nil {
				return err
			}
			enc := json.NewEncoder(cmd.OutOrStdout())
			emit := func(a heartbeat.Alert) error { return enc.Encode(a) }
			ctx := cmd.Context()
			if data != "" {
				var in io.Reader = cmd.InOrStdin()
				name := "stdin"
				if data != "-" {
					f, err := os.Open(data)
					if err != nil {
						return fmt.Errorf("read data: %w", err)
					}
					defer f.Close()
					in, name = f, data
				}
				rr, err := heartbeat.NewRowReader(in, name, heartbeat.ReadOptions{IgnoreColumns: []string{labelCol}})
				if err != nil {
					return fmt.Errorf("read data: %w", err)
				}
				n, err := m.WatchRows(ctx, rr, emit)
				if err != nil {
					return fmt.Errorf("watch %s after %d rows: %w", name, n, err)
				}
				slog.Info("heartbeat watch done", "rows", n)
				return nil
			}
			n, err := m.WatchMQTT(ctx, heartbeat.MQTTOptions{Broker: broker, Topic: topic, ClientID: clientID}, maxRows, emit,
				func(err error) { slog.Warn("bad telemetry message", "err", err) })
			if err != nil {
				return fmt.Errorf("watch mqtt after %d rows: %w", n, err)
			}
			slog.Info("heartbeat watch done", "rows", n)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&modelPath, "model", "", "model file from heartbeat train")
	f.StringVar(&data, "data", "", "CSV to read row by row (- for standard input)")
	f.StringVar(&labelCol, "label-column", "ATT_FLAG", "label column to ignore when present")
	f.StringVar(&broker, "mqtt", "", "MQTT broker URL, e.g. mqtt://127.0.0.1:1883")
	f.StringVar(&topic, "topic", "city/+/telemetry", "MQTT topic filter to subscribe to")
	f.StringVar(&clientID, "client-id", "citadel-heartbeat", "MQTT client id")
	f.IntVar(&maxRows, "max-rows", 0, "stop after this many rows (0: run until interrupted)")
	return cmd
}
