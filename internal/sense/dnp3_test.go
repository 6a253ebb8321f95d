package sense_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/citadel-city/citadel/internal/sense"
	"github.com/citadel-city/citadel/internal/shareddata"
)

// dnp3ZeekCase is one capture with the dnp3.log Zeek wrote for it.
type dnp3ZeekCase struct {
	name   string
	pcap   []string // below the shared data root
	log    []string // Zeek's dnp3.log; nil: no baseline, only "no crash"
	masked bool     // timestamps masked in the baseline
	// checksums: Zeek ran without -C, so packets with bad IP checksums
	// were dropped.
	checksums bool
	// want is the minimum share of reference rows matched; every shortfall
	// is explained in the comment of the case.
	want float64
	// wantExtra is the number of rows we write that Zeek does not.
	wantExtra int
}

func dnp3Path(parts ...string) []string { return append([]string{"pcap"}, parts...) }

func zeekDNP3(trace, baseline string) dnp3ZeekCase {
	c := dnp3ZeekCase{
		name:   "zeek/" + trace,
		pcap:   dnp3Path("zeek", "testing", "btest", "Traces", "dnp3", trace+".pcap"),
		masked: true, want: 1,
	}
	if baseline != "" {
		c.log = dnp3Path("zeek", "testing", "btest", "Baseline", "scripts.base.protocols.dnp3."+baseline, "dnp3.log")
	}
	return c
}

var dnp3ZeekCases = []dnp3ZeekCase{
	zeekDNP3("dnp3", "events"),
	zeekDNP3("dnp3_del_measure", "dnp3_del_measure"),
	zeekDNP3("dnp3_file_del", "dnp3_file_del"),
	zeekDNP3("dnp3_file_read", "dnp3_file_read"),
	zeekDNP3("dnp3_read", "dnp3_read"),
	zeekDNP3("dnp3_select_operate", "dnp3_select_operate"),
	zeekDNP3("dnp3_udp_en_spon", "dnp3_udp_en_spon"),
	zeekDNP3("dnp3_udp_select_operate", "dnp3_udp_select_operate"),
	zeekDNP3("dnp3_write", "dnp3_write"),
	zeekDNP3("dnp3_link_only", ""),
	zeekDNP3("dnp3-flowbuffer-overflow-assert", ""),
	zeekDNP3("dnp3_read_p20001", ""),
	{name: "icsnpp/dnp3_example", pcap: dnp3Path("icsnpp-dnp3", "testing", "traces", "dnp3_example.pcap"),
		log: dnp3Path("icsnpp-dnp3", "testing", "baseline", "analyzer.basic", "dnp3.log"), masked: true, want: 1},
	{name: "ics-pcap/DNP3-Read", pcap: dnp3Path("ics-pcap", "DNP3", "DNP3-Read", "DNP3-Read.pcap"),
		log: dnp3Path("ics-pcap", "DNP3", "DNP3-Read", "dnp3.log"), checksums: true, want: 1},
	{name: "ics-pcap/DNP3-Write", pcap: dnp3Path("ics-pcap", "DNP3", "DNP3-Write", "DNP3-Write.pcap"),
		log: dnp3Path("ics-pcap", "DNP3", "DNP3-Write", "dnp3.log"), checksums: true, want: 1},
	{name: "ics-pcap/DNP3-TestDataPart1", pcap: dnp3Path("ics-pcap", "DNP3", "DNP3-TestDataPart1", "DNP3-TestDataPart1.pcap"),
		log: dnp3Path("ics-pcap", "DNP3", "DNP3-TestDataPart1", "dnp3.log"), checksums: true, want: 1},
	{name: "ics-pcap/digitalbond dnp3_test_data_part1",
		pcap: dnp3Path("ics-pcap", "DNP3", "digitalbond pcaps", "dnp3_test_data_part1", "dnp3_test_data_part1.pcap"),
		log:  dnp3Path("ics-pcap", "DNP3", "digitalbond pcaps", "dnp3_test_data_part1", "dnp3.log"), checksums: true, want: 1},
	{name: "ics-pcap/EIP-ViewDeviceStatus", pcap: dnp3Path("ics-pcap", "EIP", "EIP-ViewDeviceStatus", "EIP-ViewDeviceStatus.pcap"),
		log: dnp3Path("ics-pcap", "EIP", "EIP-ViewDeviceStatus", "dnp3.log"), checksums: true, want: 1},
}

// dnp3ReadLog returns the rows of a Zeek TSV log as maps from field name.
func dnp3ReadLog(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var fields []string
	var rows []map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#fields\t") {
			fields = strings.Split(line, "\t")[1:]
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		m := map[string]string{}
		for i, v := range strings.Split(line, "\t") {
			if i < len(fields) {
				m[fields[i]] = v
			}
		}
		rows = append(rows, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}

func dnp3Project(rows []map[string]string, fields []string) []string {
	out := make([]string, 0, len(rows))
	for _, r := range rows {
		v := make([]string, len(fields))
		for i, f := range fields {
			v[i] = r[f]
		}
		out = append(out, strings.Join(v, "\t"))
	}
	return out
}

// dnp3Match counts reference rows found in got, as multisets, and returns
// the unmatched rows of both sides.
func dnp3Match(ref, got []string) (n int, missing, extra []string) {
	count := map[string]int{}
	for _, g := range got {
		count[g]++
	}
	for _, r := range ref {
		if count[r] > 0 {
			count[r]--
			n++
		} else {
			missing = append(missing, r)
		}
	}
	for _, g := range got {
		if count[g] > 0 {
			count[g]--
			extra = append(extra, g)
		}
	}
	return n, missing, extra
}

// TestDNP3AgainstZeek runs the sensor on every public DNP3 capture that has
// a Zeek dnp3.log and compares the rows field by field (uids differ by
// construction; masked timestamps are not compared).
func TestDNP3AgainstZeek(t *testing.T) {
	for _, tc := range dnp3ZeekCases {
		t.Run(tc.name, func(t *testing.T) {
			pcap := shareddata.Path(t, tc.pcap...)
			dir := t.TempDir()
			res, err := sense.Run(context.Background(), sense.Config{
				Pcaps: []string{pcap}, OutDir: dir,
				Engine: sense.EngineConfig{Analyzers: []sense.Analyzer{sense.DNP3Analyzer{}}, IgnoreChecksums: !tc.checksums},
				Now:    func() time.Time { return time.Unix(0, 0) },
			})
			if err != nil {
				t.Fatalf("sense.Run: %v", err)
			}
			got := dnp3ReadLog(t, filepath.Join(dir, "dnp3.log"))
			if tc.log == nil {
				t.Logf("%d dnp3.log rows, weirds %v (no Zeek baseline: checks only that nothing breaks)", len(got), res.Weirds)
				return
			}
			ref := dnp3ReadLog(t, shareddata.Path(t, tc.log...))
			fields := []string{"ts", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "fc_request", "fc_reply", "iin"}
			if tc.masked {
				fields = fields[1:]
			}
			n, missing, extra := dnp3Match(dnp3Project(ref, fields), dnp3Project(got, fields))
			rate := 1.0
			if len(ref) > 0 {
				rate = float64(n) / float64(len(ref))
			}
			t.Logf("%s: %d/%d reference rows matched (%.1f%%), %d extra rows, weirds %v",
				tc.name, n, len(ref), 100*rate, len(extra), res.Weirds)
			for i, m := range missing {
				if i < 10 {
					t.Logf("missing: %s", m)
				}
			}
			for i, e := range extra {
				if i < 10 {
					t.Logf("extra:   %s", e)
				}
			}
			if rate < tc.want || len(extra) != tc.wantExtra {
				t.Errorf("matched %.3f (want >= %.3f), %d extra rows (want %d)", rate, tc.want, len(extra), tc.wantExtra)
			}
		})
	}
}
