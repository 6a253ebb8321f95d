package water

import (
	"strings"
)

// Rule is one rule-based control of [RULES]:
//
//	RULE id
//	IF premise [AND|OR premise ...]
//	THEN action [AND action ...]
//	[ELSE action [AND action ...]]
//	[PRIORITY value]
type Rule struct {
	ID       string
	Premises []Premise
	Then     []Action
	Else     []Action
	Priority float64
	Line     int
}

// Premise is one condition of a rule.
type Premise struct {
	Or       bool   // joined to the previous premise by OR (else AND)
	Object   string // NODE, LINK or SYSTEM (JUNCTION, TANK, ... normalised)
	ID       string
	Attr     string // LEVEL, HEAD, PRESSURE, DEMAND, FLOW, STATUS, SETTING, TIME, CLOCKTIME, ...
	Op       string // =, <>, <, >, <=, >=
	Value    float64
	Status   Status // for STATUS premises
	IsStatus bool
}

// Action sets a link's status or setting.
type Action struct {
	Link     string
	IsStatus bool
	Status   Status
	Setting  float64
}

var relOps = map[string]string{"=": "=", "IS": "=", "<>": "<>", "NOT": "<>", "<": "<", "BELOW": "<", ">": ">", "ABOVE": ">", "<=": "<=", ">=": ">="}

func (p *inpParser) endRule() {
	r := p.rule
	p.rule = nil
	if len(r.Premises) == 0 || len(r.Then) == 0 {
		p.errorf("rule %s needs IF and THEN clauses", r.ID)
		return
	}
	p.net.Rules = append(p.net.Rules, r)
}

// ruleLine parses one line of [RULES].
func (p *inpParser) ruleLine(toks []string) {
	kw := strings.ToUpper(toks[0])
	if kw == "RULE" {
		if p.rule != nil {
			p.endRule()
		}
		if len(toks) < 2 {
			p.errorf("RULE needs an ID")
			return
		}
		p.rule = &Rule{ID: toks[1], Line: p.line}
		return
	}
	r := p.rule
	if r == nil {
		p.errorf("rule clause %q outside a RULE", toks[0])
		return
	}
	switch kw {
	case "IF", "AND", "OR":
		if kw != "IF" && len(r.Then) > 0 || kw == "AND" && len(r.Else) > 0 {
			// AND after THEN/ELSE continues the actions.
			if kw == "AND" {
				a, ok := p.ruleAction(toks[1:])
				if !ok {
					return
				}
				if len(r.Else) > 0 {
					r.Else = append(r.Else, a)
				} else {
					r.Then = append(r.Then, a)
				}
				return
			}
			p.errorf("rule %s: OR after THEN", r.ID)
			return
		}
		pr, ok := p.rulePremise(toks[1:])
		if !ok {
			return
		}
		pr.Or = kw == "OR"
		r.Premises = append(r.Premises, pr)
	case "THEN", "ELSE":
		a, ok := p.ruleAction(toks[1:])
		if !ok {
			return
		}
		if kw == "THEN" {
			r.Then = append(r.Then, a)
		} else {
			r.Else = append(r.Else, a)
		}
	case "PRIORITY":
		if len(toks) < 2 {
			p.errorf("rule %s: PRIORITY needs a value", r.ID)
			return
		}
		if v, ok := p.num(toks[1], "rule priority"); ok {
			r.Priority = v
		}
	default:
		p.errorf("rule %s: unknown clause %q", r.ID, toks[0])
	}
}

func (p *inpParser) rulePremise(t []string) (Premise, bool) {
	var pr Premise
	if len(t) < 3 {
		p.errorf("rule premise %q is too short", strings.Join(t, " "))
		return pr, false
	}
	obj := strings.ToUpper(t[0])
	switch obj {
	case "NODE", "JUNCTION", "RESERVOIR", "TANK":
		pr.Object = "NODE"
	case "LINK", "PIPE", "PUMP", "VALVE":
		pr.Object = "LINK"
	case "SYSTEM":
		pr.Object = "SYSTEM"
	default:
		p.errorf("rule premise: unknown object %q", t[0])
		return pr, false
	}
	rest := t[1:]
	if pr.Object != "SYSTEM" {
		pr.ID = rest[0]
		rest = rest[1:]
		if pr.Object == "NODE" && p.net.Node(pr.ID) == nil {
			p.errorf("rule premise: undefined node %s", pr.ID)
			return pr, false
		}
		if pr.Object == "LINK" && p.net.Link(pr.ID) == nil {
			p.errorf("rule premise: undefined link %s", pr.ID)
			return pr, false
		}
	}
	if len(rest) < 3 {
		p.errorf("rule premise %q: expected attribute, operator and value", strings.Join(t, " "))
		return pr, false
	}
	pr.Attr = strings.ToUpper(rest[0])
	op, ok := relOps[strings.ToUpper(rest[1])]
	if !ok {
		p.errorf("rule premise: unknown operator %q", rest[1])
		return pr, false
	}
	pr.Op = op
	val := rest[2]
	switch pr.Attr {
	case "STATUS":
		pr.IsStatus = true
		switch {
		case match(val, "OPEN"):
			pr.Status = Open
		case match(val, "CLOSED"):
			pr.Status = Closed
		case match(val, "ACTIVE"):
			pr.Status = Active
		default:
			p.errorf("rule premise: unknown status %q", val)
			return pr, false
		}
	case "TIME", "CLOCKTIME":
		unit := ""
		if len(rest) > 3 {
			unit = rest[3]
		}
		s, ok := parseClock(val, unit)
		if !ok {
			p.errorf("rule premise: invalid time %q", val)
			return pr, false
		}
		pr.Value = float64(s)
	case "DEMAND", "HEAD", "GRADE", "LEVEL", "PRESSURE", "FLOW", "SETTING", "POWER", "FILLTIME", "DRAINTIME":
		v, ok := p.num(val, "rule premise value")
		if !ok {
			return pr, false
		}
		pr.Value = v
	default:
		p.errorf("rule premise: unknown attribute %q", rest[0])
		return pr, false
	}
	return pr, true
}

func (p *inpParser) ruleAction(t []string) (Action, bool) {
	var a Action
	if len(t) < 5 {
		p.errorf("rule action %q: expected LINK id STATUS|SETTING = value", strings.Join(t, " "))
		return a, false
	}
	obj := strings.ToUpper(t[0])
	if obj != "LINK" && obj != "PIPE" && obj != "PUMP" && obj != "VALVE" {
		p.errorf("rule action: object must be a link, got %q", t[0])
		return a, false
	}
	l := p.net.Link(t[1])
	if l == nil {
		p.errorf("rule action: undefined link %s", t[1])
		return a, false
	}
	a.Link = l.ID
	switch strings.ToUpper(t[2]) {
	case "STATUS":
		a.IsStatus = true
		switch {
		case match(t[4], "OPEN"):
			a.Status = Open
		case match(t[4], "CLOSED"):
			a.Status = Closed
		default:
			p.errorf("rule action: unknown status %q", t[4])
			return a, false
		}
	case "SETTING":
		v, ok := p.num(t[4], "rule action setting")
		if !ok {
			return a, false
		}
		if v < 0 {
			p.errorf("rule action: negative setting")
			return a, false
		}
		a.Setting = v
	default:
		p.errorf("rule action: expected STATUS or SETTING, got %q", t[2])
		return a, false
	}
	return a, true
}
