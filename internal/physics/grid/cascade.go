package grid

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// CascadeOptions configure a line-overload cascade.
type CascadeOptions struct {
	// AC uses the AC power flow and MVA loading; the default is DC flow
	// and MW loading, the usual screening model.
	AC bool
	// Rating selects the branch rating: "A" (default, long term), "B" or
	// "C" (emergency). Branches with a zero rating are unlimited.
	Rating string
	// Overload is the loading, as a fraction of the rating, above which a
	// branch trips; 0 means 1.0.
	Overload float64
	// Outages are the branches (0-based case rows) opened at the start,
	// the initiating event.
	Outages []int
	// LoadScale multiplies every load before the cascade (stress); 0
	// means 1.
	LoadScale float64
	// MaxRounds bounds the trip-and-resolve rounds; 0 means 100.
	MaxRounds int
	// PF tunes the power flows of each round.
	PF Options
}

// CascadeRound is one round: the branches that tripped on overload after
// the power flow of this round and the state of the system.
type CascadeRound struct {
	Round      int     `json:"round"`
	Tripped    []int   `json:"tripped"` // 0-based branch rows
	Islands    int     `json:"islands"`
	ServedMW   float64 `json:"served_mw"`
	MaxLoading float64 `json:"max_loading"` // highest branch loading / rating before tripping
}

// Island is one connected part of the final network.
type Island struct {
	Buses    []int   `json:"buses"` // bus IDs
	LoadMW   float64 `json:"load_mw"`
	ServedMW float64 `json:"served_mw"`
	GenMW    float64 `json:"gen_mw"`
	// Dead islands have no in-service generator: all their load is lost.
	Dead bool `json:"dead"`
}

// CascadeResult is the outcome of a cascade.
type CascadeResult struct {
	Rounds     []CascadeRound `json:"rounds"`
	Tripped    []int          `json:"tripped"` // every branch opened, in order (outages first)
	Islands    []Island       `json:"islands"`
	LoadMW     float64        `json:"load_mw"` // total load before the cascade
	ServedMW   float64        `json:"served_mw"`
	UnservedMW float64        `json:"unserved_mw"`
	// Collapsed is set when an AC power flow failed to converge (voltage
	// collapse); all load then counts as unserved, the pessimistic
	// reading of a collapse.
	Collapsed bool    `json:"collapsed"`
	Final     *Result `json:"-"`
}

// Cascade runs a line-overload cascade: open the initial outages, solve
// the power flow, trip every branch loaded beyond its rating, find the
// islands, balance each one (shedding load when its generation cannot
// cover it, lowering generation when it exceeds it, losing all load of an
// island without generation), and repeat until no branch is overloaded.
func Cascade(c *Case, opt CascadeOptions) (*CascadeResult, error) {
	work, err := cascadeCopy(c, opt)
	if err != nil {
		return nil, err
	}
	over := opt.Overload
	if over <= 0 {
		over = 1
	}
	maxRounds := opt.MaxRounds
	if maxRounds <= 0 {
		maxRounds = 100
	}
	res := &CascadeResult{}
	for _, b := range work.Bus {
		res.LoadMW += b.Pd
	}
	for _, k := range opt.Outages {
		if k < 0 || k >= len(work.Branch) {
			return nil, fmt.Errorf("cascade: outage branch %d outside 1..%d", k+1, len(work.Branch))
		}
		if work.Branch[k].On() {
			work.Branch[k].Status = 0
			res.Tripped = append(res.Tripped, k)
		}
	}
	for round := 1; round <= maxRounds; round++ {
		islands := balanceIslands(work)
		var r *Result
		if opt.AC {
			r, err = SolveAC(work, opt.PF)
		} else {
			r, err = SolveDC(work, opt.PF)
		}
		if err != nil {
			var ce *ConvergenceError
			if opt.AC && errors.As(err, &ce) {
				res.Collapsed = true
				res.Islands = islands
				res.ServedMW = 0
				res.Final = nil
				res.UnservedMW = res.LoadMW
				res.Rounds = append(res.Rounds, CascadeRound{Round: round, Islands: len(islands)})
				return res, nil
			}
			return nil, fmt.Errorf("cascade round %d: %w", round, err)
		}
		res.Final = r
		res.Islands = islands
		served := 0.0
		for _, is := range islands {
			served += is.ServedMW
		}
		cr := CascadeRound{Round: round, Islands: len(islands), ServedMW: served}
		for k := range work.Branch {
			b := &work.Branch[k]
			rate := b.Rating(opt.Rating)
			if !b.On() || rate <= 0 {
				continue
			}
			f := r.Branch[k]
			load := math.Max(math.Abs(f.PF), math.Abs(f.PT))
			if opt.AC {
				load = math.Max(math.Hypot(f.PF, f.QF), math.Hypot(f.PT, f.QT))
			}
			cr.MaxLoading = math.Max(cr.MaxLoading, load/rate)
			if load > over*rate*(1+1e-9) {
				cr.Tripped = append(cr.Tripped, k)
			}
		}
		res.Rounds = append(res.Rounds, cr)
		res.ServedMW = served
		if len(cr.Tripped) == 0 {
			break
		}
		for _, k := range cr.Tripped {
			work.Branch[k].Status = 0
			res.Tripped = append(res.Tripped, k)
		}
	}
	res.UnservedMW = res.LoadMW - res.ServedMW
	return res, nil
}

// cascadeCopy copies the parts of c that a cascade changes.
func cascadeCopy(c *Case, opt CascadeOptions) (*Case, error) {
	w := *c
	w.Bus = slices.Clone(c.Bus)
	w.Gen = slices.Clone(c.Gen)
	w.Branch = slices.Clone(c.Branch)
	scale := opt.LoadScale
	if scale == 0 {
		scale = 1
	}
	if scale < 0 || math.IsNaN(scale) || math.IsInf(scale, 0) {
		return nil, fmt.Errorf("cascade: load scale %v must be positive", scale)
	}
	for i := range w.Bus {
		w.Bus[i].Pd *= scale
		w.Bus[i].Qd *= scale
	}
	return &w, nil
}

// balanceIslands prepares each island of w for a power flow: a reference
// bus (the case's, else the bus of the largest in-service generator),
// generation matched to load within generator limits, load shed
// proportionally when generation is short, and islands without generation
// switched off (their buses isolated). It returns the islands.
func balanceIslands(w *Case) []Island {
	n, err := newNetwork(w)
	if err != nil {
		return nil
	}
	var out []Island
	for _, isl := range n.islands() {
		in := map[int]bool{}
		for _, i := range isl {
			in[i] = true
		}
		var gens []int
		for g, on := range n.genOn {
			if on && in[n.genBus[g]] {
				gens = append(gens, g)
			}
		}
		is := Island{}
		for _, i := range isl {
			b := &w.Bus[n.busRow[i]]
			is.Buses = append(is.Buses, b.ID)
			is.LoadMW += b.Pd
		}
		if len(gens) == 0 {
			is.Dead = true
			for _, i := range isl {
				b := &w.Bus[n.busRow[i]]
				b.Type = Isolated
			}
			out = append(out, is)
			continue
		}
		// Demand seen by generation: loads plus shunt conductance.
		demand := 0.0
		for _, i := range isl {
			demand += w.Bus[n.busRow[i]].Pd + w.Bus[n.busRow[i]].Gs
		}
		capacity, total := 0.0, 0.0
		for _, g := range gens {
			capacity += math.Max(w.Gen[g].Pmax, 0)
			total += w.Gen[g].Pg
		}
		if demand > capacity && is.LoadMW > 0 {
			// Shed load proportionally until generation at its maximum
			// covers it.
			keep := math.Max(0, 1-(demand-capacity)/is.LoadMW)
			for _, i := range isl {
				b := &w.Bus[n.busRow[i]]
				b.Pd *= keep
				b.Qd *= keep
			}
			demand = capacity
		}
		switch {
		case demand > total:
			head := 0.0
			for _, g := range gens {
				head += math.Max(w.Gen[g].Pmax-w.Gen[g].Pg, 0)
			}
			for _, g := range gens {
				if head > 0 {
					w.Gen[g].Pg += (demand - total) * math.Max(w.Gen[g].Pmax-w.Gen[g].Pg, 0) / head
				}
			}
		case demand < total && total > 0:
			for _, g := range gens {
				w.Gen[g].Pg *= math.Max(demand, 0) / total
			}
		}
		for _, i := range isl {
			is.ServedMW += w.Bus[n.busRow[i]].Pd
		}
		for _, g := range gens {
			is.GenMW += w.Gen[g].Pg
		}
		// One reference bus per island.
		hasRef := false
		for _, i := range isl {
			if n.typ[i] == Ref && slices.ContainsFunc(gens, func(g int) bool { return n.genBus[g] == i }) {
				hasRef = true
			}
		}
		if !hasRef {
			best := gens[0]
			for _, g := range gens {
				if w.Gen[g].Pmax > w.Gen[best].Pmax {
					best = g
				}
			}
			for _, i := range isl {
				b := &w.Bus[n.busRow[i]]
				if b.Type == Ref {
					b.Type = PQ
				}
			}
			w.Bus[n.busRow[n.genBus[best]]].Type = Ref
		}
		out = append(out, is)
	}
	return out
}
