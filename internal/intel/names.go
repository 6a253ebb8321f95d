package intel

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// Name matching. Vendor and product strings from a city model rarely equal
// the strings in an advisory ("Schneider Electric Software, LLC" against
// "schneider-electric", "SIMATIC S7-1200 CPU family (incl. SIPLUS variants)"
// against "S7-1200"), so both sides are reduced to lower-case alphanumeric
// tokens without filler words, and compared by the rules in matchName.

// vendorStop are words dropped from vendor names.
var vendorStop = set("inc", "co", "ltd", "llc", "corp", "corporation", "company", "gmbh", "ag", "sa", "nv", "bv",
	"software", "technology", "technologies", "security", "systems", "the", "group", "international", "industries")

// productStop are words dropped from product names: they describe the kind
// of thing, not which thing.
var productStop = set("series", "family", "line", "cpu", "cpus", "incl", "including", "variants", "variant",
	"related", "and", "or", "the", "of", "for", "with", "all", "version", "versions", "firmware",
	"device", "devices", "product", "products", "running", "model", "models", "part", "numbers", "number",
	"plc", "plcs", "hmi", "hmis", "rtu", "rtus", "os")

// vendorAlias maps brand names to the vendor that advisories use.
var vendorAlias = map[string]string{
	"allen bradley": "rockwell automation",
	"allenbradley":  "rockwell automation",
	"ab":            "rockwell automation",
	"se":            "schneider electric",
	"telemecanique": "schneider electric",
}

func set(ws ...string) map[string]bool {
	m := make(map[string]bool, len(ws))
	for _, w := range ws {
		m[w] = true
	}
	return m
}

// tokens splits s into lower-case runs of letters, digits and '*', dropping
// stop words and version markers such as "v4" or "x".
func tokens(s string, stop map[string]bool) []string {
	var out []string
	for _, f := range strings.FieldsFunc(strings.ToLower(s), func(c rune) bool {
		return !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '*')
	}) {
		f = strings.TrimLeft(f, "*")
		if f == "" || stop[f] || f == "x" || isVersionMarker(f) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// isVersionMarker reports tokens like "v4" that name a version, not a model.
func isVersionMarker(f string) bool {
	if len(f) < 2 || f[0] != 'v' {
		return false
	}
	for i := 1; i < len(f); i++ {
		if !isDigit(f[i]) {
			return false
		}
	}
	return true
}

// vendorKey is a normalised vendor name.
type vendorKey struct {
	toks    []string
	compact string
}

func newVendorKey(s string) vendorKey {
	k := strings.Join(tokens(s, nil), " ")
	if a, ok := vendorAlias[k]; ok {
		s = a
	}
	t := tokens(s, vendorStop)
	return vendorKey{toks: t, compact: strings.Join(t, "")}
}

// matchVendor: equal when compacted ("schneider-electric" = "Schneider
// Electric"), or the smaller token set is a subset of the larger ("GE" in
// "General Electric (GE)", "Rockwell" in "Rockwell Automation").
func matchVendor(a, b vendorKey) bool {
	if len(a.toks) == 0 || len(b.toks) == 0 {
		return false
	}
	if a.compact == b.compact {
		return true
	}
	small, big := a.toks, b.toks
	if len(small) > len(big) {
		small, big = big, small
	}
	for _, t := range small {
		if !slices.Contains(big, t) {
			return false
		}
	}
	return true
}

// nameKey is one normalised product name (an alias of a CSAF product).
type nameKey struct {
	toks   []string
	wild   []*regexp.Regexp // per token: pattern for "2cd2xx2fwd", "bmxp34*", or nil
	series bool             // names a product line: "Vision Series", title-derived names
	line   []string         // for series names: the tokens before "series"/"family"
}

// newNameKey normalises name, dropping the vendor's own words.
func newNameKey(name string, vendor vendorKey, series bool) nameKey {
	k := nameKey{series: series}
	lower := strings.ToLower(name)
	for _, w := range []string{"series", "family", "line"} {
		if i := wordIndex(lower, w); i >= 0 {
			k.series = true
			k.line = dropVendor(tokens(lower[:i], productStop), vendor)
		}
	}
	k.toks = dropVendor(tokens(name, productStop), vendor)
	if len(k.line) > 0 {
		// "1766-L32BXB Series A and B", "RTU500 series CMU Firmware": what
		// follows the series word qualifies the line; match on the line.
		k.toks = k.line
	}
	if k.series && k.line == nil {
		k.line = k.toks
	}
	k.wild = make([]*regexp.Regexp, len(k.toks))
	for i, t := range k.toks {
		k.wild[i] = wildcard(t)
	}
	return k
}

func wordIndex(s, w string) int {
	for i := 0; ; {
		j := strings.Index(s[i:], w)
		if j < 0 {
			return -1
		}
		j += i
		end := j + len(w)
		if (j == 0 || !isAlnum(s[j-1])) && (end == len(s) || !isAlnum(s[end])) {
			return j
		}
		i = end
	}
}

// dropVendor returns, in a new slice (nil when t is nil), the tokens of t
// that are not words of vendor v. It never changes t: Match drops several
// vendors' words from the same asset tokens.
func dropVendor(t []string, v vendorKey) []string {
	if t == nil {
		return nil
	}
	out := make([]string, 0, len(t))
	for _, s := range t {
		if !slices.Contains(v.toks, s) {
			out = append(out, s)
		}
	}
	return out
}

// wildcard compiles model-number wildcards: '*' is any run of characters, and
// a run of 'x' after a digit (or of two or more 'x') stands for that many
// characters, as in "DS-2CD2xx2FWD" or "DH-IPC-HDW1XXX".
func wildcard(t string) *regexp.Regexp {
	if !hasDigit(t) {
		return nil
	}
	var b strings.Builder
	found := false
	for i := 0; i < len(t); {
		c := t[i]
		if c == '*' {
			b.WriteString("[a-z0-9]*?")
			found = true
			i++
			continue
		}
		if c == 'x' {
			j := i
			for j < len(t) && t[j] == 'x' {
				j++
			}
			if n := j - i; n <= 16 && (n >= 2 || (i > 0 && isDigit(t[i-1]))) {
				b.WriteString("[a-z0-9]{" + strconv.Itoa(n) + "}")
				found = true
				i = j
				continue
			}
		}
		b.WriteString(regexp.QuoteMeta(string(c)))
		i++
	}
	if !found {
		return nil
	}
	re, err := regexp.Compile("^" + b.String() + "$")
	if err != nil {
		return nil // absurd patterns (fuzzing) compare literally
	}
	return re
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

// tokEq compares an asset token with a CSAF token (pattern-aware).
func (k *nameKey) tokEq(i int, a string) bool {
	if k.wild[i] != nil {
		return k.wild[i].MatchString(a)
	}
	return k.toks[i] == a
}

// matchName reports whether the asset product tokens a name the CSAF
// product k. It holds when
//
//  1. the advisory name is contained in the asset name: every advisory token
//     is an asset token (the asset is more precise: "SIMATIC S7-1200 CPU
//     1214C" in "SIMATIC S7-1200 CPU family"), or the advisory tokens joined
//     equal a run of asset tokens joined ("S7 1200" vs "S7-1200"); or
//  2. the advisory name holds a model number (a token with a digit) and the
//     asset name equals it without some leading words: "S7-1200" names
//     "SIMATIC S7-1200 CPU family", but "Modicon" or "S7" alone never match
//     "Modicon M340" or "S7-1200", and "S7-1500" does not match "SIMATIC
//     S7-1500 Software Controller"; or
//  3. the advisory names a product line without model numbers ("Vision
//     Series", or the advisory title for a generic product such as "OS") and
//     the asset name, split between letters and digits ("Vision350" →
//     vision 350), contains the line's words in order.
func matchName(a []string, k *nameKey) bool {
	if len(a) == 0 || len(k.toks) == 0 {
		return false
	}
	// 1: advisory in asset.
	all := true
	for i := range k.toks {
		if !slices.ContainsFunc(a, func(s string) bool { return k.tokEq(i, s) }) {
			all = false
			break
		}
	}
	if all || runJoin(a, strings.Join(k.toks, "")) {
		return true
	}
	// 2: asset in advisory: the advisory name has a model number, the
	// asset names all of them, and leaves out only words before the first
	// one (brands such as "SIMATIC"), never qualifiers after it ("Software
	// Controller" in "SIMATIC S7-1500 Software Controller").
	first := slices.IndexFunc(k.toks, hasDigit)
	if first >= 0 {
		joined := strings.Join(a, "")
		for i := 0; i <= first; i++ {
			if strings.Join(k.toks[i:], "") == joined {
				return true
			}
		}
		rest := k.toks[first:]
		subset := true
		for _, s := range a {
			if !slices.Contains(k.toks, s) {
				subset = false
				break
			}
		}
		if subset && !slices.ContainsFunc(rest, func(t string) bool { return !slices.Contains(a, t) }) {
			return true
		}
	}
	// 3: product line.
	if k.series && len(k.line) > 0 && !slices.ContainsFunc(k.line, hasDigit) {
		split := splitAlnum(a)
		for i := 0; i+len(k.line) <= len(split); i++ {
			if slices.Equal(split[i:i+len(k.line)], k.line) {
				return true
			}
		}
	}
	return false
}

// runJoin reports whether some contiguous run of toks, joined, equals s.
func runJoin(toks []string, s string) bool {
	for i := range toks {
		var b strings.Builder
		for j := i; j < len(toks) && b.Len() < len(s); j++ {
			b.WriteString(toks[j])
			if b.String() == s {
				return true
			}
		}
	}
	return false
}

// splitAlnum splits tokens between letters and digits: "vision350" →
// "vision", "350".
func splitAlnum(toks []string) []string {
	var out []string
	for _, t := range toks {
		start := 0
		for i := 1; i < len(t); i++ {
			if isDigit(t[i]) != isDigit(t[i-1]) {
				out = append(out, t[start:i])
				start = i
			}
		}
		out = append(out, t[start:])
	}
	return out
}

// modelSlash matches model numbers sharing a prefix: "Micro850/870".
var modelSlash = regexp.MustCompile(`\b([A-Za-z]+)(\d+)((?:/\d+)+)\b`)

// listSep separates the models listed in a parenthesised part.
var listSep = regexp.MustCompile(`\s*(?:,|/|\band\b)\s*`)

// parenAlias matches a parenthesised part of a product name.
var parenAlias = regexp.MustCompile(`\(([^()]*)\)`)

// aliases returns the names a CSAF product name is known by: the name
// without parenthesised parts, and each parenthesised part holding a model
// number, split at commas and slashes ("Airlink Router (ES450, GX450)" →
// "Airlink Router", "ES450", "GX450").
func aliases(name string) []string {
	main := strings.TrimSpace(parenAlias.ReplaceAllString(name, " "))
	out := []string{main}
	// "Micro850/870" and "ION7400/8650" name two models.
	for _, m := range modelSlash.FindAllStringSubmatch(main, -1) {
		for _, n := range strings.Split(m[3], "/")[1:] {
			out = append(out, strings.Replace(main, m[0], m[1]+n, 1))
		}
		out = append(out, strings.Replace(main, m[0], m[1]+m[2], 1))
	}
	for _, m := range parenAlias.FindAllStringSubmatch(name, -1) {
		if !hasDigit(m[1]) || strings.HasPrefix(strings.ToLower(strings.TrimSpace(m[1])), "incl") {
			continue
		}
		for _, p := range listSep.Split(m[1], -1) {
			p = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(p), "part numbers"))
			if hasDigit(p) {
				out = append(out, p)
			}
		}
	}
	return out
}

var titleSep = regexp.MustCompile(`(?i)\s+and\s+|,|/`)

// titleLines derives product-line names from an advisory title, for products
// with generic names: "Unitronics Vision and Samba Series (Update A)" →
// "Vision", "Samba Series".
func titleLines(title string, vendor vendorKey) []string {
	t := parenAlias.ReplaceAllString(title, " ")
	var out []string
	for _, p := range titleSep.Split(t, -1) {
		if len(dropVendor(tokens(p, productStop), vendor)) > 0 {
			out = append(out, strings.TrimSpace(p))
		}
	}
	return out
}
