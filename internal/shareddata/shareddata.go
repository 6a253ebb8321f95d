// Package shareddata finds the public reference data sets that tests compare
// against. They live in ../shared/data beside the repository (or wherever
// CITADEL_SHARED_DATA points) and are never copied into the repository.
//
// Outside CI a test whose data is missing is skipped with a message naming
// what is missing; under CI=true it fails.
package shareddata

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Root returns the directory of the shared data sets, or "" when it is not
// found. CITADEL_SHARED_DATA overrides the default ../shared/data relative
// to the repository root.
func Root() string {
	if d := os.Getenv("CITADEL_SHARED_DATA"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return ""
	}
	// file is <repo>/internal/shareddata/shareddata.go.
	repo := filepath.Dir(filepath.Dir(filepath.Dir(file)))
	d := filepath.Join(filepath.Dir(repo), "shared", "data")
	if _, err := os.Stat(d); err != nil {
		return ""
	}
	return d
}

// Path returns the path of rel below the shared data root. When it does not
// exist the test is skipped, or fails under CI=true.
func Path(tb testing.TB, rel ...string) string {
	tb.Helper()
	root := Root()
	p := filepath.Join(append([]string{root}, rel...)...)
	if root == "" {
		missing(tb, "the shared data directory ../shared/data (set CITADEL_SHARED_DATA)")
		return ""
	}
	if _, err := os.Stat(p); err != nil {
		missing(tb, p)
		return ""
	}
	return p
}

func missing(tb testing.TB, what string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("reference data missing: %s (required under CI=true)", what)
	}
	tb.Skipf("reference data missing: %s; skipping", what)
}
