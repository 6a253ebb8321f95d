package natsrun

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"sync"

	"github.com/nats-io/nats.go"
)

// ClusterOptions say where a coordinator finds its workers.
type ClusterOptions struct {
	// URL is an external NATS server with JetStream; empty starts an
	// embedded server on Listen (host:port, port 0: any free port).
	URL    string
	Listen string
	// Local workers run in this process (embedded server only); they
	// share the CPUs.
	Local  int
	Config Config
	// Log reports a local worker's failure; nil drops it.
	Log func(format string, a ...any)
}

// Cluster is a coordinator connected to NATS: its Runner, and the embedded
// server and local workers it started.
type Cluster struct {
	Runner   *Runner
	URL      string // where `citadel worker` processes join
	Embedded bool   // URL is a server this process started
	cleanups []func()
}

// Start connects a Runner for the model whose YAML text is modelText, first
// starting an embedded server and local workers when opt.URL is empty.
// Close releases everything.
func Start(ctx context.Context, modelText []byte, opt ClusterOptions) (_ *Cluster, err error) {
	ctx, cancel := context.WithCancel(ctx)
	c := &Cluster{URL: opt.URL, cleanups: []func(){cancel}}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	local := 0
	if c.URL == "" {
		dir, err := os.MkdirTemp("", "citadel-nats-")
		if err != nil {
			return nil, fmt.Errorf("embedded NATS store: %w", err)
		}
		c.cleanups = append(c.cleanups, func() { os.RemoveAll(dir) })
		ns, err := StartEmbedded(opt.Listen, dir)
		if err != nil {
			return nil, err
		}
		c.cleanups = append(c.cleanups, ns.Shutdown)
		c.URL, c.Embedded, local = ns.ClientURL(), true, opt.Local
	}
	nc, err := nats.Connect(c.URL, nats.Name("citadel simulate"))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", c.URL, err)
	}
	c.cleanups = append(c.cleanups, nc.Close)
	if c.Runner, err = NewRunner(ctx, nc, modelText, opt.Config); err != nil {
		return nil, err
	}
	c.cleanups = append(c.cleanups, func() { c.Runner.Close() })
	var wg sync.WaitGroup
	c.cleanups = append(c.cleanups, wg.Wait)
	for i := range local {
		wc, err := nats.Connect(c.URL, nats.Name("citadel local worker"))
		if err != nil {
			return nil, fmt.Errorf("connect local worker: %w", err)
		}
		c.cleanups = append(c.cleanups, wc.Close)
		wopt := WorkerOptions{Name: fmt.Sprintf("local-%d", i), Workers: max(1, runtime.GOMAXPROCS(0)/local), Config: opt.Config}
		wg.Go(func() {
			if err := Work(ctx, wc, wopt); err != nil && ctx.Err() == nil && opt.Log != nil {
				opt.Log("local worker: %v", err)
			}
		})
	}
	return c, nil
}

// Close stops the local workers, the Runner and the embedded server.
func (c *Cluster) Close() {
	if len(c.cleanups) == 0 {
		return
	}
	c.cleanups[0]() // cancel the workers first
	for i := len(c.cleanups) - 1; i >= 0; i-- {
		c.cleanups[i]()
	}
	c.cleanups = nil
}
