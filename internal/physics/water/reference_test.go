package water

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

// refRow is one row of ref/nodes.csv.gz or ref/links.csv.gz.
type refRow struct {
	period int
	id     string
	vals   []float64
}

func readRefCSV(t testing.TB, path string) []refRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(zr)
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	var rows []refRow
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		p, _ := strconv.Atoi(rec[0])
		row := refRow{period: p, id: rec[2]}
		for _, s := range rec[3:] {
			v, _ := strconv.ParseFloat(s, 64)
			row.vals = append(row.vals, v)
		}
		rows = append(rows, row)
	}
	return rows
}

// errStat collects absolute errors of one quantity.
type errStat struct {
	errs  []float64
	worst string // where the worst error is
	max   float64
	fails int // values outside tolerance
}

func (e *errStat) add(got, want, tol float64, where string) {
	d := math.Abs(got - want)
	if math.IsNaN(got) {
		d = math.Inf(1)
	}
	e.errs = append(e.errs, d)
	if d > e.max {
		e.max = d
		e.worst = fmt.Sprintf("%s got %g want %g", where, got, want)
	}
	if d > tol {
		e.fails++
	}
}

func (e *errStat) p99() float64 {
	if len(e.errs) == 0 {
		return 0
	}
	s := append([]float64(nil), e.errs...)
	sort.Float64s(s)
	return s[int(math.Ceil(0.99*float64(len(s))))-1]
}

// Tolerances, from the acceptance criteria. EPANET stops iterating
// when the relative flow change falls below Accuracy (1e-3 by default), and
// stores float32 results: agreement is expected to about 1e-3 relative in
// flow and 1e-2 ft (or m) in head.
const (
	tolHead  = 0.01 // heads, tank levels (network length units)
	tolPress = 0.01 // pressure (psi or m)
	tolFlowA = 0.01 // flows and demands: 0.01 units or 0.1 %
	tolFlowR = 0.001
)

// headlossTol is the headloss tolerance implied by the head tolerance:
// pipes report headloss per 1000 length units, so two heads within 0.01
// allow 2·0.01·1000/L; pumps and valves report the head difference.
func headlossTol(net *Network, k int, want float64) float64 {
	l := net.Links[k]
	tol := 2 * tolHead
	if l.Kind <= Pipe {
		tol = 2 * tolHead * 1000 / l.Length
	}
	return ulpTol(tol, want)
}

// qualTol is the quality criterion: 1 % or 0.01 (mg/L, hours or
// percent).
func qualTol(want float64) float64 { return math.Max(0.01, 0.01*math.Abs(want)) }

func flowTol(want float64) float64 { return math.Max(tolFlowA, tolFlowR*math.Abs(want)) }

// ulpTol widens an absolute tolerance to 1e-6 of the reference value,
// which changes nothing below 1e4. Beyond that are only junctions cut off
// by closed links (ky15's J-465 and O-RV-18), whose heads EPANET reports
// near -3.4e5 ft: they are set by the 1e-8 conductance EPANET gives closed
// links and move with the last bits of any arithmetic, and float32 itself
// resolves them only to 0.03.
func ulpTol(tol, want float64) float64 {
	return math.Max(tol, 1e-6*math.Abs(want))
}

// knownGaps lists quantities that are not yet matched for a network and
// why; they are reported but do not fail the test. Keep it empty for
// networks that match.
var knownGaps = map[string]map[string]string{}

func TestReferenceNetworks(t *testing.T) {
	root := shareddata.Path(t, "water", "networks")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			if testing.Short() && (name == "CTOWN" || name == "ctown_map") {
				t.Skip("long EPS network skipped in -short mode")
			}
			dir := filepath.Join(root, name)
			res := runReference(t, filepath.Join(dir, name+".inp"))
			compareReference(t, name, dir, res)
		})
	}
}

func compareReference(t *testing.T, name, dir string, res *Results) {
	nodes := readRefCSV(t, filepath.Join(dir, "ref", "nodes.csv.gz"))
	links := readRefCSV(t, filepath.Join(dir, "ref", "links.csv.gz"))
	net := res.Net
	var head, press, dem, flow, vel, hl, set, qual, lqual errStat
	statusMismatch := 0
	statusWhere := ""
	maxPeriod := -1
	for _, r := range nodes {
		maxPeriod = max(maxPeriod, r.period)
	}
	if len(res.Periods) != maxPeriod+1 {
		t.Errorf("%d periods, reference has %d", len(res.Periods), maxPeriod+1)
	}
	for _, r := range nodes {
		if r.period >= len(res.Periods) {
			continue
		}
		i := net.NodeIndex(r.id)
		if i < 0 {
			t.Fatalf("node %s missing", r.id)
		}
		sn := &res.Periods[r.period]
		where := fmt.Sprintf("node %s period %d", r.id, r.period)
		dem.add(sn.Demand[i], r.vals[0], flowTol(r.vals[0]), where)
		head.add(sn.Head[i], r.vals[1], ulpTol(tolHead, r.vals[1]), where)
		press.add(sn.Pressure[i], r.vals[2], ulpTol(tolPress, r.vals[2]), where)
		qual.add(sn.Quality[i], r.vals[3], qualTol(r.vals[3]), where)
	}
	for _, r := range links {
		if r.period >= len(res.Periods) {
			continue
		}
		k := net.LinkIndex(r.id)
		if k < 0 {
			t.Fatalf("link %s missing", r.id)
		}
		sn := &res.Periods[r.period]
		where := fmt.Sprintf("link %s period %d", r.id, r.period)
		flow.add(sn.Flow[k], r.vals[0], flowTol(r.vals[0]), where)
		vel.add(sn.Velocity[k], r.vals[1], math.Max(1e-3, 1e-3*math.Abs(r.vals[1])), where)
		hl.add(sn.Headloss[k], r.vals[2], headlossTol(net, k, r.vals[2]), where)
		set.add(sn.Setting[k], r.vals[5], math.Max(1e-4, 1e-5*math.Abs(r.vals[5])), where)
		lqual.add(sn.LinkQuality[k], r.vals[3], qualTol(r.vals[3]), where)
		if st := Status(r.vals[4]); st != sn.Status[k] {
			statusMismatch++
			if statusWhere == "" {
				statusWhere = fmt.Sprintf("%s: got %v want %v", where, sn.Status[k], st)
			}
		}
	}
	t.Logf("%-10s steps=%d iterations=%d  velocity max %.2e | headloss max %.2e p99 %.2e | setting max %.2e", name, res.Steps, res.Iterations, vel.max, hl.max, hl.p99(), set.max)
	t.Logf("%-10s quality max %.2e p99 %.2e | link quality max %.2e p99 %.2e", name, qual.max, qual.p99(), lqual.max, lqual.p99())
	t.Logf("%-10s periods=%d  head max %.2e p99 %.2e | pressure max %.2e p99 %.2e | demand max %.2e p99 %.2e | flow max %.2e p99 %.2e | status mismatches %d/%d",
		name, len(res.Periods), head.max, head.p99(), press.max, press.p99(), dem.max, dem.p99(), flow.max, flow.p99(), statusMismatch, len(links))
	gaps := knownGaps[name]
	check := func(q string, e *errStat) {
		if e.fails == 0 {
			return
		}
		if why, ok := gaps[q]; ok {
			t.Logf("SKIPPED %s %s (%d values out of tolerance, worst %s): %s", name, q, e.fails, e.worst, why)
			return
		}
		t.Errorf("%s: %d values out of tolerance; worst %s", q, e.fails, e.worst)
	}
	check("head", &head)
	check("pressure", &press)
	check("demand", &dem)
	check("flow", &flow)
	check("velocity", &vel)
	check("headloss", &hl)
	check("setting", &set)
	check("quality", &qual)
	check("link quality", &lqual)
	compareEnergy(t, dir, res)
	if statusMismatch > 0 {
		if why, ok := gaps["status"]; ok {
			t.Logf("SKIPPED %s status (%d mismatches, first %s): %s", name, statusMismatch, statusWhere, why)
		} else {
			t.Errorf("status: %d mismatches; first %s", statusMismatch, statusWhere)
		}
	}
}

// TestWriteCSVRoundTrip checks that nodes.csv and links.csv hold exactly the
// float32 values of the results, with the columns.
func TestWriteCSVRoundTrip(t *testing.T) {
	dir := shareddata.Path(t, "water", "networks", "Net1")
	net, err := ReadFile(filepath.Join(dir, "Net1.inp"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), net)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := res.WriteDir(out); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file, header string
		rows         int
		check        func(rec []string, i int) []float64
	}{
		{"nodes.csv", "period,time_s,node_id,demand,head,pressure,quality", len(net.Nodes), func(rec []string, i int) []float64 {
			sn := res.Periods[i/len(net.Nodes)]
			k := net.NodeIndex(rec[2])
			return []float64{sn.Demand[k], sn.Head[k], sn.Pressure[k], sn.Quality[k]}
		}},
		{"links.csv", "period,time_s,link_id,flow,velocity,headloss,quality,status,setting", len(net.Links), func(rec []string, i int) []float64 {
			sn := res.Periods[i/len(net.Links)]
			k := net.LinkIndex(rec[2])
			return []float64{sn.Flow[k], sn.Velocity[k], sn.Headloss[k], sn.LinkQuality[k], float64(sn.Status[k]), sn.Setting[k]}
		}},
	} {
		f, err := os.Open(filepath.Join(out, tc.file))
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(recs[0], ","); got != tc.header {
			t.Fatalf("%s header %q", tc.file, got)
		}
		if len(recs)-1 != tc.rows*len(res.Periods) {
			t.Fatalf("%s has %d rows, want %d", tc.file, len(recs)-1, tc.rows*len(res.Periods))
		}
		for i, rec := range recs[1:] {
			want := tc.check(rec, i)
			for j, w := range want {
				v, err := strconv.ParseFloat(rec[3+j], 64)
				if err != nil || float32(v) != float32(w) {
					t.Fatalf("%s row %d col %d: %q, want %g", tc.file, i+1, 3+j, rec[3+j], w)
				}
			}
		}
	}
}

// TestIterationsMatchEPANETStatusReports compares every hydraulic solution
// (time and number of trials) with the "h:mm:ss: Balanced after N trials"
// lines of EPANET's status report (NAME.status.rpt, or NAME.rpt when it has
// them): the same sequence means the same time steps, control events and
// status changes, including events between reporting periods.
func TestIterationsMatchEPANETStatusReports(t *testing.T) {
	root := shareddata.Path(t, "water", "networks")
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		data, err := os.ReadFile(filepath.Join(root, name, name+".status.rpt"))
		if err != nil {
			if data, err = os.ReadFile(filepath.Join(root, name, name+".rpt")); err != nil {
				continue
			}
		}
		var want []Solution
		for _, line := range strings.Split(string(data), "\n") {
			i := strings.Index(line, ": Balanced after ")
			if i < 0 {
				continue
			}
			tm, ok := parseClock(strings.TrimSpace(line[:i]), "")
			f := strings.Fields(line[i+len(": Balanced after "):])
			n, err := strconv.Atoi(f[0])
			if !ok || err != nil {
				t.Fatalf("%s: bad line %q", name, line)
			}
			want = append(want, Solution{Time: tm, Trials: n})
		}
		if len(want) == 0 {
			continue
		}
		t.Run(name, func(t *testing.T) {
			if testing.Short() && strings.HasPrefix(strings.ToLower(name), "ctown") {
				t.Skip("long EPS network skipped in -short mode")
			}
			res := runReference(t, filepath.Join(root, name, name+".inp"))
			// An event time is round(volume to go / inflow). Heads and flows
			// agree with EPANET's to a few parts per million (the systems
			// with active valves carry 1e8 coefficients, so the elimination
			// order shows in the last digits), which can move an event
			// whose quotient ends near .5 by a second; the tank levels (which
			// stay within 4e-4 m of EPANET's over CTOWN's 168 h) carry that
			// over to later events (CTOWN: 36 of 847 event times move by
			// 1-5 s). Allow 5 s on event times, and require the same
			// solutions in the same order with the same trial counts.
			shifted := 0
			if len(res.Solutions) != len(want) {
				t.Fatalf("%d hydraulic solutions, EPANET %d", len(res.Solutions), len(want))
			}
			for i, w := range want {
				g := res.Solutions[i]
				if g.Trials != w.Trials || abs64(g.Time-w.Time) > 5 {
					t.Fatalf("solution %d: got %+v, EPANET %+v", i, g, w)
				}
				if g.Time != w.Time {
					shifted++
				}
			}
			t.Logf("%d solutions, %d trials, %d event times a few seconds off EPANET's", len(res.Solutions), res.Iterations, shifted)
		})
	}
}

var (
	refRunsMu sync.Mutex
	refRuns   = map[string]*Results{}
)

// runReference parses and runs a reference network once per test binary.
func runReference(t *testing.T, path string) *Results {
	t.Helper()
	refRunsMu.Lock()
	defer refRunsMu.Unlock()
	if r, ok := refRuns[path]; ok {
		return r
	}
	net, err := ReadFile(path)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	res, err := Run(context.Background(), net)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	refRuns[path] = res
	return res
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// compareEnergy checks EPANET's pump energy report (ref/pumps_energy.csv)
// to 0.1 % (or 1e-3 absolute).
func compareEnergy(t *testing.T, dir string, res *Results) {
	f, err := os.Open(filepath.Join(dir, "ref", "pumps_energy.csv"))
	if err != nil {
		return
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	byLink := map[string]PumpEnergy{}
	for _, e := range res.Energy {
		byLink[e.Link] = e
	}
	worst := 0.0
	for _, rec := range recs[1:] {
		e, ok := byLink[rec[0]]
		if !ok {
			t.Errorf("no energy for pump %s", rec[0])
			continue
		}
		got := []float64{e.Utilization, e.AvgEfficiency, e.KWhPerVolume, e.AvgKW, e.PeakKW, e.CostPerDay}
		for j, g := range got {
			w, _ := strconv.ParseFloat(rec[1+j], 64)
			d := math.Abs(g - w)
			worst = math.Max(worst, d/math.Max(1, math.Abs(w)))
			if d > math.Max(1e-3, 1e-3*math.Abs(w)) {
				t.Errorf("pump %s %s: got %g, EPANET %g", rec[0], recs[0][1+j], g, w)
			}
		}
	}
	t.Logf("pump energy: %d pumps, worst relative error %.2e", len(recs)-1, worst)
}
