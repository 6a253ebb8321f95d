package intel

import (
	"errors"
	"fmt"
	"testing"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		rng  string
		in   []string // contained
		out  []string // not contained
		qual bool     // has a Qualifier
	}{
		// Forms seen in the 45 CISA CSAF files.
		{rng: "vers:all/*", in: []string{"", "1.0", "V99"}},
		{rng: "All versions", in: []string{"", "0.1"}},
		{rng: "<9.9.00", in: []string{"9.8.65", "9.8", "V9.8.99", "1"}, out: []string{"9.9", "9.9.0", "9.10", "10.0", "", "abc"}},
		{rng: "<12.38", in: []string{"12.37", "9.8.65", "12.9"}, out: []string{"12.38", "12.38.1", "12.40", "13"}},
		{rng: "<= 16.00", in: []string{"16", "16.0", "15.99", "V16.00"}, out: []string{"16.01", "17"}},
		{rng: "< V3.5", in: []string{"3.4.9", "V3.4", "2"}, out: []string{"3.5", "V3.5.0", "3.6"}},
		{rng: "All versions < V14", in: []string{"13.99", "V2"}, out: []string{"14", "V14.0.1", ""}},
		{rng: "All versions <= V2.5.0 and Function State (FS) <= 9", in: []string{"2.5.0", "2.4"}, out: []string{"2.5.1", ""}, qual: true},
		{rng: "All versions with Function State (FS) < 11", in: []string{"", "4.2"}, qual: true},
		{rng: ">= 1.46 | <= 1.50.598", in: []string{"1.46", "1.50.598", "1.47.1"}, out: []string{"1.45.9", "1.50.599", "1.51"}},
		{rng: ">=  5.2.0 build 140721 | <= 5.4.0  Build 160414", in: []string{"5.3.0", "5.4.0 build 160414", "5.2.0 build 140722"}, out: []string{"5.2.0 build 140720", "5.4.1", "5.1.9"}},
		{rng: "16 <= 20", in: []string{"16", "18.1", "20"}, out: []string{"15.9", "20.1", "21"}},
		{rng: ">= 21", in: []string{"21", "33.0"}, out: []string{"20.9", ""}},
		{rng: ">=G4", in: []string{"G4", "G5.2"}, out: []string{"G3", "4.0"}},
		{rng: "<4.x", in: []string{"3.9.9", "3"}, out: []string{"4", "4.3.2", "5.0"}},
		{rng: "<  rev. 8.3.0", in: []string{"8.2.9", "rev. 8.2"}, out: []string{"8.3.0", "rev 8.3.1"}},
		{rng: "< 01.21.142.5-22", in: []string{"1.21.142.5-21", "01.21.142.4"}, out: []string{"01.21.142.5-22", "1.21.142.6"}},
		{rng: "< 15.0 SP1", in: []string{"15.0", "14.2"}, out: []string{"15.0 SP1", "15.0 SP2", "15.1"}},
		{rng: "<= 3.40 R5 build 571848", in: []string{"3.40", "3.40 R5", "3.40 R5 build 571848", "3.39"}, out: []string{"3.40 R6", "3.41"}},
		{rng: "<= 5.37c-1.43c", in: []string{"5.37c-1.43c", "5.37c-1.43b", "5.36"}, out: []string{"5.37c-1.43d", "5.38"}},
		{rng: "<=1.00-06", in: []string{"1.00-06", "1.00-05"}, out: []string{"1.00-07", "1.01"}},
		{rng: "<v22.011", in: []string{"21.1", "v22.010"}, out: []string{"22.011", "22.12"}},
		{rng: "<= 2020", in: []string{"2019", "2020"}, out: []string{"2021"}},
		{rng: " <1.000.HW00.21.20190812", in: []string{"1.000.HW00.20.20190101"}, out: []string{"1.000.0000.19.20190819", "1.000.HW00.21.20190812"}},
		// Forms from other advisories and the vers: specification.
		{rng: "vers:intdot/<4.5", in: []string{"4.4.9"}, out: []string{"4.5", "5"}},
		{rng: "vers:generic/>=1.0|<2.0|>=3.0", in: []string{"1.0", "1.9", "3.1"}, out: []string{"0.9", "2.0", "2.5"}},
		{rng: "vers:generic/!=1.5|>=1.0|<2.0", in: []string{"1.4"}, out: []string{"1.5", "2.0"}},
		{rng: "<=2.3", in: []string{"2.3", "2.2.9"}, out: []string{"2.3.1"}},
		{rng: "< V3.1.2", in: []string{"3.1.1"}, out: []string{"3.1.2"}},
		{rng: "prior to 1.2.3", in: []string{"1.2.2"}, out: []string{"1.2.3"}},
		{rng: "All versions prior to v01.21.142.5-22", in: []string{"1.21.142.5-21"}, out: []string{"1.21.142.5-22"}},
		{rng: "V2.0 and prior", in: []string{"2.0", "1.9"}, out: []string{"2.0.1"}},
		{rng: "Versions 3.8.0 and prior", in: []string{"3.8.0"}, out: []string{"3.8.1"}},
		{rng: "1.0 through 2.0", in: []string{"1.0", "2.0"}, out: []string{"0.9", "2.1"}},
		{rng: "V5.3.1 build 150410 to V5.4.4 Build 161125", in: []string{"5.4.0"}, out: []string{"5.4.5"}},
		{rng: "versions before 4.16.0", in: []string{"4.15"}, out: []string{"4.16.0"}},
		{rng: "v2.10 and later", in: []string{"2.10", "3"}, out: []string{"2.9"}},
		{rng: "between 1.0 and 1.5", in: []string{"1.2"}, out: []string{"1.6"}},
		{rng: "up to 7.0", in: []string{"7.0"}, out: []string{"7.0.1"}},
		{rng: "All versions up to 7.0", in: []string{"6"}, out: []string{"8"}},
		{rng: "=1.12.1", in: []string{"1.12.1", "1.12.1.0"}, out: []string{"1.12.2", "1.12.1.1"}},
		{rng: "1.12.1", in: []string{"1.12.1"}, out: []string{"1.12"}},
		{rng: "*", in: []string{"", "1"}},
		{rng: "firmware 2.1 and earlier", in: []string{"2.1", "fw 2.0"}, out: []string{"2.2"}},
	}
	for _, tt := range tests {
		r, err := ParseRange(tt.rng)
		if err != nil {
			t.Errorf("ParseRange(%q): %v", tt.rng, err)
			continue
		}
		if (r.Qualifier != "") != tt.qual {
			t.Errorf("ParseRange(%q).Qualifier = %q", tt.rng, r.Qualifier)
		}
		checkContains(t, fmt.Sprintf("ParseRange(%q)", tt.rng), r, tt.in, tt.out)
	}
}

func TestParseRangeErrors(t *testing.T) {
	for _, s := range []string{
		"", "   ", "versions", "latest", "see vendor advisory", "<", ">= | <= 2", "<= firmware_FullImg-1023-1007-1011-1009",
		"vers:generic", "vers:generic/", "1.0 || 2.0", "<= 1.0 <= 2.0", "vers:generic/!=1.*",
		"< NVR-B3801.20.17.240507", "unknown 1.2", "see notes 1.2 and later", "foo 1.0 through bar 2.0", "prior to release notes",
	} {
		r, err := ParseRange(s)
		if err == nil {
			t.Errorf("ParseRange(%q) = %+v, want error", s, r)
			continue
		}
		if !errors.Is(err, ErrRange) {
			t.Errorf("ParseRange(%q) error %v does not wrap ErrRange", s, err)
		}
	}
	var zero Range
	if zero.Contains("1.0") || zero.Contains("") {
		t.Error("zero Range contains something")
	}
}

func TestParseVersionList(t *testing.T) {
	tests := []struct {
		list    string
		in, out []string
	}{
		{"vers:all/*", []string{"", "1"}, nil},
		{"12.2", []string{"12.2", "12.2.5", "V12.2.0"}, []string{"12.20", "12.3", ""}},
		{" 4.6.96.28 | 4.7.109.20 | 4.7.110.32 | 4.8.0.110", []string{"4.7.109.20", "4.8.0.110"}, []string{"4.7.109.21", "4.8"}},
		{"MX-V4.0.2.33", []string{"MX-V4.0.2.33", "4.0.2.33", "MX-V4.0.2.33.r2"}, []string{"MX-V4.0.2.34", "MX-V4.0.2"}},
		{"15.0 SP1", []string{"15.0 SP1"}, []string{"15.0", "15.0 SP2"}},
	}
	for _, tt := range tests {
		r, err := parseVersionList(tt.list)
		if err != nil {
			t.Errorf("parseVersionList(%q): %v", tt.list, err)
			continue
		}
		checkContains(t, fmt.Sprintf("parseVersionList(%q)", tt.list), r, tt.in, tt.out)
	}
}

// checkContains reports each version of in that r (named name) does not
// contain and each version of out that it does.
func checkContains(t *testing.T, name string, r Range, in, out []string) {
	t.Helper()
	for _, v := range in {
		if !r.Contains(v) {
			t.Errorf("%s.Contains(%q) = false, want true", name, v)
		}
	}
	for _, v := range out {
		if r.Contains(v) {
			t.Errorf("%s.Contains(%q) = true, want false", name, v)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	tests := []struct {
		a, b string
		want int
		ok   bool
	}{
		{"1.0", "1.0.0", 0, true},
		{"V1.2", "1.10", -1, true},
		{"01.21", "1.21", 0, true},
		{"99999999999999999999999.1", "99999999999999999999998.9", 1, true},
		{"5.21a", "5.21", 1, true},
		{"1.000.HW00", "1.000.0000", 0, false},
	}
	for _, tt := range tests {
		a, _, err1 := parseVersion(tt.a)
		b, _, err2 := parseVersion(tt.b)
		if err1 != nil || err2 != nil {
			t.Fatalf("parse %q %q: %v %v", tt.a, tt.b, err1, err2)
		}
		c, ok := compareVersions(a, b)
		if c != tt.want || ok != tt.ok {
			t.Errorf("compare(%q, %q) = %d,%v want %d,%v", tt.a, tt.b, c, ok, tt.want, tt.ok)
		}
	}
}
