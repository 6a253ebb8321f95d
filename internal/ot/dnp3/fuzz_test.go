package dnp3

import (
	"bytes"
	"testing"
)

// Seed frames copied from the opendnp3 conformance harness logs
// (ITI/ICS-Security-Tools pcaps/dnp3/opendnp3-3/conformance): 6.1.2 (a
// 252-byte static data response), 8.20.2 (a fragment split over two frames)
// and 8.5.2.2.1 (event response).
const (
	seedStatic = "05 64 FC 44 01 00 00 04 03 D5 C0 C0 81 90 00 01 02 01 00 00 00 00 01 01 02 01 E2 97 29 00 29 00 01 01 02 01 00 04 00 04 01 01 02 01 2A 19 FF FF FF FF 01 1E 02 01 00 00 00 00 01 00 00 1E 69 7E 02 01 29 00 29 00 01 00 00 1E 02 01 00 04 00 04 42 79 01 00 00 1E 02 01 FF FF FF FF 01 00 00 14 02 01 C6 DB 00 00 00 00 01 01 00 14 02 01 29 00 29 00 01 01 C8 85 00 14 02 01 00 04 00 04 01 01 00 14 02 01 FF FF 4B 05 FF FF 01 01 00 15 02 01 00 00 00 00 01 01 00 15 AE 4A 02 01 29 00 29 00 01 01 00 15 02 01 00 04 00 04 C7 27 01 01 00 15 02 01 FF FF FF FF 01 01 00 0A 02 00 48 6C 00 13 01 01 01 01 01 01 01 01 01 01 01 01 01 01 E8 51 01 01 01 01 01 01 28 02 00 00 13 01 00 00 01 00 E3 1F 00 01 00 00 01 00 00 01 00 00 01 00 00 01 00 00 9E 0F 01 00 00 01 00 00 01 00 00 01 00 00 01 00 00 01 FE 85 00 00 01 00 00 01 00 00 01 00 00 01 00 00 01 00 DB 49 00 01 00 00 01 00 00 A0 53"
	seedSplit1 = "05 64 FF 44 01 00 00 04 53 46 40 C0 81 90 00 01 02 01 00 00 00 00 01 01 02 01 EE A0 29 00 29 00 01 01 02 01 00 04 00 04 01 01 02 01 2A 19 FF FF FF FF 01 03 02 01 00 00 00 00 41 03 02 01 0D 5A 29 00 29 00 81 03 02 01 00 04 00 04 41 03 02 01 6F 0A FF FF FF FF 81 1E 02 01 00 00 00 00 01 00 00 1E 2E 75 02 01 29 00 29 00 01 00 00 1E 02 01 00 04 00 04 42 79 01 00 00 1E 02 01 FF FF FF FF 01 00 00 14 02 01 C6 DB 00 00 00 00 01 01 00 14 02 01 29 00 29 00 01 01 C8 85 00 14 02 01 00 04 00 04 01 01 00 14 02 01 FF FF 4B 05 FF FF 01 01 00 15 02 01 00 00 00 00 01 01 00 15 AE 4A 02 01 29 00 29 00 01 01 00 15 02 01 00 04 00 04 C7 27 01 01 00 15 02 01 FF FF FF FF 01 01 00 0A 02 00 48 6C 00 13 01 01 01 01 01 01 01 01 01 01 01 01 01 01 E8 51 01 01 01 01 01 01 28 02 00 00 13 01 00 00 01 00 E3 1F 00 01 00 00 01 00 00 01 00 00 01 00 00 01 00 00 9E 0F 01 00 00 01 00 00 01 00 00 01 49 97"
	seedSplit2 = "05 64 23 44 01 00 00 04 DE 56 81 00 00 01 00 00 01 00 00 01 00 00 01 00 00 01 F2 B2 00 00 01 00 00 01 00 00 01 00 00 01 00 00 86 61"
	seedEvents = "05 64 18 44 01 00 00 04 11 D6 C1 E1 81 90 00 02 01 28 03 00 00 00 81 00 00 01 68 2F 00 00 81 1D 6F"
)

func fuzzSeeds(t testing.TB) [][]byte {
	var out [][]byte
	for _, s := range []string{frameRead, frameUnsol, frameConfirm, frameEnable, seedStatic, seedSplit1 + seedSplit2, seedEvents} {
		out = append(out, unhex(t, s))
	}
	return out
}

// decodeStream decodes in as chunks of the given sizes (cycled) and returns
// the user data of every frame.
func decodeStream(in []byte, sizes []byte) [][]byte {
	var s Stream
	var f Frame
	var out [][]byte
	k := 0
	for len(in) > 0 {
		c := len(in)
		if len(sizes) > 0 {
			c = min(c, 1+int(sizes[k%len(sizes)]))
			k++
		}
		p := in[:c]
		in = in[c:]
		for len(p) > 0 {
			n, ok, err := s.Next(p, &f)
			if n < 0 || n > len(p) || n == 0 && !ok && err == nil {
				panic("stream made no progress")
			}
			p = p[n:]
			if ok {
				if len(f.Data) != f.Header.DataLen() {
					panic("data length disagrees with LEN")
				}
				out = append(out, append([]byte(nil), f.Data...))
			}
		}
	}
	return out
}

// FuzzStream checks that the link-layer stream never panics, always makes
// progress, and decodes the same frames whatever the segmentation.
func FuzzStream(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s, []byte{3, 17, 0})
		f.Add(append([]byte{0x05, 0x64, 0xFF, 0x00}, s...), []byte{1})
	}
	f.Fuzz(func(t *testing.T, in, sizes []byte) {
		whole := decodeStream(in, nil)
		split := decodeStream(in, sizes)
		if len(whole) != len(split) {
			t.Fatalf("whole: %d frames, split: %d", len(whole), len(split))
		}
		for i := range whole {
			if !bytes.Equal(whole[i], split[i]) {
				t.Fatalf("frame %d differs", i)
			}
		}
	})
}

// FuzzReassembler feeds segments (each prefixed by a length byte and a
// source-address byte) to a Reassembler.
func FuzzReassembler(f *testing.F) {
	f.Add([]byte{3, 1, 0x41, 1, 2, 3, 1, 0x82, 3, 4})
	f.Add([]byte{2, 1, 0xC0, 9, 2, 2, 0x40, 1, 2, 1, 0x81, 1})
	f.Fuzz(func(t *testing.T, in []byte) {
		r := Reassembler{MaxFragment: 64}
		for len(in) >= 2 {
			n, src := int(in[0]), uint16(in[1])
			in = in[2:]
			n = min(n, len(in))
			frag, done, _ := r.Add(src, 0, in[:n])
			in = in[n:]
			if done && len(frag) > 64 {
				t.Fatalf("fragment of %d bytes exceeds the limit", len(frag))
			}
		}
	})
}

// FuzzFragment walks the application layer of arbitrary fragments: object
// headers and points must stay inside the input.
func FuzzFragment(f *testing.F) {
	var s Stream
	var r Reassembler
	var fr Frame
	for _, seed := range fuzzSeeds(f) {
		for p := seed; len(p) > 0; {
			n, ok, _ := s.Next(p, &fr)
			p = p[n:]
			if ok && len(fr.Data) > 0 {
				if frag, done, _ := r.Add(fr.Header.Src, fr.Header.Dst, fr.Data); done {
					f.Add(append([]byte(nil), frag...))
				}
			}
		}
	}
	f.Add(unhex(f, "C0 03 0C 01 28 01 00 03 00 03 01 64 00 00 00 C8 00 00 00 00"))
	f.Add(unhex(f, "C0 19 46 03 5B 01 04 00 AA BB CC DD"))
	f.Add(unhex(f, "C0 81 00 00 00 F0 17 01 00 04 02 41 42"))
	f.Fuzz(func(t *testing.T, in []byte) {
		var frag Fragment
		if ParseFragment(in, &frag) != nil {
			return
		}
		or := frag.ObjectReader()
		var h ObjectHeader
		var p Point
		for or.Next(&h) {
			if len(h.Data) > len(in) || or.Offset() > len(frag.Objects) {
				t.Fatalf("object data out of bounds")
			}
			pr := h.Points()
			for pr.Next(&p) {
				if len(p.Raw) > len(h.Data) {
					t.Fatalf("point out of bounds")
				}
			}
		}
	})
}
