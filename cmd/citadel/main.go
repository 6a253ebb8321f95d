// Command citadel defends a smart city's cyber-physical infrastructure: a
// digital twin of its networks and physical processes, attack paths and
// fixes, attack simulation and an OT network sensor. The CLI is thin: every
// subcommand parses flags and calls a package under internal/.
//
// Exit codes: 0 ok, 1 failure, 2 bad input or usage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/spf13/cobra"
)

// commands holds the constructors of the subcommands; each subcommand file
// adds its own in an init function, so that parts of the CLI can grow
// independently.
var commands []func() *cobra.Command

func register(newCmd func() *cobra.Command) { commands = append(commands, newCmd) }

func newRoot() *cobra.Command {
	root := &cobra.Command{
		Use:   "citadel",
		Short: "Defend a smart city's cyber-physical infrastructure",
		Long: `Citadel is a security digital twin of a city's networks and physical
processes (water, power, traffic). It finds the attack paths from the city's
entry points to physical control, ranks them, and computes the cheapest set of
fixes that cuts them (assess); simulates millions of attack campaigns
(simulate); follows physical effects across sectors (impact, water, grid,
traffic); and watches OT traffic and process values (sense, heartbeat).

Run "citadel assess" to analyse the embedded sample city; docs/ explains each
command and its JSON output.

Exit codes: 0 ok, 1 failure, 2 bad input or usage.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &usageError{fmt.Errorf("%w (run '%s --help' for usage)", err, c.CommandPath())}
	})
	for _, newCmd := range commands {
		root.AddCommand(newCmd())
	}
	// Argument mistakes are usage errors (exit 2): wrap every command's
	// argument check, and make the root reject unknown commands itself.
	root.Args = func(c *cobra.Command, args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("unknown command %q for %q", args[0], c.CommandPath())
		}
		return nil
	}
	root.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
	markUsage(root)
	return root
}

// markUsage turns the errors of c's and its subcommands' argument checks
// into usage errors.
func markUsage(c *cobra.Command) {
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return &usageError{fmt.Errorf("%w (run '%s --help' for usage)", err, cmd.CommandPath())}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		markUsage(sub)
	}
}

// usageError is a command-line mistake: exit code 2.
type usageError struct{ err error }

func (e *usageError) Error() string  { return e.err.Error() }
func (e *usageError) Unwrap() error  { return e.err }
func (e *usageError) BadInput() bool { return true }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	return root.ExecuteContext(ctx)
}

func exitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case diag.IsBadInput(err):
		return 2
	default:
		return 1
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var list diag.List
		if errors.As(err, &list) {
			// One diagnostic a line, each already says where.
			fmt.Fprintln(os.Stderr, list.Error())
			fmt.Fprintf(os.Stderr, "citadel: %d problems found\n", len(list))
		} else {
			fmt.Fprintln(os.Stderr, "citadel:", err)
		}
	}
	os.Exit(exitCode(err))
}
