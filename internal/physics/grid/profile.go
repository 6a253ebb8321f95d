package grid

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
)

// maxProfilePoints bounds a load profile read from a file.
const maxProfilePoints = 1 << 20

// ReadLoadProfileFile reads a load profile (see ReadLoadProfile) from a
// file; a missing file is a bad-input error.
func ReadLoadProfileFile(path string) (LoadProfile, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, diag.Errorf("profile %s not found", path)
	}
	if err != nil {
		return nil, fmt.Errorf("open profile: %w", err)
	}
	defer f.Close()
	return ReadLoadProfile(path, f)
}

// ReadLoadProfile reads a load disturbance profile from CSV: a header
// line, then rows "t_s,mw" (seconds, MW added to the load; negative for
// load removed) with strictly increasing times. Between points the profile
// is linear; before the first and after the last it holds their values.
// file names the input in diagnostics.
func ReadLoadProfile(file string, r io.Reader) (LoadProfile, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var ts, mws []float64
	line := 0
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		if line == 1 || (len(ts) == 0 && !startsNumeric(text)) {
			continue // header
		}
		fields := strings.Split(text, ",")
		if len(fields) != 2 {
			return nil, &diag.Diagnostic{File: file, Line: line, Msg: fmt.Sprintf("want 2 columns (t_s,mw), found %d", len(fields))}
		}
		t, err1 := strconv.ParseFloat(strings.TrimSpace(fields[0]), 64)
		mw, err2 := strconv.ParseFloat(strings.TrimSpace(fields[1]), 64)
		if err1 != nil || err2 != nil || math.IsNaN(t) || math.IsInf(t, 0) || math.IsNaN(mw) || math.IsInf(mw, 0) {
			return nil, &diag.Diagnostic{File: file, Line: line, Msg: fmt.Sprintf("%q is not two finite numbers", text)}
		}
		if len(ts) > 0 && t <= ts[len(ts)-1] {
			return nil, &diag.Diagnostic{File: file, Line: line, Msg: fmt.Sprintf("time %v s does not increase (previous %v s)", t, ts[len(ts)-1])}
		}
		if len(ts) == maxProfilePoints {
			return nil, &diag.Diagnostic{File: file, Line: line, Msg: fmt.Sprintf("more than %d points", maxProfilePoints)}
		}
		ts, mws = append(ts, t), append(mws, mw)
	}
	if err := sc.Err(); err != nil {
		return nil, &diag.Diagnostic{File: file, Line: line + 1, Msg: err.Error()}
	}
	if len(ts) == 0 {
		return nil, &diag.Diagnostic{File: file, Msg: "the profile has no data rows (want t_s,mw rows after a header)"}
	}
	return func(t float64) float64 {
		k := sort.SearchFloat64s(ts, t)
		switch {
		case k == 0:
			return mws[0]
		case k == len(ts):
			return mws[len(ts)-1]
		case ts[k] == t:
			return mws[k]
		}
		a := (t - ts[k-1]) / (ts[k] - ts[k-1])
		v := mws[k-1] + a*(mws[k]-mws[k-1])
		if math.IsNaN(v) || math.IsInf(v, 0) { // overflow with extreme inputs
			return mws[k-1]
		}
		return v
	}, nil
}

func startsNumeric(s string) bool {
	c := s[0]
	return c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')
}
