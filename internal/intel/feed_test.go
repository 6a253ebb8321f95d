package intel

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/shareddata"
)

var (
	sharedOnce sync.Once
	sharedFeed *Feed
	sharedErr  error
)

// loadShared loads the shared intel directory once per test binary.
func loadShared(t testing.TB) *Feed {
	t.Helper()
	dir := shareddata.Path(t, "intel")
	sharedOnce.Do(func() { sharedFeed, sharedErr = LoadDir(dir) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedFeed
}

func cves(vs []Vuln) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.CVE)
	}
	return out
}

func TestLoadShared(t *testing.T) {
	f := loadShared(t)
	s := f.Stats()
	t.Logf("stats: %+v", s)
	if s.Advisories != 45 || s.KEVEntries != 1404 {
		t.Errorf("read %d advisories and %d KEV entries, want 45 and 1404", s.Advisories, s.KEVEntries)
	}
	if s.DanglingRefs != 0 || s.NoCVE != 0 {
		t.Errorf("dangling refs %d, vulnerabilities without CVE %d", s.DanglingRefs, s.NoCVE)
	}
	// Two expressions in the sample are not understood and must be counted.
	want := []string{"<=firmware_FullImg-1023-1007-1011-1009", "<NVR-B3801.20.17.240507"}
	if !slices.Equal(s.Unparsed, want) || s.UnparsedRanges != 2 {
		t.Errorf("unparsed = %d %q, want %q", s.UnparsedRanges, s.Unparsed, want)
	}
}

// TestCrossCheckCSV compares every (file, CVE, status, product_id) the CSAF
// decoder reads from the CSAF files with cpe/csaf-affected-products.csv,
// derived independently from the same files, and the vendor/product/version
// strings of the product tree walk where the CSV has them.
func TestCrossCheckCSV(t *testing.T) {
	root := shareddata.Path(t, "intel", "csaf", "OT", "white")
	rows, col := readAffectedCSV(t)
	type key struct{ file, cve, status, pid string }
	want := map[key][]string{}
	for _, r := range rows {
		k := key{r[col["file"]], r[col["cve"]], r[col["product_status"]], r[col["product_id"]]}
		want[k] = []string{r[col["vendor"]], r[col["product_family"]], r[col["product_name"]], r[col["version"]]}
	}
	got := map[key][]string{}
	err := filepath.WalkDir(root, func(file string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(file, ".json") {
			return err
		}
		data, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		d, err := decodeCSAF(file, data)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, file)
		if err != nil {
			return err
		}
		raw := collectProducts(d)
		for _, v := range d.Vulnerabilities {
			for status, ids := range v.ProductStatus {
				for _, pid := range ids {
					k := key{filepath.ToSlash(rel), v.CVE, status, pid}
					got[k] = []string{"", "", "", ""}
					if c, ok := raw[pid]; ok {
						got[k] = []string{c.vendor, c.family, c.name, c.version}
					}
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	agree, strAgree, strRows := 0, 0, 0
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("missing triple %v", k)
			continue
		}
		agree++
		if w[0] == "" && w[2] == "" {
			continue // relationship products: the CSV leaves the strings empty
		}
		strRows++
		same := true
		for i := range w {
			if strings.TrimSpace(w[i]) != strings.TrimSpace(g[i]) {
				same = false
			}
		}
		if same {
			strAgree++
		} else {
			t.Errorf("%v: strings %q, CSV has %q", k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("extra triple %v not in CSV", k)
		}
	}
	t.Logf("triples: %d/%d of the CSV found, %d read in total; vendor/family/product/version strings agree on %d/%d rows",
		agree, len(want), len(got), strAgree, strRows)
}

func TestMatchRealAdvisories(t *testing.T) {
	f := loadShared(t)
	tests := []struct {
		vendor, product, version string
		want                     []string // exact CVE list, in result order
	}{
		// ICSA-23-348-15: Vision OS < 12.38 is affected; KEV-listed.
		{"Unitronics", "Vision350", "9.8.65", []string{"CVE-2023-6448"}},
		{"unitronics", "Vision 1040", "V12.37", []string{"CVE-2023-6448"}},
		{"Unitronics", "Samba 7", "12.0", []string{"CVE-2023-6448"}},
		{"Unitronics", "Vision350", "12.38", nil}, // fixed version
		{"Unitronics", "Vision350", "", nil},      // unknown firmware, range is not "all versions"
		{"Unitronics", "VisiLogic", "9.8", []string{"CVE-2023-6448"}},
		// ICSA-24-109-01: Vision 230/280/290/530/120, all versions.
		{"Unitronics", "Vision 230", "", []string{"CVE-2024-1480"}},
		{"Unitronics", "Vision230", "4.3", []string{"CVE-2023-6448", "CVE-2024-1480"}}, // a Vision PLC with OS < 12.38 too
		{"Unitronics", "Vision 231", "", nil},
		// Vendor spelling, Siemens families.
		{"Siemens AG", "SIMATIC S7-1200", "V4.4.0", []string{"CVE-2022-38465", "CVE-2019-13945"}},
		{"Siemens", "S7-1200", "4.5.0", []string{"CVE-2019-13945"}},
		{"Siemens", "S7-1500", "2.9.1", []string{"CVE-2022-38465"}},
		{"Siemens", "S7-1500", "2.9.2", nil},
		{"Siemens", "S7", "1.0", nil}, // too vague to name a model
		{"Schneider", "Modicon", "", nil},
		{"schneider-electric", "Modicon M221", "", []string{"CVE-2020-7565", "CVE-2020-7566", "CVE-2020-7567", "CVE-2020-28214", "CVE-2020-7568"}},
		// Wildcard model numbers and build ranges (Hikvision).
		{"Hikvision", "DS-2CD2142FWD-I", "V5.4.0 build 160530", []string{"CVE-2017-7921", "CVE-2017-7923"}},
		{"Hikvision", "DS-2CD2142FWD-I", "5.4.5", nil},
		// KEV-listed Cisco IOS XE inside Rockwell switches.
		{"Rockwell Automation", "Stratix 5800", "17.9", []string{"CVE-2023-20198", "CVE-2023-20273"}},
		{"Allen-Bradley", "Micro850", "21.0", []string{"CVE-2024-7567"}},
		{"Rockwell", "2080-L70E", "v22.011", nil},
		// Words after "Series" qualify the line.
		{"Rockwell Automation", "MicroLogix 1400 1766-L32BXB", "15.0", []string{"CVE-2017-7898", "CVE-2017-7903", "CVE-2017-7901", "CVE-2017-7902", "CVE-2017-7899"}},
		{"Hitachi Energy", "RTU500", "12.2.1", []string{"CVE-2022-28613"}},
		{"Hitachi Energy", "RTU500 series CMU Firmware", "12.3", nil},
		// Wrong vendor never matches.
		{"Unitronics", "Stratix 5800", "", nil},
		{"Acme", "Vision350", "9.8", nil},
	}
	for _, tt := range tests {
		got := cves(f.Match(tt.vendor, tt.product, tt.version))
		if !slices.Equal(got, tt.want) {
			t.Errorf("Match(%q, %q, %q) = %q, want %q", tt.vendor, tt.product, tt.version, got, tt.want)
		}
	}
	vs := f.Match("Unitronics", "Vision350", "9.8")
	if len(vs) != 1 {
		t.Fatalf("Vision350: %v", vs)
	}
	v := vs[0]
	if !v.KEV || v.KEVDateAdded != "2023-12-11" || v.CVSS != 9.8 || !v.Network || v.AuthRequired ||
		!slices.Equal(v.Advisories, []string{"ICSA-23-348-15"}) || !strings.Contains(v.Title, "Default Password") ||
		v.Remediation == "" || len([]rune(v.Remediation)) > 200 {
		t.Errorf("Vision350 vuln = %+v", v)
	}
}

// TestMobotixStatuses checks Match against every firmware-on-model
// relationship of ICSA-24-235-03: a combination is reported exactly when the
// advisory lists it as known_affected (not fixed, not known_not_affected).
func TestMobotixStatuses(t *testing.T) {
	f := loadShared(t)
	path := shareddata.Path(t, "intel", "csaf", "OT", "white", "2024", "icsa-24-235-03.json")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := decodeCSAF(path, data)
	if err != nil {
		t.Fatal(err)
	}
	raw := collectProducts(d)
	n := 0
	for _, v := range d.Vulnerabilities {
		for status, ids := range v.ProductStatus {
			if status == "recommended" {
				continue
			}
			for _, id := range ids {
				p := raw[id]
				fw, model := raw[p.relation[0]], raw[p.relation[1]]
				got := slices.Contains(cves(f.Match("MOBOTIX AG", model.family+" "+model.name, fw.version)), v.CVE)
				if got != (status == "known_affected") {
					t.Errorf("%s on %s %s (%s): matched=%v", fw.version, model.family, model.name, status, got)
				}
				n++
			}
		}
	}
	t.Logf("Mobotix: %d product statuses checked", n)
	if n < 1000 {
		t.Fatalf("only %d relationships checked", n)
	}
}

// TestMatchSelfConsistency queries every known_affected branch product of the
// CSV by its own vendor and product name, with its exact version or, for
// all-versions entries, an unknown version: Match must report the CVE.
func TestMatchSelfConsistency(t *testing.T) {
	f := loadShared(t)
	var unparsed []string
	for _, u := range f.Stats().Unparsed {
		unparsed = append(unparsed, strings.TrimSpace(u))
	}
	rows, col := readAffectedCSV(t)
	tried, ok := 0, 0
	for _, r := range rows {
		status, vendor, name, cat, ver, cve := r[col["product_status"]], r[col["vendor"]], r[col["product_name"]],
			r[col["version_category"]], strings.TrimSpace(r[col["version"]]), r[col["cve"]]
		if status != "known_affected" || vendor == "" {
			continue
		}
		var q string
		switch {
		case ver == "vers:all/*":
			q = ""
		case cat == "product_version" && !strings.Contains(ver, "|"):
			q = ver
		case cat == "product_version_range" && strings.HasPrefix(ver, "<="):
			q = strings.TrimPrefix(ver, "<=")
		default:
			continue
		}
		tried++
		if slices.Contains(cves(f.Match(vendor, name, q)), cve) {
			ok++
			continue
		}
		t.Logf("Match(%q, %q, %q) lacks %s", vendor, name, q, cve)
		// The only miss allowed is a range LoadDir could not parse (the
		// AVTECH "<=firmware_FullImg-…"), which never matches by design.
		if !slices.Contains(unparsed, ver) {
			t.Errorf("Match(%q, %q, %q) lacks %s, and its version %q was parsed", vendor, name, q, cve, ver)
		}
	}
	t.Logf("self-consistency: %d/%d affected products found by their own names", ok, tried)
	if tried == 0 || float64(ok)/float64(tried) < 0.9 {
		t.Errorf("self-consistency %d/%d below 90%%", ok, tried)
	}
}

// readAffectedCSV reads cpe/csaf-affected-products.csv: the rows after the
// header, and the column index of each header name.
func readAffectedCSV(t *testing.T) (rows [][]string, col map[string]int) {
	t.Helper()
	fh, err := os.Open(shareddata.Path(t, "intel", "cpe", "csaf-affected-products.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	rows, err = csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col = map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, h := range []string{"file", "cve", "product_status", "product_id", "vendor", "product_family", "product_name", "version_category", "version"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("csaf-affected-products.csv lacks column %q", h)
		}
	}
	return rows[1:], col
}

func TestCVE(t *testing.T) {
	f := loadShared(t)
	v, ok := f.CVE("cve-2025-48384") // KEV only
	if !ok || !v.KEV || v.CVSS != 0 || !v.Network || v.Title != "Git Link Following Vulnerability" || len(v.Advisories) != 0 {
		t.Errorf("KEV-only CVE = %+v, %v", v, ok)
	}
	v, ok = f.CVE("CVE-2017-7921") // CSAF only
	if !ok || v.KEV || v.CVSS != 10 || v.Advisories[0] != "ICSA-17-124-01" || v.Title == "" {
		t.Errorf("CSAF CVE = %+v, %v", v, ok)
	}
	if _, ok := f.CVE("CVE-1999-0000"); ok {
		t.Error("unknown CVE found")
	}
}

const miniCSAF = `{
  "document": {"csaf_version": "2.0", "title": "Acme Widget Series", "tracking": {"id": "ICSA-99-001-01"}},
  "product_tree": {"branches": [{"category": "vendor", "name": "Acme Corp.", "branches": [
    {"category": "product_name", "name": "Widget W100", "branches": [
      {"category": "product_version_range", "name": "< V2.0", "product": {"name": "W100 <2", "product_id": "P1"}},
      {"category": "product_version", "name": "2.0", "product": {"name": "W100 2.0", "product_id": "P2"}}]},
    {"category": "product_name", "name": "Firmware", "branches": [
      {"category": "product_version_range", "name": "see vendor", "product": {"name": "fw", "product_id": "P3"}}]}]}]},
  "vulnerabilities": [{"cve": "CVE-2099-0001", "title": "Widget hole",
    "product_status": {"known_affected": ["P1", "P3", "P9"], "fixed": ["P2"]},
    "scores": [{"cvss_v3": {"baseScore": 6.5, "vectorString": "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N"}, "products": ["P1"]}],
    "remediations": [{"category": "mitigation", "details": "Isolate it.", "product_ids": ["P1"]},
      {"category": "vendor_fix", "details": "Update to 2.0\nor later.", "product_ids": ["P1"]}]}]
}`

func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadDirSmall(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "csaf", "a", "w.json"), miniCSAF)
	writeFile(t, filepath.Join(dir, "csaf", "provider-metadata.json"), `{"not": "an advisory"}`)
	f, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	s := f.Stats()
	if s.Advisories != 1 || s.KEVEntries != 0 || s.DanglingRefs != 1 || s.UnparsedRanges != 1 || s.Ranges != 3 {
		t.Errorf("stats %+v", s)
	}
	vs := f.Match("ACME", "W100", "1.9")
	if len(vs) != 1 {
		t.Fatalf("Match = %+v", vs)
	}
	v := vs[0]
	if v.CVE != "CVE-2099-0001" || v.Network || !v.AuthRequired || v.CVSS != 6.5 || v.Remediation != "Update to 2.0" || v.Title != "Widget hole" {
		t.Errorf("vuln %+v", v)
	}
	if got := f.Match("Acme", "Widget W100", "2.0"); len(got) != 0 {
		t.Errorf("fixed version matched: %+v", got)
	}
	if got := f.Match("Acme", "Widget", "0.1"); len(got) != 0 {
		t.Errorf("generic name with unparsed range matched: %+v", got)
	}
}

func TestLoadDirErrors(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name     string
		files    map[string]string
		dir      string // overrides the temp dir
		wantFile string // suffix of the diagnostic's File; "" = plain bad-input error
		wantLine int
		wantMsg  string
	}{
		{name: "missing dir", dir: filepath.Join(empty, "nope"), wantMsg: "nope"},
		{name: "empty dir", dir: empty, wantMsg: "no kev/known_exploited_vulnerabilities.json and no CSAF"},
		{name: "truncated CSAF", files: map[string]string{"csaf/x/t.json": miniCSAF[:400]}, wantFile: "t.json", wantLine: 6, wantMsg: "unexpected end of JSON input"},
		{name: "syntax error", files: map[string]string{"csaf/s.json": "{\n  \"document\": {\n    \"csaf_version\": 2.0,,\n  }\n}"}, wantFile: "s.json", wantLine: 3, wantMsg: "invalid character ','"},
		{name: "wrong type", files: map[string]string{"csaf/w.json": "{\"document\": {\"csaf_version\": 2}}"}, wantFile: "w.json", wantLine: 1, wantMsg: "document.csaf_version is number"},
		{name: "not CSAF", files: map[string]string{"csaf/n.json": `{"document": {"csaf_version": "1.2"}}`}, wantFile: "n.json", wantMsg: "not a CSAF 2.0 advisory"},
		{name: "truncated KEV", files: map[string]string{KEVPath: "{\n\"vulnerabilities\": [\n{\"cveID\": \"CVE-1"}, wantFile: "known_exploited_vulnerabilities.json", wantLine: 3, wantMsg: "unexpected end"},
		{name: "not KEV", files: map[string]string{KEVPath: `{"title": "x"}`}, wantFile: "known_exploited_vulnerabilities.json", wantMsg: "not a CISA KEV catalog"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tt.dir
			if dir == "" {
				dir = t.TempDir()
				for p, s := range tt.files {
					writeFile(t, filepath.Join(dir, filepath.FromSlash(p)), s)
				}
			}
			f, err := LoadDir(dir)
			if err == nil {
				t.Fatalf("LoadDir = %+v, want error", f)
			}
			if !diag.IsBadInput(err) {
				t.Errorf("error %v is not bad input", err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q lacks %q", err, tt.wantMsg)
			}
			if tt.wantFile == "" {
				return
			}
			var d *diag.Diagnostic
			if !errors.As(err, &d) {
				t.Fatalf("error %T %v is not a *diag.Diagnostic", err, err)
			}
			if !strings.HasSuffix(d.File, tt.wantFile) || d.Line != tt.wantLine || (tt.wantLine > 0 && d.Col == 0) || d.Hint == "" {
				t.Errorf("diagnostic %+v: want file *%s line %d", d, tt.wantFile, tt.wantLine)
			}
		})
	}
}

func TestKEVOnly(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, KEVPath), `{"vulnerabilities": [{"cveID": "CVE-2020-0001", "vulnerabilityName": "Thing RCE",
		"dateAdded": "2020-01-02", "knownRansomwareCampaignUse": "Known", "requiredAction": "Patch."}]}`)
	f, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	v, ok := f.CVE("CVE-2020-0001")
	want := Vuln{CVE: "CVE-2020-0001", Title: "Thing RCE", Network: true, KEV: true, KEVDateAdded: "2020-01-02", Ransomware: true, Remediation: "Patch."}
	if !ok || v.CVE != want.CVE || v.Title != want.Title || !v.Network || !v.KEV || v.KEVDateAdded != want.KEVDateAdded ||
		!v.Ransomware || v.Remediation != want.Remediation || v.CVSS != 0 {
		t.Errorf("CVE = %+v, want %+v", v, want)
	}
	if got := f.Match("Thing", "Thing", "1"); len(got) != 0 {
		t.Errorf("KEV-only entries must not match products: %+v", got)
	}
}

func TestOneLine(t *testing.T) {
	long := strings.Repeat("word ", 100)
	got := oneLine("\n  first   line \nsecond", 200)
	if got != "first line" {
		t.Errorf("oneLine = %q", got)
	}
	got = oneLine(long, 200)
	if n := len([]rune(got)); n > 200 || !strings.HasSuffix(got, "…") {
		t.Errorf("oneLine(long) = %d runes %q", n, got)
	}
}

func BenchmarkLoadDir(b *testing.B) {
	dir := shareddata.Path(b, "intel")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := LoadDir(dir); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatch(b *testing.B) {
	f := loadShared(b)
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f.match("Siemens", "SIMATIC S7-1200", "4.4.0")
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			f.Match("Siemens", "SIMATIC S7-1200", "4.4.0")
		}
	})
}

// TestMatchCopies checks that results are the caller's to modify, also when
// served from the memo.
func TestMatchCopies(t *testing.T) {
	f := loadShared(t)
	a := f.Match("Unitronics", "Vision350", "9.8")
	a[0].Advisories[0] = "changed"
	a[0].CVE = "changed"
	b := f.Match("Unitronics", "Vision350", "9.8")
	if b[0].CVE != "CVE-2023-6448" || b[0].Advisories[0] != "ICSA-23-348-15" {
		t.Errorf("memoised result was modified: %+v", b[0])
	}
	if v, _ := f.CVE("CVE-2023-6448"); v.Advisories[0] != "ICSA-23-348-15" {
		t.Errorf("feed modified: %+v", v)
	}
}

// TestMatchConcurrent runs Match from several goroutines, filling and
// reading the memo at once, and checks every answer against the unmemoised
// match (run with -race where cgo is available).
func TestMatchConcurrent(t *testing.T) {
	f := loadShared(t)
	want := make([][]string, 12)
	for k := range want {
		want[k] = cves(f.match("Siemens", "S7-1500", fmt.Sprintf("2.%d", k)))
	}
	if !slices.Equal(want[9], []string{"CVE-2022-38465"}) || want[11] != nil {
		t.Fatalf("S7-1500 2.9 = %v, 2.11 = %v", want[9], want[11])
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 50 {
				k := (i + j) % 12
				if got := cves(f.Match("Siemens", "S7-1500", fmt.Sprintf("2.%d", k))); !slices.Equal(got, want[k]) {
					t.Errorf("Match(S7-1500, 2.%d) = %v, want %v", k, got, want[k])
				}
			}
		}()
	}
	wg.Wait()
}

// TestMatchExclusionKeepsTokens: checking a not-affected product of another
// spelling of the vendor ("Acme Widget") must not eat the asset's product
// words ("Widget") for the entries checked after it.
func TestMatchExclusionKeepsTokens(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "csaf", "a.json"), `{
  "document": {"csaf_version": "2.0", "title": "Acme Widget Pro", "tracking": {"id": "ICSA-99-002-01"}},
  "product_tree": {"branches": [
    {"category": "vendor", "name": "Acme", "branches": [
      {"category": "product_name", "name": "Widget Pro", "product": {"product_id": "P1"}}]},
    {"category": "vendor", "name": "Acme Widget", "branches": [
      {"category": "product_name", "name": "Gadget", "product": {"product_id": "P2"}}]}]},
  "vulnerabilities": [
    {"cve": "CVE-2099-0001", "product_status": {"known_affected": ["P1"], "known_not_affected": ["P2"]}},
    {"cve": "CVE-2099-0002", "product_status": {"known_affected": ["P1"]}}]
}`)
	f, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CVE-2099-0001", "CVE-2099-0002"}
	for range 2 { // computed, then from the memo
		if got := cves(f.Match("Acme", "Widget Pro", "")); !slices.Equal(got, want) {
			t.Errorf("Match(Acme, Widget Pro) = %q, want %q", got, want)
		}
	}
}
