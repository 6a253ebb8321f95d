package main

import (
	"fmt"

	"github.com/citadel-city/citadel/internal/physics/traffic"
	"github.com/spf13/cobra"
)

func init() { register(newTrafficCmd) }

func newTrafficCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "traffic",
		Short: "Street-network physical twin (signalised junctions, SUMO-compatible inputs)",
		Long: `The traffic physical twin reads SUMO networks (.net.xml with tlLogic signal
programs) and route files (.rou.xml flows) and simulates them with a cell
transmission model, or with SUMO itself when it is installed.`,
	}
	cmd.AddCommand(newTrafficRunCmd())
	return cmd
}

func newTrafficRunCmd() *cobra.Command {
	var duration, engine string
	var attacks, evs []string
	var asJSON, noBaseline bool
	var p traffic.Params
	cmd := &cobra.Command{
		Use:   "run NET.net.xml ROUTES.rou.xml",
		Short: "Simulate a signalised network and print delay, queues, gridlock and emergency travel times",
		Long: `Simulate a SUMO network with its route file for --duration and print the
metrics: vehicles inserted and arrived, throughput, mean travel time,
vehicle-hours of delay (in the network beyond free-flow time, and waiting to
enter), the longest queues and the lanes that spilled back to their upstream
junction, gridlock (a cycle of spilled-back lanes lasting 2 minutes), the
conflict monitor's trips to all-red flash and emergency-vehicle travel times.

The default engine is Citadel's cell transmission model; --engine sumo runs
the same scenario in SUMO (the sumo binary must be on PATH), controlled over
TraCI on loopback.

Attacks (--attack, repeatable; times in seconds or durations like 10m, and
@ID,ID limits an attack to those signals):
  all-red:T0-T1              every signal output red
  all-green:T0-T1            all outputs green requested; the conflict monitor
                             refuses it and flashes red (all-way stop) until T1
  dark:T0-T1                 signals without power: all-way stop (cascades)
  plan:T0-T1:offset=S,phaseN=S  change the offset and phase durations (splits)
  detector:T0-T1:stuck-on|stuck-off  falsified detectors (actuated programs)
With attacks, the same scenario also runs without them and the differences
are printed (--no-baseline skips that).

Exit codes: 0 ok, 1 failure, 2 bad input.`,
		Example: `  citadel traffic run single-intersection.net.xml single-intersection-vhvh.rou.xml
  citadel traffic run 4x4.net.xml 4x4c1.rou.xml --duration 1h --attack all-red:600-900 --ev 16to0:12to24@700 --json
  citadel traffic run 4x4.net.xml 4x4c1.rou.xml --engine sumo`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			sc := &traffic.Scenario{Duration: 3600, Params: p}
			if duration != "" {
				d, err := traffic.ParseSeconds(duration)
				if err != nil || d <= 0 {
					return &usageError{fmt.Errorf("--duration %q: want seconds or a duration like 1h", duration)}
				}
				sc.Duration = d
			}
			for _, s := range attacks {
				a, err := traffic.ParseAttack(s)
				if err != nil {
					return err
				}
				sc.Attacks = append(sc.Attacks, a)
			}
			for _, s := range evs {
				e, err := traffic.ParseEmergency(s)
				if err != nil {
					return err
				}
				sc.Emergency = append(sc.Emergency, e)
			}
			var err error
			if sc.Net, err = traffic.ReadNetFile(args[0]); err != nil {
				return err
			}
			if sc.Routes, err = traffic.ReadRoutesFile(args[1]); err != nil {
				return err
			}
			if err := traffic.CheckEmergency(sc.Net, sc.Emergency); err != nil {
				return err
			}
			eng, err := traffic.EngineByName(engine)
			if err != nil {
				return &usageError{err}
			}
			rep, err := traffic.Evaluate(cmd.Context(), eng, sc, !noBaseline)
			if err != nil {
				return fmt.Errorf("simulate %s: %w", args[0], err)
			}
			if asJSON {
				return printJSON(cmd.OutOrStdout(), rep)
			}
			return rep.WriteText(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.StringVar(&duration, "duration", "", "simulated time (seconds or a duration; default 1h)")
	f.StringArrayVar(&attacks, "attack", nil, "attack effect KIND:T0-T1[:ARGS][@SIGNALS] (repeatable)")
	f.StringArrayVar(&evs, "ev", nil, "emergency vehicle FROM_EDGE:TO_EDGE[@T] whose travel time to report (repeatable)")
	f.StringVar(&engine, "engine", "ctm", "simulation engine: ctm (built in) or sumo")
	f.BoolVar(&asJSON, "json", false, "print the report as JSON")
	f.BoolVar(&noBaseline, "no-baseline", false, "do not also run the scenario without attacks")
	f.Float64Var(&p.SatFlow, "sat-flow", 0, "ctm: saturation flow per lane, veh/h (default 1800)")
	f.Float64Var(&p.Step, "step", 0, "ctm: time step in seconds (default 1; 2 runs about 4 times faster, coarser)")
	f.Float64Var(&p.StopHeadway, "stop-headway", 0, "ctm: seconds between vehicles at a flashing-red junction (default 2.5)")
	f.Float64Var(&p.MMUReset, "mmu-reset", 0, "seconds after an all-green attack before the conflict monitor is reset")
	return cmd
}
