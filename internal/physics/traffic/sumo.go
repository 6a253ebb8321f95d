package traffic

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SUMO runs scenarios in Eclipse SUMO, the microscopic simulator, as the
// high-fidelity engine. Citadel drives the signals over TraCI on loopback
// while attacks are active (the conflict monitor's flash is shown as 's',
// stop then go, at every link) and reads SUMO's statistic and summary
// outputs for the metrics. Emergency trips are added as vehicles of
// class emergency with SUMO's blue-light device and timed from tripinfo. Teleporting is off (--time-to-teleport -1):
// vehicles held at a red signal wait instead of jumping ahead, which does
// not change the reference runs (they had no teleports). Emergency trips, queues and gridlock are
// reported by the built-in engine only.
type SUMO struct {
	Binary string // default "sumo" on PATH
	Seed   int    // default 42, as the reference runs
}

// Name is "sumo".
func (SUMO) Name() string { return "sumo" }

func init() { RegisterEngine(SUMO{}) }

// TraCI command and variable identifiers (SUMO's libsumo/TraCIConstants.h).
const (
	traciSimStep     = 0x02
	traciClose       = 0x7F
	traciSetTL       = 0xc2
	traciTLState     = 0x20
	traciTLProgram   = 0x23
	traciTypeString  = 0x0C
	traciStatusOK    = 0x00
	traciDialTimeout = 20 * time.Second
)

// Run simulates sc in SUMO.
func (s SUMO) Run(ctx context.Context, sc *Scenario) (*Result, error) {
	bin := s.Binary
	if bin == "" {
		bin = "sumo"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("engine sumo: %w (install the Debian package sumo)", err)
	}
	for _, a := range sc.Attacks {
		if a.Kind == DetectorFalse {
			return nil, errors.New("engine sumo: detector attacks are modelled by the ctm engine only")
		}
	}
	if sc.Net.File == "" || sc.Routes.File == "" {
		return nil, errors.New("engine sumo: the network and routes must come from files")
	}
	m, err := compile(sc)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "citadel-sumo-")
	if err != nil {
		return nil, fmt.Errorf("engine sumo: %w", err)
	}
	defer os.RemoveAll(dir)
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("engine sumo: %w", err)
	}
	seed := s.Seed
	if seed == 0 {
		seed = 42
	}
	dur := math.Round(sc.Duration)
	routeFiles := sc.Routes.File
	evs := m.newEmergency()
	if len(evs) > 0 {
		p := filepath.Join(dir, "emergency.rou.xml")
		if err := writeEmergencyRoutes(p, m, evs); err != nil {
			return nil, fmt.Errorf("engine sumo: %w", err)
		}
		routeFiles += "," + p
	}
	cmd := exec.CommandContext(ctx, path, "-n", sc.Net.File, "-r", routeFiles,
		"--tripinfo-output", filepath.Join(dir, "tripinfo.xml"),
		"-b", "0", "-e", strconv.FormatFloat(dur, 'f', -1, 64), "--seed", strconv.Itoa(seed),
		"--remote-port", strconv.Itoa(port), "--num-clients", "1",
		"--no-step-log", "true", "--no-warnings", "true", "--time-to-teleport", "-1", "--duration-log.statistics", "true",
		"--summary-output", filepath.Join(dir, "summary.xml"),
		"--statistic-output", filepath.Join(dir, "statistics.xml"))
	var stderr strings.Builder
	cmd.Stderr, cmd.Stdout = &stderr, io.Discard
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("engine sumo: start: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	conn, err := dialTraCI(ctx, port)
	if err != nil {
		return nil, fmt.Errorf("engine sumo: %w: %s", err, stderr.String())
	}
	tc := &traci{c: conn, r: bufio.NewReader(conn)}
	res := &Result{Engine: "sumo", Duration: dur, Step: 1}
	sr := make([]*sigRun, len(m.sigs))
	overridden := make([]bool, len(m.sigs))
	for i, sg := range m.sigs {
		sr[i] = &sigRun{sig: sg, plan: PlanOf(sg.Logic), flashUntil: -1}
	}
	for t := 0.0; t < dur; {
		active := false
		for _, a := range sc.Attacks {
			if t >= a.From && t < a.To+m.p.MMUReset {
				active = true
			}
		}
		for i, s := range sr {
			if !active && !overridden[i] {
				continue
			}
			m.updateSignal(s, t, res)
			attacked := s.flash
			for _, a := range sc.Attacks {
				if a.applies(s.sig.ID, t) {
					attacked = true
				}
			}
			switch {
			case attacked:
				st := s.state
				if s.flash {
					st = strings.Repeat("s", len(st))
				}
				err = tc.setTL(s.sig.ID, traciTLState, st)
				overridden[i] = true
			case overridden[i]:
				err = tc.setTL(s.sig.ID, traciTLProgram, s.sig.Logic.ProgramID)
				overridden[i] = false
			}
			if err != nil {
				return nil, fmt.Errorf("engine sumo: %w", err)
			}
		}
		next := t + 1
		if !active {
			next = dur
			for _, a := range sc.Attacks {
				if a.From > t && a.From < next {
					next = a.From
				}
			}
			for _, o := range overridden {
				if o {
					next = t + 1
				}
			}
		}
		if err := tc.step(next); err != nil {
			return nil, fmt.Errorf("engine sumo: %w: %s", err, stderr.String())
		}
		t = next
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	_ = tc.close()
	conn.Close()
	done = true
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("engine sumo: %w: %s", err, stderr.String())
	}
	if err := readSUMOOutputs(dir, res); err != nil {
		return nil, fmt.Errorf("engine sumo: %w", err)
	}
	if len(evs) > 0 {
		if err := readEmergency(filepath.Join(dir, "tripinfo.xml"), m, evs, res); err != nil {
			return nil, fmt.Errorf("engine sumo: %w", err)
		}
	}
	return res, nil
}

// evID names the i-th emergency vehicle in SUMO.
func evID(i int) string { return "citadel_ev_" + strconv.Itoa(i) }

// writeEmergencyRoutes writes the emergency vehicles as a SUMO route file.
func writeEmergencyRoutes(path string, m *model, evs []*evRun) error {
	var b strings.Builder
	b.WriteString("<routes>\n  <vType id=\"citadel_ev\" vClass=\"emergency\" speedFactor=\"1.5\">\n" +
		"    <param key=\"has.bluelight.device\" value=\"true\"/>\n  </vType>\n")
	order := make([]int, len(evs))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, c int) bool { return evs[order[a]].trip.Depart < evs[order[c]].trip.Depart })
	for _, i := range order {
		ev := evs[i]
		if ev.path == nil {
			continue
		}
		var ids []string
		for _, e := range ev.path {
			ids = append(ids, m.edges[e].ID)
		}
		fmt.Fprintf(&b, "  <vehicle id=%q type=\"citadel_ev\" depart=\"%g\" departLane=\"best\" departSpeed=\"max\">\n    <route edges=%q/>\n  </vehicle>\n",
			evID(i), ev.trip.Depart, strings.Join(ids, " "))
	}
	b.WriteString("</routes>\n")
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

// readEmergency takes the emergency vehicles' trips from tripinfo.xml
// (SUMO's totals count them with the other vehicles).
func readEmergency(path string, m *model, evs []*evRun, res *Result) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc struct {
		Trips []struct {
			ID       string  `xml:"id,attr"`
			Depart   float64 `xml:"depart,attr"`
			Duration float64 `xml:"duration,attr"`
		} `xml:"tripinfo"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("tripinfo.xml: %w", err)
	}
	got := map[string]float64{}
	for _, tr := range doc.Trips {
		if strings.HasPrefix(tr.ID, "citadel_ev_") {
			got[tr.ID] = tr.Depart + tr.Duration
		}
	}
	out := m.emergencyResults(evs, res.Duration)
	for i := range out {
		arr, ok := got[evID(i)]
		out[i].Arrived = ok
		if ok {
			out[i].TravelTime = arr - out[i].Depart
		} else {
			out[i].TravelTime = math.Max(0, res.Duration-out[i].Depart)
		}
	}
	res.Emergency = out
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func dialTraCI(ctx context.Context, port int) (net.Conn, error) {
	deadline := time.Now().Add(traciDialTimeout)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for {
		var d net.Dialer
		c, err := d.DialContext(ctx, "tcp", addr)
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("connect to TraCI at %s: %w", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// traci is a minimal TraCI client: simulation steps, signal state and
// program changes, close.
type traci struct {
	c net.Conn
	r *bufio.Reader
}

// send writes one command and checks the status of the reply.
func (t *traci) send(id byte, content []byte) error {
	var cmd []byte
	if n := 2 + len(content); n <= 255 {
		cmd = append([]byte{byte(n), id}, content...)
	} else {
		cmd = binary.BigEndian.AppendUint32([]byte{0}, uint32(n+4))
		cmd = append(append(cmd, id), content...)
	}
	msg := binary.BigEndian.AppendUint32(nil, uint32(4+len(cmd)))
	if _, err := t.c.Write(append(msg, cmd...)); err != nil {
		return fmt.Errorf("traci write: %w", err)
	}
	var hdr [4]byte
	if _, err := io.ReadFull(t.r, hdr[:]); err != nil {
		return fmt.Errorf("traci read: %w", err)
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 4 || n > 1<<26 {
		return fmt.Errorf("traci: bad reply length %d", n)
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(t.r, body); err != nil {
		return fmt.Errorf("traci read: %w", err)
	}
	// Status: length, command id, result, description string.
	if len(body) < 3 || body[1] != id {
		return fmt.Errorf("traci: malformed status for command 0x%02x", id)
	}
	if body[2] != traciStatusOK {
		desc := ""
		if len(body) >= 7 {
			l := int(binary.BigEndian.Uint32(body[3:7]))
			if 7+l <= len(body) {
				desc = string(body[7 : 7+l])
			}
		}
		return fmt.Errorf("traci command 0x%02x failed: %s", id, desc)
	}
	return nil
}

func traciString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

func (t *traci) step(target float64) error {
	return t.send(traciSimStep, binary.BigEndian.AppendUint64(nil, math.Float64bits(target)))
}

func (t *traci) setTL(id string, variable byte, value string) error {
	b := traciString([]byte{variable}, id)
	b = append(b, traciTypeString)
	return t.send(traciSetTL, traciString(b, value))
}

func (t *traci) close() error { return t.send(traciClose, nil) }

// readSUMOOutputs fills res from SUMO's statistics.xml and summary.xml.
func readSUMOOutputs(dir string, res *Result) error {
	b, err := os.ReadFile(filepath.Join(dir, "statistics.xml"))
	if err != nil {
		return err
	}
	var st struct {
		V struct {
			Loaded   float64 `xml:"loaded,attr"`
			Inserted float64 `xml:"inserted,attr"`
			Running  float64 `xml:"running,attr"`
			Waiting  float64 `xml:"waiting,attr"`
		} `xml:"vehicles"`
		Trip struct {
			Count            float64 `xml:"count,attr"`
			Duration         float64 `xml:"duration,attr"`
			TimeLoss         float64 `xml:"timeLoss,attr"`
			DepartDelay      float64 `xml:"departDelay,attr"`
			TotalDepartDelay float64 `xml:"totalDepartDelay,attr"`
		} `xml:"vehicleTripStatistics"`
	}
	if err := xml.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("statistics.xml: %w", err)
	}
	res.Loaded, res.Inserted, res.Running, res.Waiting = st.V.Loaded, st.V.Inserted, st.V.Running, st.V.Waiting
	res.Arrived = st.Trip.Count
	res.MeanTravelTime = st.Trip.Duration
	res.MeanDepartDelay = st.Trip.DepartDelay
	res.DelayVehHours = st.Trip.TimeLoss * st.Trip.Count / 3600
	res.DepartDelayVehHours = st.Trip.TotalDepartDelay / 3600
	res.ThroughputVehPerHour = res.Arrived / res.Duration * 3600
	f, err := os.Open(filepath.Join(dir, "summary.xml"))
	if err != nil {
		return err
	}
	defer f.Close()
	var sum struct {
		Steps []struct {
			Time    float64 `xml:"time,attr"`
			Running float64 `xml:"running,attr"`
			Halting float64 `xml:"halting,attr"`
			Waiting float64 `xml:"waiting,attr"`
			Arrived float64 `xml:"arrived,attr"`
		} `xml:"step"`
	}
	if err := xml.NewDecoder(f).Decode(&sum); err != nil {
		return fmt.Errorf("summary.xml: %w", err)
	}
	for _, s := range sum.Steps {
		res.MeanRunning += s.Running
		res.MeanHalting += s.Halting
		res.VehicleHours += s.Running / 3600
		if int(s.Time+1)%SampleEvery == 0 {
			res.Series = append(res.Series, Sample{T: s.Time + 1, Running: s.Running, Halting: s.Halting, Waiting: s.Waiting, Arrived: s.Arrived})
		}
	}
	if k := float64(len(sum.Steps)); k > 0 {
		res.MeanRunning /= k
		res.MeanHalting /= k
	}
	return nil
}
