package model

import (
	"bytes"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/diag"
	"github.com/google/go-cmp/cmp"
)

func TestGoodModels(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.good.yaml")
	files = append(files, "../../examples/sample-city.yaml")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := Load(f)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if len(c.Assets) == 0 || len(c.Targets) == 0 {
				t.Fatalf("loaded an empty model")
			}
		})
	}
}

// TestMistakes checks that every mistake of a model is reported in one run,
// each with its line, column, field and hint.
func TestMistakes(t *testing.T) {
	_, err := Load("testdata/mistakes.bad.yaml")
	if err == nil {
		t.Fatal("Load accepted a broken model")
	}
	if !diag.IsBadInput(err) {
		t.Fatalf("error is not bad input: %T", err)
	}
	want := []string{
		"testdata/mistakes.bad.yaml:3:34: zones[0].sl_t: SL-T 7 out of range (hint: IEC 62443 security levels are 1 to 4 (0: not assigned))",
		"testdata/mistakes.bad.yaml:4:10: zones[1].id: duplicate id \"corp\" (hint: first defined at line 3; ids must be unique)",
		"testdata/mistakes.bad.yaml:5:25: zones[2].sector: unknown sector \"watr\" (hint: did you mean \"water\"?)",
		"testdata/mistakes.bad.yaml:7:30: conduits[0].to: unknown zone \"plnt\" (hint: did you mean \"plant\"?)",
		"testdata/mistakes.bad.yaml:7:49: conduits[0].enforcement: unknown enforcement \"firewal\" (hint: did you mean \"firewall\"?)",
		"testdata/mistakes.bad.yaml:11:47: templates[0].services[0].protocol: unknown protocol \"modbuss\" (hint: did you mean \"modbus\"?)",
		"testdata/mistakes.bad.yaml:13:5: assets[0].zones: the asset is in no zone (hint: list the zones it is a member of)",
		"testdata/mistakes.bad.yaml:15:5: assets[0].zone: unknown field \"zone\" (hint: did you mean \"zones\"?)",
		"testdata/mistakes.bad.yaml:16:25: assets[1].template: unknown template \"t2\" (hint: did you mean \"t1\"?)",
		"testdata/mistakes.bad.yaml:16:67: assets[1].physical.controls[0]: unknown element \"pump2\" (hint: did you mean \"pump1\"?)",
		"testdata/mistakes.bad.yaml:17:49: assets[2].count: negative count (hint: a fleet has count 1 or more)",
		"testdata/mistakes.bad.yaml:17:60: assets[2].cves[0]: bad CVE id \"CVE-23-1\" (hint: write CVE-YYYY-NNNN)",
		"testdata/mistakes.bad.yaml:19:41: entry_points[0].assets[0]: unknown asset \"nosuch\" (hint: define the asset first, or fix the id)",
		"testdata/mistakes.bad.yaml:20:5: entry_points[1]: the entry point leads nowhere (hint: list the zones it gives access to or the assets it exposes)",
		"testdata/mistakes.bad.yaml:20:5: entry_points[1].assets: a phishing entry needs the assets whose users can be phished (hint: list workstations under 'assets')",
		"testdata/mistakes.bad.yaml:22:5: targets[0].loss: missing loss (what is lost, in words)",
		"testdata/mistakes.bad.yaml:22:64: targets[0].require: unknown require \"most\" (hint: one of: any, all)",
	}
	got := strings.Split(err.Error(), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diagnostics (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "m.yaml:1:1: the model is empty"},
		{"syntax", "zones: [\n  - {id: a\n", "m.yaml:"},
		{"scalar root", "42\n", "m.yaml:1:1: expected a mapping of fields, found \"42\""},
		{"wrong type", "zones: {id: a}\n", "m.yaml:1:8: zones: expected a list, found a mapping"},
		{"bad int", "zones: [{id: a, sector: it, sl_t: high}]\n", "m.yaml:1:35: zones[0].sl_t: expected an integer, found \"high\""},
		{"two documents", "name: a\n---\nname: b\n", "a model file holds one YAML document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("m.yaml", []byte(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
			if !diag.IsBadInput(err) {
				t.Fatalf("not bad input: %v", err)
			}
		})
	}
}

func TestTemplatesAndDefaults(t *testing.T) {
	c, err := Parse("m.yaml", []byte(`
zones: [{id: z, sector: water}]
templates: [{id: t, kind: plc, vendor: V, product: P, auth: default-credentials, services: [{protocol: modbus}]}]
assets:
  - {id: a, template: t, zones: [z]}
  - {id: b, template: t, vendor: W, auth: mfa, zones: [z], count: 5}
entry_points: [{id: e, kind: physical, zones: [z]}]
elements: [{id: el, kind: pump, sector: water}]
targets: [{id: x, sector: water, loss: l, elements: [el]}]
`))
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Assets[0], c.Assets[1]
	if a.Kind != "plc" || a.Vendor != "V" || a.Auth != AuthDefault || a.Count != 1 || len(a.Services) != 1 || a.Criticality != "medium" {
		t.Errorf("asset a did not inherit: %+v", a)
	}
	if b.Vendor != "W" || b.Auth != AuthMFA || b.Count != 5 || b.Product != "P" {
		t.Errorf("asset b fields should win over the template: %+v", b)
	}
	if tg := c.Targets[0]; tg.Require != RequireAny || tg.Via != ViaControl || tg.Criticality != "high" {
		t.Errorf("target defaults: %+v", tg)
	}
}

// TestSampleShipped checks that examples/sample-city.yaml is the embedded city.
func TestSampleShipped(t *testing.T) {
	ex, err := os.ReadFile("../../examples/sample-city.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ex, SampleYAML()) {
		t.Fatal("examples/sample-city.yaml differs from internal/model/sample/city.yaml: copy one over the other")
	}
	c := Sample()
	sectors := map[Sector]bool{}
	for _, tg := range c.Targets {
		sectors[tg.Sector] = true
	}
	for _, s := range []Sector{"traffic", "energy", "public-safety", "water"} {
		if !sectors[s] {
			t.Errorf("the sample city has no %s target", s)
		}
	}
}

// TestSchemaUpToDate checks docs/city.schema.json against the Go types.
func TestSchemaUpToDate(t *testing.T) {
	want, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../docs/city.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/city.schema.json is stale: run 'go run ./cmd/citadel schema > docs/city.schema.json'")
	}
}

func TestGenerateLoads(t *testing.T) {
	for _, n := range []int{1, 45000, 90000} {
		var buf bytes.Buffer
		if err := Generate(&buf, GenerateOptions{Devices: n, Seed: 7}); err != nil {
			t.Fatal(err)
		}
		c, err := Parse("gen.yaml", buf.Bytes())
		if err != nil {
			t.Fatalf("generated city of %d devices does not load: %v", n, err)
		}
		devices := 0
		for _, a := range c.Assets {
			devices += a.Count
		}
		if n > 10000 && (devices < n*9/10 || devices > n*11/10) {
			t.Errorf("asked for %d devices, got %d", n, devices)
		}
		var again bytes.Buffer
		Generate(&again, GenerateOptions{Devices: n, Seed: 7})
		if !bytes.Equal(buf.Bytes(), again.Bytes()) {
			t.Errorf("the same seed gave two different cities")
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add(SampleYAML())
	for _, p := range []string{"testdata/minimal.good.yaml", "testdata/mistakes.bad.yaml"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("zones: [{id: a, sector: it}]\nassets: *x\n"))
	f.Add([]byte("a: &x [*x]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if err != nil {
			if !diag.IsBadInput(err) {
				t.Fatalf("error is not bad input: %v", err)
			}
			if c != nil {
				t.Fatal("a partial model was returned with an error")
			}
			return
		}
		if c == nil {
			t.Fatal("no model and no error")
		}
	})
}

// TestDocExample keeps the annotated example in docs/model.md valid.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../../docs/model.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i := strings.Index(s, "```yaml\n")
	if i < 0 {
		t.Fatal("docs/model.md has no yaml example")
	}
	s = s[i+len("```yaml\n"):]
	s = s[:strings.Index(s, "```\n")]
	if _, err := Parse("docs/model.md example", []byte(s)); err != nil {
		t.Fatalf("the example in docs/model.md is invalid: %v", err)
	}
}

func TestAddresses(t *testing.T) {
	src := `
zones: [{id: z, sector: water}]
assets:
  - {id: plc, kind: plc, zones: [z], addresses: [10.0.0.5, "fd00::5"]}
  - {id: meters, kind: smart-meter, zones: [z], count: 500, addresses: [10.8.0.0/16]}
  - {id: rtus, kind: rtu, zones: [z], addresses: [10.8.3.0/24, 10.0.0.5, nonsense]}
entry_points: [{id: e, kind: physical, zones: [z]}]
elements: [{id: el, kind: pump, sector: water}]
targets: [{id: x, sector: water, loss: l, elements: [el]}]
`
	_, err := Parse("a.yaml", []byte(src))
	if err == nil || !strings.Contains(err.Error(), `a.yaml:6:64: assets[2].addresses[1]: address 10.0.0.5 already belongs to asset "plc"`) ||
		!strings.Contains(err.Error(), `assets[2].addresses[2]: bad address "nonsense"`) {
		t.Fatalf("error %v", err)
	}
	c, err := Parse("a.yaml", []byte(strings.Replace(src, ", 10.0.0.5, nonsense", "", 1)))
	if err != nil {
		t.Fatal(err)
	}
	book := c.AddressBook()
	for addr, want := range map[string]string{"10.0.0.5": "plc", "fd00::5": "plc", "::ffff:10.0.0.5": "plc", "10.8.3.9": "rtus", "10.8.200.1": "meters", "192.0.2.1": ""} {
		got, ok := book.Lookup(netip.MustParseAddr(addr))
		if got != want || ok != (want != "") {
			t.Errorf("Lookup(%s) = %q, %v; want %q", addr, got, ok, want)
		}
	}
}
