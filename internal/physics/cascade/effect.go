package cascade

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/citadel-city/citadel/internal/diag"
)

// Effect is an initial physical effect: an element out of service from At
// (after the start of the scenario) to the horizon. "Out" is whatever stops
// the element doing its job: a feeder breaker opened, pumps stopped,
// signals forced to red flash.
type Effect struct {
	Element string
	At      time.Duration
}

// String formats the effect as ELEMENT@TIME, the form ParseEffects reads.
func (e Effect) String() string { return e.Element + "@" + formatDuration(e.At) }

// ParseEffects reads a comma-separated list of ELEMENT@TIME effects, such
// as "feeder-f3@0h,booster-pumps@90m". TIME is a Go duration ("2h30m",
// "45m"), a number of hours ("1.5"), or a number of days ("2d"); it is 0
// when "@TIME" is left out. Mistakes are bad input (diag).
func ParseEffects(s string) ([]Effect, error) {
	var out []Effect
	for i, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, diag.Errorf("effect %d is empty (write ELEMENT@TIME, e.g. feeder-f3@0h)", i+1)
		}
		id, at, hasAt := strings.Cut(part, "@")
		id = strings.TrimSpace(id)
		if id == "" {
			return nil, diag.Errorf("effect %q names no element (write ELEMENT@TIME, e.g. feeder-f3@0h)", part)
		}
		var d time.Duration
		if hasAt {
			var err error
			if d, err = ParseTime(at); err != nil {
				return nil, diag.Errorf("effect %q: %v", part, err)
			}
		}
		out = append(out, Effect{Element: id, At: d})
	}
	return out, nil
}

// ParseTime reads a time offset or duration: a Go duration ("90m",
// "1h30m"), a number of hours ("1.5"), or days ("2d"). It must be finite
// and not negative.
func ParseTime(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("missing time (e.g. 0h, 90m, 2d)")
	}
	hours := math.NaN()
	switch {
	case strings.HasSuffix(s, "d"):
		if f, err := strconv.ParseFloat(strings.TrimSuffix(s, "d"), 64); err == nil {
			hours = f * 24
		}
	default:
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			hours = f
		} else if d, err := time.ParseDuration(s); err == nil {
			hours = d.Hours()
		}
	}
	switch {
	case math.IsNaN(hours):
		return 0, fmt.Errorf("bad time %q (e.g. 0h, 90m, 1.5, 2d)", s)
	case hours < 0:
		return 0, fmt.Errorf("negative time %q", s)
	case math.IsInf(hours, 0) || hours > 24*366*10:
		return 0, fmt.Errorf("time %q is beyond ten years", s)
	}
	return time.Duration(math.Round(hours * float64(time.Hour))), nil
}

func formatDuration(d time.Duration) string {
	h := d.Hours()
	if h == math.Trunc(h) {
		return strconv.FormatFloat(h, 'f', -1, 64) + "h"
	}
	return d.String()
}
