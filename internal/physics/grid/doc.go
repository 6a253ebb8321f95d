// Package grid is Citadel's physical twin of a power grid: it reads
// MATPOWER case files, solves DC and AC (Newton–Raphson, polar) power
// flows with MATPOWER's conventions, runs line-overload cascades with
// island detection and load shedding, and simulates the aggregate system
// frequency response to a load disturbance such as a mass switching of
// smart meters.
//
// Conventions follow MATPOWER (runpf, rundcpf): bus types 1 = PQ, 2 = PV,
// 3 = reference, 4 = isolated; angles in degrees in the case and the
// results; powers in MW and MVAr; the reference bus keeps the angle given
// in the case; a generator's Vg sets the voltage of its PV or reference
// bus; off-nominal taps sit on the from side; out-of-service branches and
// generators report zero flows.
package grid
