package traffic

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
)

// AttackKind names an attack effect on the signals.
type AttackKind string

// The attack effects the model takes as inputs.
const (
	// AllRed drives every signal output red for the window.
	AllRed AttackKind = "all-red"
	// AllGreen asks the controllers for all outputs green; the conflict
	// monitor refuses it and latches the junction into all-red flash (an
	// all-way stop) until the window ends plus the reset delay.
	AllGreen AttackKind = "all-green"
	// PlanChange replaces phase durations (splits) and the offset.
	PlanChange AttackKind = "plan"
	// Dark is a signal without power (a feeder outage with no cabinet
	// battery left): drivers treat the junction as an all-way stop. It is
	// an effect for cascades rather than an attack.
	Dark AttackKind = "dark"
	// DetectorFalse falsifies detector data of actuated programs: stuck-on
	// makes every phase run to its maximum, stuck-off ends every phase at
	// its minimum.
	DetectorFalse AttackKind = "detector"
)

// Attack is one attack effect during [From, To) seconds on the signals
// listed (all signals when Signals is empty).
type Attack struct {
	Kind    AttackKind      `json:"kind"`
	From    float64         `json:"from_s"`
	To      float64         `json:"to_s"`
	Signals []string        `json:"signals,omitempty"`
	Offset  *float64        `json:"offset_s,omitempty"` // plan: new offset
	Phases  map[int]float64 `json:"phases,omitempty"`   // plan: phase index → duration, s
	StuckOn bool            `json:"stuck_on,omitempty"` // detector: true stuck-on, false stuck-off
}

// applies reports whether the attack acts on signal id at time t.
func (a *Attack) applies(id string, t float64) bool {
	if t < a.From || t >= a.To {
		return false
	}
	if len(a.Signals) == 0 {
		return true
	}
	for _, s := range a.Signals {
		if s == id {
			return true
		}
	}
	return false
}

// ParseAttack parses an attack given on the command line:
//
//	all-red:T0-T1[@tl,tl...]
//	all-green:T0-T1[@...]
//	dark:T0-T1[@...]
//	plan:T0-T1:offset=S,phase0=S,phase4=S[@...]
//	detector:T0-T1:stuck-on|stuck-off[@...]
//
// Times are seconds or Go durations (600, 10m, 1h30m).
func ParseAttack(s string) (Attack, error) {
	var a Attack
	spec := s
	if i := strings.LastIndexByte(spec, '@'); i >= 0 {
		for _, id := range strings.Split(spec[i+1:], ",") {
			if id = strings.TrimSpace(id); id != "" {
				a.Signals = append(a.Signals, id)
			}
		}
		spec = spec[:i]
	}
	parts := strings.SplitN(spec, ":", 3)
	if len(parts) < 2 {
		return a, diag.Errorf("attack %q: want KIND:T0-T1[:ARGS][@SIGNALS]", s)
	}
	a.Kind = AttackKind(parts[0])
	t0, t1, ok := strings.Cut(parts[1], "-")
	if !ok {
		return a, diag.Errorf("attack %q: window %q is not T0-T1", s, parts[1])
	}
	var err error
	if a.From, err = ParseSeconds(t0); err != nil {
		return a, diag.Errorf("attack %q: %v", s, err)
	}
	if a.To, err = ParseSeconds(t1); err != nil {
		return a, diag.Errorf("attack %q: %v", s, err)
	}
	if a.To <= a.From {
		return a, diag.Errorf("attack %q: the window ends before it begins", s)
	}
	args := ""
	if len(parts) == 3 {
		args = parts[2]
	}
	switch a.Kind {
	case AllRed, AllGreen, Dark:
		if args != "" {
			return a, diag.Errorf("attack %q: %s takes no arguments", s, a.Kind)
		}
	case PlanChange:
		a.Phases = map[int]float64{}
		for _, kv := range strings.Split(args, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				return a, diag.Errorf("attack %q: plan argument %q is not key=value", s, kv)
			}
			x, err := ParseSeconds(v)
			if err != nil {
				return a, diag.Errorf("attack %q: %v", s, err)
			}
			switch {
			case k == "offset":
				a.Offset = &x
			case strings.HasPrefix(k, "phase"):
				i, err := strconv.Atoi(k[len("phase"):])
				if err != nil || i < 0 {
					return a, diag.Errorf("attack %q: %q is not phaseN", s, k)
				}
				a.Phases[i] = x
			default:
				return a, diag.Errorf("attack %q: unknown plan key %q (offset, phaseN)", s, k)
			}
		}
	case DetectorFalse:
		switch args {
		case "stuck-on":
			a.StuckOn = true
		case "stuck-off":
		default:
			return a, diag.Errorf("attack %q: detector takes stuck-on or stuck-off", s)
		}
	default:
		return a, diag.Errorf("attack %q: unknown kind %q (all-red, all-green, dark, plan, detector)", s, a.Kind)
	}
	return a, nil
}

// ParseSeconds parses seconds ("90", "90.5") or a Go duration ("10m").
func ParseSeconds(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if f < 0 || f != f || f > 1e9 {
			return 0, fmt.Errorf("time %q out of range", s)
		}
		return f, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("time %q is neither seconds nor a duration like 10m", s)
	}
	return d.Seconds(), nil
}
