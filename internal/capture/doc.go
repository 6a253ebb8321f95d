// Package capture reads packets and turns them into ordered byte streams:
//
//   - Open / NewReader read pcap (both byte orders, micro- and nanosecond
//     timestamps) and pcapng files (SHB, IDB, EPB, SPB and the obsolete
//     packet block; several sections and interfaces, per-interface
//     timestamp resolution) without allocating per packet;
//   - Decode parses Ethernet (with 802.1Q/802.1ad VLAN tags), Linux SLL and
//     SLL2, BSD loopback and raw IP link layers, then IPv4, IPv6 (extension
//     headers) and TCP/UDP, in place and without allocation;
//   - Reassembler rebuilds one direction of a TCP stream from segments that
//     arrive out of order or retransmitted, with a bounded buffer;
//   - Table is a flow table of bounded size with least-recently-used
//     eviction and idle timeouts;
//   - Live (Linux only) captures from an interface with AF_PACKET, without
//     cgo.
//
// Errors about malformed capture files are *diag.Diagnostic values that
// carry the file name and the 1-based packet number.
package capture
