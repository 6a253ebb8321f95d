package grid

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

// TestWriteDirColumns checks that bus.csv and branch.csv carry the
// reference files' columns with the same meanings, by reading them back
// and comparing with MATPOWER's solution.
func TestWriteDirColumns(t *testing.T) {
	c, err := ReadCase(filepath.Join(shareddata.Path(t, "grid", "cases"), "case14.m"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := SolveAC(c, Options{Tol: 1e-10, EnforceQLimits: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := r.WriteDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 3 {
		t.Fatalf("wrote %v", files)
	}
	for _, f := range []struct{ name, header string }{{"bus.csv", BusCSVHeader}, {"branch.csv", BranchCSVHeader}, {"gen.csv", GenCSVHeader}} {
		data, err := os.ReadFile(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		if first, _, _ := strings.Cut(string(data), "\n"); first != f.header {
			t.Errorf("%s header %q, want %q", f.name, first, f.header)
		}
	}
	ref := filepath.Join(shareddata.Path(t, "grid", "reference"), "case14", "acpf_qlim")
	want := readCSV(t, ref+"_bus.csv")
	got := readCSV(t, filepath.Join(dir, "bus.csv"))
	for i := range want {
		for _, col := range []string{"bus_i", "type", "Pd_MW", "Qd_MVAr", "Vm_pu", "Va_deg"} {
			if d := got[i][col] - want[i][col]; d > 1e-6 || d < -1e-6 {
				t.Errorf("bus.csv row %d %s = %v, reference %v", i+1, col, got[i][col], want[i][col])
			}
		}
	}
	wantBr := readCSV(t, ref+"_branch.csv")
	gotBr := readCSV(t, filepath.Join(dir, "branch.csv"))
	for i := range wantBr {
		for _, col := range []string{"branch_row", "f_bus", "t_bus", "status", "PF_MW", "QF_MVAr", "PT_MW", "QT_MVAr"} {
			if d := gotBr[i][col] - wantBr[i][col]; d > 1e-6 || d < -1e-6 {
				t.Errorf("branch.csv row %d %s = %v, reference %v", i+1, col, gotBr[i][col], wantBr[i][col])
			}
		}
	}
}
