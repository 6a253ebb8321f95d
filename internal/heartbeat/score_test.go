package heartbeat

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/citadel-city/citadel/internal/diag"
)

func b(s string) []bool {
	out := make([]bool, len(s))
	for i, c := range s {
		out[i] = c == '1'
	}
	return out
}

func labs(s string) []int8 {
	out := make([]int8, len(s))
	for i, c := range s {
		switch c {
		case '1':
			out[i] = Attack
		case '0':
			out[i] = Normal
		default:
			out[i] = Unlabelled
		}
	}
	return out
}

// TestEvaluateHandComputed checks the BATADAL formula on examples worked
// out by hand.
func TestEvaluateHandComputed(t *testing.T) {
	tests := []struct {
		name   string
		labels string
		alarms string
		ids    []int
		want   Metrics
		ttd    []int
	}{
		{
			// Attack 1 rows 2–5 (Δt 4), first alarm at row 4: TTD 2, share 0.5.
			// Attack 2 rows 8–9 (Δt 2), never alarmed: TTD 2, share 1.
			// S_TTD = 1 − (0.5+1)/2 = 0.25. TP 2, FN 4, FP 1, TN 4.
			// TPR 1/3, TNR 4/5, S_CLF = (1/3+4/5)/2 = 17/30.
			// S = 0.5·0.25 + 0.5·17/30 = 0.125 + 17/60.
			name:   "partial",
			labels: "00111100110",
			alarms: "01001100000",
			want: Metrics{S: 0.125 + 17.0/60, STTD: 0.25, SCLF: 17.0 / 30, TPR: 1.0 / 3, TNR: 0.8,
				Precision: 2.0 / 3, F1: 4.0 / 9, TP: 2, FN: 4, FP: 1, TN: 4},
			ttd: []int{2, 2},
		},
		{
			name:   "perfect",
			labels: "0011100",
			alarms: "0011100",
			want:   Metrics{S: 1, STTD: 1, SCLF: 1, TPR: 1, TNR: 1, Precision: 1, F1: 1, TP: 3, TN: 4},
			ttd:    []int{0},
		},
		{
			// Everything alarmed: TTD 0 everywhere, TPR 1, TNR 0.
			name:   "always",
			labels: "0110",
			alarms: "1111",
			want:   Metrics{S: 0.75, STTD: 1, SCLF: 0.5, TPR: 1, TNR: 0, Precision: 0.5, F1: 2.0 / 3, TP: 2, FP: 2},
			ttd:    []int{0},
		},
		{
			// Two adjacent attacks told apart by id; an unlabelled row is
			// left out. Attack 7 rows 1–2 detected at row 2 (TTD 1, share
			// 0.5); attack 9 rows 3–5 detected at row 3 (TTD 0).
			// S_TTD = 1 − 0.25 = 0.75; TP 3 FN 2 TN 1 FP 0; TPR 0.6 TNR 1.
			name:   "ids and unlabelled",
			labels: "011111x",
			alarms: "0011101",
			ids:    []int{0, 7, 7, 9, 9, 9, 0},
			want: Metrics{S: 0.5*0.75 + 0.5*0.8, STTD: 0.75, SCLF: 0.8, TPR: 0.6, TNR: 1, Precision: 1, F1: 0.75,
				TP: 3, FN: 2, TN: 1},
			ttd: []int{1, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Evaluate(b(tt.alarms), labs(tt.labels), tt.ids, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"S", m.S, tt.want.S}, {"S_TTD", m.STTD, tt.want.STTD}, {"S_CLF", m.SCLF, tt.want.SCLF},
				{"TPR", m.TPR, tt.want.TPR}, {"TNR", m.TNR, tt.want.TNR}, {"precision", m.Precision, tt.want.Precision}, {"F1", m.F1, tt.want.F1}} {
				if math.Abs(c.got-c.want) > 1e-12 {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			if m.TP != tt.want.TP || m.FP != tt.want.FP || m.TN != tt.want.TN || m.FN != tt.want.FN {
				t.Errorf("confusion TP %d FP %d TN %d FN %d, want %d %d %d %d", m.TP, m.FP, m.TN, m.FN, tt.want.TP, tt.want.FP, tt.want.TN, tt.want.FN)
			}
			if len(m.Attacks) != len(tt.ttd) {
				t.Fatalf("%d attacks, want %d", len(m.Attacks), len(tt.ttd))
			}
			for i, a := range m.Attacks {
				if a.TTD != tt.ttd[i] {
					t.Errorf("attack %d TTD %d, want %d", i, a.TTD, tt.ttd[i])
				}
			}
		})
	}
	if _, err := Evaluate(b("000"), labs("000"), nil, nil); err == nil {
		t.Error("no attack: want an error, S_TTD is undefined")
	}
	if _, err := Evaluate(b("011"), labs("x11"), nil, nil); err == nil {
		t.Error("no normal row: want an error, TNR is undefined")
	}
}

func TestScoreFiles(t *testing.T) {
	dir := t.TempDir()
	sc := filepath.Join(dir, "scores.csv")
	lb := filepath.Join(dir, "labels.csv")
	write := func(p, s string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(sc, "DATETIME,score,alarm,explain\n01/01/16 00,0.1,0,\n01/01/16 01,2.5,1,\"physics 2.5x: a, b\"\n01/01/16 02,0.2,0,\n")
	write(lb, "DATETIME,ATT_FLAG\n01/01/16 00,0\n01/01/16 01,1\n01/01/16 02,1\n")
	m, err := ScoreFiles(sc, lb, "")
	if err != nil {
		t.Fatal(err)
	}
	// One attack of 2 rows detected at once: S_TTD 1; TPR 0.5, TNR 1.
	if m.STTD != 1 || m.TPR != 0.5 || m.TNR != 1 || m.S != 0.5+0.5*0.75 {
		t.Errorf("got %+v", m)
	}
	write(lb, "DATETIME,ATT_FLAG\n01/01/16 00,0\n01/01/16 03,1\n")
	_, err = ScoreFiles(sc, lb, "")
	if !diag.IsBadInput(err) || !strings.Contains(err.Error(), "labels.csv:3") {
		t.Errorf("missing score row: got %v, want a bad-input error at labels.csv:3", err)
	}
}
