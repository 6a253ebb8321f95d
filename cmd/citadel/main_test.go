package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), exitCode(err)
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("zones: [{id: a, sector: nope}]\n"), 0o644)
	for _, tc := range []struct {
		args []string
		code int
	}{
		{[]string{"assess"}, 0},
		{[]string{"validate", "../../examples/sample-city.yaml"}, 0},
		{[]string{"validate", bad}, 2},
		{[]string{"assess", bad}, 2},
		{[]string{"assess", filepath.Join(dir, "missing.yaml")}, 2},
		{[]string{"assess", "--fix", "credentials:nosuch"}, 2},
		{[]string{"assess", "--paths", "x"}, 2},
		{[]string{"assess", "--paths", "0"}, 2},
		{[]string{"assess", "--campaigns", "-1"}, 2},
		{[]string{"nosuchcommand"}, 2},
		{[]string{"validate"}, 2},
		{[]string{"gen", "--devices", "0"}, 2},
		{[]string{"assess", "--intel", filepath.Join(dir, "nofeed")}, 2},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, stderr, code := runCLI(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tc.code, stderr)
			}
		})
	}
}

func TestAssessJSON(t *testing.T) {
	out, _, code := runCLI(t, "assess", "--json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Targets []struct {
			ID    string `json:"id"`
			Paths []any  `json:"paths"`
		} `json:"targets"`
		Fixes []struct {
			ID string `json:"id"`
		} `json:"fixes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if len(doc.Targets) == 0 || len(doc.Fixes) == 0 {
		t.Fatalf("empty report: %d targets, %d fixes", len(doc.Targets), len(doc.Fixes))
	}
}

func TestGenThenAssess(t *testing.T) {
	f := filepath.Join(t.TempDir(), "city.yaml")
	if _, _, code := runCLI(t, "gen", "--devices", "20000", "--seed", "3", "-o", f); code != 0 {
		t.Fatalf("gen exit %d", code)
	}
	dot := filepath.Join(t.TempDir(), "p.dot")
	out, stderr, code := runCLI(t, "assess", f, "--dot", dot)
	if code != 0 {
		t.Fatalf("assess exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "Citadel assessment of Synthetic city") {
		t.Errorf("unexpected report:\n%.300s", out)
	}
	if b, err := os.ReadFile(dot); err != nil || !bytes.Contains(b, []byte("digraph")) {
		t.Errorf("dot file: %v", err)
	}
}
