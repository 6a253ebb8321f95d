package grid

import (
	"fmt"
	"math"

	"github.com/citadel-city/citadel/internal/diag"
)

// Minimum column counts of the case matrices (MATPOWER's idx_bus, idx_gen
// and idx_brch; version 1 files have 10 gen and 11 branch columns).
const (
	busCols    = 13
	genCols    = 10
	branchCols = 11
)

var busColNames = []string{"bus_i", "type", "Pd", "Qd", "Gs", "Bs", "area", "Vm", "Va", "baseKV", "zone", "Vmax", "Vmin"}
var genColNames = []string{"bus", "Pg", "Qg", "Qmax", "Qmin", "Vg", "mBase", "status", "Pmax", "Pmin"}
var branchColNames = []string{"fbus", "tbus", "r", "x", "b", "rateA", "rateB", "rateC", "ratio", "angle", "status", "angmin", "angmax"}

// rowField returns a function naming a column of a matrix row in
// diagnostics; the name is built only when a problem is reported.
func rowField(matrix string, r int) func(col string) string {
	return func(col string) string { return fmt.Sprintf("%s row %d%s", matrix, r+1, col) }
}

// buildCase turns parsed assignments into a Case and validates it,
// collecting every problem.
func buildCase(file, funcName string, sawMpc bool, vals map[string]*value) (*Case, error) {
	var errs diag.List
	add := func(line int, field, format string, args ...any) {
		errs = append(errs, &diag.Diagnostic{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
	}
	c := &Case{Name: funcName, Version: "2"}
	if !sawMpc {
		c.Version = "1" // bare baseMVA, bus, ... variables
	}
	if v, ok := vals["version"]; ok {
		switch {
		case v.isStr:
			c.Version = v.str
		case !v.isMat && !v.isCell:
			c.Version = fmt.Sprint(v.scalar)
		}
		if c.Version != "1" && c.Version != "2" {
			add(v.line, "mpc.version", "unsupported case format version %q", c.Version)
		}
	}
	matrix := func(name string, minCols int, required bool) *value {
		v, ok := vals[name]
		if !ok {
			if required {
				add(0, "mpc."+name, "missing")
			}
			return nil
		}
		if !v.isMat {
			add(v.line, "mpc."+name, "must be a matrix [...]")
			return nil
		}
		if len(v.rows) > 0 && len(v.rows[0]) < minCols {
			add(v.rowLine[0], "mpc."+name, "has %d columns, at least %d are required", len(v.rows[0]), minCols)
			return nil
		}
		return v
	}
	if v, ok := vals["baseMVA"]; !ok {
		add(0, "mpc.baseMVA", "missing")
	} else if v.isMat || v.isStr || v.isCell || !(v.scalar > 0) || math.IsInf(v.scalar, 0) {
		add(v.line, "mpc.baseMVA", "must be a positive number")
	} else {
		c.BaseMVA = v.scalar
	}
	// Every number must be finite except generator Q and P limits, which
	// MATPOWER allows to be infinite.
	finite := func(name string, v *value, colNames []string, allowInf map[int]bool) {
		for r, row := range v.rows {
			for j, x := range row {
				if math.IsNaN(x) || (math.IsInf(x, 0) && !allowInf[j]) {
					col := fmt.Sprintf("column %d", j+1)
					if j < len(colNames) {
						col = colNames[j]
					}
					add(v.rowLine[r], fmt.Sprintf("mpc.%s row %d %s", name, r+1, col), "value %v is not allowed", x)
				}
			}
		}
	}
	isInt := func(x float64) bool { return x == math.Trunc(x) && math.Abs(x) < 1<<53 }

	busIndex := map[int]int{}
	if v := matrix("bus", busCols, true); v != nil {
		finite("bus", v, busColNames, nil)
		for r, row := range v.rows {
			line := v.rowLine[r]
			field := rowField("mpc.bus", r)
			b := Bus{ID: int(row[0]), Type: int(row[1]), Pd: row[2], Qd: row[3], Gs: row[4], Bs: row[5],
				Area: int(row[6]), Vm: row[7], Va: row[8], BaseKV: row[9], Zone: int(row[10]), Vmax: row[11], Vmin: row[12], Line: line}
			switch {
			case !isInt(row[0]) || row[0] < 1:
				add(line, field(" bus_i"), "bus number %v must be a positive integer", row[0])
			default:
				if prev, dup := busIndex[b.ID]; dup {
					add(line, field(" bus_i"), "bus %d is defined twice (first in row %d)", b.ID, prev+1)
				} else {
					busIndex[b.ID] = r
				}
			}
			if !isInt(row[1]) || b.Type < PQ || b.Type > Isolated {
				add(line, field(" type"), "bus type %v must be 1 (PQ), 2 (PV), 3 (reference) or 4 (isolated)", row[1])
			}
			if b.Type != Isolated && !(b.Vm > 0) {
				add(line, field(" Vm"), "voltage magnitude %v must be positive", b.Vm)
			}
			c.Bus = append(c.Bus, b)
		}
		if len(c.Bus) == 0 {
			add(v.line, "mpc.bus", "has no buses")
		}
	}
	if v := matrix("gen", genCols, true); v != nil {
		finite("gen", v, genColNames, map[int]bool{3: true, 4: true, 8: true, 9: true})
		for r, row := range v.rows {
			line := v.rowLine[r]
			field := rowField("mpc.gen", r)
			g := Gen{Bus: int(row[0]), Pg: row[1], Qg: row[2], Qmax: row[3], Qmin: row[4], Vg: row[5], MBase: row[6],
				Status: row[7], Pmax: row[8], Pmin: row[9], Line: line}
			if _, ok := busIndex[g.Bus]; !ok || !isInt(row[0]) {
				add(line, field(" bus"), "generator bus %v is not in mpc.bus", row[0])
			}
			if g.On() && !(g.Vg > 0) {
				add(line, field(" Vg"), "voltage set point %v must be positive", g.Vg)
			}
			c.Gen = append(c.Gen, g)
		}
	}
	if v := matrix("branch", branchCols, true); v != nil {
		finite("branch", v, branchColNames, nil)
		for r, row := range v.rows {
			line := v.rowLine[r]
			field := rowField("mpc.branch", r)
			br := Branch{From: int(row[0]), To: int(row[1]), R: row[2], X: row[3], B: row[4], RateA: row[5], RateB: row[6],
				RateC: row[7], Ratio: row[8], Angle: row[9], Status: row[10], AngMin: -360, AngMax: 360, Line: line}
			if len(row) > 12 {
				br.AngMin, br.AngMax = row[11], row[12]
			}
			if _, ok := busIndex[br.From]; !ok || !isInt(row[0]) {
				add(line, field(" fbus"), "from bus %v is not in mpc.bus", row[0])
			}
			if _, ok := busIndex[br.To]; !ok || !isInt(row[1]) {
				add(line, field(" tbus"), "to bus %v is not in mpc.bus", row[1])
			}
			if br.Status != 0 && br.Status != 1 {
				add(line, field(" status"), "branch status %v must be 0 or 1", br.Status)
			}
			if br.Status != 0 && br.R == 0 && br.X == 0 {
				add(line, field(" x"), "in-service branch has zero impedance (r = x = 0)")
			}
			c.Branch = append(c.Branch, br)
		}
	}
	if v := matrix("gencost", 4, false); v != nil {
		finite("gencost", v, nil, nil)
		for r, row := range v.rows {
			line := v.rowLine[r]
			field := rowField("mpc.gencost", r)
			gc := GenCost{Model: int(row[0]), Startup: row[1], Shutdown: row[2], N: int(row[3]), Coef: append([]float64(nil), row[4:]...), Line: line}
			need := gc.N
			switch gc.Model {
			case 1:
				need = 2 * gc.N
			case 2:
			default:
				add(line, field(" model"), "cost model %v must be 1 (piecewise linear) or 2 (polynomial)", row[0])
				continue
			}
			if !isInt(row[3]) || gc.N < 0 || need > len(gc.Coef) {
				add(line, field(" n"), "n = %v needs %d cost columns, the row has %d", row[3], need, len(gc.Coef))
			}
			c.GenCost = append(c.GenCost, gc)
		}
		if n := len(c.GenCost); n != 0 && n != len(c.Gen) && n != 2*len(c.Gen) {
			add(v.line, "mpc.gencost", "has %d rows for %d generators (want %d, or %d with reactive costs)", n, len(c.Gen), len(c.Gen), 2*len(c.Gen))
		}
	}
	cells := func(name string, n int) []string {
		v, ok := vals[name]
		if !ok {
			return nil
		}
		if !v.isCell {
			add(v.line, "mpc."+name, "must be a cell array {...}")
			return nil
		}
		if len(v.cells) != n {
			add(v.line, "mpc."+name, "has %d entries for %d rows", len(v.cells), n)
		}
		return v.cells
	}
	c.BusName = cells("bus_name", len(c.Bus))
	c.GenType = cells("gentype", len(c.Gen))
	c.GenFuel = cells("genfuel", len(c.Gen))
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return c, nil
}
