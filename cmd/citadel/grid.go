package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/physics/grid"
	"github.com/spf13/cobra"
)

func init() { register(newGridCmd) }

func newGridCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "grid",
		Short: "Power-grid physical twin: power flow, overload cascades, frequency response",
		Long: `Grid solves power flows on MATPOWER case files (.m, version 2) with
MATPOWER's conventions, runs line-overload cascades and simulates the system
frequency response to a load disturbance such as mass switching of smart
meters. See docs/grid.md.

  citadel grid pf case9.m --out out/            AC Newton power flow
  citadel grid pf case9.m --dc --out out/       DC power flow
  citadel grid pf case9.m --qlim --out out/     AC with generator Q limits
  citadel grid n1 case118.m                     AC N-1 branch contingency screening
  citadel grid cascade case30.m --outage 1      overload cascade after a line trip
  citadel grid freq case30.m --attack-mw 40 --period 4
                                                meter-switching attack on frequency`,
	}
	cmd.AddCommand(newGridPFCmd(), newGridCascadeCmd(), newGridFreqCmd(), newGridN1Cmd())
	return cmd
}

// pfSummary is the --json output of grid pf.
type pfSummary struct {
	Case       string   `json:"case"`
	Method     string   `json:"method"`   // "dc" or "ac"
	QLimits    bool     `json:"q_limits"` // generator Q limits enforced
	Converged  bool     `json:"converged"`
	Iterations int      `json:"iterations"`
	MismatchPU float64  `json:"mismatch_pu"` // largest power mismatch at the solution (AC)
	Buses      int      `json:"buses"`
	Gens       int      `json:"gens"`
	Branches   int      `json:"branches"`
	GenMW      float64  `json:"gen_mw"`
	GenMVAr    float64  `json:"gen_mvar"`
	LoadMW     float64  `json:"load_mw"`
	LoadMVAr   float64  `json:"load_mvar"`
	LossesMW   float64  `json:"losses_mw"`
	Limited    []int    `json:"q_limited_gens"` // 1-based generator rows held at a Q limit
	SolveMS    float64  `json:"solve_ms"`
	Files      []string `json:"files"`
}

func newGridPFCmd() *cobra.Command {
	var (
		dc, qlim, asJSON bool
		out              string
		tol              float64
		maxIter          int
	)
	cmd := &cobra.Command{
		Use:   "pf CASE.m --out DIR [--dc] [--qlim] [--json]",
		Short: "Solve a power flow and write bus.csv, branch.csv and gen.csv",
		Long: `Pf solves the power flow of a MATPOWER case: full Newton-Raphson in polar
coordinates (MATPOWER's runpf with pf.alg NR) by default, or the DC
approximation with --dc (rundcpf). --qlim enforces generator reactive limits
like MATPOWER's pf.enforce_q_lims = 1: a PV bus whose generators exceed a
limit becomes PQ with Qg at the limit, and the flow is solved again.

It writes into --out:
  bus.csv     bus_i,type,Pd_MW,Qd_MVAr,Vm_pu,Va_deg
  branch.csv  branch_row,f_bus,t_bus,status,PF_MW,QF_MVAr,PT_MW,QT_MVAr
  gen.csv     gen_row,bus,status,Pg_MW,Qg_MVAr
in case order, numbers with 12 significant digits. PF/QF is the power
injected into the branch at its from end, PT/QT at its to end; bus types
after --qlim show the buses converted to PQ.

A case that does not converge, or has an island without a reference bus,
is reported with exit code 2.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return diag.Errorf("pf needs --out DIR")
			}
			if dc && qlim {
				return diag.Errorf("--qlim applies to the AC power flow only; drop --dc or --qlim")
			}
			c, err := grid.ReadCase(args[0])
			if err != nil {
				return err
			}
			opt := grid.Options{Tol: tol, MaxIter: maxIter, EnforceQLimits: qlim}
			start := time.Now()
			var r *grid.Result
			if dc {
				r, err = grid.SolveDC(c, opt)
			} else {
				r, err = grid.SolveAC(c, opt)
			}
			elapsed := time.Since(start)
			if err != nil {
				return fmt.Errorf("power flow: %w", err)
			}
			files, err := r.WriteDir(out)
			if err != nil {
				return err
			}
			pg, qg, pd, qd, loss := r.Totals()
			s := pfSummary{Case: c.Name, Method: r.Method, QLimits: r.QLimits, Converged: true, Iterations: r.Iterations,
				MismatchPU: r.Mismatch, Buses: len(r.Bus), Gens: len(r.Gen), Branches: len(r.Branch),
				GenMW: pg, GenMVAr: qg, LoadMW: pd, LoadMVAr: qd, LossesMW: loss, Limited: []int{},
				SolveMS: float64(elapsed.Microseconds()) / 1000, Files: files}
			for _, g := range r.Limited {
				s.Limited = append(s.Limited, g+1)
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return printJSON(w, s)
			}
			method := "AC Newton"
			if dc {
				method = "DC"
			}
			if qlim {
				method += " with Q limits"
			}
			fmt.Fprintf(w, "%s: %s power flow converged in %d iterations (%.2f ms)\n", c.Name, method, r.Iterations, s.SolveMS)
			fmt.Fprintf(w, "  generation %.2f MW %.2f MVAr, load %.2f MW %.2f MVAr, losses %.2f MW\n", pg, qg, pd, qd, loss)
			if len(s.Limited) > 0 {
				fmt.Fprintf(w, "  %d generators held at a Q limit: rows %v\n", len(s.Limited), s.Limited)
			}
			for _, f := range files {
				fmt.Fprintf(w, "  wrote %s\n", f)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dc, "dc", false, "DC power flow instead of AC")
	f.BoolVar(&qlim, "qlim", false, "enforce generator reactive power limits (AC only)")
	f.StringVar(&out, "out", "", "directory to write bus.csv, branch.csv and gen.csv into")
	f.BoolVar(&asJSON, "json", false, "print a JSON summary instead of text")
	f.Float64Var(&tol, "tol", 1e-8, "Newton tolerance on the largest power mismatch, pu (MATPOWER pf.tol)")
	f.IntVar(&maxIter, "max-iter", 10, "maximum Newton iterations per solve (MATPOWER pf.nr.max_it)")
	return cmd
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newGridCascadeCmd() *cobra.Command {
	var (
		outages         []int
		ac, asJSON      bool
		rating          string
		overload, scale float64
		maxRounds       int
	)
	cmd := &cobra.Command{
		Use:   "cascade CASE.m [--outage ROW ...] [--ac] [--json]",
		Short: "Run a line-overload cascade and report the load left unserved",
		Long: `Cascade opens the --outage branches (1-based rows of mpc.branch), solves the
power flow, trips every branch loaded beyond --overload times its rating,
finds the islands, balances each one (shedding load where generation cannot
cover it; an island without generation loses all its load), and repeats
until nothing is overloaded.

The DC power flow and MW loading are the default (the usual screening model);
--ac uses the AC Newton power flow and MVA loading, and reports a voltage
collapse (non-convergence) as the loss of all load. Branches whose rating is
0 are unlimited.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !grid.ValidRating(rating) {
				return diag.Errorf("--rating %q must be A, B or C", rating)
			}
			c, err := grid.ReadCase(args[0])
			if err != nil {
				return err
			}
			opt := grid.CascadeOptions{AC: ac, Rating: rating, Overload: overload, LoadScale: scale, MaxRounds: maxRounds}
			for _, o := range outages {
				if o < 1 || o > len(c.Branch) {
					return diag.Errorf("--outage %d: the case has branches 1..%d", o, len(c.Branch))
				}
				opt.Outages = append(opt.Outages, o-1)
			}
			start := time.Now()
			r, err := grid.Cascade(c, opt)
			if err != nil {
				return fmt.Errorf("cascade: %w", err)
			}
			elapsed := time.Since(start)
			// Report branch rows 1-based, like the case file.
			for k := range r.Tripped {
				r.Tripped[k]++
			}
			for i := range r.Rounds {
				for k := range r.Rounds[i].Tripped {
					r.Rounds[i].Tripped[k]++
				}
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return printJSON(w, struct {
					Case string `json:"case"`
					*grid.CascadeResult
					ElapsedMS float64 `json:"elapsed_ms"`
				}{c.Name, r, float64(elapsed.Microseconds()) / 1000})
			}
			fmt.Fprintf(w, "%s: cascade over %d rounds, %d branches open, %d islands (%.2f ms)\n", c.Name, len(r.Rounds), len(r.Tripped), len(r.Islands), float64(elapsed.Microseconds())/1000)
			for _, rd := range r.Rounds {
				fmt.Fprintf(w, "  round %d: max loading %.2f, tripped %v, served %.1f MW\n", rd.Round, rd.MaxLoading, rd.Tripped, rd.ServedMW)
			}
			dead := 0
			for _, is := range r.Islands {
				if is.Dead {
					dead++
				}
			}
			fmt.Fprintf(w, "  load %.1f MW, served %.1f MW, unserved %.1f MW (%.1f %%), %d islands without generation\n",
				r.LoadMW, r.ServedMW, r.UnservedMW, 100*r.UnservedMW/max(r.LoadMW, 1e-9), dead)
			if r.Collapsed {
				fmt.Fprintln(w, "  the AC power flow diverged: voltage collapse, all load counted as lost")
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntSliceVar(&outages, "outage", nil, "branch rows (1-based) opened at the start (repeatable or comma-separated)")
	f.BoolVar(&ac, "ac", false, "use the AC power flow and MVA loading instead of DC")
	f.StringVar(&rating, "rating", "A", "branch rating column: A, B or C")
	f.Float64Var(&overload, "overload", 1, "trip when loading exceeds this multiple of the rating")
	f.Float64Var(&scale, "load-scale", 1, "multiply every load before the cascade")
	f.IntVar(&maxRounds, "max-rounds", 100, "maximum trip-and-resolve rounds")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func newGridFreqCmd() *cobra.Command {
	var (
		mw, period, start, stop, duration, dt    float64
		f0, h, d, r, reserve, baseMW, loadMW, tg float64
		trace, profile                           string
		sweep                                    []float64
		asJSON                                   bool
	)
	cmd := &cobra.Command{
		Use:   "freq [CASE.m] --attack-mw MW --period S [--json]",
		Short: "Simulate the frequency response to a mass meter-switching attack",
		Long: `Freq simulates the aggregate system frequency response (one equivalent
machine with inertia, load damping, governor droop with a reheat turbine
and limited reserve, and under-frequency load-shedding stages) to a mass
switching of smart meters: --attack-mw of load switched on for the first
half of every --period seconds and off for the second half, from --start
to --stop. It reports the frequency nadir, the UFLS stages that tripped and
the load they shed. --profile replaces the attack with any load disturbance
read from a CSV of t_s,mw rows (linear between points).

With CASE.m the generation base is the case's in-service capacity and the
load its total load; without it give --base-mw and --load-mw. Defaults:
H 5 s, D 1, droop 5 %, reserve 10 % of capacity, six UFLS stages of 5 %
of load from 1 Hz below nominal in 0.2 Hz steps (scaled to 60 Hz).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var c *grid.Case
			name := "system"
			if len(args) == 1 {
				var err error
				if c, err = grid.ReadCase(args[0]); err != nil {
					return err
				}
				name = c.Name
			} else if !(baseMW > 0 && loadMW > 0) {
				return diag.Errorf("give a case file, or --base-mw and --load-mw")
			}
			fl := cmd.Flags()
			set := func(flag string, v *float64) *float64 {
				if fl.Changed(flag) {
					return v
				}
				return nil
			}
			m, err := grid.NewFreqModel(c, f0, grid.FreqOverrides{
				BaseMW: set("base-mw", &baseMW), LoadMW: set("load-mw", &loadMW), H: set("h", &h), D: set("d", &d),
				R: set("droop", &r), TG: set("tg", &tg), Reserve: set("reserve-mw", &reserve),
			})
			if err != nil {
				return err
			}
			if !(period > 0) || mw < 0 || !(duration > 0) {
				return diag.Errorf("need --period > 0, --attack-mw >= 0 and --duration > 0")
			}
			load := grid.MeterSwitching(mw, period, start, stop)
			if profile != "" {
				if fl.Changed("attack-mw") {
					return diag.Errorf("--profile and --attack-mw are exclusive: the profile is the whole disturbance")
				}
				if load, err = grid.ReadLoadProfileFile(profile); err != nil {
					return err
				}
			}
			if len(sweep) > 0 {
				if profile != "" {
					return diag.Errorf("--sweep applies to the switching attack, not to --profile")
				}
				rows, err := m.SweepPeriods(mw, sweep, duration)
				if err != nil {
					return diag.Errorf("%v", err)
				}
				w := cmd.OutOrStdout()
				if asJSON {
					return printJSON(w, map[string]any{"case": name, "model": m, "attack_mw": mw, "sweep": rows})
				}
				fmt.Fprintf(w, "%s: %.1f MW switched on/off, %.0f MW of load, %.0f MW online\n", name, mw, m.LoadMW, m.BaseMW)
				fmt.Fprintf(w, "  %10s %10s %10s %6s %10s\n", "period_s", "nadir_hz", "zenith_hz", "trips", "shed_mw")
				for _, r := range rows {
					fmt.Fprintf(w, "  %10.3g %10.3f %10.3f %6d %10.1f\n", r.Period, r.NadirHz, r.Zenith, r.Trips, r.ShedMW)
				}
				return nil
			}
			sample := 0.0
			if trace != "" {
				sample = max(dt, 0.05)
			}
			res, err := m.Simulate(load, duration, dt, sample)
			if err != nil {
				return fmt.Errorf("frequency simulation: %w", err)
			}
			if trace != "" {
				if err := res.WriteTraceFile(trace); err != nil {
					return err
				}
				res.Trace = nil
			}
			w := cmd.OutOrStdout()
			if asJSON {
				return printJSON(w, struct {
					Case  string         `json:"case"`
					Model grid.FreqModel `json:"model"`
					*grid.FreqResult
				}{name, m, res})
			}
			if profile != "" {
				fmt.Fprintf(w, "%s: load profile %s on %.0f MW of load (%.0f MW online, H %.3g s, droop %.3g)\n",
					name, profile, m.LoadMW, m.BaseMW, m.H, m.R)
			} else {
				fmt.Fprintf(w, "%s: %.1f MW switched every %.3g s on %.0f MW of load (%.0f MW online, H %.3g s, droop %.3g)\n",
					name, mw, period, m.LoadMW, m.BaseMW, m.H, m.R)
			}
			fmt.Fprintf(w, "  nadir %.3f Hz at %.2f s, zenith %.3f Hz, max RoCoF %.3f Hz/s, final %.3f Hz\n",
				res.NadirHz, res.NadirT, res.ZenithHz, res.MaxRoCoF, res.FinalHz)
			fmt.Fprintf(w, "  UFLS: %d of %d stages tripped, %.1f MW of load shed\n", len(res.Trips), len(m.UFLS), res.ShedMW)
			for _, t := range res.Trips {
				fmt.Fprintf(w, "    stage %d at %.2f s (%.3f Hz): %.1f MW\n", t.Stage, t.T, t.Hz, t.ShedMW)
			}
			if trace != "" {
				fmt.Fprintf(w, "  wrote %s\n", trace)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.Float64Var(&mw, "attack-mw", 0, "load switched by the attacker, MW")
	f.Float64Var(&period, "period", 10, "switching period, s (on for the first half)")
	f.Float64Var(&start, "start", 1, "attack start, s")
	f.Float64Var(&stop, "stop", 0, "attack end, s (0 = until the end)")
	f.Float64Var(&duration, "duration", 60, "simulated time, s")
	f.Float64Var(&dt, "dt", 0.01, "integration step, s")
	f.Float64Var(&f0, "f0", 50, "nominal frequency, Hz")
	f.Float64Var(&h, "h", 5, "inertia constant on the generation base, s")
	f.Float64Var(&d, "d", 1, "load damping, % load per % frequency")
	f.Float64Var(&r, "droop", 0.05, "governor droop, pu")
	f.Float64Var(&tg, "tg", 0.2, "governor time constant, s")
	f.Float64Var(&reserve, "reserve-mw", 0, "governor reserve, MW (default 10 % of the base)")
	f.Float64Var(&baseMW, "base-mw", 0, "online generation capacity, MW (default from the case)")
	f.Float64Var(&loadMW, "load-mw", 0, "system load, MW (default from the case)")
	f.StringVar(&trace, "trace", "", "write the frequency trace to this CSV")
	f.Float64SliceVar(&sweep, "sweep", nil, "simulate each of these switching periods (s) and tabulate nadir and UFLS trips")
	f.StringVar(&profile, "profile", "", "drive the model with a load profile CSV (t_s,mw) instead of the switching attack")
	f.BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

func newGridN1Cmd() *cobra.Command {
	var (
		rating string
		top    int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "n1 CASE.m [--top N] [--json]",
		Short: "Screen every single-branch outage with the AC power flow",
		Long: `N1 solves the AC power flow of the case, then opens each in-service branch
in turn and solves again from the base solution, reusing the sparse
factorisation's ordering and pivot sequence (only numerical refactorisation
per contingency). It lists the worst contingencies by branch loading (MVA
over the --rating column; 0 = unlimited) and lowest voltage. Outages that
split the network are reported as islanded; those that do not converge, as
diverged. Generator Q limits are not enforced.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !grid.ValidRating(rating) {
				return diag.Errorf("--rating %q must be A, B or C", rating)
			}
			c, err := grid.ReadCase(args[0])
			if err != nil {
				return err
			}
			start := time.Now()
			rep, err := grid.Contingencies(c, grid.ContingencyOptions{Rating: rating})
			if err != nil {
				return fmt.Errorf("n-1: %w", err)
			}
			elapsed := time.Since(start)
			res := rep.Ranked()
			islanded, diverged, overloaded := rep.Counts()
			w := cmd.OutOrStdout()
			if asJSON {
				for i := range res {
					res[i].Branch++
					if res[i].MostLoaded >= 0 {
						res[i].MostLoaded++
					}
					for k := range res[i].Overloads {
						res[i].Overloads[k]++
					}
				}
				return printJSON(w, map[string]any{
					"case": c.Name, "contingencies": res, "islanded": islanded, "diverged": diverged,
					"with_overloads": overloaded, "factorizations": rep.Factorizations,
					"refactorizations": rep.Refactorizations, "elapsed_ms": float64(elapsed.Microseconds()) / 1000,
					"base_max_loading": rep.BaseMaxLoading, "base_overloads": oneBased(rep.BaseOverloads),
				})
			}
			fmt.Fprintf(w, "%s: %d branch outages in %.1f ms (%d factorisation, %d refactorisations): %d with overloads, %d diverged, %d islanded\n",
				c.Name, len(res), float64(elapsed.Microseconds())/1000, rep.Factorizations, rep.Refactorizations, overloaded, diverged, islanded)
			if len(rep.BaseOverloads) > 0 {
				fmt.Fprintf(w, "  note: the intact network already overloads branches %v (max loading %.2f)\n", oneBased(rep.BaseOverloads), rep.BaseMaxLoading)
			}
			for i, r := range res {
				if i == top {
					break
				}
				switch {
				case r.Islanded:
					fmt.Fprintf(w, "  branch %4d: splits the network\n", r.Branch+1)
				case !r.Converged:
					fmt.Fprintf(w, "  branch %4d: diverged after %d iterations\n", r.Branch+1, r.Iterations)
				default:
					most := "-"
					if r.MostLoaded >= 0 {
						most = fmt.Sprint(r.MostLoaded + 1)
					}
					fmt.Fprintf(w, "  branch %4d: max loading %.2f (branch %s), %d overloaded, min Vm %.4f at bus %d\n",
						r.Branch+1, r.MaxLoading, most, len(r.Overloads), r.MinVm, r.MinVmBus)
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&rating, "rating", "A", "branch rating column: A, B or C")
	f.IntVar(&top, "top", 10, "how many of the worst contingencies to list")
	f.BoolVar(&asJSON, "json", false, "print every contingency as JSON")
	return cmd
}

func oneBased(rows []int) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r + 1
	}
	return out
}
