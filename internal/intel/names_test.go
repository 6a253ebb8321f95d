package intel

import "testing"

func TestMatchVendor(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"Schneider Electric", "Schneider Electric Software, LLC", true},
		{"schneider-electric", "Schneider Electric ", true},
		{"SchneiderElectric", "Schneider Electric", true},
		{"GE", "General Electric (GE)", true},
		{"Rockwell", "Rockwell Automation", true},
		{"Allen-Bradley", "Rockwell Automation", true},
		{"Dahua", "Dahua Technology Co, Ltd", true},
		{"AVTECH", "AVTECH SECURITY Corporation", true},
		{"Swarco", "SWARCO TRAFFIC SYSTEMS", true},
		{"Siemens AG", "Siemens", true},
		{"Siemens", "Schneider Electric", false},
		{"Hitachi Energy", "Hitachi", true},
		{"ABB", "Hitachi Energy", false},
		{"", "Siemens", false},
		{"Inc.", "Acme Inc.", false},
	}
	for _, tt := range tests {
		if got := matchVendor(newVendorKey(tt.a), newVendorKey(tt.b)); got != tt.want {
			t.Errorf("matchVendor(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestMatchName(t *testing.T) {
	tests := []struct {
		asset, advisory string
		series          bool // advisory name derived from a title
		want            bool
	}{
		{"SIMATIC S7-1200", "SIMATIC S7-1200 CPU family (incl. SIPLUS variants)", false, true},
		{"S7-1200", "SIMATIC S7-1200 CPU family (incl. SIPLUS variants)", false, true},
		{"S7 1200", "SIMATIC S7-1200 CPU family", false, true},
		{"SIMATIC S7-1200 CPU 1214C", "SIMATIC S7-1200 CPU family", false, true},
		{"S7-1500", "SIMATIC S7-1200 CPU family", false, false},
		{"S7", "SIMATIC S7-1200 CPU family", false, false},
		{"S7-1500", "SIMATIC S7-1500 Software Controller", false, false},
		{"S7-1500 Software Controller", "SIMATIC S7-1500 Software Controller", false, true},
		{"Modicon", "Modicon M340", false, false},
		{"Modicon", "Modicon Premium", false, false},
		{"Modicon Premium", "Modicon Premium", false, true},
		{"M340", "Modicon M340 CPU (part numbers BMXP34*)", false, true},
		{"BMXP342020", "Modicon M340 CPU (part numbers BMXP34*)", false, true},
		{"BMEP582040S", "Modicon M580 CPU Safety (part numbers BMEP58*S and BMEH58*S)", false, true},
		{"BMEP582040", "Modicon M580 CPU Safety (part numbers BMEP58*S and BMEH58*S)", false, false},
		{"Vision350", "Vision 350", false, true},
		{"Vision350", "Vision 230", false, false},
		{"Vision 230", "Vision 230", false, true},
		{"Vision350", "Vision", true, true},
		{"Vision 350", "Vision", true, true},
		{"Visionary 3", "Vision", true, false},
		{"Vision350", "Vision Series", false, true},
		{"SD9 radio", "SD series radio", false, true},
		{"DS-2CD2142FWD-I", "DS-2CD2xx2FWD Series", false, true},
		{"DS-2CD2143FWD-I", "DS-2CD2xx2FWD Series", false, false},
		{"DH-IPC-HDW1230", "DH-IPC-HDW1XXX,", false, true},
		{"X80 RTU", "Modicon X80 RTU (BMXNOR0200H)", false, true},
		{"BMXNOR0200H", "Modicon X80 RTU (BMXNOR0200H)", false, true},
		{"Micro850", "PLC - Micro850/870 (2080 -L50E/2080 -L70E)", false, true},
		{"Micro870", "PLC - Micro850/870 (2080 -L50E/2080 -L70E)", false, true},
		{"2080-L70E", "PLC - Micro850/870 (2080 -L50E/2080 -L70E)", false, true},
		{"Micro820", "PLC - Micro850/870 (2080 -L50E/2080 -L70E)", false, false},
		{"AirLink GX450", "Airlink Router (ES450, GX450) running ALEOS software", false, true},
		{"AirLink RV50", "Airlink Router (MP70, RV50, RV50x, RV55, LX 40, LX60) running ALEOS software", false, true},
		{"AirLink RV51", "Airlink Router (MP70, RV50, RV50x, RV55, LX 40, LX60) running ALEOS software", false, false},
		{"MicroLogix 1400 1766-L32BXB", "1766-L32BXB Series A and B", false, true},
		{"1766-L32BXBA", "1766-L32BXB Series A and B", false, false},
		{"RTU500", "RTU500 series CMU Firmware", false, true},
		{"RTU560", "RTU500 series CMU Firmware", false, false},
		{"", "Niagara", false, false},
		{"Niagara 4", "Niagara", false, true},
		{"Niagara", "Niagara Enterprise Security", false, false},
	}
	for _, tt := range tests {
		v := newVendorKey("")
		matched := false
		for _, a := range aliases(tt.advisory) {
			k := newNameKey(a, v, tt.series)
			if matchName(tokens(tt.asset, productStop), &k) {
				matched = true
			}
		}
		if matched != tt.want {
			t.Errorf("asset %q vs advisory %q: matched=%v, want %v", tt.asset, tt.advisory, matched, tt.want)
		}
	}
}

func TestTitleLines(t *testing.T) {
	got := titleLines("Unitronics Vision and Samba Series (Update A)", newVendorKey("Unitronics"))
	if len(got) != 2 || got[0] != "Unitronics Vision" || got[1] != "Samba Series" {
		t.Errorf("titleLines = %q", got)
	}
}
