package grid

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/citadel-city/citadel/internal/atomicfile"
)

// Column headers of the result files, with the meanings of MATPOWER's
// reference files in ../shared/data/grid/reference.
const (
	BusCSVHeader    = "bus_i,type,Pd_MW,Qd_MVAr,Vm_pu,Va_deg"
	BranchCSVHeader = "branch_row,f_bus,t_bus,status,PF_MW,QF_MVAr,PT_MW,QT_MVAr"
	GenCSVHeader    = "gen_row,bus,status,Pg_MW,Qg_MVAr"
)

// fmtG prints a number as MATPOWER's references do (%.12g), without
// negative zero.
func fmtG(x float64) string {
	if x == 0 {
		x = 0
	}
	return strconv.FormatFloat(x, 'g', 12, 64)
}

// WriteBusCSV writes one line per bus, in case order.
func (r *Result) WriteBusCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, BusCSVHeader)
	for _, b := range r.Bus {
		fmt.Fprintf(bw, "%d,%d,%s,%s,%s,%s\n", b.ID, b.Type, fmtG(b.Pd), fmtG(b.Qd), fmtG(b.Vm), fmtG(b.Va))
	}
	return bw.Flush()
}

// WriteBranchCSV writes one line per branch, in case order (branch_row
// is 1-based).
func (r *Result) WriteBranchCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, BranchCSVHeader)
	for i, b := range r.Branch {
		fmt.Fprintf(bw, "%d,%d,%d,%s,%s,%s,%s,%s\n", i+1, b.From, b.To, fmtG(b.Status), fmtG(b.PF), fmtG(b.QF), fmtG(b.PT), fmtG(b.QT))
	}
	return bw.Flush()
}

// WriteGenCSV writes one line per generator, in case order.
func (r *Result) WriteGenCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, GenCSVHeader)
	for i, g := range r.Gen {
		fmt.Fprintf(bw, "%d,%d,%s,%s,%s\n", i+1, g.Bus, fmtG(g.Status), fmtG(g.Pg), fmtG(g.Qg))
	}
	return bw.Flush()
}

// WriteDir writes bus.csv, branch.csv and gen.csv into dir (created when
// missing), each atomically, and returns their paths.
func (r *Result) WriteDir(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create output directory: %w", err)
	}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{{"bus.csv", r.WriteBusCSV}, {"branch.csv", r.WriteBranchCSV}, {"gen.csv", r.WriteGenCSV}}
	var paths []string
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := atomicfile.Write(p, 0o644, f.write); err != nil {
			return paths, fmt.Errorf("write %s: %w", p, err)
		}
		paths = append(paths, p)
	}
	return paths, nil
}

// FreqTraceCSVHeader is the header of a frequency trace file.
const FreqTraceCSVHeader = "t_s,hz,disturbance_mw,governor_mw,shed_mw,rocof_hz_s"

// WriteTraceCSV writes the frequency trace, one line per sample.
func (r *FreqResult) WriteTraceCSV(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, FreqTraceCSVHeader)
	for _, s := range r.Trace {
		fmt.Fprintf(bw, "%.4f,%.6f,%.4f,%.4f,%.4f,%.6f\n", s.T, s.Hz, s.LoadMW, s.MechMW, s.ShedMW, s.RoCoFHz)
	}
	return bw.Flush()
}

// WriteTraceFile writes the frequency trace to path atomically.
func (r *FreqResult) WriteTraceFile(path string) error {
	if err := atomicfile.Write(path, 0o644, r.WriteTraceCSV); err != nil {
		return fmt.Errorf("write trace %s: %w", path, err)
	}
	return nil
}
