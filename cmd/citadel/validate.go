package main

import (
	"fmt"

	"github.com/citadel-city/citadel/internal/model"
	"github.com/spf13/cobra"
)

func init() { register(newValidateCmd) }

func newValidateCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "validate FILE",
		Short: "Check a city model and report every mistake with its line and column",
		Long: `Validate reads a city model (docs/model.md) and reports every problem in one
run: unknown keys, duplicate ids, dangling references, bad enumeration values,
values out of range. Each is printed as file:line:col: message (hint: ...).
Exit code 0 when the model is valid, 2 when it is not.`,
		Example: "  citadel validate examples/sample-city.yaml",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := model.Load(args[0])
			if err != nil {
				return err
			}
			devices := 0
			for _, a := range c.Assets {
				devices += a.Count
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: ok: %d zones, %d conduits, %d assets (%d devices), %d entry points, %d targets\n",
				args[0], len(c.Zones), len(c.Conduits), len(c.Assets), devices, len(c.Entries), len(c.Targets))
			return nil
		},
	}
}
