package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/graph"
	"github.com/citadel-city/citadel/internal/intel"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/sim"
	"github.com/citadel-city/citadel/internal/sim/natsrun"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

func init() { register(newSimulateCmd) }

func newSimulateCmd() *cobra.Command {
	var (
		opt      sim.Options
		asJSON   bool
		fixes    []string
		sensors  []string
		workers  string
		budget   time.Duration
		response time.Duration
		intelDir string
		noDecide bool
		nopt     natsFlags
	)
	cmd := &cobra.Command{
		Use:   "simulate [MODEL]",
		Short: "Simulate attack campaigns against the city and rank fixes and sensors by simulated consequence",
		Long: `Simulate plays Monte Carlo attack campaigns over the attack graph of a city
model (the embedded sample city when no MODEL is given). Each campaign is one
attacker with one objective; every step takes a random time, succeeds with
the step's probability and may be seen by the city's sensors (monitored zones
and conduits, assets that log to the SOC). Once seen, the attacker is
contained after --response. A campaign ends at impact, at containment, when
the attacker has no move left, or at --budget.

Attackers (--attacker): greedy (fastest expected route), stealthy (knows the
sensors, least likely to be seen), killchain (the four stages in order),
adaptive (learns across campaigns which steps succeed unseen, by Thompson
sampling, and converges on blind spots), coordinated (hits a group of targets
at once).

Per target it reports P(success) with its 95% interval, P(detected before
impact), time to impact (p50, p90) and the expected and p95 consequence
(people, critical facilities, MWh unserved, vehicle-hours). Then it ranks
fixes (the minimum cut and the steps successful campaigns used most) by
risk removed per unit of cost, each verified by re-simulation with the same
seed, and places the next sensors greedily. --fix and --sensor are what-ifs.

Results are identical for a seed whatever --workers and --shards. Details in
docs/simulate.md; the JSON output in docs/simulate-json.md.`,
		Example: `  citadel simulate
  citadel simulate --campaigns 1000000 --attacker adaptive --seed 7
  citadel simulate city.yaml --attacker coordinated --json > sim.json
  citadel simulate --fix credentials:tc-centre-0042 --sensor it-dmz,scada-to-substations`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, natsURL, err := parseWorkers(workers)
			if err != nil {
				return err
			}
			opt.Workers = n
			opt.Fixes = splitList(fixes)
			opt.Sensors = splitList(sensors)
			opt.Budget = budget.Hours()
			opt.Response = response.Hours()
			if response == 0 {
				opt.Response = -1 // instant containment
			}
			opt.NoDecisions = noDecide
			// In Options a zero means "the default"; on the command line
			// it means none.
			for _, v := range []*int{&opt.Retries, &opt.SensorPicks, &opt.FixCandidates} {
				if *v == 0 {
					*v = -1
				}
			}
			if opt.Campaigns <= 0 {
				return diag.Errorf("--campaigns must be positive, got %d", opt.Campaigns)
			}
			if budget <= 0 {
				return diag.Errorf("--budget must be positive, got %s", budget)
			}
			c, text, err := loadModelText(args)
			if err != nil {
				return err
			}
			var feed *intel.Feed
			if intelDir != "" {
				if feed, err = intel.LoadDir(intelDir); err != nil {
					return err
				}
			}
			g, err := graph.Build(c, feed)
			if err != nil {
				return err
			}
			if natsURL != "" {
				if intelDir != "" {
					return diag.Errorf("--intel cannot be used with NATS workers yet: the workers build the graph from the model alone")
				}
				if !cmd.Flags().Changed("shards") {
					opt.Shards = 4
				}
				done, err := nopt.start(cmd, natsURL, text, &opt)
				if err != nil {
					return err
				}
				defer done()
			}
			stop := simProgress(cmd, asJSON, &opt)
			r, err := sim.Run(cmd.Context(), g, opt)
			stop()
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), r)
			}
			return r.WriteText(cmd.OutOrStdout())
		},
	}
	f := cmd.Flags()
	f.Int64Var(&opt.Campaigns, "campaigns", 100_000, "number of simulated campaigns")
	f.StringVar(&opt.Attacker, "attacker", "greedy", "attacker policy: "+strings.Join(sim.AttackerNames(), ", "))
	f.Uint64Var(&opt.Seed, "seed", 1, "random seed; the same seed gives the same results")
	f.BoolVar(&asJSON, "json", false, "print one JSON document (schema: docs/simulate-json.md)")
	f.StringSliceVar(&fixes, "fix", nil, "simulate as if these fixes were applied, by id (comma-separated or repeated)")
	f.StringSliceVar(&sensors, "sensor", nil, "simulate as if these zones or conduits were monitored, by id")
	f.StringVar(&workers, "workers", "0", "parallel workers in this process (0: one per CPU), or 'nats' (an embedded NATS JetStream server with --local-workers, that 'citadel worker' processes may join) or nats://HOST:PORT (an external NATS server that 'citadel worker' processes serve)")
	f.StringVar(&nopt.listen, "nats-listen", "127.0.0.1:0", "with --workers nats: `HOST:PORT` of the embedded server (port 0: any free port)")
	f.IntVar(&nopt.local, "local-workers", 1, "with --workers nats: workers run in this process (0: only external ones)")
	f.DurationVar(&nopt.ackWait, "ack-wait", 30*time.Second, "with NATS: a shard not acknowledged in this time is given to another worker")
	f.DurationVar(&nopt.shardTimeout, "shard-timeout", 10*time.Minute, "with NATS: republish a shard with no result after this; fail after 3 publications")
	f.IntVar(&opt.Shards, "shards", 1, "shards per epoch, each run as a unit and merged (results do not depend on it)")
	f.Int64Var(&opt.Epoch, "epoch", 0, "campaigns per epoch of the adaptive attacker's learning (0: campaigns/50 within [500, 10000])")
	f.DurationVar(&budget, "budget", 720*time.Hour, "attacker's time budget per campaign")
	f.DurationVar(&response, "response", 4*time.Hour, "time from detection to containment")
	f.IntVar(&opt.Retries, "retries", 2, "failed attempts allowed per step beyond the first")
	f.StringVar(&intelDir, "intel", "", "vulnerability feed `DIR`, as for assess")
	f.BoolVar(&noDecide, "no-decisions", false, "skip fix ranking and sensor placement")
	f.IntVar(&opt.SensorPicks, "next-sensors", 3, "sensors to place greedily")
	f.IntVar(&opt.FixCandidates, "fix-candidates", 10, "most-used fixable steps re-simulated besides the minimum cut")
	f.Int64Var(&opt.DecisionCampaigns, "decision-campaigns", 0, "campaigns per re-simulation for fixes (half for sensors); 0: min(campaigns, 20000)")
	return cmd
}

// parseWorkers reads --workers: a count of in-process workers, "nats" for
// an embedded NATS server, or a nats:// URL.
func parseWorkers(s string) (n int, natsURL string, err error) {
	switch {
	case s == "nats" || s == "nats://":
		return 0, "embedded", nil
	case strings.HasPrefix(s, "nats://") || strings.HasPrefix(s, "tls://"):
		return 0, s, nil
	case strings.Contains(s, "://"):
		return 0, "", diag.Errorf("--workers %s: want a number, 'nats' or a nats:// URL", s)
	}
	n, err = strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, "", diag.Errorf("--workers %q: want a number of workers (0: one per CPU), 'nats' or a nats:// URL", s)
	}
	return n, "", nil
}

// loadModelText is loadModel that also returns the model's text, read
// once: NATS workers build their graph from exactly what was parsed here.
func loadModelText(args []string) (*model.City, []byte, error) {
	if len(args) == 0 || args[0] == "" {
		return model.Sample(), model.SampleYAML(), nil
	}
	text, err := os.ReadFile(args[0])
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, diag.Errorf("read model: %v (check the path; without a file 'citadel simulate' uses the embedded sample city)", err)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read model: %w", err)
	}
	c, err := model.Parse(args[0], text)
	return c, text, err
}

type natsFlags struct {
	listen       string
	local        int
	ackWait      time.Duration
	shardTimeout time.Duration
}

// start connects the simulation to NATS (url "embedded": a server in this
// process with local workers). done releases everything.
func (nf natsFlags) start(cmd *cobra.Command, url string, text []byte, opt *sim.Options) (done func(), err error) {
	errOut := cmd.ErrOrStderr()
	copt := natsrun.ClusterOptions{URL: url, Listen: nf.listen, Local: nf.local,
		Config: natsrun.Config{AckWait: nf.ackWait, ShardTimeout: nf.shardTimeout},
		Log:    func(format string, a ...any) { fmt.Fprintf(errOut, "citadel: "+format+"\n", a...) }}
	if url == "embedded" {
		copt.URL = ""
	}
	c, err := natsrun.Start(cmd.Context(), text, copt)
	if err != nil {
		return nil, err
	}
	if c.Embedded {
		fmt.Fprintf(errOut, "citadel: embedded NATS JetStream at %s; add workers with: citadel worker %s\n", c.URL, c.URL)
	}
	opt.Runner = c.Runner
	return c.Close, nil
}

// simProgress shows a progress bar of the campaigns on a terminal.
func simProgress(cmd *cobra.Command, quiet bool, opt *sim.Options) (stop func()) {
	f, ok := cmd.ErrOrStderr().(*os.File)
	if quiet || !ok || !isTerminal(f) {
		return func() {}
	}
	var bar *progressbar.ProgressBar
	phase := ""
	opt.Progress = func(p string, done, total int64) {
		if p != phase {
			if bar != nil {
				bar.Finish()
			}
			phase = p
			bar = progressbar.NewOptions64(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription(p),
				progressbar.OptionShowCount(), progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
		}
		bar.Set64(done)
	}
	return func() {
		if bar != nil {
			bar.Finish()
		}
	}
}
