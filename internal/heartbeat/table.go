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

// Row is one data row of a CSV stream.
type Row struct {
	Stamp string    // timestamp as written, spaces trimmed
	Time  time.Time // parsed timestamp
	X     []float64 // values in RowReader.Signals order
	Label int8      // Normal, Attack or Unlabelled; Normal without a label column
	Line  int       // 1-based source line
}

// RowReader reads a wide CSV one row at a time, for streaming: the header
// is read by NewRowReader, each Next returns one row.
type RowReader struct {
	Signals []string // signal names, in column order

	name     string
	opt      ReadOptions
	cr       *csv.Reader
	header   int
	timeIdx  int
	labelIdx int
	sigIdx   []int
	lastTime time.Time
	lastLine int
	haveLast bool
}

// NewRowReader reads the header of a wide CSV from r; name is used in
// messages.
func NewRowReader(r io.Reader, name string, opt ReadOptions) (*RowReader, error) {
	if opt.TimeColumn == "" {
		opt.TimeColumn = DefaultTimeColumn
	}
	timeCol := opt.TimeColumn
	rr := &RowReader{name: name, opt: opt, cr: csv.NewReader(r), timeIdx: -1, labelIdx: -1}
	rr.cr.FieldsPerRecord = -1
	var diags diag.List
	add := func(line, col int, field, msg, hint string) {
		diags = append(diags, &diag.Diagnostic{File: name, Line: line, Col: col, Field: field, Msg: msg, Hint: hint})
	}
	header, err := rr.cr.Read()
	if err == io.EOF {
		add(1, 0, "", "empty file", "the first line must be a header such as DATETIME,L_T1,...")
		return nil, diags.Err()
	}
	if err != nil {
		return nil, rr.csvErr(err)
	}
	rr.header = len(header)
	ignore := map[string]bool{}
	for _, c := range opt.IgnoreColumns {
		ignore[c] = true
	}
	seen := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		_, col := rr.cr.FieldPos(i)
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
			rr.timeIdx = i
		case opt.LabelColumn != "" && h == opt.LabelColumn:
			rr.labelIdx = i
		case ignore[h]:
		default:
			rr.sigIdx = append(rr.sigIdx, i)
			rr.Signals = append(rr.Signals, h)
		}
	}
	if rr.timeIdx < 0 {
		add(1, 1, "", fmt.Sprintf("no %s column", timeCol), "name the timestamp column "+timeCol+" or pass its name")
	}
	if opt.LabelColumn != "" && rr.labelIdx < 0 {
		add(1, 1, "", fmt.Sprintf("no label column %s", opt.LabelColumn), "drop --label-column or name the right column")
	}
	if len(rr.sigIdx) == 0 && !opt.LabelsOnly {
		add(1, 1, "", "no signal columns", "add one column per signal")
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	return rr, nil
}

func (rr *RowReader) csvErr(err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return diag.List{{File: rr.name, Line: pe.Line, Col: pe.Column, Msg: pe.Err.Error(), Hint: "check quoting"}}
	}
	return fmt.Errorf("read %s: %w", rr.name, err)
}

// Next returns the next row, io.EOF after the last one, or the problems of
// a bad row as a diag.List (reading may go on after it).
func (rr *RowReader) Next() (*Row, error) {
	for {
		rec, err := rr.cr.Read()
		if err != nil {
			if err == io.EOF {
				return nil, io.EOF
			}
			return nil, rr.csvErr(err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		return rr.parse(rec)
	}
}

func (rr *RowReader) parse(rec []string) (*Row, error) {
	line, _ := rr.cr.FieldPos(0)
	var diags diag.List
	add := func(col int, field, msg, hint string) {
		diags = append(diags, &diag.Diagnostic{File: rr.name, Line: line, Col: col, Field: field, Msg: msg, Hint: hint})
	}
	if len(rec) != rr.header {
		add(1, "", fmt.Sprintf("%d fields, header has %d", len(rec), rr.header), "every row needs one value per column")
		return nil, diags
	}
	timeCol := rr.opt.TimeColumn
	row := &Row{Line: line, X: make([]float64, len(rr.sigIdx))}
	row.Stamp = strings.TrimSpace(rec[rr.timeIdx])
	tm, terr := ParseTime(row.Stamp)
	_, tcol := rr.cr.FieldPos(rr.timeIdx)
	switch {
	case terr != nil:
		add(tcol, timeCol, terr.Error(), "")
	case rr.haveLast && !tm.After(rr.lastTime):
		what := "earlier than"
		if tm.Equal(rr.lastTime) {
			what = "the same as"
		}
		add(tcol, timeCol, fmt.Sprintf("timestamp %s is %s the previous row's (line %d)", row.Stamp, what, rr.lastLine), "sort the rows by time and drop duplicates")
	}
	row.Time = tm
	for k, i := range rr.sigIdx {
		s := strings.TrimSpace(rec[i])
		v, perr := strconv.ParseFloat(s, 64)
		if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			_, col := rr.cr.FieldPos(i)
			add(col, rr.Signals[k], fmt.Sprintf("value %q is not a finite number", s), "")
			if len(diags) >= maxDiagnostics {
				break
			}
		}
		row.X[k] = v
	}
	if rr.labelIdx >= 0 {
		s := strings.TrimSpace(rec[rr.labelIdx])
		v, perr := strconv.ParseFloat(s, 64)
		switch {
		case perr == nil && v == 1:
			row.Label = Attack
		case perr == nil && v == 0:
			row.Label = Normal
		case perr == nil && v == -999:
			row.Label = Unlabelled
		default:
			_, col := rr.cr.FieldPos(rr.labelIdx)
			add(col, rr.opt.LabelColumn, fmt.Sprintf("label %q is not 1, 0 or -999", s), "")
		}
	}
	if len(diags) > 0 {
		return nil, diags
	}
	rr.lastTime, rr.lastLine, rr.haveLast = tm, line, true
	return row, nil
}

// Read reads a wide CSV table from r; name is used in messages. Problems in
// the input are reported together (up to 20) as a diag.List with line and
// column.
func Read(r io.Reader, name string, opt ReadOptions) (*Table, error) {
	rr, err := NewRowReader(r, name, opt)
	if err != nil {
		return nil, err
	}
	t := &Table{Path: name, Signals: rr.Signals}
	if rr.labelIdx >= 0 {
		t.Labels = []int8{}
	}
	var diags diag.List
	for len(diags) < maxDiagnostics {
		row, err := rr.Next()
		if err == io.EOF {
			break
		}
		var l diag.List
		if errors.As(err, &l) {
			diags = append(diags, l...)
			if len(l) == 1 && l[0].Msg != "" && strings.Contains(l[0].Hint, "quoting") {
				break // the CSV reader cannot go on
			}
			continue
		}
		if err != nil {
			return nil, err
		}
		t.Stamps = append(t.Stamps, row.Stamp)
		t.Times = append(t.Times, row.Time)
		t.X = append(t.X, row.X)
		t.Lines = append(t.Lines, row.Line)
		if t.Labels != nil {
			t.Labels = append(t.Labels, row.Label)
		}
	}
	if err := diags.Err(); err != nil {
		return nil, err
	}
	if len(t.X) == 0 {
		return nil, diag.List{{File: name, Line: 2, Msg: "no data rows"}}
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
