package heartbeat

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
)

// Label values of a row.
const (
	Normal     int8 = 0  // labelled attack-free
	Attack     int8 = 1  // labelled under attack
	Unlabelled int8 = -1 // -999 in BATADAL: unknown, not "normal"
)

// DefaultTimeColumn is the timestamp column of the BATADAL layout.
const DefaultTimeColumn = "DATETIME"

// maxDiagnostics bounds how many problems one read reports.
const maxDiagnostics = 20

// Table is a wide time series: one row per timestamp, one column per signal.
type Table struct {
	Path    string      // file name, for messages
	Signals []string    // signal names, in column order (time and label columns removed)
	Stamps  []string    // timestamps as written in the file, spaces trimmed
	Times   []time.Time // parsed timestamps, strictly increasing
	X       [][]float64 // X[row][signal]
	Labels  []int8      // Normal, Attack or Unlabelled per row; nil without a label column
	Lines   []int       // 1-based source line of each row
}

// ReadOptions says how to read a Table.
type ReadOptions struct {
	// TimeColumn names the timestamp column; DefaultTimeColumn when empty.
	TimeColumn string
	// LabelColumn names the label column (1 attack, 0 normal, -999
	// unlabelled). Empty means none; a column of that name is then read as
	// a signal.
	LabelColumn string
	// IgnoreColumns are dropped without being read (for example a label
	// column at detection time).
	IgnoreColumns []string
	// LabelsOnly accepts a table with no signal columns (a labels file).
	LabelsOnly bool
}

// ReadFile reads the CSV file at path.
func ReadFile(path string, opt ReadOptions) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, path, opt)
}

// timeLayouts are the accepted timestamp forms, BATADAL's first.
var timeLayouts = []string{"02/01/06 15", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04:05Z07:00", "02/01/2006 15:04"}

// ParseTime parses a timestamp in one of the accepted layouts.
func ParseTime(s string) (time.Time, error) {
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not dd/mm/yy HH, YYYY-MM-DD HH:MM[:SS] or RFC 3339", s)
}

// Read reads a wide CSV table from r; name is used in messages. Problems in
// the input are reported as a diag.List with line and column.
func Read(r io.Reader, name string, opt ReadOptions) (*Table, error) {
	timeCol := opt.TimeColumn
	if timeCol == "" {
		timeCol = DefaultTimeColumn
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	var diags diag.List
	add := func(line, col int, field, msg, hint string) {
		diags = append(diags, &diag.Diagnostic{File: name, Line: line, Col: col, Field: field, Msg: msg, Hint: hint})
	}
	csvErr := func(err error) error {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			add(pe.Line, pe.Column, "", pe.Err.Error(), "check quoting")
			return diags.Err()
		}
		return fmt.Errorf("read %s: %w", name, err)
	}
	header, err := cr.Read()
	if err == io.EOF {
		add(1, 0, "", "empty file", "the first line must be a header such as DATETIME,L_T1,...")
		return nil, diags.Err()
	}
	if err != nil {
		return nil, csvErr(err)
	}
	t := &Table{Path: name}
	timeIdx, labelIdx := -1, -1
	ignore := map[string]bool{}
	for _, c := range opt.IgnoreColumns {
		ignore[c] = true
	}
	var sigIdx []int
	seen := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		_, col := cr.FieldPos(i)
		if h == "" {
			add(1, col, "", fmt.Sprintf("column %d has an empty name", i+1), "name every column")
			continue
		}
		if j, dup := seen[h]; dup {
			add(1, col, h, fmt.Sprintf("duplicate column (also column %d)", j+1), "rename or drop one of them")
			continue
		}
		seen[h] = i
		switch {
		case h == timeCol:
			timeIdx = i
		case opt.LabelColumn != "" && h == opt.LabelColumn:
			labelIdx = i
		case ignore[h]:
		default:
			sigIdx = append(sigIdx, i)
			t.Signals = append(t.Signals, h)
		}
	}
	if timeIdx < 0 {
		add(1, 1, "", fmt.Sprintf("no %s column", timeCol), "name the timestamp column "+timeCol+" or pass its name")
	}
	if opt.LabelColumn != "" && labelIdx < 0 {
		add(1, 1, "", fmt.Sprintf("no label column %s", opt.LabelColumn), "drop --label-column or name the right column")
	}
	if len(sigIdx) == 0 && !opt.LabelsOnly {
		add(1, 1, "", "no signal columns", "add one column per signal")
	}
	if len(diags) > 0 {
		return nil, diags.Err()
	}
	if labelIdx >= 0 {
		t.Labels = []int8{}
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvErr(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) != len(header) {
			add(line, 1, "", fmt.Sprintf("%d fields, header has %d", len(rec), len(header)), "every row needs one value per column")
			if len(diags) >= maxDiagnostics {
				break
			}
			continue
		}
		ok := true
		stamp := strings.TrimSpace(rec[timeIdx])
		tm, terr := ParseTime(stamp)
		if terr != nil {
			_, col := cr.FieldPos(timeIdx)
			add(line, col, timeCol, terr.Error(), "")
			ok = false
		} else if n := len(t.Times); n > 0 && !tm.After(t.Times[n-1]) {
			_, col := cr.FieldPos(timeIdx)
			what := "earlier than"
			if tm.Equal(t.Times[n-1]) {
				what = "the same as"
			}
			add(line, col, timeCol, fmt.Sprintf("timestamp %s is %s the previous row's (line %d)", stamp, what, t.Lines[n-1]), "sort the rows by time and drop duplicates")
			ok = false
		}
		row := make([]float64, len(sigIdx))
		for k, i := range sigIdx {
			s := strings.TrimSpace(rec[i])
			v, perr := strconv.ParseFloat(s, 64)
			if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				_, col := cr.FieldPos(i)
				add(line, col, t.Signals[k], fmt.Sprintf("value %q is not a finite number", s), "")
				ok = false
				if len(diags) >= maxDiagnostics {
					break
				}
			}
			row[k] = v
		}
		var lab int8
		if labelIdx >= 0 {
			s := strings.TrimSpace(rec[labelIdx])
			v, perr := strconv.ParseFloat(s, 64)
			switch {
			case perr == nil && v == 1:
				lab = Attack
			case perr == nil && v == 0:
				lab = Normal
			case perr == nil && v == -999:
				lab = Unlabelled
			default:
				_, col := cr.FieldPos(labelIdx)
				add(line, col, opt.LabelColumn, fmt.Sprintf("label %q is not 1, 0 or -999", s), "")
				ok = false
			}
		}
		if len(diags) >= maxDiagnostics {
			break
		}
		if !ok {
			continue
		}
		t.Stamps = append(t.Stamps, stamp)
		t.Times = append(t.Times, tm)
		t.X = append(t.X, row)
		t.Lines = append(t.Lines, line)
		if labelIdx >= 0 {
			t.Labels = append(t.Labels, lab)
		}
	}
	if len(diags) > 0 {
		return nil, diags.Err()
	}
	if len(t.X) == 0 {
		add(2, 0, "", "no data rows", "")
		return nil, diags.Err()
	}
	return t, nil
}

// Reorder returns the table's rows with columns in the order of signals. It
// is an error (naming the file) when a signal is missing or the table has
// signals the list does not name, as when a model was trained on other
// signals.
func (t *Table) Reorder(signals []string) ([][]float64, error) {
	idx := make(map[string]int, len(t.Signals))
	for i, s := range t.Signals {
		idx[s] = i
	}
	var diags diag.List
	perm := make([]int, len(signals))
	want := make(map[string]bool, len(signals))
	var missing []string
	for k, s := range signals {
		want[s] = true
		i, ok := idx[s]
		if !ok {
			missing = append(missing, s)
			continue
		}
		perm[k] = i
	}
	if len(missing) > 0 {
		diags = append(diags, &diag.Diagnostic{File: t.Path, Line: 1, Msg: "missing signal columns " + strings.Join(missing, ", "), Hint: "the model was trained on other signals; retrain or supply these columns"})
	}
	var extra []string
	for _, s := range t.Signals {
		if !want[s] {
			extra = append(extra, s)
		}
	}
	if len(extra) > 0 {
		diags = append(diags, &diag.Diagnostic{File: t.Path, Line: 1, Msg: "signal columns the model does not know: " + strings.Join(extra, ", "), Hint: "the model was trained on other signals; drop these columns, pass the label column, or retrain"})
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	out := make([][]float64, len(t.X))
	for r, row := range t.X {
		o := make([]float64, len(signals))
		for k, i := range perm {
			o[k] = row[i]
		}
		out[r] = o
	}
	return out, nil
}
