// Package traffic is Citadel's physical twin of a signalised street
// network. It reads SUMO networks (.net.xml with tlLogic programs) and route
// files (.rou.xml flows), and simulates them with a macroscopic model:
// Daganzo's cell transmission model on every lane, with a triangular
// fundamental diagram derived from the lane speed limits, a saturation
// flow per lane and a jam density from the vehicle length and gap.
// Fixed-time (and simple actuated) signal plans gate the movements at each
// junction, and a conflict monitor, like a controller cabinet's malfunction
// management unit, puts a junction into all-red flash (an all-way stop)
// when two conflicting movements would show green together.
//
// Demand comes from the route file's flows as fluid streams that keep their
// route (a commodity per route), so turning at each junction follows the
// routes. Run reports vehicle-hours of delay, throughput, queue lengths
// and spillback, gridlock and the travel time of emergency vehicles, under
// attack effects given as inputs (all-red, all-green request, plan change,
// falsified detectors).
//
// When SUMO is installed, RunSUMO runs the same scenario through SUMO over
// its TraCI socket on loopback, as the high-fidelity engine.
package traffic
