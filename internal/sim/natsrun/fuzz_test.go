package natsrun

import "testing"

// FuzzResult feeds arbitrary result payloads to the coordinator's decoder.
func FuzzResult(f *testing.F) {
	b, _ := encodeResult(&Result{Run: "r", Batch: 1, Index: 0, Err: "x"})
	f.Add(b)
	f.Add([]byte("not gzip"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = decodeResult(data)
	})
}
