package water

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
)

// maxInpErrors caps the number of problems reported for one file.
const maxInpErrors = 20

// ReadFile parses the EPANET input file at path.
func ReadFile(path string) (*Network, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
		return nil, diag.Errorf("read %s: %v", path, err) // the user's to fix
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return Parse(path, bytes.NewReader(data))
}

// inpParser holds the state of one parse.
type inpParser struct {
	file string
	net  *Network
	errs diag.List
	line int
	// demandsSeen marks junctions whose [JUNCTIONS] demand was replaced by
	// a [DEMANDS] entry.
	demandsSeen map[int]bool
	// pending references, checked once every section is read.
	rule *Rule
}

// Parse reads an EPANET .inp file. name is used in error messages. All
// problems found are returned together as a diag.List, each with its line.
func Parse(name string, r io.Reader) (*Network, error) {
	p := &inpParser{
		file: name,
		net: &Network{Options: defaultOptions(), nodeIdx: map[string]int{}, linkIdx: map[string]int{},
			curveIdx: map[string]int{}, patIdx: map[string]int{}},
		demandsSeen: map[int]bool{},
	}
	// EPANET stores junctions, then reservoirs and tanks in input order;
	// links in input order. Read everything, then order the nodes.
	type pendingLine struct {
		sect string
		toks []string
		line int
		raw  string
	}
	var later []pendingLine
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	sect := ""
	for sc.Scan() {
		p.line++
		raw := sc.Text()
		if p.line == 1 {
			raw = strings.TrimPrefix(raw, "\ufeff")
		}
		toks, err := tokenize(raw)
		if err != nil {
			p.errorf("%v", err)
			continue
		}
		if len(toks) == 0 {
			if sect == "TITLE" && strings.TrimSpace(raw) != "" && !strings.HasPrefix(strings.TrimSpace(raw), ";") {
				p.net.Title = append(p.net.Title, strings.TrimSpace(raw))
			}
			continue
		}
		if strings.HasPrefix(toks[0], "[") {
			s := strings.ToUpper(strings.Trim(toks[0], "[]"))
			if !knownSection(s) {
				p.errorf("unknown section %s", toks[0])
				sect = "?"
				continue
			}
			sect = s
			if sect == "END" {
				break
			}
			continue
		}
		switch sect {
		case "":
			p.errorf("data before the first [SECTION] heading; is this an EPANET .inp file?")
			sect = "?"
		case "?", "COORDINATES", "VERTICES", "LABELS", "BACKDROP", "TAGS", "ROUGHNESS":
			// Layout and annotations: not used for computation.
		case "TITLE":
			if len(p.net.Title) < 3 {
				p.net.Title = append(p.net.Title, strings.TrimSpace(stripComment(raw)))
			}
		case "JUNCTIONS", "RESERVOIRS", "TANKS":
			p.nodeLine(sect, toks)
		case "OPTIONS", "TIMES", "PATTERNS", "CURVES":
			p.section(sect, toks)
		default:
			later = append(later, pendingLine{sect, toks, p.line, raw})
		}
		if len(p.errs) >= maxInpErrors {
			break
		}
	}
	if err := sc.Err(); err != nil {
		p.errorf("%v", err)
	}
	p.orderNodes()
	for _, l := range later {
		if len(p.errs) >= maxInpErrors {
			break
		}
		p.line = l.line
		switch l.sect {
		case "PIPES", "PUMPS", "VALVES":
			p.linkLine(l.sect, l.toks)
		}
	}
	for _, l := range later {
		if len(p.errs) >= maxInpErrors {
			break
		}
		p.line = l.line
		switch l.sect {
		case "PIPES", "PUMPS", "VALVES":
		default:
			p.section(l.sect, l.toks)
		}
	}
	p.line = 0
	p.finish()
	if len(p.errs) > 0 {
		return nil, p.errs.Err()
	}
	return p.net, nil
}

var sections = []string{"TITLE", "JUNCTIONS", "RESERVOIRS", "TANKS", "PIPES", "PUMPS", "VALVES", "CONTROLS",
	"RULES", "DEMANDS", "SOURCES", "EMITTERS", "PATTERNS", "CURVES", "QUALITY", "STATUS", "ROUGHNESS",
	"ENERGY", "REACTIONS", "MIXING", "REPORT", "TIMES", "OPTIONS", "COORDINATES", "VERTICES", "LABELS",
	"BACKDROP", "TAGS", "END", "LEAKAGE"}

func knownSection(s string) bool {
	for _, k := range sections {
		if s == k {
			return true
		}
	}
	return false
}

func (p *inpParser) errorf(format string, args ...any) {
	if len(p.errs) >= maxInpErrors {
		return
	}
	p.errs = append(p.errs, &diag.Diagnostic{File: p.file, Line: p.line, Msg: fmt.Sprintf(format, args...)})
}

// stripComment removes a ';' comment.
func stripComment(s string) string {
	if i := strings.IndexByte(s, ';'); i >= 0 {
		return s[:i]
	}
	return s
}

// tokenize splits a line into whitespace-separated tokens, honouring
// double quotes and dropping a ';' comment.
func tokenize(s string) ([]string, error) {
	var toks []string
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ';':
			return toks, nil
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unterminated quote")
			}
			toks = append(toks, s[i+1:i+1+j])
			i += j + 2
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && s[j] != '\r' && s[j] != '\n' && s[j] != ';' {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

// num parses a number token; what names the field for the error message.
func (p *inpParser) num(tok, what string) (float64, bool) {
	v, err := strconv.ParseFloat(tok, 64)
	if err != nil || v != v || v > 1e30 || v < -1e30 {
		p.errorf("%s: %q is not a number", what, tok)
		return 0, false
	}
	return v, true
}

// match reports whether tok starts with keyword kw (case-insensitive), as
// EPANET's match().
func match(tok, kw string) bool {
	return len(tok) >= len(kw) && strings.EqualFold(tok[:len(kw)], kw)
}

func (p *inpParser) needTokens(toks []string, n int, what string) bool {
	if len(toks) < n {
		p.errorf("%s needs at least %d fields, got %d", what, n, len(toks))
		return false
	}
	return true
}

func (p *inpParser) nodeLine(sect string, toks []string) {
	id := toks[0]
	if _, dup := p.net.nodeIdx[id]; dup {
		p.errorf("node %s defined twice", id)
		return
	}
	n := &Node{ID: id, Line: p.line, Kbulk: Missing}
	var ok bool
	switch sect {
	case "JUNCTIONS":
		if !p.needTokens(toks, 2, "junction") {
			return
		}
		n.Kind = Junction
		if n.Elev, ok = p.num(toks[1], "junction elevation"); !ok {
			return
		}
		if len(toks) > 2 {
			d, ok := p.num(toks[2], "junction demand")
			if !ok {
				return
			}
			dm := Demand{Base: d}
			if len(toks) > 3 {
				dm.Pattern = toks[3]
			}
			n.Demands = append(n.Demands, dm)
		}
	case "RESERVOIRS":
		if !p.needTokens(toks, 2, "reservoir") {
			return
		}
		n.Kind = Reservoir
		if n.Elev, ok = p.num(toks[1], "reservoir head"); !ok {
			return
		}
		if len(toks) > 2 {
			n.HeadPattern = toks[2]
		}
	case "TANKS":
		n.Kind = Tank
		if len(toks) == 2 || len(toks) == 3 { // EPANET accepts the reservoir form here
			n.Kind = Reservoir
			if n.Elev, ok = p.num(toks[1], "tank elevation"); !ok {
				return
			}
			if len(toks) > 2 {
				n.HeadPattern = toks[2]
			}
			break
		}
		if !p.needTokens(toks, 6, "tank") {
			return
		}
		vals := make([]float64, 0, 6)
		names := []string{"elevation", "initial level", "minimum level", "maximum level", "diameter", "minimum volume"}
		for i := 1; i < len(toks) && i <= 6; i++ {
			v, ok := p.num(toks[i], "tank "+names[i-1])
			if !ok {
				return
			}
			vals = append(vals, v)
		}
		for len(vals) < 6 {
			vals = append(vals, 0)
		}
		n.Elev, n.InitLevel, n.MinLevel, n.MaxLevel, n.Diameter, n.MinVolume = vals[0], vals[1], vals[2], vals[3], vals[4], vals[5]
		if len(toks) > 7 && toks[7] != "*" {
			n.VolumeCurve = toks[7]
		}
		if len(toks) > 8 {
			switch {
			case match(toks[8], "YES") || match(toks[8], "TRUE"):
				n.Overflow = true
			case match(toks[8], "NO") || match(toks[8], "FALSE"):
			default:
				p.errorf("tank overflow flag %q must be YES or NO", toks[8])
				return
			}
		}
		if n.Diameter < 0 || n.MinLevel < 0 || n.MaxLevel < n.MinLevel && n.VolumeCurve == "" {
			p.errorf("tank %s has invalid levels or diameter", id)
			return
		}
	}
	p.net.nodeIdx[id] = len(p.net.Nodes)
	p.net.Nodes = append(p.net.Nodes, n)
}

// orderNodes puts junctions first, then reservoirs and tanks in input
// order, as EPANET stores them.
func (p *inpParser) orderNodes() {
	var j, t []*Node
	for _, n := range p.net.Nodes {
		if n.Kind == Junction {
			j = append(j, n)
		} else {
			t = append(t, n)
		}
	}
	p.net.Nodes = append(j, t...)
	for i, n := range p.net.Nodes {
		p.net.nodeIdx[n.ID] = i
	}
}

func (p *inpParser) linkLine(sect string, toks []string) {
	id := toks[0]
	if _, dup := p.net.linkIdx[id]; dup {
		p.errorf("link %s defined twice", id)
		return
	}
	if !p.needTokens(toks, 3, strings.ToLower(sect[:len(sect)-1])) {
		return
	}
	l := &Link{ID: id, From: toks[1], To: toks[2], Status: Open, Setting: Missing, Kbulk: Missing, Kwall: Missing, Line: p.line}
	for _, e := range []string{l.From, l.To} {
		if _, ok := p.net.nodeIdx[e]; !ok {
			p.errorf("link %s: undefined node %s", id, e)
			return
		}
	}
	if l.From == l.To {
		p.errorf("link %s connects node %s to itself", id, l.From)
		return
	}
	var ok bool
	switch sect {
	case "PIPES":
		if !p.needTokens(toks, 6, "pipe") {
			return
		}
		l.Kind = Pipe
		if l.Length, ok = p.num(toks[3], "pipe length"); !ok {
			return
		}
		if l.Diameter, ok = p.num(toks[4], "pipe diameter"); !ok {
			return
		}
		if l.Roughness, ok = p.num(toks[5], "pipe roughness"); !ok {
			return
		}
		if l.Length <= 0 || l.Diameter <= 0 || l.Roughness <= 0 {
			p.errorf("pipe %s: length, diameter and roughness must be positive", id)
			return
		}
		rest := toks[6:]
		if len(rest) > 0 {
			if v, err := strconv.ParseFloat(rest[0], 64); err == nil {
				if v < 0 {
					p.errorf("pipe %s: negative minor loss", id)
					return
				}
				l.MinorLoss = v
				rest = rest[1:]
			}
		}
		if len(rest) > 0 {
			switch {
			case match(rest[0], "CV"):
				l.Kind = CVPipe
			case match(rest[0], "CLOSED"):
				l.Status = Closed
			case match(rest[0], "OPEN"):
			default:
				p.errorf("pipe %s: unknown status %q (want OPEN, CLOSED or CV)", id, rest[0])
				return
			}
		}
	case "PUMPS":
		l.Kind = Pump
		l.Setting = 1
		if len(toks) < 5 {
			// EPANET 2.0 form: ID N1 N2 power? Require keywords.
			p.errorf("pump %s: needs a HEAD curve or POWER value", id)
			return
		}
		for i := 3; i+1 < len(toks); i += 2 {
			k, v := toks[i], toks[i+1]
			switch {
			case match(k, "HEAD"):
				l.HeadCurve = v
			case match(k, "POWER"):
				if l.Power, ok = p.num(v, "pump power"); !ok {
					return
				}
				if l.Power <= 0 {
					p.errorf("pump %s: power must be positive", id)
					return
				}
			case match(k, "SPEED"):
				if l.Setting, ok = p.num(v, "pump speed"); !ok {
					return
				}
				if l.Setting < 0 {
					p.errorf("pump %s: negative speed", id)
					return
				}
			case match(k, "PATTERN"):
				l.SpeedPattern = v
			default:
				p.errorf("pump %s: unknown keyword %q (want HEAD, POWER, SPEED or PATTERN)", id, k)
				return
			}
		}
		if (len(toks)-3)%2 != 0 {
			p.errorf("pump %s: keyword %q has no value", id, toks[len(toks)-1])
			return
		}
		if l.HeadCurve == "" && l.Power == 0 {
			p.errorf("pump %s: needs a HEAD curve or POWER value", id)
			return
		}
		if l.Setting == 0 {
			l.Status = Closed
		}
	case "VALVES":
		if !p.needTokens(toks, 6, "valve") {
			return
		}
		if l.Diameter, ok = p.num(toks[3], "valve diameter"); !ok {
			return
		}
		if l.Diameter <= 0 {
			p.errorf("valve %s: diameter must be positive", id)
			return
		}
		kinds := map[string]LinkKind{"PRV": PRV, "PSV": PSV, "PBV": PBV, "FCV": FCV, "TCV": TCV, "GPV": GPV, "PCV": PCV}
		k, found := kinds[strings.ToUpper(toks[4])]
		if !found {
			p.errorf("valve %s: unknown type %q", id, toks[4])
			return
		}
		l.Kind = k
		if k == GPV {
			l.Curve = toks[5]
			l.Setting = 0
		} else if l.Setting, ok = p.num(toks[5], "valve setting"); !ok {
			return
		}
		if len(toks) > 6 {
			if l.MinorLoss, ok = p.num(toks[6], "valve minor loss"); !ok {
				return
			}
		}
		if k == PCV && len(toks) > 7 {
			l.Curve = toks[7]
		}
		l.Status = Active
		if k == PRV || k == PSV || k == PBV || k == FCV {
			if k != PBV && l.Setting < 0 || k == FCV && l.Setting < 0 {
				p.errorf("valve %s: negative setting", id)
				return
			}
		}
		if msg := p.valveCheck(k, l.From, l.To); msg != "" {
			p.errorf("valve %s: %s", id, msg)
			return
		}
	}
	p.net.linkIdx[id] = len(p.net.Links)
	p.net.Links = append(p.net.Links, l)
}

// valveCheck applies EPANET's rules for pressure and flow control valves
// (its errors 219 and 220): they cannot touch a tank or reservoir, and
// some pairs of them cannot share a node.
func (p *inpParser) valveCheck(kind LinkKind, from, to string) string {
	if kind != PRV && kind != PSV && kind != FCV {
		return ""
	}
	if p.net.Node(from).Kind != Junction || p.net.Node(to).Kind != Junction {
		return "a PRV, PSV or FCV cannot be connected to a tank or reservoir"
	}
	for _, o := range p.net.Links {
		v1, v2 := o.From, o.To
		bad := false
		switch {
		case o.Kind == PRV && kind == PRV:
			bad = v2 == to || v2 == from || v1 == to
		case o.Kind == PSV && kind == PSV:
			bad = v1 == from || v1 == to || v2 == from
		case o.Kind == PSV && kind == PRV:
			bad = v1 == to
		case o.Kind == PRV && kind == PSV:
			bad = v2 == from
		case o.Kind == FCV && kind == PSV:
			bad = v2 == from
		case o.Kind == FCV && kind == PRV:
			bad = v1 == to
		case o.Kind == PSV && kind == FCV:
			bad = v1 == to
		case o.Kind == PRV && kind == FCV:
			bad = v2 == from
		}
		if bad {
			return fmt.Sprintf("illegal connection with %v %s (shared node or valves in series)", o.Kind, o.ID)
		}
	}
	return ""
}

func (p *inpParser) section(sect string, toks []string) {
	switch sect {
	case "OPTIONS":
		p.option(toks)
	case "TIMES":
		p.times(toks)
	case "PATTERNS":
		id := toks[0]
		i, ok := p.net.patIdx[id]
		if !ok {
			i = len(p.net.Patterns)
			p.net.patIdx[id] = i
			p.net.Patterns = append(p.net.Patterns, &Pattern{ID: id, Line: p.line})
		}
		for _, t := range toks[1:] {
			v, ok := p.num(t, "pattern "+id+" multiplier")
			if !ok {
				return
			}
			p.net.Patterns[i].Factors = append(p.net.Patterns[i].Factors, v)
		}
	case "CURVES":
		id := toks[0]
		i, ok := p.net.curveIdx[id]
		if !ok {
			i = len(p.net.Curves)
			p.net.curveIdx[id] = i
			p.net.Curves = append(p.net.Curves, &Curve{ID: id, Line: p.line})
		}
		c := p.net.Curves[i]
		vals := toks[1:]
		if len(vals)%2 != 0 {
			p.errorf("curve %s: x and y values must come in pairs", id)
			return
		}
		for k := 0; k+1 < len(vals); k += 2 {
			x, ok1 := p.num(vals[k], "curve "+id+" x")
			y, ok2 := p.num(vals[k+1], "curve "+id+" y")
			if !ok1 || !ok2 {
				return
			}
			if n := len(c.X); n > 0 && x <= c.X[n-1] {
				p.errorf("curve %s: x values must increase (%g after %g)", id, x, c.X[n-1])
				return
			}
			c.X = append(c.X, x)
			c.Y = append(c.Y, y)
		}
	case "DEMANDS":
		p.demand(toks)
	case "STATUS":
		p.status(toks)
	case "CONTROLS":
		p.control(toks)
	case "RULES":
		p.ruleLine(toks)
	case "EMITTERS":
		if !p.needTokens(toks, 2, "emitter") {
			return
		}
		n := p.junction(toks[0], "emitter")
		if n == nil {
			return
		}
		v, ok := p.num(toks[1], "emitter coefficient")
		if !ok {
			return
		}
		if v < 0 {
			p.errorf("emitter %s: negative coefficient", toks[0])
			return
		}
		n.Emitter = v
	case "QUALITY":
		if !p.needTokens(toks, 2, "initial quality") {
			return
		}
		v, ok := p.num(toks[len(toks)-1], "initial quality")
		if !ok {
			return
		}
		if len(toks) == 2 {
			n := p.net.Node(toks[0])
			if n == nil {
				p.errorf("quality: undefined node %s", toks[0])
				return
			}
			n.InitQual = v
			return
		}
		// Range form: first last value (numeric IDs).
		lo, e1 := strconv.Atoi(toks[0])
		hi, e2 := strconv.Atoi(toks[1])
		if e1 != nil || e2 != nil {
			p.errorf("quality: node range %s %s must be numeric", toks[0], toks[1])
			return
		}
		for _, n := range p.net.Nodes {
			if k, err := strconv.Atoi(n.ID); err == nil && k >= lo && k <= hi {
				n.InitQual = v
			}
		}
	case "SOURCES":
		if !p.needTokens(toks, 3, "source") {
			return
		}
		n := p.net.Node(toks[0])
		if n == nil {
			p.errorf("source: undefined node %s", toks[0])
			return
		}
		s := &Source{}
		switch {
		case match(toks[1], "CONCEN"):
			s.Kind = Concen
		case match(toks[1], "MASS"):
			s.Kind = Mass
		case match(toks[1], "SETPOINT"):
			s.Kind = Setpoint
		case match(toks[1], "FLOWPACED"):
			s.Kind = FlowPaced
		default:
			p.errorf("source %s: unknown type %q", toks[0], toks[1])
			return
		}
		v, ok := p.num(toks[2], "source strength")
		if !ok {
			return
		}
		s.Strength = v
		if len(toks) > 3 {
			s.Pattern = toks[3]
		}
		n.Source = s
	case "REACTIONS":
		p.reaction(toks)
	case "MIXING":
		if !p.needTokens(toks, 2, "mixing") {
			return
		}
		n := p.net.Node(toks[0])
		if n == nil || n.Kind != Tank {
			if n == nil || n.Kind != Reservoir {
				p.errorf("mixing: %s is not a tank", toks[0])
			}
			return
		}
		switch {
		case match(toks[1], "MIXED"):
			n.Mixing = Mix1
		case match(toks[1], "2COMP"):
			n.Mixing = Mix2
		case match(toks[1], "FIFO"):
			n.Mixing = FIFO
		case match(toks[1], "LIFO"):
			n.Mixing = LIFO
		default:
			p.errorf("mixing %s: unknown model %q", toks[0], toks[1])
			return
		}
		n.MixFrac = 1
		if len(toks) > 2 {
			v, ok := p.num(toks[2], "mixing fraction")
			if !ok {
				return
			}
			n.MixFrac = v
		}
	case "ENERGY":
		p.energy(toks)
	case "REPORT":
		// Report formatting options do not change results.
	case "LEAKAGE":
		if !p.needTokens(toks, 3, "leakage") {
			return
		}
		l := p.net.Link(toks[0])
		if l == nil || l.Kind > Pipe {
			p.errorf("leakage: %s is not a pipe", toks[0])
			return
		}
		a, ok1 := p.num(toks[1], "leak area")
		e, ok2 := p.num(toks[2], "leak expansion")
		if !ok1 || !ok2 {
			return
		}
		if a < 0 || e < 0 {
			p.errorf("leakage: negative leak area or expansion for pipe %s", l.ID)
			return
		}
		l.LeakArea, l.LeakExpansion = a, e
	}
}

func (p *inpParser) junction(id, what string) *Node {
	n := p.net.Node(id)
	if n == nil {
		p.errorf("%s: undefined node %s", what, id)
		return nil
	}
	if n.Kind != Junction {
		p.errorf("%s: node %s is not a junction", what, id)
		return nil
	}
	return n
}

func (p *inpParser) demand(toks []string) {
	if !p.needTokens(toks, 2, "demand") {
		return
	}
	v, ok := p.num(toks[1], "demand")
	if !ok {
		return
	}
	d := Demand{Base: v}
	if len(toks) > 2 {
		d.Pattern = toks[2]
	}
	if strings.EqualFold(toks[0], "MULTIPLY") {
		for _, n := range p.net.Nodes {
			for i := range n.Demands {
				n.Demands[i].Base *= v
			}
		}
		return
	}
	n := p.junction(toks[0], "demand")
	if n == nil {
		return
	}
	i := p.net.NodeIndex(toks[0])
	if !p.demandsSeen[i] {
		p.demandsSeen[i] = true
		n.Demands = nil
	}
	n.Demands = append(n.Demands, d)
}

func (p *inpParser) status(toks []string) {
	if !p.needTokens(toks, 2, "status") {
		return
	}
	l := p.net.Link(toks[0])
	if l == nil {
		p.errorf("status: undefined link %s", toks[0])
		return
	}
	v := toks[1]
	switch {
	case match(v, "OPEN"):
		if l.Kind == CVPipe {
			p.errorf("status: cannot set the status of check-valve pipe %s", l.ID)
			return
		}
		if l.Kind == Pump {
			l.Setting = 1
		}
		if l.Kind.IsValve() && l.Kind != GPV {
			l.Setting = Missing
		}
		l.Status = Open
	case match(v, "CLOSED"):
		if l.Kind == CVPipe {
			p.errorf("status: cannot set the status of check-valve pipe %s", l.ID)
			return
		}
		if l.Kind == Pump {
			l.Setting = 0 // EPANET 2.3 reports a closed pump's speed as 0
		}
		if l.Kind.IsValve() && l.Kind != GPV {
			l.Setting = Missing
		}
		l.Status = Closed
	case match(v, "ACTIVE"):
		l.Status = Active
	default:
		x, ok := p.num(v, "status setting")
		if !ok {
			return
		}
		switch {
		case l.Kind == Pump:
			if x < 0 {
				p.errorf("status: negative pump speed for %s", l.ID)
				return
			}
			l.Setting = x
			l.Status = Open
			if x == 0 {
				l.Status = Closed
			}
		case l.Kind.IsValve() && l.Kind != GPV:
			l.Setting = x
			l.Status = Active
		default:
			p.errorf("status: link %s cannot take a numeric setting", l.ID)
		}
	}
}

// parseClock parses an EPANET time value: decimal hours, h:m[:s], or a
// value with a unit (SEC, MIN, HOUR, DAY) or AM/PM.
func parseClock(val, unit string) (int64, bool) {
	unit = strings.ToUpper(unit)
	if unit == "" || unit == "AM" || unit == "PM" {
		var h float64
		if strings.Contains(val, ":") {
			parts := strings.Split(val, ":")
			if len(parts) > 3 {
				return 0, false
			}
			var secs float64
			mult := 3600.0
			for _, s := range parts {
				x, err := strconv.ParseFloat(s, 64)
				if err != nil || x < 0 {
					return 0, false
				}
				secs += x * mult
				mult /= 60
			}
			h = secs / 3600
		} else {
			x, err := strconv.ParseFloat(val, 64)
			if err != nil || x < 0 {
				return 0, false
			}
			h = x
		}
		if unit == "AM" || unit == "PM" {
			if h >= 13 || h < 0 {
				return 0, false
			}
			if h >= 12 {
				h -= 12
			}
			if unit == "PM" {
				h += 12
			}
		}
		return int64(h*3600 + 0.5), true
	}
	x, err := strconv.ParseFloat(val, 64)
	if err != nil || x < 0 {
		return 0, false
	}
	switch {
	case match(unit, "SEC"):
		return int64(x + 0.5), true
	case match(unit, "MIN"):
		return int64(x*60 + 0.5), true
	case match(unit, "HOUR"):
		return int64(x*3600 + 0.5), true
	case match(unit, "DAY"):
		return int64(x*86400 + 0.5), true
	}
	return 0, false
}

func (p *inpParser) times(toks []string) {
	key := strings.ToUpper(toks[0])
	args := toks[1:]
	if (key == "HYDRAULIC" || key == "QUALITY" || key == "RULE" || key == "PATTERN" || key == "REPORT" || key == "START") && len(args) > 0 {
		key += " " + strings.ToUpper(args[0])
		args = args[1:]
	}
	o := &p.net.Options
	if match(key, "STATISTIC") {
		return
	}
	if len(args) == 0 {
		p.errorf("times: %s has no value", toks[0])
		return
	}
	unit := ""
	if len(args) > 1 {
		unit = args[1]
	}
	t, ok := parseClock(args[0], unit)
	if !ok {
		p.errorf("times: invalid time %q for %s", strings.Join(args, " "), key)
		return
	}
	switch {
	case key == "DURATION":
		o.Duration = t
	case match(key, "HYDRAULIC"):
		o.HydStep = t
		o.hydStepSet = true
	case match(key, "QUALITY"):
		o.QualStep = t
	case match(key, "RULE"):
		o.RuleStep = t
	case match(key, "PATTERN T"):
		o.PatternStep = t
	case match(key, "PATTERN S"):
		o.PatternStart = t
	case match(key, "REPORT T"):
		o.ReportStep = t
		o.reportStepSet = true
	case match(key, "REPORT S"):
		o.ReportStart = t
	case match(key, "START"):
		o.StartClock = t % 86400
	default:
		p.errorf("times: unknown option %q", strings.Join(toks, " "))
	}
}

func (p *inpParser) option(toks []string) {
	o := &p.net.Options
	key := strings.ToUpper(toks[0])
	args := toks[1:]
	get := func(i int) string {
		if i >= 0 && i < len(args) {
			return args[i]
		}
		return ""
	}
	numArg := func(i int, what string) (float64, bool) {
		if i < 0 || i >= len(args) {
			p.errorf("option %s has no value", what)
			return 0, false
		}
		return p.num(args[i], "option "+what)
	}
	switch {
	case match(key, "UNITS"):
		u := strings.ToUpper(get(0))
		found := false
		for i, n := range flowUnitNames {
			if u == n {
				o.Flow, found = FlowUnits(i), true
			}
		}
		if !found {
			p.errorf("option UNITS: unknown flow unit %q", get(0))
		}
	case match(key, "PRESSURE"):
		if len(args) > 0 && match(args[0], "EXP") { // Pressure Exponent
			if v, ok := numArg(1, "PRESSURE EXPONENT"); ok {
				o.PressExponent = v
			}
			return
		}
		switch u := strings.ToUpper(get(0)); {
		case u == "PSI":
			o.Pressure = PSI
		case u == "KPA":
			o.Pressure = KPA
		case match(u, "METER"):
			o.Pressure = Meters
		case u == "BAR":
			o.Pressure = Bar
		case match(u, "FEET"):
			o.Pressure = Feet
		default:
			p.errorf("option PRESSURE: unknown unit %q", get(0))
		}
	case match(key, "HEADLOSS"):
		switch strings.ToUpper(get(0)) {
		case "H-W":
			o.Headloss = HazenWilliams
		case "D-W":
			o.Headloss = DarcyWeisbach
		case "C-M":
			o.Headloss = ChezyManning
		default:
			p.errorf("option HEADLOSS: unknown formula %q (want H-W, D-W or C-M)", get(0))
		}
	case match(key, "HYDRAULICS"), match(key, "MAP"), match(key, "SEGMENTS"):
	case match(key, "QUALITY"):
		q := get(0)
		switch {
		case q == "" || match(q, "NONE"):
			o.Quality = QualNone
		case match(q, "AGE"):
			o.Quality = QualAge
		case match(q, "TRACE"):
			o.Quality = QualTrace
			o.TraceNode = get(1)
		case match(q, "CHEMICAL"):
			o.Quality = QualChem
			if len(args) > 1 {
				o.ChemUnits = args[1]
			}
		default:
			o.Quality = QualChem
			o.ChemName = q
			if len(args) > 1 {
				o.ChemUnits = args[1]
			}
		}
	case match(key, "VISCOSITY"):
		if v, ok := numArg(0, "VISCOSITY"); ok {
			o.Viscosity = v
		}
	case match(key, "DIFFUSIVITY"):
		if v, ok := numArg(0, "DIFFUSIVITY"); ok {
			o.Diffusivity = v
		}
	case match(key, "SPECIFIC"):
		if v, ok := numArg(len(args)-1, "SPECIFIC GRAVITY"); ok {
			if v <= 0 {
				p.errorf("option SPECIFIC GRAVITY must be positive")
				return
			}
			o.SpecGravity = v
		}
	case match(key, "TRIALS"):
		if v, ok := numArg(0, "TRIALS"); ok {
			if v < 1 {
				p.errorf("option TRIALS must be at least 1")
				return
			}
			o.Trials = int(v)
		}
	case match(key, "ACCURACY"):
		if v, ok := numArg(0, "ACCURACY"); ok {
			if v <= 0 {
				p.errorf("option ACCURACY must be positive")
				return
			}
			o.Accuracy = max(1e-5, min(v, 0.1))
		}
	case match(key, "HEADERROR"):
		if v, ok := numArg(0, "HEADERROR"); ok {
			o.HeadError = v
		}
	case match(key, "FLOWCHANGE"):
		if v, ok := numArg(0, "FLOWCHANGE"); ok {
			o.FlowChange = v
		}
	case match(key, "UNBALANCED"):
		switch {
		case match(get(0), "STOP"):
			o.ExtraTrials = -1
		case match(get(0), "CONTINUE"):
			o.ExtraTrials = 0
			if len(args) > 1 {
				if v, ok := numArg(1, "UNBALANCED CONTINUE"); ok {
					o.ExtraTrials = int(v)
				}
			}
		default:
			p.errorf("option UNBALANCED: want STOP or CONTINUE")
		}
	case match(key, "PATTERN"):
		o.DefaultPat = get(0)
	case match(key, "DEMAND"):
		if len(args) > 0 && match(args[0], "MODEL") {
			switch m := strings.ToUpper(get(1)); m {
			case "DDA":
				o.PDA = false
			case "PDA":
				o.PDA = true
			default:
				p.errorf("option DEMAND MODEL: want DDA or PDA, got %q", get(1))
			}
			return
		}
		if v, ok := numArg(len(args)-1, "DEMAND MULTIPLIER"); ok {
			o.DemandMult = v
		}
	case match(key, "MINIMUM"):
		if v, ok := numArg(len(args)-1, "MINIMUM PRESSURE"); ok {
			o.MinPressure = v
		}
	case match(key, "REQUIRED"):
		if v, ok := numArg(len(args)-1, "REQUIRED PRESSURE"); ok {
			o.ReqPressure = v
		}
	case match(key, "EMITTER"):
		if len(args) > 0 && match(args[0], "BACK") {
			o.EmitBackflow = !match(get(1), "NO")
			return
		}
		if v, ok := numArg(len(args)-1, "EMITTER EXPONENT"); ok {
			if v <= 0 {
				p.errorf("option EMITTER EXPONENT must be positive")
				return
			}
			o.EmitterExp = v
		}
	case match(key, "BACKFLOW"):
		o.EmitBackflow = !match(get(len(args)-1), "NO")
	case match(key, "TOLERANCE"):
		if v, ok := numArg(0, "TOLERANCE"); ok {
			o.QualTol = v
		}
	case match(key, "CHECKFREQ"):
		if v, ok := numArg(0, "CHECKFREQ"); ok {
			o.CheckFreq = int(v)
		}
	case match(key, "MAXCHECK"):
		if v, ok := numArg(0, "MAXCHECK"); ok {
			o.MaxCheck = int(v)
		}
	case match(key, "DAMPLIMIT"):
		if v, ok := numArg(0, "DAMPLIMIT"); ok {
			o.DampLimit = v
		}
	default:
		p.errorf("unknown option %q", toks[0])
	}
}

func (p *inpParser) reaction(toks []string) {
	o := &p.net.Options
	if !p.needTokens(toks, 2, "reaction") {
		return
	}
	k := strings.ToUpper(toks[0])
	switch {
	case match(k, "ORDER"):
		if !p.needTokens(toks, 3, "reaction order") {
			return
		}
		v, ok := p.num(toks[2], "reaction order")
		if !ok {
			return
		}
		switch {
		case match(toks[1], "BULK"):
			o.BulkOrder = v
		case match(toks[1], "WALL"):
			if v != 0 && v != 1 {
				p.errorf("wall reaction order must be 0 or 1")
				return
			}
			o.WallOrder = v
		case match(toks[1], "TANK"):
			o.TankOrder = v
		default:
			p.errorf("reaction order: unknown kind %q", toks[1])
		}
	case match(k, "GLOBAL"):
		if !p.needTokens(toks, 3, "global reaction") {
			return
		}
		v, ok := p.num(toks[2], "global reaction coefficient")
		if !ok {
			return
		}
		switch {
		case match(toks[1], "BULK"):
			o.Kbulk = v
		case match(toks[1], "WALL"):
			o.Kwall = v
		default:
			p.errorf("global reaction: unknown kind %q", toks[1])
		}
	case match(k, "LIMITING"):
		if v, ok := p.num(toks[len(toks)-1], "limiting potential"); ok {
			o.Climit = v
		}
	case match(k, "ROUGHNESS"):
		if v, ok := p.num(toks[len(toks)-1], "roughness correlation"); ok {
			o.RoughCorr = v
		}
	case match(k, "BULK"), match(k, "WALL"), match(k, "TANK"):
		if !p.needTokens(toks, 3, "reaction coefficient") {
			return
		}
		v, ok := p.num(toks[len(toks)-1], "reaction coefficient")
		if !ok {
			return
		}
		if match(k, "TANK") {
			n := p.net.Node(toks[1])
			if n == nil || n.Kind != Tank {
				p.errorf("tank reaction: %s is not a tank", toks[1])
				return
			}
			n.Kbulk = v
			return
		}
		l := p.net.Link(toks[1])
		if l == nil {
			p.errorf("reaction: undefined link %s", toks[1])
			return
		}
		if match(k, "BULK") {
			l.Kbulk = v
		} else {
			l.Kwall = v
		}
	default:
		p.errorf("reactions: unknown keyword %q", toks[0])
	}
}

func (p *inpParser) energy(toks []string) {
	o := &p.net.Options
	k := strings.ToUpper(toks[0])
	switch {
	case match(k, "DEMAND"):
		if v, ok := p.num(toks[len(toks)-1], "demand charge"); ok {
			o.DemandCharge = v
		}
	case match(k, "GLOBAL"):
		if !p.needTokens(toks, 3, "global energy") {
			return
		}
		switch {
		case match(toks[1], "PRICE"):
			if v, ok := p.num(toks[2], "energy price"); ok {
				o.EnergyPrice = v
			}
		case match(toks[1], "PATTERN"):
			o.EnergyPattern = toks[2]
		case match(toks[1], "EFFIC"):
			if v, ok := p.num(toks[2], "pump efficiency"); ok {
				if v <= 0 {
					p.errorf("global efficiency must be positive")
					return
				}
				o.EnergyEffic = v
			}
		default:
			p.errorf("energy: unknown keyword %q", toks[1])
		}
	case match(k, "PUMP"):
		if !p.needTokens(toks, 4, "pump energy") {
			return
		}
		l := p.net.Link(toks[1])
		if l == nil || l.Kind != Pump {
			p.errorf("energy: %s is not a pump", toks[1])
			return
		}
		switch {
		case match(toks[2], "PRICE"):
			if v, ok := p.num(toks[3], "pump energy price"); ok {
				l.Price = v
			}
		case match(toks[2], "PATTERN"):
			l.PricePattern = toks[3]
		case match(toks[2], "EFFIC"):
			l.EffCurve = toks[3]
		default:
			p.errorf("energy: unknown pump keyword %q", toks[2])
		}
	default:
		p.errorf("energy: unknown keyword %q", toks[0])
	}
}

// control parses "LINK id status|setting AT TIME t | AT CLOCKTIME t [AM/PM] |
// IF NODE id ABOVE|BELOW value".
func (p *inpParser) control(toks []string) {
	if len(toks) < 6 || !match(toks[0], "LINK") {
		p.errorf("control: expected LINK id STATUS IF NODE id ABOVE|BELOW value, or LINK id STATUS AT TIME t")
		return
	}
	l := p.net.Link(toks[1])
	if l == nil {
		p.errorf("control: undefined link %s", toks[1])
		return
	}
	if l.Kind == CVPipe {
		p.errorf("control: cannot control check-valve pipe %s", l.ID)
		return
	}
	c := &Control{Link: l.ID, Setting: Missing, Enabled: true, Line: p.line}
	switch {
	case match(toks[2], "OPEN"):
		c.Status = Open
		if l.Kind == Pump {
			c.Setting = 1
		}
		if l.Kind == GPV {
			c.Setting = l.Setting
		}
	case match(toks[2], "CLOSED"):
		c.Status = Closed
		if l.Kind == Pump {
			c.Setting = 0
		}
		if l.Kind == GPV {
			c.Setting = l.Setting
		}
	default:
		if l.Kind == GPV {
			p.errorf("control: GPV %s takes OPEN or CLOSED", l.ID)
			return
		}
		v, ok := p.num(toks[2], "control setting")
		if !ok {
			return
		}
		if l.Kind <= Pipe {
			p.errorf("control: pipe %s takes OPEN or CLOSED, not a setting", l.ID)
			return
		}
		c.Setting = v
		c.Status = Active
		if l.Kind == Pump {
			c.Status = Open
			if v == 0 {
				c.Status = Closed
			}
		}
	}
	switch {
	case match(toks[3], "AT"):
		unit := ""
		if len(toks) > 6 {
			unit = toks[6]
		}
		t, ok := parseClock(toks[5], unit)
		if !ok {
			p.errorf("control: invalid time %q", strings.Join(toks[5:], " "))
			return
		}
		if match(toks[4], "TIME") {
			c.Kind = Timer
		} else if match(toks[4], "CLOCKTIME") {
			c.Kind = TimeOfDay
			t %= 86400
		} else {
			p.errorf("control: expected TIME or CLOCKTIME after AT")
			return
		}
		c.Time = t
	case match(toks[3], "IF"):
		if len(toks) < 8 || !match(toks[4], "NODE") {
			p.errorf("control: expected IF NODE id ABOVE|BELOW value")
			return
		}
		if p.net.Node(toks[5]) == nil {
			p.errorf("control: undefined node %s", toks[5])
			return
		}
		c.Node = toks[5]
		switch {
		case match(toks[6], "ABOVE"):
			c.Kind = HiLevel
		case match(toks[6], "BELOW"):
			c.Kind = LowLevel
		default:
			p.errorf("control: expected ABOVE or BELOW, got %q", toks[6])
			return
		}
		v, ok := p.num(toks[7], "control level")
		if !ok {
			return
		}
		c.Level = v
	default:
		p.errorf("control: expected AT or IF, got %q", toks[3])
		return
	}
	p.net.Controls = append(p.net.Controls, c)
}

// finish checks cross-references once every section has been read.
func (p *inpParser) finish() {
	net := p.net
	o := &net.Options
	checkPat := func(id, what string, line int) {
		if id != "" && net.pattern(id) == nil {
			p.errs = append(p.errs, &diag.Diagnostic{File: p.file, Line: line, Msg: fmt.Sprintf("%s: undefined pattern %s", what, id)})
		}
	}
	checkCurve := func(id, what string, line int) *Curve {
		if id == "" {
			return nil
		}
		c := net.curve(id)
		if c == nil {
			p.errs = append(p.errs, &diag.Diagnostic{File: p.file, Line: line, Msg: fmt.Sprintf("%s: undefined curve %s", what, id)})
		} else if len(c.X) == 0 {
			p.errs = append(p.errs, &diag.Diagnostic{File: p.file, Line: c.Line, Msg: fmt.Sprintf("curve %s has no points", id)})
		}
		return c
	}
	for _, pt := range net.Patterns {
		if len(pt.Factors) == 0 {
			pt.Factors = []float64{1}
		}
	}
	for _, n := range net.Nodes {
		for _, d := range n.Demands {
			checkPat(d.Pattern, "junction "+n.ID+" demand", n.Line)
		}
		checkPat(n.HeadPattern, "reservoir "+n.ID, n.Line)
		if n.Source != nil {
			checkPat(n.Source.Pattern, "source at "+n.ID, n.Line)
		}
		if n.Kind == Tank && n.VolumeCurve != "" {
			if c := checkCurve(n.VolumeCurve, "tank "+n.ID, n.Line); c != nil && len(c.X) > 0 {
				if n.MinLevel < c.X[0] || n.MaxLevel > c.X[len(c.X)-1] {
					p.errs = append(p.errs, &diag.Diagnostic{File: p.file, Line: n.Line, Msg: fmt.Sprintf("tank %s: levels outside its volume curve %s", n.ID, c.ID)})
				}
			}
		}
		if n.Kind == Tank && (n.InitLevel > n.MaxLevel || n.InitLevel < n.MinLevel) {
			p.errs = append(p.errs, &diag.Diagnostic{File: p.file, Line: n.Line, Msg: fmt.Sprintf("tank %s: initial level %g outside [%g, %g]", n.ID, n.InitLevel, n.MinLevel, n.MaxLevel)})
		}
	}
	for _, l := range net.Links {
		if l.Kind == Pump {
			checkPat(l.SpeedPattern, "pump "+l.ID, l.Line)
			checkPat(l.PricePattern, "pump "+l.ID, l.Line)
			if l.Power == 0 {
				if c := checkCurve(l.HeadCurve, "pump "+l.ID, l.Line); c != nil && len(c.X) > 0 {
					if _, err := fitPump(c); err != nil {
						p.errs = append(p.errs, &diag.Diagnostic{File: p.file, Line: l.Line, Msg: fmt.Sprintf("pump %s: %v", l.ID, err)})
					}
				}
			}
			checkCurve(l.EffCurve, "pump "+l.ID+" efficiency", l.Line)
		}
		if l.Kind == GPV || l.Kind == PCV && l.Curve != "" {
			checkCurve(l.Curve, "valve "+l.ID, l.Line)
		}
	}
	checkPat(o.EnergyPattern, "energy", 0)
	if o.Quality == QualTrace && net.Node(o.TraceNode) == nil {
		p.errs = append(p.errs, &diag.Diagnostic{File: p.file, Msg: fmt.Sprintf("quality TRACE: undefined node %q", o.TraceNode)})
	}
	if p.rule != nil {
		p.endRule()
	}
	// Structural checks.
	var nj, nt int
	for _, n := range net.Nodes {
		if n.Kind == Junction {
			nj++
		} else {
			nt++
		}
	}
	if len(p.errs) == 0 {
		if nj == 0 {
			p.errs = append(p.errs, &diag.Diagnostic{File: p.file, Msg: "network has no junctions"})
		} else if nt == 0 {
			p.errs = append(p.errs, &diag.Diagnostic{File: p.file, Msg: "network has no tanks or reservoirs (nothing fixes the head)"})
		}
		linked := make([]bool, len(net.Nodes))
		for _, l := range net.Links {
			linked[net.NodeIndex(l.From)] = true
			linked[net.NodeIndex(l.To)] = true
		}
		for i, n := range net.Nodes {
			if !linked[i] {
				p.errs = append(p.errs, &diag.Diagnostic{File: p.file, Line: n.Line, Msg: fmt.Sprintf("node %s is not connected to any link", n.ID)})
			}
		}
	}
	// Time step consistency, as EPANET adjusts them.
	if o.PatternStep <= 0 {
		o.PatternStep = 3600
	}
	if o.ReportStep <= 0 {
		o.ReportStep = o.PatternStep
	}
	if o.HydStep <= 0 {
		o.HydStep = 3600
	}
	o.HydStep = min(o.HydStep, o.PatternStep, o.ReportStep)
	if o.ReportStart > o.Duration {
		o.ReportStart = 0
	}
	if o.QualStep <= 0 {
		o.QualStep = max(1, o.HydStep/10)
	}
	o.QualStep = min(o.QualStep, o.HydStep)
	if o.RuleStep <= 0 {
		o.RuleStep = max(1, o.HydStep/10)
	}
	o.RuleStep = min(o.RuleStep, o.HydStep)
	if o.QualTol == Missing {
		o.QualTol = 0.01
	}
}

// ParseDuration parses a simulation duration given as a Go duration
// ("36h", "90m"), as EPANET clock time ("36:00", "1:30:00") or as decimal
// hours ("36").
func ParseDuration(s string) (int64, error) {
	if d, err := time.ParseDuration(s); err == nil {
		if d < 0 {
			return 0, diag.Errorf("duration %q is negative", s)
		}
		return int64(d / time.Second), nil
	}
	if t, ok := parseClock(s, ""); ok {
		return t, nil
	}
	return 0, diag.Errorf("invalid duration %q (use e.g. 24h, 90m, 36:00 or 12)", s)
}
