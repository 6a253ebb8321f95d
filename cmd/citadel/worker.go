package main

import (
	"fmt"
	"os"
	"time"

	"github.com/citadel-city/citadel/internal/sim/natsrun"
	"github.com/nats-io/nats.go"
	"github.com/spf13/cobra"
)

func init() { register(newWorkerCmd) }

func newWorkerCmd() *cobra.Command {
	var (
		opt   natsrun.WorkerOptions
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "worker [NATS-URL]",
		Short: "Serve simulation shards from a NATS JetStream server",
		Long: `Worker connects to a NATS server with JetStream (default
nats://127.0.0.1:4222) and plays the shards of simulations that
'citadel simulate --workers nats://…' (or --workers nats, whose embedded
server prints its URL) publishes there, until interrupted. Each shard's
result is published before the shard is acknowledged; a worker that dies
mid-shard leaves it to be re-run by another worker after --ack-wait.

The merged result is identical to a single-process run with the same seed.`,
		Example: `  citadel worker
  citadel worker nats://sim-bus.example.org:4222 --workers 8`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			url := "nats://127.0.0.1:4222"
			if len(args) == 1 {
				url = args[0]
			}
			if opt.Name == "" {
				host, _ := os.Hostname()
				opt.Name = fmt.Sprintf("%s-%d", host, os.Getpid())
			}
			if !quiet {
				errOut := cmd.ErrOrStderr()
				opt.Log = func(format string, a ...any) { fmt.Fprintf(errOut, "citadel worker: "+format+"\n", a...) }
			}
			nc, err := nats.Connect(url, nats.Name("citadel worker "+opt.Name), nats.MaxReconnects(-1))
			if err != nil {
				return fmt.Errorf("connect to NATS at %s: %w", url, err)
			}
			defer nc.Close()
			return natsrun.Work(cmd.Context(), nc, opt)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opt.Workers, "workers", 0, "goroutines per shard (0: one per CPU)")
	f.StringVar(&opt.Name, "name", "", "worker name in results (default host-pid)")
	f.DurationVar(&opt.Config.AckWait, "ack-wait", 30*time.Second, "must match the coordinator's --ack-wait")
	f.BoolVar(&quiet, "quiet", false, "do not log each shard")
	return cmd
}
