package main

import (
	"encoding/json"
	"io"
	"os"
	"strings"

	"github.com/citadel-city/citadel/internal/assess"
	"github.com/citadel-city/citadel/internal/atomicfile"
	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/intel"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/spf13/cobra"
)

func init() { register(newAssessCmd) }

func newAssessCmd() *cobra.Command {
	var (
		asJSON    bool
		dotFile   string
		fixes     []string
		intelDir  string
		k         int
		targets   int
		nfixes    int
		campaigns int64
	)
	cmd := &cobra.Command{
		Use:   "assess [MODEL]",
		Short: "Find and rank attack paths to physical targets and the cheapest fixes that cut them",
		Long: `Assess builds the attack graph of a city model (the embedded sample city
when no MODEL is given): from every entry point (internet, public Wi-Fi,
vendor remote access, phishing, physical access) through compromised devices,
bridges and conduits to control of physical elements. For every physical
target it ranks the most likely attack paths, each step labelled with its
ATT&CK technique and kill-chain stage (recon, initial-access, pivot, impact).
It then computes the cheapest set of fixes (change credentials, add MFA,
patch, allow-list OT commands, remove a dual-homing or an internet exposure,
close a conduit) that cuts every path to every target: an exact weighted
minimum cut, with each fix ranked by the risk it removes on its own.

--fix re-runs the analysis as if the listed fixes were applied and shows the
change in risk. A short attack simulation (--campaigns, default 20,000, greedy
attacker) adds how likely, how fast and how often seen each target's attack
is; 'citadel simulate' goes further. --intel reads a vulnerability feed directory (CISA KEV and
CSAF advisories, laid out like shared/data/intel) and matches assets'
vendor, product and firmware to it; without it only the CVEs the model
declares are used.

The JSON output is documented in docs/assess-json.md; the scoring in
docs/scoring.md.`,
		Example: `  citadel assess
  citadel assess examples/sample-city.yaml --json > report.json
  citadel assess city.yaml --intel ../shared/data/intel --dot paths.dot
  citadel assess --fix credentials:tc-centre-0042,mfa:grid-vendor-vpn`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if k < 1 {
				return diag.Errorf("--paths must be 1 or more, got %d", k)
			}
			if campaigns < 0 {
				return diag.Errorf("--campaigns must be 0 (no simulation) or more, got %d", campaigns)
			}
			c, err := loadModel(args)
			if err != nil {
				return err
			}
			opt := assess.Options{K: k, Fixes: splitList(fixes), Simulate: campaigns}
			if intelDir != "" {
				feed, err := intel.LoadDir(intelDir)
				if err != nil {
					return err
				}
				opt.Feed = feed
			}
			stop := progress(cmd, asJSON, "assessing "+c.Name)
			r, err := assess.Run(cmd.Context(), c, opt)
			stop()
			if err != nil {
				return err
			}
			if dotFile != "" {
				if err := atomicfile.Write(dotFile, 0o644, r.WriteDOT); err != nil {
					return err
				}
			}
			out := cmd.OutOrStdout()
			if asJSON {
				return writeJSON(out, r)
			}
			return r.WriteText(out, assess.TextOptions{Targets: targets, Fixes: nfixes})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&asJSON, "json", false, "print one JSON document (schema: docs/assess-json.md)")
	f.StringVar(&dotFile, "dot", "", "also write the attack paths as a Graphviz graph to `FILE`")
	f.StringSliceVar(&fixes, "fix", nil, "apply fixes before the analysis, by id (comma-separated or repeated), e.g. credentials:tc-centre-0042")
	f.StringVar(&intelDir, "intel", "", "vulnerability feed `DIR` (kev/*.json and csaf/**/*.json)")
	f.IntVar(&k, "paths", 3, "attack paths shown per target")
	f.IntVar(&targets, "targets", 20, "targets shown in the terminal report")
	f.IntVar(&nfixes, "fixes", 15, "fixes shown in the terminal report")
	f.Int64Var(&campaigns, "campaigns", 20000, "campaigns of the default attack simulation (greedy attacker, seed 1; 0 skips it; see 'citadel simulate')")
	return cmd
}

// loadModel loads the model named in args, or the embedded sample city.
func loadModel(args []string) (*model.City, error) {
	if len(args) == 0 || args[0] == "" {
		return model.Sample(), nil
	}
	return model.Load(args[0])
}

func splitList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, p := range strings.Split(v, ",") {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
	}
	return out
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// progress shows a spinner with the elapsed time on a terminal while a long
// job runs; it stays quiet with --json or when stderr is not a terminal.
func progress(cmd *cobra.Command, quiet bool, what string) (stop func()) {
	errOut := cmd.ErrOrStderr()
	f, ok := errOut.(*os.File)
	if quiet || !ok || !isTerminal(f) {
		return func() {}
	}
	return spinner(f, what)
}
