package sim

// Tally is the integer record of a set of campaigns. Tallies of disjoint
// campaign sets merge by addition, so a simulation split into shards gives
// the same tally however the shards are run.
type Tally struct {
	Campaigns            int64 `json:"campaigns"`
	Successes            int64 `json:"successes"` // whole objective achieved
	Detected             int64 `json:"detected"`
	DetectedBeforeImpact int64 `json:"detected_before_impact"` // seen before the first impact (or with no impact)
	Contained            int64 `json:"contained"`

	Targets []TargetTally `json:"targets"`
	// Per objective of the attacker: campaigns and whole-objective successes.
	ObjCampaigns []int64          `json:"obj_campaigns"`
	ObjSuccesses []int64          `json:"obj_successes"`
	Effects      map[string]int64 `json:"effects"` // by effect key (achieved targets)

	// Per edge: attempts, attempts that succeeded unseen, and uses in
	// successful campaigns.
	Attempts []int64 `json:"attempts"`
	Unseen   []int64 `json:"unseen"`
	Used     []int64 `json:"used"`

	Epochs []EpochTally `json:"epochs,omitempty"`
}

// TargetTally counts the campaigns whose objective included one target.
type TargetTally struct {
	Campaigns            int64   `json:"campaigns"`
	Successes            int64   `json:"successes"`
	Detected             int64   `json:"detected"`
	DetectedBeforeImpact int64   `json:"detected_before_impact"`
	Hist                 []int64 `json:"hist"` // time to impact, by bin
}

// EpochTally is one epoch of the learning curve.
type EpochTally struct {
	Campaigns            int64 `json:"campaigns"`
	Successes            int64 `json:"successes"`
	DetectedBeforeImpact int64 `json:"detected_before_impact"`
}

type edgeTally struct{ attempts, unseen []int64 }

func (t *Tally) edges() *edgeTally { return &edgeTally{t.Attempts, t.Unseen} }

func (s *Sim) newTally() *Tally {
	m := s.g.G.M()
	t := &Tally{Targets: make([]TargetTally, len(s.g.Targets)), Effects: map[string]int64{},
		Attempts: make([]int64, m), Unseen: make([]int64, m), Used: make([]int64, m),
		ObjCampaigns: make([]int64, len(s.objs)), ObjSuccesses: make([]int64, len(s.objs))}
	for i := range t.Targets {
		t.Targets[i].Hist = make([]int64, s.nbins)
	}
	return t
}

// Merge adds u to t; both must come from the same simulation.
func (t *Tally) Merge(u *Tally) {
	t.Campaigns += u.Campaigns
	t.Successes += u.Successes
	t.Detected += u.Detected
	t.DetectedBeforeImpact += u.DetectedBeforeImpact
	t.Contained += u.Contained
	for i := range u.Targets {
		a, b := &t.Targets[i], &u.Targets[i]
		a.Campaigns += b.Campaigns
		a.Successes += b.Successes
		a.Detected += b.Detected
		a.DetectedBeforeImpact += b.DetectedBeforeImpact
		for j, v := range b.Hist {
			a.Hist[j] += v
		}
	}
	for k, v := range u.Effects {
		t.Effects[k] += v
	}
	addInts(t.ObjCampaigns, u.ObjCampaigns)
	addInts(t.ObjSuccesses, u.ObjSuccesses)
	addInts(t.Attempts, u.Attempts)
	addInts(t.Unseen, u.Unseen)
	addInts(t.Used, u.Used)
	t.Epochs = append(t.Epochs, u.Epochs...)
}

func addInts(a, b []int64) {
	for i, v := range b {
		a[i] += v
	}
}
