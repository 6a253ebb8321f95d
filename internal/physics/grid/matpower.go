package grid

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/citadel-city/citadel/internal/diag"
)

// maxCaseBytes bounds the size of a case file read into memory.
const maxCaseBytes = 256 << 20

// ReadCase reads a MATPOWER case file (.m).
func ReadCase(path string) (*Case, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &diag.Diagnostic{File: path, Msg: "case file not found"}
	}
	if err != nil {
		return nil, fmt.Errorf("read case: %w", err)
	}
	if len(data) > maxCaseBytes {
		return nil, &diag.Diagnostic{File: path, Msg: fmt.Sprintf("case file is %d bytes, more than the %d allowed", len(data), maxCaseBytes)}
	}
	c, err := ParseCase(path, data)
	if err != nil {
		return nil, err
	}
	if c.Name == "" {
		c.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return c, nil
}

// ParseCase parses a MATPOWER case in the M-file format (version 2, and
// the older version 1 with bare variable names). file names the input in
// diagnostics.
//
// The supported language is what case files use: an optional function
// line, assignments of numbers, strings, matrices [...] and cell arrays
// {...} to mpc.<field> (or <field>), comments (%), line continuations
// (...), rows separated by ';' or newlines and elements by blanks or ','.
// Every problem is reported as a diag.Diagnostic with its line.
func ParseCase(file string, data []byte) (*Case, error) {
	p := &parser{file: file, lx: lexer{src: data, line: 1, col: 1}}
	vals, err := p.parse()
	if err != nil {
		return nil, err
	}
	return buildCase(file, p.funcName, p.sawMpc, vals)
}

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tNumber
	tString
	tPunct // = [ ] { } ; , ( ) + - and the like
	tNewline
)

type token struct {
	kind      tokKind
	text      string // identifiers, punctuation and strings
	raw       []byte // numbers: their spelling in the source
	num       float64
	line, col int
}

type lexer struct {
	src       []byte
	pos       int
	line, col int
	// prev and prevText describe the previous token, to tell a transpose
	// quote from a string.
	prev     tokKind
	prevText string
}

func (lx *lexer) advance() {
	if lx.src[lx.pos] == '\n' {
		lx.line++
		lx.col = 1
	} else {
		lx.col++
	}
	lx.pos++
}

func isIdentStart(c byte) bool {
	return c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func (lx *lexer) errorf(line, col int, format string, args ...any) *diag.Diagnostic {
	return &diag.Diagnostic{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// next returns the next token. Comments are skipped; a continuation
// "..." swallows the rest of its line and the newline.
func (lx *lexer) next() (token, *diag.Diagnostic) {
	for lx.pos < len(lx.src) {
		c := lx.src[lx.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v':
			lx.advance()
		case c == '%' || c == '#':
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.advance()
			}
		case c == '.' && strings.HasPrefix(string(lx.src[lx.pos:min(lx.pos+3, len(lx.src))]), "..."):
			for lx.pos < len(lx.src) && lx.src[lx.pos] != '\n' {
				lx.advance()
			}
			if lx.pos < len(lx.src) {
				lx.advance()
			}
		default:
			return lx.token()
		}
	}
	return token{kind: tEOF, line: lx.line, col: lx.col}, nil
}

// quoted reads a string literal whose opening quote q is at the current
// position, up to the closing q on the same line; a doubled q inside
// stands for one, as in MATLAB and Octave.
func (lx *lexer) quoted(q byte, line, col int) (string, *diag.Diagnostic) {
	lx.advance()
	var b strings.Builder
	for {
		if lx.pos >= len(lx.src) || lx.src[lx.pos] == '\n' {
			return "", lx.errorf(line, col, "unterminated string")
		}
		ch := lx.src[lx.pos]
		lx.advance()
		if ch == q {
			if lx.pos < len(lx.src) && lx.src[lx.pos] == q {
				lx.advance()
				b.WriteByte(q)
				continue
			}
			return b.String(), nil
		}
		b.WriteByte(ch)
	}
}

func (lx *lexer) token() (token, *diag.Diagnostic) {
	line, col := lx.line, lx.col
	start := lx.pos
	c := lx.src[lx.pos]
	tok := token{line: line, col: col}
	switch {
	case c == '\n':
		lx.advance()
		tok.kind, tok.text = tNewline, "\n"
	case isIdentStart(c):
		for lx.pos < len(lx.src) && (isIdentStart(lx.src[lx.pos]) || isDigit(lx.src[lx.pos]) ||
			(lx.src[lx.pos] == '.' && lx.pos+1 < len(lx.src) && isIdentStart(lx.src[lx.pos+1]))) {
			lx.advance()
		}
		tok.kind, tok.text = tIdent, string(lx.src[start:lx.pos])
		switch strings.ToLower(tok.text) {
		case "inf":
			tok.kind, tok.num = tNumber, math.Inf(1)
		case "nan":
			tok.kind, tok.num = tNumber, math.NaN()
		}
	case isDigit(c) || (c == '.' && lx.pos+1 < len(lx.src) && isDigit(lx.src[lx.pos+1])):
		for lx.pos < len(lx.src) && (isDigit(lx.src[lx.pos]) || lx.src[lx.pos] == '.') {
			lx.advance()
		}
		if lx.pos < len(lx.src) && (lx.src[lx.pos] == 'e' || lx.src[lx.pos] == 'E') {
			lx.advance()
			if lx.pos < len(lx.src) && (lx.src[lx.pos] == '+' || lx.src[lx.pos] == '-') {
				lx.advance()
			}
			for lx.pos < len(lx.src) && isDigit(lx.src[lx.pos]) {
				lx.advance()
			}
		}
		// The text of a number is kept only for messages; parsing from
		// the bytes avoids an allocation per number.
		v, err := strconv.ParseFloat(string(lx.src[start:lx.pos]), 64)
		if err != nil {
			return tok, lx.errorf(line, col, "malformed number %q", lx.src[start:lx.pos])
		}
		tok.kind, tok.num = tNumber, v
		tok.raw = lx.src[start:lx.pos]
	case c == '\'' && lx.prev != tIdent && lx.prev != tNumber && !(lx.prev == tPunct && strings.Contains("])}", lx.prevText)):
		text, err := lx.quoted('\'', line, col)
		if err != nil {
			return tok, err
		}
		tok.kind, tok.text = tString, text
	case c == '"':
		text, err := lx.quoted('"', line, col)
		if err != nil {
			return tok, err
		}
		tok.kind, tok.text = tString, text
	case strings.IndexByte("=[]{}();,+-'*/:", c) >= 0:
		lx.advance()
		tok.kind, tok.text = tPunct, string(c)
	default:
		lx.advance()
		return tok, lx.errorf(line, col, "unexpected character %q", rune(c))
	}
	lx.prev, lx.prevText = tok.kind, tok.text
	return tok, nil
}

// value is the right-hand side of an assignment.
type value struct {
	line    int
	scalar  float64
	str     string
	isStr   bool
	rows    [][]float64 // matrix rows
	rowLine []int
	isMat   bool
	cells   []string // cell array of strings, in order
	isCell  bool
}

type parser struct {
	file     string
	lx       lexer
	tok      token
	funcName string
	sawMpc   bool // some field was assigned as mpc.<field> (version 2 style)
}

func (p *parser) advance() *diag.Diagnostic {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) fail(d *diag.Diagnostic) error {
	d.File = p.file
	return d
}

func (p *parser) errAt(t token, format string, args ...any) error {
	return &diag.Diagnostic{File: p.file, Line: t.line, Col: t.col, Msg: fmt.Sprintf(format, args...)}
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of file"
	case tNewline:
		return "end of line"
	case tString:
		return fmt.Sprintf("string %q", t.text)
	case tNumber:
		if t.raw != nil {
			return fmt.Sprintf("%q", t.raw)
		}
		return fmt.Sprintf("%q", t.text)
	default:
		return fmt.Sprintf("%q", t.text)
	}
}

// parse reads every statement into a map from field name (without the
// "mpc." prefix) to value.
func (p *parser) parse() (map[string]*value, error) {
	vals := map[string]*value{}
	if err := p.advance(); err != nil {
		return nil, p.fail(err)
	}
	for {
		switch p.tok.kind {
		case tEOF:
			return vals, nil
		case tNewline:
			if err := p.advance(); err != nil {
				return nil, p.fail(err)
			}
			continue
		case tPunct:
			if p.tok.text == ";" || p.tok.text == "," {
				if err := p.advance(); err != nil {
					return nil, p.fail(err)
				}
				continue
			}
		}
		if p.tok.kind == tIdent && (p.tok.text == "function" || p.tok.text == "end" || p.tok.text == "endfunction") {
			if err := p.skipFunctionLine(); err != nil {
				return nil, err
			}
			continue
		}
		if p.tok.kind != tIdent {
			return nil, p.errAt(p.tok, "expected an assignment such as mpc.bus = [...], found %s", describe(p.tok))
		}
		name := p.tok
		if err := p.advance(); err != nil {
			return nil, p.fail(err)
		}
		if p.tok.kind != tPunct || p.tok.text != "=" {
			return nil, p.errAt(p.tok, "expected '=' after %s, found %s (only assignments of literal values are supported)", name.text, describe(p.tok))
		}
		if err := p.advance(); err != nil {
			return nil, p.fail(err)
		}
		v, err := p.parseValue(name.text)
		if err != nil {
			return nil, err
		}
		v.line = name.line
		field, isMpc := strings.CutPrefix(name.text, "mpc.")
		p.sawMpc = p.sawMpc || isMpc
		if _, dup := vals[field]; dup {
			return nil, p.errAt(name, "%s is assigned twice", name.text)
		}
		vals[field] = v
		// The statement ends at ';', ',' or a newline.
		switch {
		case p.tok.kind == tEOF || p.tok.kind == tNewline:
		case p.tok.kind == tPunct && (p.tok.text == ";" || p.tok.text == ","):
		default:
			return nil, p.errAt(p.tok, "unexpected %s after the value of %s (expressions are not supported)", describe(p.tok), name.text)
		}
	}
}

// skipFunctionLine skips "function mpc = name" (or "function [a, b] =
// name") and remembers the name.
func (p *parser) skipFunctionLine() error {
	isFunc := p.tok.text == "function"
	var last string
	for p.tok.kind != tNewline && p.tok.kind != tEOF {
		if p.tok.kind == tIdent {
			last = p.tok.text
		}
		if err := p.advance(); err != nil {
			return p.fail(err)
		}
	}
	if isFunc && p.funcName == "" {
		p.funcName = last
	}
	return nil
}

func (p *parser) parseValue(name string) (*value, error) {
	t := p.tok
	switch {
	case t.kind == tNumber, t.kind == tPunct && (t.text == "-" || t.text == "+"):
		x, err := p.parseNumber()
		if err != nil {
			return nil, err
		}
		return &value{scalar: x}, nil
	case t.kind == tString:
		if err := p.advance(); err != nil {
			return nil, p.fail(err)
		}
		return &value{str: t.text, isStr: true}, nil
	case t.kind == tPunct && t.text == "[":
		return p.parseMatrix(name)
	case t.kind == tPunct && t.text == "{":
		return p.parseCell(name)
	}
	return nil, p.errAt(t, "expected a number, string, matrix [...] or cell array {...} for %s, found %s", name, describe(t))
}

func (p *parser) parseNumber() (float64, error) {
	sign := 1.0
	for p.tok.kind == tPunct && (p.tok.text == "-" || p.tok.text == "+") {
		if p.tok.text == "-" {
			sign = -sign
		}
		if err := p.advance(); err != nil {
			return 0, p.fail(err)
		}
	}
	if p.tok.kind != tNumber {
		return 0, p.errAt(p.tok, "expected a number, found %s", describe(p.tok))
	}
	x := sign * p.tok.num
	if err := p.advance(); err != nil {
		return 0, p.fail(err)
	}
	return x, nil
}

func (p *parser) parseMatrix(name string) (*value, error) {
	open := p.tok
	v := &value{isMat: true}
	if err := p.advance(); err != nil {
		return nil, p.fail(err)
	}
	var row []float64
	rowLine := 0
	endRow := func() error {
		if len(row) == 0 {
			return nil
		}
		if len(v.rows) > 0 && len(row) != len(v.rows[0]) {
			return &diag.Diagnostic{File: p.file, Line: rowLine, Field: fmt.Sprintf("%s row %d", name, len(v.rows)+1),
				Msg: fmt.Sprintf("row has %d columns, the first row has %d", len(row), len(v.rows[0]))}
		}
		v.rows = append(v.rows, row)
		v.rowLine = append(v.rowLine, rowLine)
		row = make([]float64, 0, len(v.rows[0]))
		return nil
	}
	for {
		t := p.tok
		switch {
		case t.kind == tEOF:
			return nil, p.errAt(open, "matrix %s is not closed with ']'", name)
		case t.kind == tPunct && t.text == "]":
			if err := endRow(); err != nil {
				return nil, err
			}
			if err := p.advance(); err != nil {
				return nil, p.fail(err)
			}
			if p.tok.kind == tPunct && p.tok.text == "'" {
				return nil, p.errAt(p.tok, "transposed matrices are not supported in %s", name)
			}
			return v, nil
		case t.kind == tNewline || (t.kind == tPunct && t.text == ";"):
			if err := endRow(); err != nil {
				return nil, err
			}
			if err := p.advance(); err != nil {
				return nil, p.fail(err)
			}
		case t.kind == tPunct && t.text == ",":
			if err := p.advance(); err != nil {
				return nil, p.fail(err)
			}
		case t.kind == tNumber || (t.kind == tPunct && (t.text == "-" || t.text == "+")):
			if len(row) == 0 {
				rowLine = t.line
			}
			x, err := p.parseNumber()
			if err != nil {
				return nil, err
			}
			row = append(row, x)
		case t.kind == tIdent:
			return nil, p.errAt(t, "matrix %s (opened at line %d) is not closed with ']' before %s", name, open.line, describe(t))
		default:
			return nil, p.errAt(t, "unexpected %s in matrix %s (only numbers are allowed)", describe(t), name)
		}
	}
}

func (p *parser) parseCell(name string) (*value, error) {
	open := p.tok
	v := &value{isCell: true}
	if err := p.advance(); err != nil {
		return nil, p.fail(err)
	}
	for {
		t := p.tok
		switch {
		case t.kind == tEOF:
			return nil, p.errAt(open, "cell array %s is not closed with '}'", name)
		case t.kind == tPunct && t.text == "}":
			if err := p.advance(); err != nil {
				return nil, p.fail(err)
			}
			return v, nil
		case t.kind == tNewline || (t.kind == tPunct && (t.text == ";" || t.text == ",")):
			if err := p.advance(); err != nil {
				return nil, p.fail(err)
			}
		case t.kind == tString:
			v.cells = append(v.cells, t.text)
			if err := p.advance(); err != nil {
				return nil, p.fail(err)
			}
		case t.kind == tNumber:
			v.cells = append(v.cells, string(t.raw))
			if err := p.advance(); err != nil {
				return nil, p.fail(err)
			}
		default:
			return nil, p.errAt(t, "unexpected %s in cell array %s", describe(t), name)
		}
	}
}
