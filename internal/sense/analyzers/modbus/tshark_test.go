package modbus_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/sense"
	"github.com/citadel-city/citadel/internal/sense/analyzers/modbus"
	"github.com/citadel-city/citadel/internal/sense/internal/sensetest"
	"github.com/citadel-city/citadel/internal/shareddata"
)

// readTshark returns one "frame tid unit func exception" key per Modbus
// PDU of a tshark TSV (several PDUs of one frame are comma-joined).
func readTshark(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var col map[string]int
	var out []string
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		if col == nil {
			col = map[string]int{}
			for i, name := range fields {
				col[name] = i
			}
			continue
		}
		get := func(name string) []string {
			i, ok := col[name]
			if !ok || i >= len(fields) || fields[i] == "" {
				return nil
			}
			return strings.Split(fields[i], ",")
		}
		tids, units, funcs, excs := get("mbtcp.trans_id"), get("mbtcp.unit_id"), get("modbus.func_code"), get("modbus.exception_code")
		for i := range tids {
			if i >= len(funcs) || i >= len(units) {
				break // an MBAP header without a PDU tshark could dissect
			}
			exc := "-"
			if i < len(excs) && len(excs) == len(funcs) {
				exc = excs[i]
			} else if len(excs) == 1 && len(funcs) == 1 {
				exc = excs[0]
			}
			out = append(out, strings.Join([]string{fields[0], tids[i], units[i], funcs[i], exc}, " "))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAgainstTshark compares every Modbus PDU with tshark 4.0.17's
// per-packet dissection: packet number, transaction id, unit, function
// code and exception code. tshark verifies no checksums, so neither do we.
func TestAgainstTshark(t *testing.T) {
	cases := []struct {
		name string
		pcap []string
		// want is the expected match rate; extra the PDUs we see that
		// tshark does not (each explained in docs/sense.md).
		want  float64
		extra int
	}{
		{"modbus-dataset/characterization", []string{"modbus-dataset", "characterization_modbus_6RTU_with_operate.pcap"}, 1, 0},
		{"modbus-dataset/CnC_uploading", []string{"modbus-dataset", "CnC_uploading_exe_modbus_6RTU_with_operate.pcap"}, 1, 0},
		{"modbus-dataset/moving_two_files", []string{"modbus-dataset", "moving_two_files_modbus_6RTU.pcap"}, 1, 0},
		{"zeek/modbusBig", []string{"zeek", "testing", "btest", "Traces", "modbus", "modbusBig.pcap"}, 1, 0},
		{"zeek/modbus-eit", []string{"zeek", "testing", "btest", "Traces", "modbus", "modbus-eit.pcap"}, 1, 0},
		{"zeek/4SICS-GeekLounge", []string{"zeek", "testing", "btest", "Traces", "modbus", "4SICS-GeekLounge-151022-min.pcap"}, 1, 0},
		// 10.0.0.8 opened a connection FROM port 502 (its SYN is in the
		// capture) and sent exception PDUs on it: Zeek and we take the SYN
		// sender as the originator, so they are requests without an
		// exception code; tshark decides by port and decodes the code.
		{"suricata-verify/modbus", []string{"suricata-verify", "tests", "modbus", "modbus.pcap"}, 34.0 / 39, 5},
		{"icsnpp/modbus_example", []string{"icsnpp-modbus", "testing", "traces", "modbus_example.pcap"}, 1, 0},
		{"ct-samples/Plant1", []string{"ct-samples", "Protocols", "Modbus", "ModbusTCP", "Plant1_ModbusTCP.pcap"}, 1, 0},
		{"ics-pcap/MODBUS-TestDataPart1", []string{"ics-pcap", "MODBUS", "MODBUS-TestDataPart1", "MODBUS-TestDataPart1.pcap"}, 35.0 / 45, 10}, // same flow as above
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pcap := shareddata.Path(t, append([]string{"pcap"}, tc.pcap...)...)
			rel := append([]string{"pcap", "tshark-4.0.17"}, tc.pcap...)
			rel[len(rel)-1] += ".modbus.tsv"
			tsv := shareddata.Path(t, rel...)
			var got []string
			a := modbus.Analyzer{OnPDU: func(e modbus.PDUEvent) {
				exc := "-"
				if e.Exception >= 0 {
					exc = fmt.Sprint(e.Exception)
				}
				got = append(got, fmt.Sprintf("%d %d %d %d %s", e.Packet, e.TID, e.Unit, e.Func&0x7f, exc))
			}}
			_, err := sense.Run(context.Background(), sense.Config{
				Pcaps: []string{pcap}, OutDir: t.TempDir(),
				Engine: sense.EngineConfig{Analyzers: []sense.Analyzer{a}, IgnoreChecksums: true},
			})
			if err != nil {
				t.Fatal(err)
			}
			want := readTshark(t, tsv)
			n, missing, extra := sensetest.Match(want, got)
			rate := float64(n) / float64(len(want))
			t.Logf("%s: matched %d of %d tshark PDUs (%.2f%%); %d PDUs of ours not in tshark's output", tc.name, n, len(want), 100*rate, len(extra))
			sensetest.LogDiff(t, missing, extra)
			if rate < tc.want {
				t.Errorf("match rate %.4f, want >= %.4f", rate, tc.want)
			}
			if len(extra) > tc.extra {
				t.Errorf("%d extra PDUs, want <= %d", len(extra), tc.extra)
			}
		})
	}
}
