package natsrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/graph"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/sim"
	"github.com/nats-io/nats.go"
)

func sampleGraph(t *testing.T) *graph.Graph {
	t.Helper()
	g, err := graph.Build(model.Sample(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// simOptions is a small adaptive simulation with several epochs and
// shards, and decisions (which re-simulate through the runner too).
func simOptions() sim.Options {
	return sim.Options{Campaigns: 4000, Seed: 77, Attacker: "adaptive", Epoch: 1000, Shards: 3,
		DecisionCampaigns: 600, SensorPicks: 1, FixCandidates: 1, Workers: 1}
}

func reportJSON(t *testing.T, ctx context.Context, g *graph.Graph, opt sim.Options) []byte {
	t.Helper()
	r, err := sim.Run(ctx, g, opt)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// distributed runs simOptions through a Runner on url with the workers the
// caller started, and checks the report against the in-process one.
func distributed(t *testing.T, ctx context.Context, url string, cfg Config) {
	t.Helper()
	g := sampleGraph(t)
	want := reportJSON(t, ctx, g, simOptions())
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r, err := NewRunner(ctx, nc, model.SampleYAML(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	opt := simOptions()
	opt.Runner = r
	if got := reportJSON(t, ctx, g, opt); !bytes.Equal(got, want) {
		t.Fatalf("distributed report differs from the in-process one:\n%s\n%s", got[:min(400, len(got))], want[:min(400, len(want))])
	}
}

// startWorker runs a worker on its own connection until the test ends.
func startWorker(t *testing.T, ctx context.Context, url string, opt WorkerOptions) (stop func() error) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var werr error
	wg.Go(func() { werr = Work(ctx, nc, opt) })
	return func() error {
		cancel()
		wg.Wait()
		nc.Close()
		return werr
	}
}

func embedded(t *testing.T) string {
	t.Helper()
	ns, err := StartEmbedded("127.0.0.1:0", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ns.Shutdown)
	return ns.ClientURL()
}

func TestEmbeddedMatchesInProcess(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	url := embedded(t)
	for range 2 {
		stop := startWorker(t, ctx, url, WorkerOptions{Workers: 1})
		defer func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		}()
	}
	distributed(t, ctx, url, Config{})
}

func TestLostShardIsRerun(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	url := embedded(t)
	cfg := Config{AckWait: time.Second}
	// The first worker takes one task and dies without acknowledging it.
	crashed := make(chan Task, 1)
	var fired atomic.Bool
	stopA := startWorker(t, ctx, url, WorkerOptions{Name: "doomed", Workers: 1, Config: cfg, crash: func(tk Task) bool {
		fired.Store(true)
		crashed <- tk
		return true
	}})
	go func() {
		tk := <-crashed
		t.Logf("worker died holding shard %d–%d (batch %d)", tk.Shard.Lo, tk.Shard.Hi, tk.Batch)
		if err := stopA(); err != errCrashed {
			t.Errorf("doomed worker: %v", err)
		}
		// Only now does a healthy worker join: it must get the lost shard
		// again once its ack wait expires.
		stopB := startWorker(t, ctx, url, WorkerOptions{Name: "healthy", Workers: 1, Config: cfg})
		t.Cleanup(func() {
			if err := stopB(); err != nil {
				t.Error(err)
			}
		})
	}()
	distributed(t, ctx, url, cfg)
	if !fired.Load() {
		t.Fatal("the crash hook never fired")
	}
}

func TestShardLostForGoodIsAnError(t *testing.T) {
	// No worker at all: the runner republishes, then fails clearly.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	url := embedded(t)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	r, err := NewRunner(ctx, nc, model.SampleYAML(), Config{ShardTimeout: 200 * time.Millisecond, Attempts: 2})
	if err != nil {
		t.Fatal(err)
	}
	opt := simOptions()
	opt.Runner = r
	opt.NoDecisions = true
	_, err = sim.Run(ctx, sampleGraph(t), opt)
	if err == nil {
		t.Fatal("a simulation without workers succeeded")
	}
	if !strings.Contains(err.Error(), "lost: no worker returned it after 2 publications") {
		t.Fatalf("got %v, want the lost-shard error", err)
	}
	t.Log(err)
}

// TestRealServer runs against the machine's nats-server (with JetStream) on
// 127.0.0.1:4222, or CITADEL_NATS_URL. It skips when none is reachable,
// except under CI=true.
func TestRealServer(t *testing.T) {
	url := os.Getenv("CITADEL_NATS_URL")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	host := url[len("nats://"):]
	c, err := net.DialTimeout("tcp", host, time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("no NATS server at %s under CI: %v", url, err)
		}
		t.Skipf("no NATS server at %s: %v", url, err)
	}
	c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	for range 2 {
		stop := startWorker(t, ctx, url, WorkerOptions{Workers: 1})
		defer func() {
			if err := stop(); err != nil {
				t.Error(err)
			}
		}()
	}
	distributed(t, ctx, url, Config{})
}

// TestClusterEmbedded runs the simulation as `citadel simulate --workers
// nats` does: an embedded server and two local workers started by Start.
func TestClusterEmbedded(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var (
		mu     sync.Mutex
		logged []string
	)
	c, err := Start(ctx, model.SampleYAML(), ClusterOptions{Listen: "127.0.0.1:0", Local: 2,
		Log: func(format string, a ...any) {
			mu.Lock()
			defer mu.Unlock()
			logged = append(logged, fmt.Sprintf(format, a...))
		}})
	if err != nil {
		t.Fatal(err)
	}
	if !c.Embedded || !strings.HasPrefix(c.URL, "nats://127.0.0.1:") {
		t.Errorf("cluster at %q, embedded %v: want an embedded server on 127.0.0.1", c.URL, c.Embedded)
	}
	g := sampleGraph(t)
	want := reportJSON(t, ctx, g, simOptions())
	opt := simOptions()
	opt.Runner = c.Runner
	got := reportJSON(t, ctx, g, opt)
	c.Close()
	if !bytes.Equal(got, want) {
		t.Fatalf("cluster report differs from the in-process one:\n%s\n%s", got[:min(400, len(got))], want[:min(400, len(want))])
	}
	if len(logged) > 0 {
		t.Errorf("local workers failed: %v", logged)
	}
}
