// Package sim is Citadel's attack simulator: Monte Carlo campaigns over the
// attack graph of package graph.
//
// A campaign is one attacker with one objective (a target, or several
// targets at once for the coordinated attacker). It starts from the entry
// points it holds, and at every step its policy (an Attacker) picks an
// attacker action: an edge of the graph out of a privilege it holds. The
// attempt takes a lognormal time, succeeds with the edge's probability and
// is seen by the defenders with a probability that depends on where the city
// has sensors (monitored zones and conduits, assets that log to the SOC).
// Once seen, the attacker is contained after the response time. A campaign
// ends at impact on its objective, at containment, when the attacker has no
// move left, or at the time budget.
//
// Results are deterministic for a seed whatever the number of workers or
// shards: campaign i draws from its own PCG stream derived from (seed, i),
// every tally is an integer count, and the adaptive attacker learns only
// at epoch boundaries from integer counts. The physical consequence of a
// campaign goes through a Consequencer, cached by effect set (the set of
// targets hit).
//
// Decisions for defenders re-simulate with common random numbers: fixes
// (the minimum cut of the attack graph and the fixes most used by
// successful campaigns) ranked by consequence-weighted risk removed per unit
// of cost, and a greedy sensor placement that maximises the probability of
// detection before impact. See docs/simulate.md.
package sim
