package main

import (
	"github.com/citadel-city/citadel/internal/model"
	"github.com/spf13/cobra"
)

func init() { register(newSchemaCmd) }

func newSchemaCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the city model",
		Long: `Schema prints the JSON Schema (draft 2020-12) of the city model, generated
from Citadel's Go types. Editors that understand JSON Schema (for YAML too)
use it to complete and check city files. docs/city.schema.json holds the same.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := model.JSONSchema()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
}
