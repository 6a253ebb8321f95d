package intel

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/citadel-city/citadel/internal/diag"
)

// Vuln is what the feed knows about one CVE, merged over every advisory and
// the KEV catalog.
type Vuln struct {
	CVE          string
	Advisories   []string // CSAF document tracking ids, e.g. "ICSA-23-348-15"
	Title        string   // short title: KEV vulnerabilityName, CSAF title, or CWE name and advisory title
	CVSS         float64  // highest CVSS v3 base score in the advisories; 0 if unknown
	Vector       string   // CVSS v3 vector string of that score, if any
	Network      bool     // attack vector network or adjacent (AV:N or AV:A); true when unknown
	AuthRequired bool     // privileges required low or high (PR:L or PR:H)
	KEV          bool     // listed in CISA KEV
	KEVDateAdded string   // KEV dateAdded, "2023-12-11"
	Ransomware   bool     // KEV knownRansomwareCampaignUse == "Known"
	Remediation  string   // first vendor_fix (else mitigation) text, one line, at most 200 characters
}

// Stats describes what LoadDir read.
type Stats struct {
	Advisories     int      // CSAF documents read
	KEVEntries     int      // entries in the KEV catalog (0 when absent)
	CVEs           int      // distinct CVEs known from CSAF and KEV
	Products       int      // CSAF products referenced by a product status
	Ranges         int      // version expressions (product_version and product_version_range) seen
	UnparsedRanges int      // of which not understood; those products never match
	Unparsed       []string // the distinct unparsed expressions, sorted
	DanglingRefs   int      // product ids in a product status that the product tree lacks, or relationships to such or to another relationship
	NoCVE          int      // CSAF vulnerabilities without a CVE id (skipped)
}

// Feed is a loaded vulnerability feed. It is read-only after LoadDir and
// safe for concurrent use.
type Feed struct {
	dir         string
	vulns       map[string]*vulnInfo
	groups      []*vendorGroup // affected products by advisory vendor
	notAffected map[string][]*entry
	stats       Stats

	cacheMu sync.Mutex
	cache   map[string][]Vuln // Match results by query, at most maxCache
}

// maxCache bounds the Match memo; a city has far fewer distinct
// vendor/product/firmware triples than devices.
const maxCache = 1 << 16

type vulnInfo struct {
	Vuln
	csafTitle string
}

// entry is one (CVE, product, status) of an advisory.
type entry struct {
	cve         string
	prod        *product
	remediation string
}

type vendorGroup struct {
	vendor  vendorKey
	entries []*entry
}

// Paths inside a feed directory.
const (
	KEVPath = "kev/known_exploited_vulnerabilities.json"
	CSAFDir = "csaf"
)

// wellKnown are JSON files of a CSAF trusted provider tree that are not
// advisories.
var wellKnown = set("provider-metadata.json", "service.json", "aggregator.json")

// LoadDir reads a feed directory laid out like the shared intel data:
// kev/known_exploited_vulnerabilities.json and any csaf/**/*.json (CSAF 2.0).
// Either part may be absent, but not both. A malformed file is a bad-input
// error (*diag.Diagnostic) naming the file and, for JSON syntax errors, the
// line and column.
func LoadDir(dir string) (*Feed, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, diag.Errorf("intel feed %s: %v", dir, err)
	}
	if !st.IsDir() {
		return nil, diag.Errorf("intel feed %s: not a directory", dir)
	}
	f := newFeed(dir)
	found := false
	csafRoot := filepath.Join(dir, CSAFDir)
	if _, err := os.Stat(csafRoot); err == nil {
		err := filepath.WalkDir(csafRoot, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !strings.HasSuffix(d.Name(), ".json") || wellKnown[d.Name()] {
				return nil
			}
			found = true
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return f.addCSAF(path, data)
		})
		if err != nil {
			if diag.IsBadInput(err) {
				return nil, err
			}
			return nil, fmt.Errorf("intel feed %s: %w", dir, err)
		}
	}
	kevPath := filepath.Join(dir, filepath.FromSlash(KEVPath))
	if data, err := os.ReadFile(kevPath); err == nil {
		found = true
		if err := f.addKEV(kevPath, data); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("intel feed %s: %w", dir, err)
	}
	if !found {
		return nil, diag.Errorf("intel feed %s: no %s and no CSAF advisories (%s/**/*.json) found", dir, KEVPath, CSAFDir)
	}
	f.finish()
	return f, nil
}

// jsonError turns a decoding error into a diagnostic for file.
func jsonError(file string, data []byte, err error, what string) error {
	d := &diag.Diagnostic{File: file, Msg: fmt.Sprintf("invalid %s: %v", what, err), Hint: "fix the JSON or replace the file with an unmodified copy from its publisher"}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	off := int64(-1)
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off, d.Field = typ.Offset, typ.Field
		d.Msg = fmt.Sprintf("invalid %s: %s is %s, want %s", what, cmp.Or(typ.Field, "value"), typ.Value, typ.Type)
	}
	if off >= 0 {
		d.Line, d.Col = position(data, off)
	}
	return d
}

// position converts a byte offset into a 1-based line and column (in runes).
func position(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	pre := data[:off]
	line = bytes.Count(pre, []byte{'\n'}) + 1
	last := bytes.LastIndexByte(pre, '\n')
	col = utf8.RuneCount(pre[last+1:]) + 1
	return line, col
}

// decodeCSAF decodes and checks one CSAF document.
func decodeCSAF(file string, data []byte) (*csafDoc, error) {
	var d csafDoc
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, jsonError(file, data, err, "CSAF JSON")
	}
	if d.Document.CSAFVersion != "2.0" {
		return nil, &diag.Diagnostic{File: file, Field: "document.csaf_version",
			Msg:  fmt.Sprintf("not a CSAF 2.0 advisory (csaf_version %q)", d.Document.CSAFVersion),
			Hint: "only CSAF 2.0 JSON documents belong under csaf/; move other files out of the feed directory"}
	}
	return &d, nil
}

func newFeed(dir string) *Feed {
	return &Feed{dir: dir, vulns: map[string]*vulnInfo{}, notAffected: map[string][]*entry{}}
}

// addCSAF adds one advisory read from file.
func (f *Feed) addCSAF(file string, data []byte) error {
	d, err := decodeCSAF(file, data)
	if err != nil {
		return err
	}
	f.stats.Advisories++
	adv := strings.TrimSpace(d.Document.Tracking.ID)
	raw := collectProducts(d)
	prepared := map[string]*product{}
	get := func(id string) *product {
		if p, ok := prepared[id]; ok {
			return p
		}
		var p *product
		if c, ok := raw[id]; ok {
			p = prepare(c, raw, d.Document.Title)
		}
		if p == nil {
			f.stats.DanglingRefs++
		} else {
			f.stats.Products++
			if p.rngText != "" {
				f.stats.Ranges++
				if !p.rngOK {
					f.stats.UnparsedRanges++
					f.stats.Unparsed = append(f.stats.Unparsed, p.rngText)
				}
			}
		}
		prepared[id] = p
		return p
	}
	for vi := range d.Vulnerabilities {
		v := &d.Vulnerabilities[vi]
		cve := strings.ToUpper(strings.TrimSpace(v.CVE))
		if cve == "" {
			f.stats.NoCVE++
			continue
		}
		info := f.vuln(cve)
		if adv != "" && !slices.Contains(info.Advisories, adv) {
			info.Advisories = append(info.Advisories, adv)
		}
		for _, s := range v.Scores {
			if s.CVSSv3 != nil && (s.CVSSv3.BaseScore > info.CVSS || info.Vector == "" && s.CVSSv3.BaseScore == info.CVSS) {
				info.CVSS, info.Vector = s.CVSSv3.BaseScore, strings.TrimSpace(s.CVSSv3.VectorString)
			}
		}
		if info.csafTitle == "" {
			switch {
			case strings.TrimSpace(v.Title) != "":
				info.csafTitle = strings.TrimSpace(v.Title)
			case v.CWE != nil && v.CWE.Name != "":
				info.csafTitle = strings.TrimSpace(v.CWE.Name) + " in " + strings.TrimSpace(d.Document.Title)
			default:
				info.csafTitle = strings.TrimSpace(d.Document.Title)
			}
		}
		if info.Remediation == "" {
			info.Remediation = remediation(v, "")
		}
		for _, status := range slices.Sorted(maps.Keys(v.ProductStatus)) {
			if !affectedStatus[status] && !notAffectedStatus[status] {
				continue
			}
			for _, pid := range v.ProductStatus[status] {
				p := get(pid)
				if p == nil {
					continue
				}
				e := &entry{cve: cve, prod: p}
				if affectedStatus[status] {
					e.remediation = remediation(v, pid)
					f.addAffected(e)
				} else {
					f.notAffected[cve] = append(f.notAffected[cve], e)
				}
			}
		}
	}
	return nil
}

func (f *Feed) addAffected(e *entry) {
	for _, g := range f.groups {
		if slices.Equal(g.vendor.toks, e.prod.vendor.toks) {
			g.entries = append(g.entries, e)
			return
		}
	}
	f.groups = append(f.groups, &vendorGroup{vendor: e.prod.vendor, entries: []*entry{e}})
}

func (f *Feed) vuln(cve string) *vulnInfo {
	v, ok := f.vulns[cve]
	if !ok {
		v = &vulnInfo{Vuln: Vuln{CVE: cve}}
		f.vulns[cve] = v
	}
	return v
}

// remediation picks the first vendor_fix, else mitigation, else workaround
// or other remediation of v that applies to product pid ("" = any).
func remediation(v *csafVuln, pid string) string {
	for _, cat := range []string{"vendor_fix", "mitigation", "workaround", "no_fix_planned", "none_available"} {
		for _, r := range v.Remediations {
			if r.Category != cat || (pid != "" && !slices.Contains(r.ProductIDs, pid)) {
				continue
			}
			if s := oneLine(r.Details, 200); s != "" {
				return s
			}
		}
	}
	return ""
}

// oneLine returns the first non-empty line of s with spaces collapsed, cut
// to at most n characters (ending in "…" when cut).
func oneLine(s string, n int) string {
	for _, l := range strings.Split(s, "\n") {
		l = strings.Join(strings.Fields(l), " ")
		if l == "" {
			continue
		}
		if utf8.RuneCountInString(l) <= n {
			return l
		}
		r := []rune(l)[:n-1]
		cut := string(r)
		if i := strings.LastIndexByte(cut, ' '); i > n/2 {
			cut = cut[:i]
		}
		return strings.TrimRight(cut, " ,;:") + "…"
	}
	return ""
}

// kevCatalog is the CISA KEV JSON feed.
type kevCatalog struct {
	Vulnerabilities []struct {
		CVEID             string `json:"cveID"`
		VulnerabilityName string `json:"vulnerabilityName"`
		DateAdded         string `json:"dateAdded"`
		RequiredAction    string `json:"requiredAction"`
		Ransomware        string `json:"knownRansomwareCampaignUse"`
	} `json:"vulnerabilities"`
}

func (f *Feed) addKEV(file string, data []byte) error {
	var k kevCatalog
	if err := json.Unmarshal(data, &k); err != nil {
		return jsonError(file, data, err, "KEV catalog JSON")
	}
	if k.Vulnerabilities == nil {
		return &diag.Diagnostic{File: file, Field: "vulnerabilities", Msg: "not a CISA KEV catalog (no vulnerabilities array)",
			Hint: "download known_exploited_vulnerabilities.json from https://www.cisa.gov/known-exploited-vulnerabilities-catalog"}
	}
	for i, e := range k.Vulnerabilities {
		cve := strings.ToUpper(strings.TrimSpace(e.CVEID))
		if cve == "" {
			return &diag.Diagnostic{File: file, Field: fmt.Sprintf("vulnerabilities[%d].cveID", i), Msg: "empty cveID"}
		}
		v := f.vuln(cve)
		v.KEV = true
		v.KEVDateAdded = e.DateAdded
		v.Ransomware = strings.EqualFold(e.Ransomware, "Known")
		if e.VulnerabilityName != "" {
			v.Title = oneLine(e.VulnerabilityName, 200)
		}
		if v.Remediation == "" {
			v.Remediation = oneLine(e.RequiredAction, 200)
		}
	}
	f.stats.KEVEntries = len(k.Vulnerabilities)
	return nil
}

// finish fills derived fields once everything is read.
func (f *Feed) finish() {
	for _, v := range f.vulns {
		if v.Title == "" {
			v.Title = oneLine(v.csafTitle, 200)
		}
		v.Network, v.AuthRequired = true, false
		for _, m := range strings.Split(v.Vector, "/") {
			switch m {
			case "AV:L", "AV:P":
				v.Network = false
			case "PR:L", "PR:H":
				v.AuthRequired = true
			}
		}
	}
	f.stats.CVEs = len(f.vulns)
	slices.Sort(f.stats.Unparsed)
	f.stats.Unparsed = slices.Compact(f.stats.Unparsed)
}

// Dir returns the directory the feed was loaded from.
func (f *Feed) Dir() string { return f.dir }

// Stats reports what was read.
func (f *Feed) Stats() Stats {
	s := f.stats
	s.Unparsed = slices.Clone(s.Unparsed)
	return s
}

// CVE returns what the feed knows about one CVE id (from CSAF and/or KEV);
// ok is false if the id is unknown.
func (f *Feed) CVE(id string) (Vuln, bool) {
	v, ok := f.vulns[strings.ToUpper(strings.TrimSpace(id))]
	if !ok {
		return Vuln{}, false
	}
	out := v.Vuln
	out.Advisories = slices.Clone(out.Advisories)
	return out, true
}

// Match returns the vulnerabilities whose CSAF product tree says
// vendor/prod/ver (vendor, product or model, firmware version) is affected (known_affected, first_affected,
// last_affected), excluding those where the same CVE lists a matching product
// as fixed or known_not_affected for that version. Vendor and product names
// are compared by the tolerant rules of matchVendor and matchName; ver ""
// (unknown firmware) matches only "all versions" ranges. Products whose
// version expression could not be parsed never match. The result holds one
// Vuln per CVE, KEV-listed first, then by CVSS (highest first) and CVE id;
// Remediation is the advice for the matched product when the advisory has it.
// Results are memoised per query; every call returns a fresh copy.
func (f *Feed) Match(vendor, prod, ver string) []Vuln {
	key := vendor + "\x00" + prod + "\x00" + ver
	f.cacheMu.Lock()
	res, ok := f.cache[key]
	f.cacheMu.Unlock()
	if !ok {
		res = f.match(vendor, prod, ver)
		f.cacheMu.Lock()
		if f.cache == nil {
			f.cache = map[string][]Vuln{}
		}
		if len(f.cache) < maxCache {
			f.cache[key] = res
		}
		f.cacheMu.Unlock()
	}
	out := slices.Clone(res)
	for i := range out {
		out[i].Advisories = slices.Clone(out[i].Advisories)
	}
	return out
}

// match is Match without the memo.
func (f *Feed) match(vendor, prod, ver string) []Vuln {
	vk := newVendorKey(vendor)
	x := parseQuery(ver)
	in := func(p *product) bool { return p.rngOK && p.rng.holds(x) }
	named := func(p *product, toks []string) bool {
		return slices.ContainsFunc(p.names, func(k nameKey) bool { return matchName(toks, &k) })
	}
	asset := dropVendor(tokens(prod, productStop), vk)
	seen := map[string]bool{}
	var out []Vuln
	for _, g := range f.groups {
		if !matchVendor(vk, g.vendor) {
			continue
		}
		toks := dropVendor(asset, g.vendor)
		for _, e := range g.entries {
			if seen[e.cve] || !in(e.prod) || !named(e.prod, toks) {
				continue
			}
			if slices.ContainsFunc(f.notAffected[e.cve], func(n *entry) bool {
				return matchVendor(vk, n.prod.vendor) && in(n.prod) && named(n.prod, dropVendor(toks, n.prod.vendor))
			}) {
				continue
			}
			v := f.vulns[e.cve].Vuln
			if e.remediation != "" {
				v.Remediation = e.remediation
			}
			seen[e.cve] = true
			out = append(out, v)
		}
	}
	slices.SortFunc(out, func(a, b Vuln) int {
		if a.KEV != b.KEV {
			if a.KEV {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.CVSS, a.CVSS); c != 0 {
			return c
		}
		return cmp.Compare(a.CVE, b.CVE)
	})
	return out
}
