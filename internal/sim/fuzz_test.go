package sim

import (
	"encoding/json"
	"testing"

	"github.com/citadel-city/citadel/internal/graph"
	"github.com/citadel-city/citadel/internal/model"
)

type task struct {
	Spec    Spec    `json:"spec"`
	Shard   Shard   `json:"shard"`
	Learned *Counts `json:"learned"`
}

// FuzzRunTask feeds arbitrary JSON tasks (as a NATS worker receives them)
// to the shard API: bad input must give an error, never a panic.
func FuzzRunTask(f *testing.F) {
	g, err := graph.Build(model.Sample(), nil)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(task{Spec: Spec{Campaigns: 100, Seed: 1, Attacker: "greedy", Epoch: 100, Budget: 720, Response: 4, Retries: 2, Sigma: 0.8}, Shard: Shard{Lo: 0, Hi: 20}})
	f.Add(good)
	f.Add([]byte(`{"spec":{"campaigns":5,"attacker":"adaptive","budget_h":1e300},"shard":{"Lo":0,"Hi":5}}`))
	f.Add([]byte(`{"spec":{"campaigns":5,"attacker":"adaptive"},"shard":{"Lo":0,"Hi":5},"learned":{"attempts":[1],"unseen":[2]}}`))
	f.Add([]byte(`{"spec":{"campaigns":5,"fixes":["nope"]},"shard":{"Lo":3,"Hi":1}}`))
	f.Add([]byte(`{"spec":{"campaigns":5,"sigma":-1e7}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var tk task
		if json.Unmarshal(data, &tk) != nil {
			return
		}
		if tk.Spec.Campaigns > 1000 || tk.Shard.Hi-tk.Shard.Lo > 200 {
			return // keep each run short
		}
		_, _ = RunTask(g, tk.Spec, tk.Shard, tk.Learned, 1)
	})
}
