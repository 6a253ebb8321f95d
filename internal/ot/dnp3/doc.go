// Package dnp3 decodes and encodes DNP3 (IEEE 1815-2012) as carried over
// TCP and UDP: the data link layer (frame sync, header, CRC-16/DNP on the
// header and on every 16-byte data block), the transport function
// (FIR/FIN/sequence reassembly of application fragments) and the
// application layer (control, function code, internal indications, object
// headers with every standard qualifier, and point values for the common
// object groups).
//
// The package does no I/O and knows nothing of the sensor. Decoders work on
// caller-owned structs, slice their results from the input (or from a
// buffer owned by the decoder) and do not allocate on the hot path: results
// are valid only until the next call, and callers must copy what they keep.
// Malformed input yields one of the sentinel errors below; no input makes
// the package panic.
//
// Layers:
//
//   - [Stream] turns a byte stream (TCP payload in order, or UDP datagrams)
//     into verified link frames, keeping state across segment boundaries and
//     resynchronising on garbage; [DecodeFrame] decodes one frame.
//   - [Reassembler] joins transport segments into application fragments per
//     (source, destination) address pair, with size and slot limits.
//   - [ParseFragment] reads the application header, and [ObjectReader] and
//     [PointReader] walk the object headers and point values of a fragment.
//   - [SelectTracker] pairs SELECT and OPERATE requests (same objects,
//     next sequence number), [ParseFileCommand] reads g70v3 file commands.
//   - [AppendFrame], [AppendFragmentFrames], [AppendRequestHeader],
//     [AppendResponseHeader], [AppendObjectHeader], [AppendPoint] and
//     [AppendCROB] encode, for emulation.
package dnp3
