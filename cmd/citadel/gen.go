package main

import (
	"io"

	"github.com/citadel-city/citadel/internal/atomicfile"
	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/spf13/cobra"
)

func init() { register(newGenCmd) }

func newGenCmd() *cobra.Command {
	var (
		devices int
		seed    uint64
		out     string
	)
	cmd := &cobra.Command{
		Use:   "gen --devices N [--seed S] -o FILE",
		Short: "Write a synthetic city of N devices, for scale tests",
		Long: `Gen writes a synthetic city model of about N devices, built from districts
of realistic fleets (signal controllers and detectors, cameras and NVRs, AMI
collectors with their meters, water booster stations, substations, offices)
connected to city-wide control systems, with weaknesses drawn from the seed.
Fleets are single assets with a count, so the file stays small; the number
of assets and the attack graph grow linearly with N.`,
		Example: "  citadel gen --devices 1000000 --seed 1 -o city-1m.yaml && citadel assess city-1m.yaml",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if devices <= 0 {
				return diag.Errorf("--devices must be positive, got %d", devices)
			}
			gen := func(w io.Writer) error {
				return model.Generate(w, model.GenerateOptions{Devices: devices, Seed: seed})
			}
			if out == "" || out == "-" {
				return gen(cmd.OutOrStdout())
			}
			return atomicfile.Write(out, 0o644, gen)
		},
	}
	f := cmd.Flags()
	f.IntVar(&devices, "devices", 10000, "approximate number of devices")
	f.Uint64Var(&seed, "seed", 1, "random seed")
	f.StringVarP(&out, "output", "o", "", "output `FILE` (default standard output)")
	return cmd
}
