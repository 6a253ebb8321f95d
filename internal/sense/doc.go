// Package sense is Citadel's OT network sensor pipeline:
//
//	capture (pcap, pcapng, AF_PACKET) → flow table and TCP reassembly
//	  → protocol analyzers (one per protocol, see Analyzer and Register)
//	  → logs (Zeek-compatible TSV or JSON lines), weird.log
//	  → transactions → passive inventory, baselines, detectors → alerts
//
// # Extension point
//
// A protocol is added by implementing Analyzer in its own package and
// calling Register from that package's init function; the command links it
// in with a blank import in internal/sense/analyzers/all. The pipeline hands
// every flow whose port an analyzer claims to a new Stream of that
// analyzer, feeds it reassembled payload bytes of both directions in order
// (Stream.Data), reports lost bytes (Stream.Gap) and the end of the flow
// (Stream.Close). The Stream writes log rows through the LogWriter that
// Output.Log returns for each Schema the analyzer declared, reports
// malformed traffic with Output.Weird and emits protocol-neutral
// Transactions with Output.Transaction, from which the sensor builds its
// inventory and baselines and raises alerts.
//
// Decoders proper (internal/ot/modbus, internal/ot/dnp3) do no I/O and know
// nothing of this package; the analyzer is the thin adapter between them.
package sense
