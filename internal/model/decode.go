package model

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unsafe"

	"github.com/citadel-city/citadel/internal/diag"
	"go.yaml.in/yaml/v3"
)

// Pos is a position in a model file.
type Pos struct{ Line, Col int }

// positions maps the address and type of every decoded value to where it
// was read (a struct and its first field share an address).
type positions map[posKey]Pos

type posKey struct {
	ptr unsafe.Pointer
	typ reflect.Type
}

// Load reads and validates the model in file. Every problem found is
// returned together as a diag.List; on any problem no City is returned.
func Load(file string) (*City, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, diag.Errorf("read model: %v (check the path; without a file 'citadel assess' uses the embedded sample city)", err)
		}
		return nil, fmt.Errorf("read model: %w", err)
	}
	return Parse(file, data)
}

// Parse reads and validates a model from data; file names it in messages.
func Parse(file string, data []byte) (*City, error) {
	c, errs := decodeCity(file, data)
	if c != nil {
		// Validate what could be decoded too, so that one run reports every
		// mistake; a value that failed to decode is left empty.
		errs = append(errs, c.validate()...)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	c.resolve()
	return c, nil
}

func decodeCity(file string, data []byte) (*City, diag.List) {
	d := &decoder{file: file, pos: positions{}}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, diag.List{{File: file, Line: 1, Col: 1, Msg: "the model is empty", Hint: "see docs/model.md for a complete example"}}
		}
		return nil, diag.List{yamlSyntaxError(file, err)}
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 && root.Content[0].Kind != yaml.MappingNode {
		n := root.Content[0]
		return nil, diag.List{{File: file, Line: n.Line, Col: n.Column, Msg: "expected a mapping of fields, found " + kindName(n), Hint: "a model starts with 'name:', 'zones:', 'assets:' ..."}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errorf(&extra, nil, "a model file holds one YAML document, found a second one", "remove the '---' separator or split the file")
	}
	c := &City{File: file}
	doc := &root
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		doc = doc.Content[0]
	}
	d.decode(doc, reflect.ValueOf(c).Elem(), nil)
	c.pos = d.pos
	return c, d.errs
}

// yamlSyntaxError turns a yaml.v3 error ("yaml: line 7: did not find ...")
// into a diagnostic with the line.
func yamlSyntaxError(file string, err error) *diag.Diagnostic {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.Index(rest, ":"); i > 0 {
			if n, e := strconv.Atoi(rest[:i]); e == nil {
				line, msg = n, strings.TrimSpace(rest[i+1:])
			}
		}
	}
	return &diag.Diagnostic{File: file, Line: line, Msg: "YAML syntax: " + msg, Hint: "check indentation and quoting near this line"}
}

type decoder struct {
	file string
	pos  positions
	errs diag.List
}

func (d *decoder) errorf(n *yaml.Node, field *fieldPath, msg, hint string) {
	d.errs = append(d.errs, &diag.Diagnostic{File: d.file, Line: n.Line, Col: n.Column, Field: field.String(), Msg: msg, Hint: hint})
}

// fieldPath is the path of a value being decoded, such as assets[3].zones[0].
// It is built into a string only when an error is reported.
type fieldPath struct {
	parent *fieldPath
	key    string // a field name, or "" for a list index
	index  int
}

func (p *fieldPath) String() string {
	if p == nil {
		return ""
	}
	prefix := p.parent.String()
	if p.key == "" {
		return fmt.Sprintf("%s[%d]", prefix, p.index)
	}
	if prefix == "" {
		return p.key
	}
	return prefix + "." + p.key
}

var (
	stringType = reflect.TypeFor[string]()
)

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing (null)"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an unexpected node"
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path *fieldPath) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if v.CanAddr() {
		d.pos[posKey{v.Addr().UnsafePointer(), v.Type()}] = Pos{n.Line, n.Column}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, path, "expected a list, found "+kindName(n), "write '- item' lines or [a, b]")
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, c := range n.Content {
			d.decode(c, s.Index(i), &fieldPath{parent: path, index: i})
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
			d.errorf(n, path, "expected a string, found "+kindName(n), "")
			return
		}
		v.SetString(n.Value)
		if v.Type() != stringType {
			d.checkEnum(n, v, path)
		}
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			d.errorf(n, path, "expected an integer, found "+kindName(n), "")
			return
		}
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil || i > math.MaxInt32 || i < math.MinInt32 {
			d.errorf(n, path, fmt.Sprintf("integer %s out of range", n.Value), "")
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		if n.Kind != yaml.ScalarNode || (n.Tag != "!!float" && n.Tag != "!!int") {
			d.errorf(n, path, "expected a number, found "+kindName(n), "")
			return
		}
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			d.errorf(n, path, fmt.Sprintf("bad number %q", n.Value), "")
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			d.errorf(n, path, "expected true or false, found "+kindName(n), "")
			return
		}
		v.SetBool(n.Value == "true" || n.Value == "True" || n.Value == "TRUE")
	default:
		d.errorf(n, path, "internal: cannot decode into "+v.Type().String(), "")
	}
}

// fieldTable lists the YAML names of a struct's fields.
type fieldTable struct {
	names []string
	index map[string][]int
}

var fieldTables sync.Map // reflect.Type → *fieldTable

func fieldsOf(t reflect.Type) *fieldTable {
	if ft, ok := fieldTables.Load(t); ok {
		return ft.(*fieldTable)
	}
	ft := &fieldTable{index: map[string][]int{}}
	for _, f := range modelFields(t) {
		name := yamlName(f)
		ft.names = append(ft.names, name)
		ft.index[name] = f.Index
	}
	fieldTables.Store(t, ft)
	return ft
}

// modelFields lists the fields of a model struct in declaration order, with
// the fields of an embedded struct (yaml ",inline", like Profile) in its
// place, and without the fields YAML does not see.
func modelFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for _, f := range reflect.VisibleFields(t) {
		if f.Anonymous || yamlName(f) == "" {
			continue
		}
		out = append(out, f)
	}
	return out
}

func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "-" {
		return ""
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path *fieldPath) {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping of fields, found "+kindName(n), "write 'field: value' lines")
		return
	}
	ft := fieldsOf(v.Type())
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		fpath := &fieldPath{parent: path, key: k.Value}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "field names must be plain words", "")
			continue
		}
		if k.Value == "<<" {
			d.errorf(k, path, "YAML merge keys are not supported", "use 'template' to share fields between assets")
			continue
		}
		fi, ok := ft.index[k.Value]
		if !ok {
			d.errorf(k, fpath, fmt.Sprintf("unknown field %q", k.Value), suggest(k.Value, ft.names, "valid fields"))
			continue
		}
		if seen[k.Value] {
			d.errorf(k, fpath, fmt.Sprintf("field %q given twice", k.Value), "keep one")
			continue
		}
		seen[k.Value] = true
		d.decode(val, v.FieldByIndex(fi), fpath)
	}
}

func (d *decoder) checkEnum(n *yaml.Node, v reflect.Value, path *fieldPath) {
	vals, ok := enumValues[v.Type().Name()]
	if !ok {
		return
	}
	s := v.String()
	if s == "" || contains(vals, s) {
		return
	}
	what := strings.ToLower(v.Type().Name())
	d.errorf(n, path, fmt.Sprintf("unknown %s %q", what, s), suggest(s, vals, "one of"))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest proposes the closest valid value, or lists them when none is close.
func suggest(got string, valid []string, label string) string {
	if best, ok := diag.Closest(got, valid); ok {
		return fmt.Sprintf("did you mean %q?", best)
	}
	if len(valid) > 12 {
		return fmt.Sprintf("%s: %s, ... (see docs/model.md)", label, strings.Join(valid[:12], ", "))
	}
	return fmt.Sprintf("%s: %s", label, strings.Join(valid, ", "))
}

// PosOf returns where the value at ptr (a pointer into the City) was read.
func (c *City) PosOf(ptr any) Pos {
	if c == nil || c.pos == nil {
		return Pos{}
	}
	v := reflect.ValueOf(ptr)
	return c.pos[posKey{v.UnsafePointer(), v.Type().Elem()}]
}
