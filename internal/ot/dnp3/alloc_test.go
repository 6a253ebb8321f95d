package dnp3

import "testing"

// decodeAll runs the whole decode path on wire: link, transport,
// application header, object headers and points.
func decodeAll(s *Stream, r *Reassembler, f *Frame, wire []byte) (points int) {
	var frag Fragment
	var h ObjectHeader
	var p Point
	for len(wire) > 0 {
		n, ok, _ := s.Next(wire, f)
		wire = wire[n:]
		if !ok || !f.Header.Func().UserData() {
			continue
		}
		b, done, _ := r.Add(f.Header.Src, f.Header.Dst, f.Data)
		if !done || ParseFragment(b, &frag) != nil {
			continue
		}
		or := frag.ObjectReader()
		for or.Next(&h) {
			pr := h.Points()
			for pr.Next(&p) {
				points++
			}
		}
	}
	return points
}

func TestDecodeZeroAllocs(t *testing.T) {
	tests := map[string]string{
		"read":        frameRead,
		"unsolicited": frameUnsol,
		"static":      seedStatic,
		"two frames":  seedSplit1 + seedSplit2,
	}
	for name, h := range tests {
		t.Run(name, func(t *testing.T) {
			wire := unhex(t, h)
			var s Stream
			var r Reassembler
			var f Frame
			decodeAll(&s, &r, &f, wire) // warm up: first use allocates reassembly buffers
			split := len(wire) / 3
			allocs := testing.AllocsPerRun(100, func() {
				decodeAll(&s, &r, &f, wire[:split])
				decodeAll(&s, &r, &f, wire[split:])
			})
			if allocs != 0 {
				t.Errorf("%v allocations per decode, want 0", allocs)
			}
			if s.Stats.Frames == 0 {
				t.Fatal("nothing decoded")
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	cases := []struct{ name, hex string }{
		{"read-request", frameRead},
		{"unsolicited-event", frameUnsol},
		{"static-response-252B", seedStatic},
		{"two-frame-fragment", seedSplit1 + seedSplit2},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			wire := unhex(b, c.hex)
			var s Stream
			var r Reassembler
			var f Frame
			decodeAll(&s, &r, &f, wire)
			frames0 := s.Stats.Frames
			b.SetBytes(int64(len(wire)))
			b.ReportAllocs()
			for b.Loop() {
				decodeAll(&s, &r, &f, wire)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(s.Stats.Frames-frames0), "ns/frame")
			b.ReportMetric(float64(s.Stats.Frames-frames0)/float64(b.N), "frames/op")
		})
	}
}
