package heartbeat

import (
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/google/go-cmp/cmp"
)

func TestReadBATADALLayout(t *testing.T) {
	// Dataset 04 style: a space before every name and value, -999 labels.
	in := "DATETIME, L_T1, S_PU1, ATT_FLAG\n04/07/16 00, 2.44, 1.00, -999\n04/07/16 01, 2.66, 0.00, 1\n04/07/16 02, 2.70, 0.00, 0\n"
	tab, err := Read(strings.NewReader(in), "d.csv", ReadOptions{LabelColumn: "ATT_FLAG"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"L_T1", "S_PU1"}, tab.Signals); diff != "" {
		t.Errorf("signals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int8{Unlabelled, Attack, Normal}, tab.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]float64{{2.44, 1}, {2.66, 0}, {2.70, 0}}, tab.X); diff != "" {
		t.Errorf("values (-want +got):\n%s", diff)
	}
	if tab.Stamps[1] != "04/07/16 01" || tab.Times[1].Hour() != 1 || tab.Times[1].Month() != 7 || tab.Lines[2] != 4 {
		t.Errorf("stamp %q time %v line %d", tab.Stamps[1], tab.Times[1], tab.Lines[2])
	}
	// Without --label-column the label is just another signal.
	tab, err = Read(strings.NewReader(in), "d.csv", ReadOptions{})
	if err != nil || len(tab.Signals) != 3 || tab.Labels != nil {
		t.Errorf("no label column: %v %v", tab, err)
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, in string
		opt      ReadOptions
		want     string // substring, with position
	}{
		{"empty", "", ReadOptions{}, "x.csv:1: empty file"},
		{"no time column", "TIME,a\n1,2\n", ReadOptions{}, "x.csv:1:1: no DATETIME column"},
		{"no label column", "DATETIME,a\n01/01/16 00,2\n", ReadOptions{LabelColumn: "ATT_FLAG"}, "no label column ATT_FLAG"},
		{"duplicate column", "DATETIME,a,a\n01/01/16 00,1,2\n", ReadOptions{}, "x.csv:1:12: a: duplicate column"},
		{"non-numeric", "DATETIME,a,b\n01/01/16 00,1,2\n01/01/16 01,1,abc\n", ReadOptions{}, "x.csv:3:15: b: value \"abc\" is not a finite number"},
		{"NaN", "DATETIME,a\n01/01/16 00,NaN\n", ReadOptions{}, "x.csv:2:13: a: value \"NaN\""},
		{"empty cell", "DATETIME,a\n01/01/16 00,\n", ReadOptions{}, "x.csv:2:13: a: value \"\""},
		{"bad time", "DATETIME,a\n2016-13-45,1\n", ReadOptions{}, "x.csv:2:1: DATETIME: timestamp \"2016-13-45\""},
		{"duplicate time", "DATETIME,a\n01/01/16 00,1\n01/01/16 00,2\n", ReadOptions{}, "x.csv:3:1: DATETIME: timestamp 01/01/16 00 is the same as the previous row's (line 2)"},
		{"unsorted", "DATETIME,a\n01/01/16 05,1\n01/01/16 02,2\n", ReadOptions{}, "is earlier than the previous row's"},
		{"short row", "DATETIME,a,b\n01/01/16 00,1\n", ReadOptions{}, "x.csv:2:1: 2 fields, header has 3"},
		{"bad label", "DATETIME,a,ATT_FLAG\n01/01/16 00,1,2\n", ReadOptions{LabelColumn: "ATT_FLAG"}, "x.csv:2:15: ATT_FLAG: label \"2\" is not 1, 0 or -999"},
		{"bad quote", "DATETIME,a\n01/01/16 00,\"1\n", ReadOptions{}, "x.csv:2:"},
		{"header only", "DATETIME,a\n", ReadOptions{}, "no data rows"},
		{"no signals", "DATETIME\n01/01/16 00\n", ReadOptions{}, "no signal columns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Read(strings.NewReader(tt.in), "x.csv", tt.opt)
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if !diag.IsBadInput(err) {
				t.Errorf("error %v is not bad input", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestReorder(t *testing.T) {
	tab, err := Read(strings.NewReader("DATETIME,b,a\n01/01/16 00,2,1\n"), "x.csv", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := tab.Reorder([]string{"a", "b"})
	if err != nil || x[0][0] != 1 || x[0][1] != 2 {
		t.Errorf("reorder: %v %v", x, err)
	}
	for _, sigs := range [][]string{{"a", "b", "c"}, {"a"}} {
		if _, err := tab.Reorder(sigs); !diag.IsBadInput(err) || !strings.Contains(err.Error(), "x.csv:1") {
			t.Errorf("reorder %v: got %v, want a bad-input error at x.csv:1", sigs, err)
		}
	}
}

// FuzzRead checks that no input makes the reader panic and that what it
// accepts is consistent.
func FuzzRead(f *testing.F) {
	f.Add("DATETIME, L_T1, ATT_FLAG\n04/07/16 00, 2.44, -999\n04/07/16 01, 2.66, 1\n")
	f.Add("DATETIME,a\n2016-01-01 00:00,1\n2016-01-01 01:00,1e3\n")
	f.Add("DATETIME,a,a\n\"x\ny\",1\n")
	f.Add("\ufeffDATETIME,a\n01/01/16 00,-0\n\n01/01/16 01,+5\n")
	f.Fuzz(func(t *testing.T, in string) {
		tab, err := Read(strings.NewReader(in), "f.csv", ReadOptions{LabelColumn: "ATT_FLAG"})
		if err != nil {
			if tab != nil {
				t.Fatal("table and error")
			}
			return
		}
		if len(tab.X) != len(tab.Times) || len(tab.X) != len(tab.Labels) || len(tab.X) == 0 {
			t.Fatalf("inconsistent table: %d rows, %d times, %d labels", len(tab.X), len(tab.Times), len(tab.Labels))
		}
		for i := 1; i < len(tab.Times); i++ {
			if !tab.Times[i].After(tab.Times[i-1]) {
				t.Fatal("times not increasing")
			}
		}
	})
}
