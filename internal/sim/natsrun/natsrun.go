// Package natsrun distributes the shards of a simulation over NATS
// JetStream: a Runner (the coordinator, a sim.Runner) publishes one task per
// shard on a work-queue stream, `citadel worker` processes (Work) pull the
// tasks, play the shards and publish their tallies, and the Runner merges
// them in shard order, so the result is identical to a single-process run
// with the same seed.
//
// A task is acknowledged only after its result is published; while a shard
// runs the worker tells the server it is in progress. A worker that dies
// mid-shard leaves its task unacknowledged, and JetStream delivers it again
// after the ack wait to another worker: the shard is re-run, never dropped.
// As a last resort the Runner republishes a shard whose result does not come,
// and fails with a clear error after a bounded number of attempts.
//
// The model travels once per run in a JetStream object store, named by the
// SHA-256 of its text; tasks carry the simulation's Spec, the campaign range
// and the adaptive attacker's counts of past epochs.
package natsrun

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/citadel-city/citadel/internal/graph"
	"github.com/citadel-city/citadel/internal/model"
	"github.com/citadel-city/citadel/internal/sim"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// Names on the NATS server.
const (
	Stream       = "CITADEL_SIM"
	TaskSubject  = "citadel.sim.task"
	ResultPrefix = "citadel.sim.result."
	Consumer     = "citadel-sim-workers"
	ModelBucket  = "citadel-sim-models"
)

// Config tunes redelivery. Zero values mean the defaults.
type Config struct {
	AckWait      time.Duration // unacknowledged tasks are redelivered after this; default 30 s
	MaxDeliver   int           // deliveries of one task; default 10
	ShardTimeout time.Duration // the Runner republishes a shard with no result after this; default 10 min
	Attempts     int           // the Runner's publications of one shard before it fails; default 3
}

func (c *Config) defaults() {
	if c.AckWait <= 0 {
		c.AckWait = 30 * time.Second
	}
	if c.MaxDeliver <= 0 {
		c.MaxDeliver = 10
	}
	if c.ShardTimeout <= 0 {
		c.ShardTimeout = 10 * time.Minute
	}
	if c.Attempts <= 0 {
		c.Attempts = 3
	}
}

// Task is one shard to play.
type Task struct {
	Run     string      `json:"run"`
	Batch   int         `json:"batch"`
	Index   int         `json:"index"`
	Model   string      `json:"model"` // object name in ModelBucket
	Spec    sim.Spec    `json:"spec"`
	Shard   sim.Shard   `json:"shard"`
	Learned *sim.Counts `json:"learned,omitempty"`
}

// Result is a worker's answer to a task.
type Result struct {
	Run    string     `json:"run"`
	Batch  int        `json:"batch"`
	Index  int        `json:"index"`
	Tally  *sim.Tally `json:"tally,omitempty"`
	Err    string     `json:"error,omitempty"`
	Worker string     `json:"worker"`
}

// setup makes sure the stream, the consumer and the model bucket exist.
func setup(ctx context.Context, js jetstream.JetStream, cfg Config) (jetstream.Consumer, jetstream.ObjectStore, error) {
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: Stream, Subjects: []string{TaskSubject}, Retention: jetstream.WorkQueuePolicy, Storage: jetstream.FileStorage,
		MaxAge: 24 * time.Hour,
	}); err != nil {
		return nil, nil, fmt.Errorf("create stream %s (is JetStream enabled on the server?): %w", Stream, err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, Stream, jetstream.ConsumerConfig{
		Durable: Consumer, AckPolicy: jetstream.AckExplicitPolicy, AckWait: cfg.AckWait, MaxDeliver: cfg.MaxDeliver,
		MaxAckPending: 1024,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("create consumer %s: %w", Consumer, err)
	}
	obj, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{Bucket: ModelBucket, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, nil, fmt.Errorf("create object store %s: %w", ModelBucket, err)
	}
	return cons, obj, nil
}

// Runner runs shards on NATS workers; it implements sim.Runner.
type Runner struct {
	nc    *nats.Conn
	js    jetstream.JetStream
	cfg   Config
	run   string
	model string
	sub   *nats.Subscription
	res   chan *nats.Msg
	batch int
}

// NewRunner prepares a coordinator on nc for the model whose YAML text is
// modelText (what the workers will parse).
func NewRunner(ctx context.Context, nc *nats.Conn, modelText []byte, cfg Config) (*Runner, error) {
	cfg.defaults()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	_, obj, err := setup(ctx, js, cfg)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(modelText)
	name := hex.EncodeToString(sum[:])
	if _, err := obj.PutBytes(ctx, name, modelText); err != nil {
		return nil, fmt.Errorf("store model: %w", err)
	}
	r := &Runner{nc: nc, js: js, cfg: cfg, run: nuid.Next(), model: name, res: make(chan *nats.Msg, 1024)}
	if r.sub, err = nc.ChanSubscribe(ResultPrefix+r.run, r.res); err != nil {
		return nil, fmt.Errorf("subscribe to results: %w", err)
	}
	return r, nil
}

// Close stops listening for results.
func (r *Runner) Close() error { return r.sub.Unsubscribe() }

// RunShards implements sim.Runner.
func (r *Runner) RunShards(ctx context.Context, s *sim.Sim, shards []sim.Shard, learned *sim.Counts) ([]*sim.Tally, error) {
	r.batch++
	spec := s.Spec()
	out := make([]*sim.Tally, len(shards))
	sent := make([]time.Time, len(shards))
	attempts := make([]int, len(shards))
	publish := func(i int) error {
		t := Task{Run: r.run, Batch: r.batch, Index: i, Model: r.model, Spec: spec, Shard: shards[i], Learned: learned}
		b, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if _, err := r.js.Publish(ctx, TaskSubject, b); err != nil {
			return fmt.Errorf("publish shard %d–%d: %w", shards[i].Lo, shards[i].Hi, err)
		}
		sent[i] = time.Now()
		attempts[i]++
		return nil
	}
	for i := range shards {
		if err := publish(i); err != nil {
			return nil, err
		}
	}
	left := len(shards)
	tick := time.NewTicker(min(time.Second, r.cfg.ShardTimeout/4))
	defer tick.Stop()
	for left > 0 {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case m := <-r.res:
			res, err := decodeResult(m.Data)
			if err != nil {
				return nil, fmt.Errorf("result from a worker: %w", err)
			}
			if res.Run != r.run || res.Batch != r.batch || res.Index < 0 || res.Index >= len(shards) || out[res.Index] != nil {
				continue // a duplicate from a redelivered task, or a stale batch
			}
			if res.Err != "" {
				return nil, fmt.Errorf("worker %s, shard %d–%d: %s", res.Worker, shards[res.Index].Lo, shards[res.Index].Hi, res.Err)
			}
			if res.Tally == nil {
				return nil, fmt.Errorf("worker %s, shard %d–%d: empty result", res.Worker, shards[res.Index].Lo, shards[res.Index].Hi)
			}
			out[res.Index] = res.Tally
			left--
		case now := <-tick.C:
			for i := range shards {
				if out[i] != nil || now.Sub(sent[i]) < r.cfg.ShardTimeout {
					continue
				}
				if attempts[i] >= r.cfg.Attempts {
					return nil, fmt.Errorf("shard %d–%d lost: no worker returned it after %d publications %s apart; are `citadel worker` processes connected to %s?",
						shards[i].Lo, shards[i].Hi, attempts[i], r.cfg.ShardTimeout, r.nc.ConnectedUrlRedacted())
				}
				if err := publish(i); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

func encodeResult(res *Result) ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if err := json.NewEncoder(zw).Encode(res); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeResult(b []byte) (*Result, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var res Result
	if err := json.NewDecoder(io.LimitReader(zr, 1<<30)).Decode(&res); err != nil {
		return nil, err
	}
	return &res, nil
}

// WorkerOptions configure a worker.
type WorkerOptions struct {
	Name    string // reported with results; default a random id
	Workers int    // goroutines per shard; 0 means one per CPU
	Config  Config
	// Log, when set, receives a line per shard.
	Log func(format string, args ...any)

	// crash, a test hook, makes the worker drop a task without acknowledging
	// it, as a worker process that dies mid-shard.
	crash func(Task) bool
}

// errCrashed is returned by Work when the crash hook fired.
var errCrashed = errors.New("worker crashed (test hook)")

// Work pulls and plays tasks on nc until ctx is done.
func Work(ctx context.Context, nc *nats.Conn, opt WorkerOptions) error {
	opt.Config.defaults()
	if opt.Name == "" {
		opt.Name = nuid.Next()
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream: %w", err)
	}
	cons, obj, err := setup(ctx, js, opt.Config)
	if err != nil {
		return err
	}
	graphs := map[string]*graph.Graph{}
	for ctx.Err() == nil {
		batch, err := cons.Fetch(1, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			return fmt.Errorf("fetch task: %w", err)
		}
		for m := range batch.Messages() {
			if err := handle(ctx, nc, obj, m, graphs, &opt); err != nil {
				return err
			}
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil &&
			!errors.Is(err, jetstream.ErrNoHeartbeat) {
			return fmt.Errorf("fetch task: %w", err)
		}
	}
	return nil
}

func handle(ctx context.Context, nc *nats.Conn, obj jetstream.ObjectStore, m jetstream.Msg, graphs map[string]*graph.Graph, opt *WorkerOptions) error {
	var t Task
	if err := json.Unmarshal(m.Data(), &t); err != nil {
		return m.Term() // not a task: never deliver it again
	}
	if opt.crash != nil && opt.crash(t) {
		return errCrashed
	}
	// Keep the task ours while it runs.
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tk := time.NewTicker(opt.Config.AckWait / 3)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				_ = m.InProgress()
			}
		}
	})
	res := &Result{Run: t.Run, Batch: t.Batch, Index: t.Index, Worker: opt.Name}
	start := time.Now()
	g, err := loadGraph(ctx, obj, t.Model, graphs)
	if err == nil {
		res.Tally, err = sim.RunTask(g, t.Spec, t.Shard, t.Learned, opt.Workers)
	}
	close(done)
	wg.Wait()
	if err != nil {
		res.Err = err.Error()
	}
	b, err := encodeResult(res)
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	if err := nc.Publish(ResultPrefix+t.Run, b); err != nil {
		return fmt.Errorf("publish result: %w", err)
	}
	if err := nc.Flush(); err != nil {
		return fmt.Errorf("publish result: %w", err)
	}
	if opt.Log != nil {
		opt.Log("shard %d–%d of run %s in %s", t.Shard.Lo, t.Shard.Hi, t.Run, time.Since(start).Round(time.Millisecond))
	}
	return m.Ack()
}

func loadGraph(ctx context.Context, obj jetstream.ObjectStore, name string, graphs map[string]*graph.Graph) (*graph.Graph, error) {
	if g, ok := graphs[name]; ok {
		return g, nil
	}
	text, err := obj.GetBytes(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("fetch model %s: %w", name, err)
	}
	c, err := model.Parse("model-"+name[:12]+".yaml", text)
	if err != nil {
		return nil, err
	}
	g, err := graph.Build(c, nil)
	if err != nil {
		return nil, err
	}
	if len(graphs) > 16 {
		clear(graphs)
	}
	graphs[name] = g
	return g, nil
}
