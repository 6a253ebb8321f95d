// Package cascade follows physical outages across sectors through the
// dependency graph of a city model: a feeder opens, the pump station it
// feeds stops, the pressure zone behind it runs dry once its tanks empty,
// the signal cabinets on the hospital route go dark when their batteries
// run out, and the hospital loses water.
//
// The graph comes from the model's dependencies (element ← needed elements,
// with a kind and a backup of some hours) and facilities (critical sites
// and the elements they need). Evaluate propagates initial effects
// (elements out at given times) event by event, in time order, like a
// shortest-path search: an element goes out once, at the earliest time any
// of its dependencies fails (with require: all, the last of its needs),
// plus its backup's hours. Cycles therefore terminate. Outages last to the
// horizon: nothing is restored.
//
// The impact is counted from the model (people per element, facilities,
// emergency routes, minutes to each consequence) and, per sector, by an
// Engine: the declared engine multiplies the model's declared loads and
// delay rates by the hours out; other engines (the MATPOWER grid engine)
// compute the same measures with a physical model. Engines are registered
// by name.
package cascade
