// Package sensetest holds helpers shared by the sensor's tests: reading Zeek
// TSV logs, comparing their rows as multisets and feeding an in-memory
// capture to an engine.
package sensetest

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/capture"
	"github.com/citadel-city/citadel/internal/sense"
)

// Log is a parsed Zeek TSV log: field names and rows.
type Log struct {
	Fields []string
	Rows   [][]string
}

// ReadLog reads the Zeek TSV log at path. header names the fields of a log
// without a #fields line; a #fields line overrides it.
func ReadLog(t testing.TB, path string, header []string) Log {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l := Log{Fields: header}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#fields\t") {
			l.Fields = strings.Split(line, "\t")[1:]
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		l.Rows = append(l.Rows, strings.Split(line, "\t"))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return l
}

// Project returns the rows that keep accepts (every row when keep is nil),
// each reduced to the given fields joined by tabs. It fails the test when a
// row has no such field.
func (l Log) Project(t testing.TB, fields []string, keep func(row map[string]string) bool) []string {
	t.Helper()
	idx := make(map[string]int, len(l.Fields))
	for i, f := range l.Fields {
		idx[f] = i
	}
	out := make([]string, 0, len(l.Rows))
	for _, r := range l.Rows {
		if keep != nil {
			m := make(map[string]string, len(idx))
			for f, i := range idx {
				if i < len(r) {
					m[f] = r[i]
				}
			}
			if !keep(m) {
				continue
			}
		}
		vals := make([]string, len(fields))
		for i, f := range fields {
			j, ok := idx[f]
			if !ok || j >= len(r) {
				t.Fatalf("log has no field %q in row %q (fields %v)", f, r, l.Fields)
			}
			vals[i] = r[j]
		}
		out = append(out, strings.Join(vals, "\t"))
	}
	return out
}

// Match counts the reference rows found in got, both taken as multisets,
// and returns the unmatched rows of each side.
func Match(ref, got []string) (n int, missing, extra []string) {
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

// LogDiff logs the first ten rows of missing and of extra.
func LogDiff(t testing.TB, missing, extra []string) {
	t.Helper()
	for _, m := range missing[:min(len(missing), 10)] {
		t.Logf("missing: %s", m)
	}
	for _, e := range extra[:min(len(extra), 10)] {
		t.Logf("extra:   %s", e)
	}
}

// Feed runs the pcap held in data through eng packet by packet and
// finishes the engine.
func Feed(t testing.TB, data []byte, eng *sense.Engine) {
	t.Helper()
	r, err := capture.NewReader(bytes.NewReader(data), "bench")
	if err != nil {
		t.Fatal(err)
	}
	var p capture.Packet
	for {
		if err := r.Next(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		eng.Packet(&p)
	}
	eng.Finish()
}
