package sense

import (
	"bufio"
	"io"
	"math"
	"net/netip"
	"strconv"
	"time"
	"unicode/utf8"
)

// Field is one column of a Zeek log: its name and Zeek type ("time",
// "string", "addr", "port", "count", "int", "double", "bool", "interval",
// "set[string]", "vector[count]" ...).
type Field struct {
	Name string
	Type string
}

// Schema describes one log: its path (file name without ".log") and its
// columns in order.
type Schema struct {
	Path   string
	Fields []Field
}

// Format selects the log encoding.
type Format uint8

// Log encodings.
const (
	// TSV is Zeek's default ASCII format: #-header lines, tab-separated
	// values, "-" for unset, "(empty)" for an empty set, #close trailer.
	TSV Format = iota
	// JSON is one JSON object per line, as Zeek's LogAscii::use_json
	// writes it: unset fields are omitted, ts is a number.
	JSON
)

// LogWriter writes one Zeek-compatible log. It buffers internally; call
// Close to write the trailer and flush. Rows are built with Row and the
// typed appenders, which write straight into the buffer without
// allocating. A nil *LogWriter accepts rows and discards them.
//
//	r := w.Row()
//	r.Time(m.TS).Conn(flow).Count(uint64(tid)).Str("READ_COILS").Unset()
//	r.End()
//
// The appenders must be called once per schema field, in order.
type LogWriter struct {
	schema *Schema
	format Format
	bw     *bufio.Writer
	row    Row
	rows   int
	err    error
}

// NewLogWriter starts a log of the given schema on w and writes the header
// (TSV only). open is the time written in #open (Zeek writes the wall-clock
// time the log was opened).
func NewLogWriter(w io.Writer, s *Schema, f Format, open time.Time) *LogWriter {
	lw := &LogWriter{schema: s, format: f, bw: bufio.NewWriterSize(w, 64<<10)}
	lw.row.w = lw
	lw.row.buf = make([]byte, 0, 512)
	if f == TSV {
		b := lw.row.buf[:0]
		b = append(b, "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n#path\t"...)
		b = append(b, s.Path...)
		b = append(b, "\n#open\t"...)
		b = open.UTC().AppendFormat(b, "2006-01-02-15-04-05")
		b = append(b, "\n#fields"...)
		for _, fl := range s.Fields {
			b = append(b, '\t')
			b = append(b, fl.Name...)
		}
		b = append(b, "\n#types"...)
		for _, fl := range s.Fields {
			b = append(b, '\t')
			b = append(b, fl.Type...)
		}
		b = append(b, '\n')
		_, lw.err = lw.bw.Write(b)
	}
	return lw
}

// Schema returns the log's schema.
func (w *LogWriter) Schema() *Schema { return w.schema }

// Rows returns the number of rows written so far.
func (w *LogWriter) Rows() int {
	if w == nil {
		return 0
	}
	return w.rows
}

// Close writes the #close trailer (TSV) with the given time and flushes.
// It returns the first write error.
func (w *LogWriter) Close(closeTime time.Time) error {
	if w == nil {
		return nil
	}
	if w.format == TSV && w.err == nil {
		b := append(w.row.buf[:0], "#close\t"...)
		b = closeTime.UTC().AppendFormat(b, "2006-01-02-15-04-05")
		b = append(b, '\n')
		_, w.err = w.bw.Write(b)
	}
	if err := w.bw.Flush(); w.err == nil {
		w.err = err
	}
	return w.err
}

// Row starts a new row. The returned Row is reused by the next call.
func (w *LogWriter) Row() *Row {
	if w == nil {
		return &discard
	}
	r := &w.row
	r.buf = r.buf[:0]
	r.n = 0
	r.any = false
	if w.format == JSON {
		r.buf = append(r.buf, '{')
	}
	return r
}

// discard is the Row handed out by a nil LogWriter.
var discard Row

// Row is a log row under construction. Its methods append one field each
// and return the row for chaining.
type Row struct {
	w   *LogWriter
	buf []byte
	n   int // fields appended so far
	any bool
}

// key starts field n: the separator (TSV) or the quoted name (JSON).
// It returns false when the field is beyond the schema.
func (r *Row) key() bool {
	if r.w == nil {
		return false
	}
	n := r.n
	r.n++
	if n >= len(r.w.schema.Fields) {
		return false
	}
	if r.w.format == TSV {
		if n > 0 {
			r.buf = append(r.buf, '\t')
		}
		return true
	}
	if r.any {
		r.buf = append(r.buf, ',')
	}
	r.any = true
	r.buf = strconv.AppendQuote(r.buf, r.w.schema.Fields[n].Name)
	r.buf = append(r.buf, ':')
	return true
}

// Unset appends an unset field ("-" in TSV, omitted in JSON).
func (r *Row) Unset() *Row {
	if r.w == nil {
		return r
	}
	if r.w.format == JSON {
		r.n++
		return r
	}
	if r.key() {
		r.buf = append(r.buf, '-')
	}
	return r
}

// Time appends a timestamp as seconds with microseconds (Zeek's format).
func (r *Row) Time(t time.Time) *Row {
	if !r.key() {
		return r
	}
	us := t.UnixMicro()
	sec, frac := us/1e6, us%1e6
	if frac < 0 {
		sec, frac = sec-1, frac+1e6
	}
	r.buf = strconv.AppendInt(r.buf, sec, 10)
	r.buf = append(r.buf, '.')
	r.buf = appendPad6(r.buf, frac)
	return r
}

func appendPad6(b []byte, v int64) []byte {
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[:]...)
}

// Str appends a string, escaped as Zeek does (non-printable bytes,
// separators and backslash as \xNN in TSV; JSON-quoted in JSON). An empty
// string is written as Zeek writes it: "(empty)" in TSV.
func (r *Row) Str(s string) *Row {
	if !r.key() {
		return r
	}
	if r.w.format == JSON {
		r.buf = appendJSONString(r.buf, s)
		return r
	}
	if s == "" {
		r.buf = append(r.buf, "(empty)"...)
		return r
	}
	if s == "-" {
		r.buf = append(r.buf, `\x2d`...)
		return r
	}
	r.buf = appendTSVEscaped(r.buf, s)
	return r
}

// Strs appends a set or vector of strings ("," separated; "(empty)" when
// empty).
func (r *Row) Strs(ss []string) *Row {
	if !r.key() {
		return r
	}
	if r.w.format == JSON {
		r.buf = append(r.buf, '[')
		for i, s := range ss {
			if i > 0 {
				r.buf = append(r.buf, ',')
			}
			r.buf = appendJSONString(r.buf, s)
		}
		r.buf = append(r.buf, ']')
		return r
	}
	if len(ss) == 0 {
		r.buf = append(r.buf, "(empty)"...)
		return r
	}
	for i, s := range ss {
		if i > 0 {
			r.buf = append(r.buf, ',')
		}
		r.buf = appendTSVEscaped(r.buf, s)
	}
	return r
}

// Addr appends an IP address.
func (r *Row) Addr(a netip.Addr) *Row {
	if !r.key() {
		return r
	}
	if r.w.format == JSON {
		r.buf = append(r.buf, '"')
		r.buf = a.Unmap().AppendTo(r.buf)
		r.buf = append(r.buf, '"')
		return r
	}
	r.buf = a.Unmap().AppendTo(r.buf)
	return r
}

// Port appends a port number.
func (r *Row) Port(p uint16) *Row { return r.Count(uint64(p)) }

// Count appends an unsigned integer.
func (r *Row) Count(v uint64) *Row {
	if !r.key() {
		return r
	}
	r.buf = strconv.AppendUint(r.buf, v, 10)
	return r
}

// Int appends a signed integer.
func (r *Row) Int(v int64) *Row {
	if !r.key() {
		return r
	}
	r.buf = strconv.AppendInt(r.buf, v, 10)
	return r
}

// Double appends a floating-point number (Zeek prints doubles with up to 6
// decimals).
func (r *Row) Double(v float64) *Row {
	if !r.key() {
		return r
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		if r.w.format == JSON {
			r.buf = append(r.buf, "null"...)
		} else {
			r.buf = strconv.AppendFloat(r.buf, v, 'f', -1, 64)
		}
		return r
	}
	r.buf = strconv.AppendFloat(r.buf, v, 'f', -1, 64)
	return r
}

// Bool appends T or F (true/false in JSON).
func (r *Row) Bool(v bool) *Row {
	if !r.key() {
		return r
	}
	switch {
	case r.w.format == JSON && v:
		r.buf = append(r.buf, "true"...)
	case r.w.format == JSON:
		r.buf = append(r.buf, "false"...)
	case v:
		r.buf = append(r.buf, 'T')
	default:
		r.buf = append(r.buf, 'F')
	}
	return r
}

// Conn appends the five connection fields every Zeek protocol log starts
// with after ts: uid, id.orig_h, id.orig_p, id.resp_h, id.resp_p.
func (r *Row) Conn(f *Flow) *Row {
	if r.w == nil {
		return r
	}
	if r.n == 0 || f.UID == "" || r.n+5 > len(r.w.schema.Fields) {
		return r.Str(f.UID).Addr(f.Orig.Addr()).Port(f.Orig.Port()).Addr(f.Resp.Addr()).Port(f.Resp.Port())
	}
	// After the first field the five fields always render the same for a
	// flow (with a leading tab, or a leading comma and the standard field
	// names in JSON): format them once per flow and format.
	fi := int(r.w.format)
	if c := f.conn[fi]; c != nil {
		r.buf = append(r.buf, c...)
		r.n += 5
		return r
	}
	start := len(r.buf)
	r.Str(f.UID).Addr(f.Orig.Addr()).Port(f.Orig.Port()).Addr(f.Resp.Addr()).Port(f.Resp.Port())
	f.conn[fi] = append([]byte(nil), r.buf[start:]...)
	return r
}

// End finishes the row and writes it. Missing trailing fields are written
// as unset.
func (r *Row) End() {
	w := r.w
	if w == nil {
		return
	}
	for r.n < len(w.schema.Fields) {
		r.Unset()
	}
	if w.format == JSON {
		r.buf = append(r.buf, '}')
		r.any = false
	}
	r.buf = append(r.buf, '\n')
	if w.err == nil {
		_, w.err = w.bw.Write(r.buf)
	}
	w.rows++
}

// appendTSVEscaped escapes like Zeek's ASCII writer: the separator (tab),
// the set separator (,) is left alone outside sets, backslash and
// non-printable bytes become \xNN.
func appendTSVEscaped(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	clean := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c < 0x20 || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return append(b, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' || c == '\t' || c < 0x20 || c >= 0x7f {
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}

// appendJSONString quotes s as a JSON string; invalid UTF-8 bytes are
// written as \u00NN escapes of the byte value, as Zeek does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		rn, size := utf8.DecodeRuneInString(s[i:])
		if rn == utf8.RuneError && size == 1 {
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			i++
			continue
		}
		b = append(b, s[i:i+size]...)
		i += size
	}
	return append(b, '"')
}
