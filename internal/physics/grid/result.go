package grid

import (
	"fmt"
	"math"
)

// Options tune a power flow.
type Options struct {
	// Tol is the Newton–Raphson tolerance on the largest power mismatch,
	// in pu (MATPOWER's pf.tol); 0 means 1e-8.
	Tol float64
	// MaxIter bounds Newton iterations per solve (pf.nr.max_it); 0 means 10.
	MaxIter int
	// EnforceQLimits converts PV buses whose generators exceed a reactive
	// limit to PQ buses with Qg at the limit and solves again, like
	// MATPOWER's pf.enforce_q_lims = 1.
	EnforceQLimits bool
}

func (o Options) tol() float64 {
	if o.Tol > 0 {
		return o.Tol
	}
	return 1e-8
}

func (o Options) maxIter() int {
	if o.MaxIter > 0 {
		return o.MaxIter
	}
	return 10
}

// Result is a solved power flow, in the case's element order and units
// (MW, MVAr, pu, degrees).
type Result struct {
	Case       string
	Method     string // "dc" or "ac"
	QLimits    bool   // generator Q limits were enforced
	Iterations int    // Newton iterations in total (1 for DC)
	Mismatch   float64
	Bus        []BusResult
	Gen        []GenResult
	Branch     []BranchResult
	// Limited lists the generators (case rows, 0-based) held at a Q limit.
	Limited []int
}

// BusResult is one bus of a solution. Type may differ from the case when
// Q-limit enforcement converted a bus to PQ or chose a new reference.
type BusResult struct {
	ID     int
	Type   int
	Pd, Qd float64
	Vm, Va float64
}

// GenResult is one generator of a solution; out-of-service generators
// have zero output.
type GenResult struct {
	Bus    int
	Status float64
	Pg, Qg float64
}

// BranchResult is one branch of a solution: the power injected into the
// branch at its from end (PF, QF) and at its to end (PT, QT).
type BranchResult struct {
	From, To int
	Status   float64
	PF, QF   float64
	PT, QT   float64
}

// ConvergenceError reports a power flow that did not converge. The case
// is the user's to fix (overloaded, badly conditioned or infeasible), so it
// counts as bad input.
type ConvergenceError struct {
	Case       string
	Iterations int
	Mismatch   float64 // largest mismatch at the last iteration, pu
	Reason     string
}

// Error says why the power flow failed.
func (e *ConvergenceError) Error() string {
	if e.Reason != "" {
		return fmt.Sprintf("case %s: power flow failed: %s", e.Case, e.Reason)
	}
	return fmt.Sprintf("case %s: Newton power flow did not converge in %d iterations (largest mismatch %.3g pu); the case may be infeasible (too much load) or need a better starting point", e.Case, e.Iterations, e.Mismatch)
}

// BadInput marks the failure as the user's to fix.
func (e *ConvergenceError) BadInput() bool { return true }

// newResult fills the parts of a result that come straight from the case:
// isolated buses keep their case voltage, out-of-service elements are zero.
func newResult(c *Case, method string) *Result {
	r := &Result{Case: c.Name, Method: method}
	r.Bus = make([]BusResult, len(c.Bus))
	for i, b := range c.Bus {
		r.Bus[i] = BusResult{ID: b.ID, Type: b.Type, Pd: b.Pd, Qd: b.Qd, Vm: b.Vm, Va: b.Va}
	}
	r.Gen = make([]GenResult, len(c.Gen))
	for i, g := range c.Gen {
		r.Gen[i] = GenResult{Bus: g.Bus, Status: g.Status}
	}
	r.Branch = make([]BranchResult, len(c.Branch))
	for i, br := range c.Branch {
		r.Branch[i] = BranchResult{From: br.From, To: br.To, Status: br.Status}
	}
	return r
}

// Totals sums generation, load and losses of a solution, in MW and MVAr.
func (r *Result) Totals() (pg, qg, pd, qd, ploss float64) {
	for _, g := range r.Gen {
		pg += g.Pg
		qg += g.Qg
	}
	for _, b := range r.Bus {
		pd += b.Pd
		qd += b.Qd
	}
	for _, br := range r.Branch {
		ploss += br.PF + br.PT
	}
	return
}

func rad2deg(x float64) float64 { return x * 180 / math.Pi }
