package intel

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// part is one component of a version: a run of digits (compared
// numerically, any length) or a run of letters (compared as text).
type part struct {
	s   string // digits without leading zeros ("" is 0), or lower-case letters
	num bool
}

// version is a parsed version: "V2.9.2" → [2 9 2], "3.40 R5 build 571848" →
// [3 40 r 5 571848], "5.37c-1.43c" → [5 37 c 1 43 c].
type version []part

// versionPrefix matches what is stripped before a version: "version", "ver",
// "rev.", "firmware", "fw", "v" and vendor tags such as "MX-V" before digits.
var versionPrefix = regexp.MustCompile(`^(?:(?:version|ver\.?|rev\.?|revision|firmware|fw|release|r)[\s_:.-]*)?(?:[a-z]{1,3}-)?v?\s*(?:\d)`)

// parseVersion parses a single version. It fails when the text has no digit
// at all. A trailing "x" or "*" component is a wildcard: wild reports it and
// the returned version is the prefix before it ("4.x" → [4], wild).
func parseVersion(s string) (v version, wild bool, err error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if !strings.ContainsAny(s, "0123456789") {
		return nil, false, fmt.Errorf("no digits in version %q", s)
	}
	if loc := versionPrefix.FindStringIndex(s); loc != nil {
		s = s[loc[1]-1:] // keep the digit
	}
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case isDigit(c):
			j := i
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			d := strings.TrimLeft(s[i:j], "0")
			v = append(v, part{s: d, num: true})
			i = j
		case isLetter(c):
			j := i
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			w := s[i:j]
			i = j
			if w == "build" {
				continue // "5.4.0 Build 160414": the word carries no order
			}
			if i == len(s) && strings.Trim(w, "x") == "" {
				return v, true, nil
			}
			v = append(v, part{s: w})
		case c == '*':
			if strings.TrimSpace(s[i+1:]) != "" {
				return nil, false, fmt.Errorf("wildcard inside version %q", s)
			}
			return v, true, nil
		default:
			i++
		}
	}
	if len(v) == 0 {
		return nil, false, fmt.Errorf("empty version %q", s)
	}
	return v, false, nil
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isLetter(c byte) bool { return 'a' <= c && c <= 'z' }
func isAlnum(c byte) bool  { return isDigit(c) || isLetter(c) }

// compareVersions orders a and b component by component: numbers
// numerically, letters as text. When one runs out, the other is greater
// unless all its remaining components are zero. ok is false when a number
// meets letters at the first difference (different schemes, e.g. "1.000.0000"
// against "1.000.HW00"): such versions are not comparable.
func compareVersions(a, b version) (c int, ok bool) {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		x, y := a[i], b[i]
		if x.num != y.num {
			return 0, false
		}
		if c := comparePart(x, y); c != 0 {
			return c, true
		}
	}
	rest, sign := a[n:], 1
	if len(b) > len(a) {
		rest, sign = b[n:], -1
	}
	for _, p := range rest {
		if !p.num || p.s != "" {
			return sign, true
		}
	}
	return 0, true
}

func comparePart(x, y part) int {
	if x.num {
		if len(x.s) != len(y.s) {
			if len(x.s) < len(y.s) {
				return -1
			}
			return 1
		}
	}
	return strings.Compare(x.s, y.s)
}

// bound is one end of an interval. With prefix set the version compared
// against it is first cut to len(v) components ("< 4.x", or an exact
// product_version "12.2" that also covers 12.2.5).
type bound struct {
	v      version
	incl   bool
	prefix bool
}

// cmp compares version x with the bound's version.
func (b *bound) cmp(x version) (int, bool) {
	if b.prefix && len(x) > len(b.v) {
		x = x[:len(b.v)]
	}
	return compareVersions(x, b.v)
}

// interval is lo..hi; a nil end is unbounded.
type interval struct{ lo, hi *bound }

func (iv interval) contains(x version) bool {
	if iv.lo != nil {
		c, ok := iv.lo.cmp(x)
		if !ok || c < 0 || (c == 0 && !iv.lo.incl) {
			return false
		}
	}
	if iv.hi != nil {
		c, ok := iv.hi.cmp(x)
		if !ok || c > 0 || (c == 0 && !iv.hi.incl) {
			return false
		}
	}
	return true
}

// Range is a parsed CSAF version range or version list. The zero Range
// matches nothing.
type Range struct {
	// All is set for "all versions" forms; they also match an unknown ("")
	// version.
	All bool
	// Qualifier is a condition the range carries that Citadel cannot check
	// and ignores, such as "and Function State (FS) <= 9".
	Qualifier string

	any  []interval // matches if any interval contains the version
	none []version  // "!=" exclusions
}

// Contains reports whether version v lies in the range. An empty v
// (unknown firmware) is only contained in an All range.
func (r Range) Contains(v string) bool { return r.holds(parseQuery(v)) }

// parseQuery parses a version asked about; nil means unknown (v is empty or
// has no digit).
func parseQuery(v string) version {
	x, _, err := parseVersion(v)
	if err != nil {
		return nil
	}
	return x
}

// holds reports whether x lies in r; an unknown (nil) x lies only in an All
// range.
func (r Range) holds(x version) bool { return r.All || x != nil && r.contains(x) }

func (r Range) contains(x version) bool {
	for _, n := range r.none {
		if c, ok := compareVersions(x, n); ok && c == 0 {
			return false
		}
	}
	for _, iv := range r.any {
		if iv.contains(x) {
			return true
		}
	}
	return false
}

// ErrRange is wrapped by every ParseRange error.
var ErrRange = errors.New("unrecognised version range")

var (
	spaces    = regexp.MustCompile(`\s+`)
	qualifier = regexp.MustCompile(`\s*(?:\band\b|\bwith\b|,)?\s*\bfunction state\b.*$`)
	allPrefix = regexp.MustCompile(`^(?:all\s+(?:os\s+|firmware\s+|software\s+)?versions?|all|any\s+versions?|versions?)\b\s*:?\s*`)
	phrases   = []struct {
		re   *regexp.Regexp
		kind string // "<", "<=", ">=", "[]"
	}{
		{regexp.MustCompile(`^(?:from\s+)?(.+?)\s+(?:through|thru|to|until|up to)\s+(.+)$`), "[]"},
		{regexp.MustCompile(`^between\s+(.+?)\s+and\s+(.+)$`), "[]"},
		{regexp.MustCompile(`^(.+?)\s+-\s+(.+)$`), "[]"},
		{regexp.MustCompile(`^([^<>=]+?)\s*<=\s*([^<>=]+)$`), "[]"}, // "16 <= 20" (CISA for "16 through 20")
		{regexp.MustCompile(`^(?:prior to|before|earlier than|older than|lower than|less than|below)\s+(.+)$`), "<"},
		{regexp.MustCompile(`^up to and including\s+(.+)$`), "<="},
		{regexp.MustCompile(`^up to\s+(.+)$`), "<="},
		{regexp.MustCompile(`^(.+?)\s*(?:,\s*)?(?:and|or)\s+(?:prior|earlier|older|before|below|lower)(?:\s+versions?)?$`), "<="},
		{regexp.MustCompile(`^(.+?)\s*(?:,\s*)?(?:and|or)\s+(?:later|newer|above|higher|after)(?:\s+versions?)?$`), ">="},
		{regexp.MustCompile(`^(?:starting (?:with|from|at)|from|since)\s+(.+)$`), ">="},
		{regexp.MustCompile(`^(.+?)\s*\+$`), ">="},
	}
)

// ParseRange parses the free-text version ranges found in CSAF
// product_version_range branches and advisories. Understood forms (case
// and spacing are free, a leading "V"/"v"/"rev." on versions is ignored):
//
//	vers:all/*, *, All versions, All OS versions
//	vers:<scheme>/<constraints>        e.g. vers:intdot/<4.5, vers:generic/>=1.0|<2.0
//	<constraints>                      e.g. <= 2.3, < V3.1.2, >= 1.46 | <= 1.50.598
//	All versions <constraint>          e.g. All versions < V4.5
//	prior to X, before X, earlier than X          (< X)
//	X and prior, X and earlier, X or earlier      (<= X)
//	up to X, up to and including X                (<= X)
//	X and later, X or later, starting with X, X+  (>= X)
//	X through Y, X to Y, from X to Y, X - Y, between X and Y, X <= Y  (X..Y inclusive)
//	X                                             (exactly X)
//
// A constraint is an operator (<, <=, >, >=, =, ==, !=) and a version; in a
// "|" list a lower bound followed by an upper bound forms one interval, as in
// the vers: specification. A trailing "x" or "*" component is a wildcard
// ("<4.x" means below 4). A trailing "and/with Function State (FS) ..."
// hardware condition is kept in Qualifier and ignored. Anything else fails
// with an error wrapping ErrRange.
func ParseRange(s string) (Range, error) {
	r, err := parseRange(s)
	if err != nil {
		return Range{}, fmt.Errorf("%w %q: %v", ErrRange, s, err)
	}
	return r, nil
}

func parseRange(raw string) (Range, error) {
	s := strings.ToLower(strings.TrimSpace(spaces.ReplaceAllString(strings.ReplaceAll(raw, "\u00a0", " "), " ")))
	var r Range
	if loc := qualifier.FindStringIndex(s); loc != nil {
		r.Qualifier = strings.TrimSpace(s[loc[0]:])
		s = strings.TrimSpace(s[:loc[0]])
	}
	if rest, ok := strings.CutPrefix(s, "vers:"); ok {
		_, cons, ok := strings.Cut(rest, "/")
		if !ok {
			return r, errors.New("vers: without scheme/")
		}
		return constraints(r, cons)
	}
	hadAll := false
	if loc := allPrefix.FindStringIndex(s); loc != nil {
		hadAll = strings.HasPrefix(s, "all") || strings.HasPrefix(s, "any")
		s = strings.TrimSpace(s[loc[1]:])
	}
	if s == "" || s == "*" {
		if !hadAll && r.Qualifier == "" && s == "" {
			return r, errors.New("empty")
		}
		r.All = true
		return r, nil
	}
	if strings.Contains(s, "|") || strings.ContainsAny(s[:1], "<>=!") {
		return constraints(r, s)
	}
	for _, p := range phrases {
		m := p.re.FindStringSubmatch(s)
		if m == nil {
			continue
		}
		switch p.kind {
		case "[]":
			lo, err := mkBound(m[1], true)
			if err != nil {
				continue
			}
			hi, err := mkBound(m[2], true)
			if err != nil {
				continue
			}
			r.any = append(r.any, interval{lo: lo, hi: hi})
		case "<", "<=":
			hi, err := mkBound(m[1], p.kind == "<=")
			if err != nil {
				continue
			}
			r.any = append(r.any, interval{hi: hi})
		case ">=":
			lo, err := mkBound(m[1], true)
			if err != nil {
				continue
			}
			r.any = append(r.any, interval{lo: lo})
		}
		return r, nil
	}
	// A bare version: exactly that version.
	b, err := mkBound(s, true)
	if err != nil {
		return r, err
	}
	if hasWords(s) {
		return r, errors.New("unknown wording")
	}
	r.any = append(r.any, interval{lo: b, hi: b})
	return r, nil
}

// hasWords reports whether s contains an English word of three or more
// letters that is not part of a version ("build" excepted), which marks
// wording ParseRange does not understand.
func hasWords(s string) bool {
	for _, f := range strings.FieldsFunc(s, func(c rune) bool { return !('a' <= c && c <= 'z') }) {
		if len(f) >= 3 && !versionWords[f] {
			return true
		}
	}
	return false
}

// versionWords may appear inside a version.
var versionWords = set("build", "rev", "ver", "version", "revision", "release", "firmware")

// mkBound parses a version into a bound.
func mkBound(s string, incl bool) (*bound, error) {
	s = strings.TrimSpace(s)
	if hasWords(s) {
		return nil, fmt.Errorf("unknown wording in %q", s)
	}
	v, wild, err := parseVersion(s)
	if err != nil {
		return nil, err
	}
	if len(v) == 0 {
		return nil, errors.New("wildcard without version")
	}
	return &bound{v: v, incl: incl, prefix: wild}, nil
}

// constraints parses a "|"-separated constraint list into r.
func constraints(r Range, s string) (Range, error) {
	s = strings.TrimSpace(s)
	if s == "*" {
		r.All = true
		return r, nil
	}
	var pending *bound
	for _, c := range strings.Split(s, "|") {
		c = strings.TrimSpace(c)
		if c == "" {
			return r, errors.New("empty constraint")
		}
		if c == "*" {
			r.All = true
			continue
		}
		op := ""
		for _, o := range []string{"<=", ">=", "!=", "==", "=<", "=>", "<", ">", "="} {
			if strings.HasPrefix(c, o) {
				op = o
				break
			}
		}
		text := strings.TrimSpace(c[len(op):])
		if op == "" {
			// "16 <= 20": X <= Y without a leading operator.
			if lo, hi, ok := strings.Cut(c, "<="); ok {
				l, err := mkBound(lo, true)
				if err != nil {
					return r, err
				}
				h, err := mkBound(hi, true)
				if err != nil {
					return r, err
				}
				r.any = append(r.any, interval{lo: l, hi: h})
				continue
			}
		}
		if strings.ContainsAny(text, "<>=|") {
			return r, fmt.Errorf("stray operator in %q", c)
		}
		if hasWords(text) {
			return r, fmt.Errorf("unknown wording in %q", c)
		}
		b, err := mkBound(text, op == "<=" || op == ">=" || op == "=<" || op == "=>" || op == "" || op == "=" || op == "==")
		if err != nil {
			return r, err
		}
		switch op {
		case "<", "<=", "=<":
			r.any = append(r.any, interval{lo: pending, hi: b})
			pending = nil
		case ">", ">=", "=>":
			if pending != nil {
				r.any = append(r.any, interval{lo: pending})
			}
			pending = b
		case "!=":
			if b.prefix {
				return r, errors.New("wildcard in !=")
			}
			r.none = append(r.none, b.v)
		default: // "", "=", "=="
			r.any = append(r.any, interval{lo: b, hi: b})
		}
	}
	if pending != nil {
		r.any = append(r.any, interval{lo: pending})
	}
	if len(r.any) == 0 && !r.All {
		return r, errors.New("no version constraint")
	}
	if r.All && len(r.none) == 0 {
		r.any = nil
	}
	return r, nil
}

// parseVersionList parses a CSAF product_version name: "vers:all/*", one
// version, or versions separated by "|". A listed version also covers its
// more precise builds: "12.2" contains "12.2.5".
func parseVersionList(s string) (Range, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	if t == "vers:all/*" || t == "*" || allPrefix.MatchString(t) && strings.TrimSpace(allPrefix.ReplaceAllString(t, "")) == "" {
		return Range{All: true}, nil
	}
	if strings.HasPrefix(t, "vers:") || strings.ContainsAny(t, "<>") {
		return ParseRange(s)
	}
	var r Range
	for _, f := range strings.Split(t, "|") {
		v, _, err := parseVersion(f)
		if err != nil {
			return Range{}, fmt.Errorf("%w %q: %v", ErrRange, s, err)
		}
		b := &bound{v: v, incl: true, prefix: true}
		r.any = append(r.any, interval{lo: b, hi: b})
	}
	return r, nil
}
