package grid

// Bus types, as in MATPOWER.
const (
	PQ       = 1
	PV       = 2
	Ref      = 3
	Isolated = 4
)

// Case is a power-system model in MATPOWER's case format (version 2).
// Element order is the case file's order; bus numbers are the external
// numbers of the file.
type Case struct {
	Name    string // function name in the file, or the file name
	Version string // "2" (or "1" for old files)
	BaseMVA float64
	Bus     []Bus
	Gen     []Gen
	Branch  []Branch
	GenCost []GenCost
	// BusName, GenType and GenFuel are the optional string columns
	// mpc.bus_name, mpc.gentype and mpc.genfuel (nil when absent).
	BusName, GenType, GenFuel []string
}

// Bus is one row of mpc.bus.
type Bus struct {
	ID         int     // BUS_I, external bus number
	Type       int     // BUS_TYPE: PQ, PV, Ref or Isolated
	Pd, Qd     float64 // load, MW and MVAr
	Gs, Bs     float64 // shunt conductance and susceptance, MW and MVAr at V = 1 pu
	Area       int
	Vm, Va     float64 // voltage magnitude (pu) and angle (degrees): initial values
	BaseKV     float64
	Zone       int
	Vmax, Vmin float64
	Line       int // line in the case file, for diagnostics
}

// Gen is one row of mpc.gen.
type Gen struct {
	Bus        int     // GEN_BUS, external bus number
	Pg, Qg     float64 // MW, MVAr
	Qmax, Qmin float64 // MVAr
	Vg         float64 // voltage set point, pu
	MBase      float64
	Status     float64 // > 0 in service
	Pmax, Pmin float64
	Line       int
}

// On reports whether the generator is in service.
func (g *Gen) On() bool { return g.Status > 0 }

// Branch is one row of mpc.branch: a line or transformer in the π model.
type Branch struct {
	From, To            int     // external bus numbers
	R, X, B             float64 // pu; B is the total line charging
	RateA, RateB, RateC float64 // MVA ratings, 0 = unlimited
	Ratio               float64 // off-nominal tap on the from side, 0 = 1
	Angle               float64 // phase shift, degrees
	Status              float64 // 1 in service, 0 out
	AngMin, AngMax      float64
	Line                int
}

// On reports whether the branch is in service.
func (b *Branch) On() bool { return b.Status != 0 }

// Rating returns the MVA rating of column "A" (also the default for any
// other value), "B" or "C", in either case; 0 means unlimited.
func (b *Branch) Rating(column string) float64 {
	switch column {
	case "B", "b":
		return b.RateB
	case "C", "c":
		return b.RateC
	}
	return b.RateA
}

// ValidRating reports whether column names a rating column: A, B or C, in
// either case.
func ValidRating(column string) bool {
	switch column {
	case "A", "a", "B", "b", "C", "c":
		return true
	}
	return false
}

// GenCost is one row of mpc.gencost.
type GenCost struct {
	Model             int // 1 piecewise linear, 2 polynomial
	Startup, Shutdown float64
	N                 int       // number of points or coefficients
	Coef              []float64 // the remaining columns
	Line              int
}
