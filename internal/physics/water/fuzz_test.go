package water

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// buildFuzzNet turns bytes into a small, syntactically valid network with
// pipes, pumps, every valve kind, a tank, controls and a rule, so that the
// solver (not the parser) meets odd but legal inputs.
func buildFuzzNet(data []byte) string {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	nj := 2 + next()%6
	var b strings.Builder
	b.WriteString("[JUNCTIONS]\n")
	for i := 0; i < nj; i++ {
		fmt.Fprintf(&b, " J%d %d %d\n", i, next()%50, next()%100-20)
	}
	b.WriteString("[RESERVOIRS]\n R 100\n[TANKS]\n")
	fmt.Fprintf(&b, " T %d %d 0 %d %d\n", next()%60, next()%10, 10+next()%10, 1+next()%40)
	b.WriteString("[CURVES]\n C1 0 120 500 100 1000 50\n C2 100 80\n G 0 0 100 5 1000 50\n")
	b.WriteString("[PIPES]\n")
	fmt.Fprintf(&b, " P0 R J0 100 12 100\n")
	kinds := []string{"PRV", "PSV", "PBV", "FCV", "TCV", "GPV"}
	var pumps, valves strings.Builder
	for k := 1; k < nj+next()%5; k++ {
		a, c := next()%nj, next()%(nj+1)
		to := fmt.Sprintf("J%d", c)
		if c == nj {
			to = "T"
		}
		if to == fmt.Sprintf("J%d", a) {
			continue
		}
		switch next() % 6 {
		case 0:
			fmt.Fprintf(&pumps, " L%d J%d %s HEAD C%d\n", k, a, to, 1+next()%2)
		case 1:
			v := kinds[next()%len(kinds)]
			set := fmt.Sprint(next() % 80)
			if v == "GPV" {
				set = "G"
			}
			fmt.Fprintf(&valves, " L%d J%d %s 8 %s %s\n", k, a, to, v, set)
		default:
			cv := ""
			if next()%5 == 0 {
				cv = " 0 CV"
			}
			fmt.Fprintf(&b, " L%d J%d %s %d %d %d%s\n", k, a, to, 1+next()*10, 2+next()%20, 50+next()%100, cv)
		}
	}
	fmt.Fprintf(&b, "[PUMPS]\n%s[VALVES]\n%s", pumps.String(), valves.String())
	fmt.Fprintf(&b, "[CONTROLS]\n LINK P0 CLOSED IF NODE T ABOVE %d\n LINK P0 OPEN AT TIME %d\n", next()%20, next()%6)
	fmt.Fprintf(&b, "[RULES]\nRULE r\nIF TANK T LEVEL BELOW %d\nTHEN PIPE P0 STATUS IS OPEN\n", next()%20)
	if next()%2 == 0 {
		fmt.Fprintf(&b, "[LEAKAGE]\n P0 %d %d\n", next()%100, next()%5)
	}
	fmt.Fprintf(&b, "[OPTIONS]\n Headloss %s\n", []string{"H-W", "D-W", "C-M"}[next()%3])
	if next()%3 == 0 {
		b.WriteString(" Demand Model PDA\n Required Pressure 20\n")
	}
	fmt.Fprintf(&b, " Quality %s\n", []string{"NONE", "AGE", "Chlorine mg/L", "TRACE R"}[next()%4])
	fmt.Fprintf(&b, "[TIMES]\n Duration %d\n Hydraulic Timestep 0:%02d\n", next()%7, 5+next()%55)
	return b.String()
}

func FuzzRun(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{3, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
	f.Add([]byte("valves and pumps and tanks, oh my"))
	f.Add([]byte{5, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 9, 9, 200, 7, 7, 1, 1, 1, 1, 1, 1, 1, 1, 0, 2, 1, 3, 1, 4, 1, 5})
	f.Fuzz(func(t *testing.T, data []byte) {
		inp := buildFuzzNet(data)
		net, err := Parse("fuzz.inp", strings.NewReader(inp))
		if err != nil {
			return // e.g. a node left unconnected: a clean input error
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		res, err := Run(ctx, net)
		if err == context.DeadlineExceeded {
			t.Fatalf("run did not finish:\n%s", inp)
		}
		if err == nil && len(res.Periods) == 0 {
			t.Fatalf("no periods:\n%s", inp)
		}
	})
}
