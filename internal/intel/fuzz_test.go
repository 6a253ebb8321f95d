package intel

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/citadel-city/citadel/internal/shareddata"
)

func FuzzVersionRange(f *testing.F) {
	for _, s := range []string{
		"vers:all/*", "All versions", "<9.9.00", "<= 16.00", "< V3.5", "All versions < V14",
		"All versions <= V2.5.0 and Function State (FS) <= 9", ">= 1.46 | <= 1.50.598",
		">=  5.2.0 build 140721 | <= 5.4.0  Build 160414", "16 <= 20", ">=G4", "<4.x", "<  rev. 8.3.0",
		"< 15.0 SP1", "vers:generic/!=1.5|>=1.0|<2.0", "prior to 1.2.3", "V2.0 and prior", "1.0 through 2.0",
		"<=firmware_FullImg-1023-1007-1011-1009", "", "*", "vers:", "|", "<=", "1.*.2",
	} {
		f.Add(s, "1.2.3")
	}
	f.Add("<9.9.00", "")
	f.Add("<2", "99999999999999999999999999999")
	f.Fuzz(func(t *testing.T, rng, ver string) {
		r, err := ParseRange(rng)
		if err != nil {
			if !errors.Is(err, ErrRange) {
				t.Fatalf("error %v does not wrap ErrRange", err)
			}
			if r.All || r.Contains(ver) {
				t.Fatalf("failed parse returned a usable range %+v", r)
			}
			return
		}
		in := r.Contains(ver)
		if r.All && !in {
			t.Fatalf("All range %q does not contain %q", rng, ver)
		}
		if strings.TrimSpace(ver) == "" && in != r.All {
			t.Fatalf("range %q contains unknown version but is not All", rng)
		}
		if l, err := parseVersionList(rng); err != nil {
			if !errors.Is(err, ErrRange) {
				t.Fatalf("parseVersionList error %v does not wrap ErrRange", err)
			}
		} else if l.All && !l.Contains(ver) {
			t.Fatalf("All version list %q does not contain %q", rng, ver)
		}
	})
}

func FuzzCSAF(f *testing.F) {
	f.Add([]byte(miniCSAF))
	f.Add([]byte(miniCSAF[:300]))
	f.Add([]byte(`{"document":{"csaf_version":"2.0"},"product_tree":{"relationships":[{"full_product_name":{"product_id":"R"},"product_reference":"R","relates_to_product_reference":"R"}]},"vulnerabilities":[{"cve":"CVE-1","product_status":{"known_affected":["R"]}}]}`))
	f.Add([]byte(`{"document":{"csaf_version":"2.0","title":"X xxxxxxxxxxxxxxxxxxxxxxxxxxxx1 Series"},"product_tree":{"branches":[{"category":"vendor","name":"V","branches":[{"category":"product_name","name":"OS 1xxxxxxxxxxxxxxxxxxxxxxxxxxxx","product":{"product_id":"P"}}]}]},"vulnerabilities":[{"cve":"CVE-2","product_status":{"known_affected":["P"],"fixed":["P"]}}]}`))
	if root := shareddata.Root(); root != "" {
		for _, name := range []string{"2023/icsa-23-348-15.json", "2017/icsa-17-124-01.json", "2020/icsa-20-224-03.json"} {
			if data, err := os.ReadFile(filepath.Join(root, "intel", "csaf", "OT", "white", filepath.FromSlash(name))); err == nil {
				f.Add(data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		feed := newFeed("")
		if err := feed.addCSAF("fuzz.json", data); err != nil {
			var d *diag.Diagnostic
			if !errors.As(err, &d) || d.File != "fuzz.json" {
				t.Fatalf("error %v is not a diagnostic naming the file", err)
			}
			return
		}
		feed.finish()
		for _, q := range [][3]string{{"V", "OS", "1"}, {"Acme", "W100", "1.0"}, {"Unitronics", "Vision350", ""}, {"", "", ""}} {
			for _, v := range feed.Match(q[0], q[1], q[2]) {
				if _, ok := feed.CVE(v.CVE); !ok {
					t.Fatalf("matched %s unknown to CVE()", v.CVE)
				}
			}
		}
	})
}
