package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/shareddata"
)

// TestDrift regenerates the technique table in memory and fails if the
// committed internal/intel/techniques_gen.go differs.
func TestDrift(t *testing.T) {
	dir := shareddata.Path(t, "intel", "attack")
	got, err := Generate(dir)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadFile(filepath.Join("..", "..", "techniques_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, committed) {
		t.Fatalf("internal/intel/techniques_gen.go is stale: run `go generate ./internal/intel`")
	}
	if !strings.Contains(string(got), notice) {
		t.Fatal("generated header lacks the MITRE notice")
	}
}

func TestGenerateErrors(t *testing.T) {
	dir := t.TempDir()
	for _, d := range domains {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(dir, d, "tactics.csv"), "id,name,shortname,matrix_order,url\nTA1,Initial Access,initial-access,1,u\n")
	}
	write(t, filepath.Join(dir, "ics", "techniques.csv"), "id,name,tactics,deprecated,revoked\nT0001,X,initial-access,false,false\n")
	write(t, filepath.Join(dir, "enterprise", "techniques.csv"), "id,name,tactics,deprecated,revoked\nT1001,Y,bogus,false,false\n")
	if _, err := Generate(dir); err == nil || !strings.Contains(err.Error(), `unknown tactic "bogus"`) {
		t.Fatalf("want unknown tactic error, got %v", err)
	}
	write(t, filepath.Join(dir, "enterprise", "techniques.csv"), "id,name,tactics,deprecated,revoked\nT0001,Y,initial-access,false,false\n")
	if _, err := Generate(dir); err == nil || !strings.Contains(err.Error(), "duplicate technique id T0001") {
		t.Fatalf("want duplicate error, got %v", err)
	}
	write(t, filepath.Join(dir, "enterprise", "techniques.csv"), "id,name,deprecated,revoked\nT1001,Y,false,false\n")
	if _, err := Generate(dir); err == nil || !strings.Contains(err.Error(), `missing column "tactics"`) {
		t.Fatalf("want missing column error, got %v", err)
	}
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}
