package sense

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

func TestLogWriter(t *testing.T) {
	s := &Schema{Path: "demo", Fields: []Field{
		{"ts", "time"}, {"uid", "string"}, {"id.orig_h", "addr"}, {"id.orig_p", "port"},
		{"id.resp_h", "addr"}, {"id.resp_p", "port"}, {"func", "string"}, {"names", "set[string]"}, {"exception", "string"},
	}}
	f := &Flow{UID: "Cabc", Transport: TCP,
		Orig: netip.MustParseAddrPort("10.0.0.1:4000"), Resp: netip.MustParseAddrPort("[2001:db8::1]:502")}
	ts := time.Unix(1352718180, 264939000)
	open := time.Date(2026, 11, 27, 17, 0, 1, 0, time.UTC)
	tests := []struct {
		name   string
		format Format
		want   string
	}{
		{"tsv", TSV, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\tdemo\n#open\t2026-11-27-17-00-01\n" +
			"#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tfunc\tnames\texception\n" +
			"#types\ttime\tstring\taddr\tport\taddr\tport\tstring\tset[string]\tstring\n" +
			"1352718180.264939\tCabc\t10.0.0.1\t4000\t2001:db8::1\t502\tREAD\\x09X\t(empty)\t-\n" +
			"1352718180.264939\tCabc\t10.0.0.1\t4000\t2001:db8::1\t502\t(empty)\ta,b\t-\n" +
			"#close\t2026-11-27-17-00-01\n"},
		{"json", JSON, `{"ts":1352718180.264939,"uid":"Cabc","id.orig_h":"10.0.0.1","id.orig_p":4000,"id.resp_h":"2001:db8::1","id.resp_p":502,"func":"READ\tX","names":[]}` + "\n" +
			`{"ts":1352718180.264939,"uid":"Cabc","id.orig_h":"10.0.0.1","id.orig_p":4000,"id.resp_h":"2001:db8::1","id.resp_p":502,"func":"","names":["a","b"]}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := NewLogWriter(&buf, s, tt.format, open)
			w.Row().Time(ts).Conn(f).Str("READ\tX").Strs(nil).Unset().End()
			w.Row().Time(ts).Conn(f).Str("").Strs([]string{"a", "b"}).End()
			if err := w.Close(open); err != nil {
				t.Fatal(err)
			}
			if got := buf.String(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if w.Rows() != 2 {
				t.Errorf("Rows = %d, want 2", w.Rows())
			}
		})
	}
}

func TestLogWriterNoAlloc(t *testing.T) {
	s := &Schema{Path: "demo", Fields: []Field{{"ts", "time"}, {"uid", "string"}, {"id.orig_h", "addr"}, {"id.orig_p", "port"},
		{"id.resp_h", "addr"}, {"id.resp_p", "port"}, {"n", "count"}}}
	f := &Flow{UID: "Cabc", Orig: netip.MustParseAddrPort("10.0.0.1:4000"), Resp: netip.MustParseAddrPort("10.0.0.2:502")}
	for _, format := range []Format{TSV, JSON} {
		var buf bytes.Buffer
		buf.Grow(1 << 20)
		w := NewLogWriter(&buf, s, format, time.Unix(0, 0))
		ts := time.Unix(1, 0)
		allocs := testing.AllocsPerRun(1000, func() {
			w.Row().Time(ts).Conn(f).Count(7).End()
		})
		if allocs != 0 {
			t.Errorf("format %d: %v allocs per row, want 0", format, allocs)
		}
	}
}

type fakeAnalyzer struct{ name string }

func (a fakeAnalyzer) Name() string                        { return a.name }
func (fakeAnalyzer) Version() int                          { return 1 }
func (fakeAnalyzer) Ports() []Port                         { return nil }
func (fakeAnalyzer) Logs() []*Schema                       { return nil }
func (fakeAnalyzer) NewStream(f *Flow, out *Output) Stream { return nil }

func TestRegisterDuplicatePanics(t *testing.T) {
	Register(fakeAnalyzer{"zz-test-dup"})
	defer func() {
		if recover() == nil {
			t.Fatal("second Register did not panic")
		}
		regMu.Lock()
		delete(analyzers, "zz-test-dup")
		regMu.Unlock()
	}()
	Register(fakeAnalyzer{"zz-test-dup"})
}
