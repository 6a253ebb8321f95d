package traffic

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
)

// xmlDoc walks an XML document held in memory and converts the decoder's
// byte offsets into line:column positions for diagnostics.
type xmlDoc struct {
	file  string
	data  []byte
	lines []int // byte offset of the start of each line
	dec   *xml.Decoder
	errs  diag.List
}

// maxDiags bounds the diagnostics kept for one file.
const maxDiags = 50

func newXMLDoc(file string, data []byte) *xmlDoc {
	d := &xmlDoc{file: file, data: data, lines: []int{0}}
	for i, c := range data {
		if c == '\n' {
			d.lines = append(d.lines, i+1)
		}
	}
	d.dec = xml.NewDecoder(bytes.NewReader(data))
	d.dec.Strict = true
	return d
}

// pos returns the 1-based line and column of byte offset off.
func (d *xmlDoc) pos(off int64) (line, col int) {
	i := sort.Search(len(d.lines), func(i int) bool { return int64(d.lines[i]) > off }) - 1
	if i < 0 {
		i = 0
	}
	return i + 1, int(off) - d.lines[i] + 1
}

// errAt records a diagnostic at byte offset off.
func (d *xmlDoc) errAt(off int64, field, hint, format string, args ...any) {
	if len(d.errs) >= maxDiags {
		return
	}
	line, col := d.pos(off)
	d.errs = append(d.errs, &diag.Diagnostic{File: d.file, Line: line, Col: col, Field: field,
		Msg: fmt.Sprintf(format, args...), Hint: hint})
}

// element is one start tag with its attributes and where it begins.
type element struct {
	name  string
	attrs []xml.Attr
	off   int64
	depth int
}

// walk calls fn for every start element in document order. A syntax error
// ends the walk with a diagnostic at the decoder's position.
func (d *xmlDoc) walk(fn func(e *element)) {
	depth := 0
	for {
		off := d.dec.InputOffset()
		tok, err := d.dec.Token()
		if err == io.EOF {
			if depth != 0 {
				d.errAt(off, "", "", "unexpected end of file inside an element")
			}
			return
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				// SyntaxError.Line is known; the column is not, so use the offset.
				d.errAt(d.dec.InputOffset(), "", "", "XML syntax error: %s", se.Msg)
			} else {
				d.errAt(d.dec.InputOffset(), "", "", "XML error: %v", err)
			}
			return
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			fn(&element{name: t.Name.Local, attrs: t.Attr, off: off, depth: depth})
		case xml.EndElement:
			depth--
		}
	}
}

// attr returns the value of attribute name and whether it is present.
func (e *element) attr(name string) (string, bool) {
	for _, a := range e.attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// str returns attribute name or "".
func (e *element) str(name string) string {
	v, _ := e.attr(name)
	return v
}

// need returns a required attribute, recording a diagnostic when missing.
func (d *xmlDoc) need(e *element, name string) string {
	v, ok := e.attr(name)
	if !ok || v == "" {
		d.errAt(e.off, e.name+"."+name, "", "<%s> needs attribute %q", e.name, name)
	}
	return v
}

// float parses an optional float attribute, def when absent.
func (d *xmlDoc) float(e *element, name string, def float64) float64 {
	v, ok := e.attr(name)
	if !ok {
		return def
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f != f || f > 1e300 || f < -1e300 {
		d.errAt(e.off, e.name+"."+name, "", "attribute %s=%q is not a finite number", name, v)
		return def
	}
	return f
}

// nonNeg parses an optional float attribute that must be ≥ 0.
func (d *xmlDoc) nonNeg(e *element, name string, def float64) float64 {
	f := d.float(e, name, def)
	if f < 0 {
		d.errAt(e.off, e.name+"."+name, "", "attribute %s=%v must not be negative", name, f)
		return def
	}
	return f
}

// int parses an optional integer attribute, def when absent.
func (d *xmlDoc) int(e *element, name string, def int) int {
	v, ok := e.attr(name)
	if !ok {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		d.errAt(e.off, e.name+"."+name, "", "attribute %s=%q is not an integer", name, v)
		return def
	}
	return n
}

// Pos is where an element starts in its file, for later diagnostics.
type Pos struct {
	File string `json:"file,omitempty"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

func (d *xmlDoc) at(e *element) Pos {
	l, c := d.pos(e.off)
	return Pos{File: d.file, Line: l, Col: c}
}

// errorf returns a diagnostic at p.
func (p Pos) errorf(field, format string, args ...any) *diag.Diagnostic {
	return &diag.Diagnostic{File: p.File, Line: p.Line, Col: p.Col, Field: field, Msg: fmt.Sprintf(format, args...)}
}
