// Package heartbeat detects anomalies in a city's physical process values:
// tank levels, pump and valve flows and states, junction pressures, read
// hourly from a SCADA historian (the wide BATADAL layout) or, one row at a
// time, from a live feed.
//
// It learns the process from attack-free data and flags readings that break
// what it learned: per-signal envelopes conditioned on the operating mode
// (envelope), slow drifts (cusum), broken correlations between signals (pca)
// and broken physical relations such as a tank's mass balance or a pump's
// status against its flow and head (physics). Each kind is a Detector in a
// registry; an Ensemble fuses them with thresholds calibrated on held-out
// attack-free data to a chosen false-alarm rate, applies alarm persistence,
// and explains every alarm.
//
// Every detector is a streaming one: a Scorer consumes one row at a time
// with O(1) state per signal, and batch detection is a loop over the rows.
//
// Score computes the BATADAL metrics (Taormina et al., J. Water Resour.
// Plann. Manage. 144(8), 2018): S = γ·S_TTD + (1−γ)·S_CLF with γ = 0.5.
package heartbeat
