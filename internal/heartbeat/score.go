package heartbeat

import (
	"fmt"

	"github.com/citadel-city/citadel/internal/diag"
)

// Gamma weighs time to detection against classification in S.
const Gamma = 0.5

// Metrics are the BATADAL scores of a detector's alarms against labels.
//
//	S     = γ·S_TTD + (1−γ)·S_CLF, γ = 0.5
//	S_TTD = 1 − (1/n_a)·Σ_i TTD_i/Δt_i
//	S_CLF = (TPR + TNR)/2
//
// where attack i spans Δt_i rows (its first to its last labelled hour,
// inclusive) and TTD_i is the number of rows from its first row to the
// first alarm inside it (0 when the first attack row is alarmed), or Δt_i
// when no row of the attack is alarmed. Rows labelled -999 (unlabelled)
// are left out of the confusion matrix.
type Metrics struct {
	S         float64       `json:"S"`
	STTD      float64       `json:"S_TTD"`
	SCLF      float64       `json:"S_CLF"`
	TPR       float64       `json:"TPR"`
	TNR       float64       `json:"TNR"`
	Precision float64       `json:"precision"`
	F1        float64       `json:"F1"`
	TP        int           `json:"TP"`
	FP        int           `json:"FP"`
	TN        int           `json:"TN"`
	FN        int           `json:"FN"`
	Rows      int           `json:"rows"`
	Skipped   int           `json:"unlabelled_rows"`
	Attacks   []AttackScore `json:"attacks"`
}

// AttackScore is the detection of one attack.
type AttackScore struct {
	ID       int     `json:"id"`
	Start    string  `json:"start"`
	End      string  `json:"end"`
	Duration int     `json:"duration_rows"`
	Detected bool    `json:"detected"`
	TTD      int     `json:"ttd_rows"` // Duration when not detected
	Alarmed  int     `json:"alarmed_rows"`
	TTDShare float64 `json:"ttd_share"` // TTD/Duration
}

// Evaluate computes the metrics of alarms (one per label row, true =
// alarm) against labels (Attack, Normal or Unlabelled). ids, when not nil,
// separates adjacent attacks: a run of attack rows ends where the id
// changes. stamps names rows in the per-attack report.
func Evaluate(alarms []bool, labels []int8, ids []int, stamps []string) (*Metrics, error) {
	if len(alarms) != len(labels) || (ids != nil && len(ids) != len(labels)) || (stamps != nil && len(stamps) != len(labels)) {
		return nil, fmt.Errorf("evaluate: %d alarms for %d labels", len(alarms), len(labels))
	}
	m := &Metrics{Rows: len(labels)}
	var cur *AttackScore
	for r, l := range labels {
		a := alarms[r]
		switch l {
		case Attack:
			if a {
				m.TP++
			} else {
				m.FN++
			}
		case Normal:
			if a {
				m.FP++
			} else {
				m.TN++
			}
		default:
			m.Skipped++
		}
		newRun := l == Attack && (cur == nil || (ids != nil && r > 0 && ids[r] != ids[r-1]))
		if l != Attack {
			cur = nil
		}
		if newRun {
			m.Attacks = append(m.Attacks, AttackScore{ID: len(m.Attacks) + 1})
			cur = &m.Attacks[len(m.Attacks)-1]
			if ids != nil && ids[r] > 0 {
				cur.ID = ids[r]
			}
			if stamps != nil {
				cur.Start = stamps[r]
			}
		}
		if cur != nil {
			if a && !cur.Detected {
				cur.Detected, cur.TTD = true, cur.Duration
			}
			if a {
				cur.Alarmed++
			}
			cur.Duration++
			if stamps != nil {
				cur.End = stamps[r]
			}
		}
	}
	sum := 0.0
	for i := range m.Attacks {
		a := &m.Attacks[i]
		if !a.Detected {
			a.TTD = a.Duration
		}
		a.TTDShare = float64(a.TTD) / float64(a.Duration)
		sum += a.TTDShare
	}
	m.TPR = ratio(m.TP, m.TP+m.FN)
	m.TNR = ratio(m.TN, m.TN+m.FP)
	m.Precision = ratio(m.TP, m.TP+m.FP)
	if m.Precision+m.TPR > 0 {
		m.F1 = 2 * m.Precision * m.TPR / (m.Precision + m.TPR)
	}
	m.SCLF = (m.TPR + m.TNR) / 2
	if len(m.Attacks) == 0 {
		return nil, fmt.Errorf("evaluate: the labels contain no attack, so S_TTD is undefined")
	}
	if m.TN+m.FP == 0 {
		return nil, fmt.Errorf("evaluate: the labels contain no normal (0) row, so TNR is undefined; use fully labelled data such as BATADAL_dataset04_full_labels.csv")
	}
	m.STTD = 1 - sum/float64(len(m.Attacks))
	m.S = Gamma*m.STTD + (1-Gamma)*m.SCLF
	return m, nil
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

// ScoreFiles evaluates a scores file written by detect against a labels
// file: every labelled timestamp must have a score row. labelColumn names
// the label column (ATT_FLAG by default); a column attack_id, when
// present, separates adjacent attacks.
func ScoreFiles(scoresPath, labelsPath, labelColumn string) (*Metrics, error) {
	if labelColumn == "" {
		labelColumn = "ATT_FLAG"
	}
	sc, err := ReadFile(scoresPath, ReadOptions{IgnoreColumns: []string{"explain"}})
	if err != nil {
		return nil, err
	}
	ai := -1
	for i, s := range sc.Signals {
		if s == "alarm" {
			ai = i
		}
	}
	if ai < 0 {
		return nil, &diag.Diagnostic{File: scoresPath, Line: 1, Msg: "no alarm column", Hint: "use a file written by citadel heartbeat detect"}
	}
	lt, err := ReadFile(labelsPath, ReadOptions{LabelColumn: labelColumn, LabelsOnly: true})
	if err != nil {
		return nil, err
	}
	byStamp := make(map[string]bool, len(sc.Stamps))
	byTime := make(map[int64]bool, len(sc.Stamps))
	for r, s := range sc.Stamps {
		v := sc.X[r][ai]
		if v != 0 && v != 1 {
			return nil, &diag.Diagnostic{File: scoresPath, Line: sc.Lines[r], Field: "alarm", Msg: fmt.Sprintf("alarm %g is not 0 or 1", v)}
		}
		byStamp[s] = v == 1
		byTime[sc.Times[r].Unix()] = v == 1
	}
	idc := -1
	for i, s := range lt.Signals {
		if s == "attack_id" {
			idc = i
		}
	}
	alarms := make([]bool, len(lt.Stamps))
	var ids []int
	if idc >= 0 {
		ids = make([]int, len(lt.Stamps))
	}
	for r, s := range lt.Stamps {
		a, ok := byStamp[s]
		if !ok {
			a, ok = byTime[lt.Times[r].Unix()]
		}
		if !ok {
			return nil, &diag.Diagnostic{File: labelsPath, Line: lt.Lines[r], Field: "DATETIME", Msg: fmt.Sprintf("no score for %s in %s", s, scoresPath), Hint: "score the same data the labels describe"}
		}
		alarms[r] = a
		if ids != nil {
			ids[r] = int(lt.X[r][idc])
		}
	}
	m, err := Evaluate(alarms, lt.Labels, ids, lt.Stamps)
	if err != nil {
		return nil, diag.Errorf("%s: %v", labelsPath, err)
	}
	return m, nil
}
