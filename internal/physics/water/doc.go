// Package water is Citadel's physical twin of a drinking-water network: it
// reads EPANET .inp files and computes what EPANET 2.2/2.3 computes — the
// Global Gradient Algorithm of Todini and Pilati for heads and flows, with
// EPANET's headloss formulas, pump curves, valve and check-valve status
// logic, tanks, demand patterns, emitters, pressure-driven demand and simple
// and rule-based controls — over an extended period with EPANET's
// time-step logic (hydraulic, pattern and report steps, control events and
// tanks filling or draining between steps).
//
// A Network holds the input as the user wrote it (user units). Run builds a
// Simulator from it, which converts to EPANET's internal units (feet, cubic
// feet per second, seconds), and returns Results in the network's own units
// for every reporting period, with the columns and sign conventions of
// EPANET's binary output. Change the Network (a pump off, a valve setting, a
// control level) and run again; a Simulator can also be re-run directly.
package water
