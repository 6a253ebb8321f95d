package model

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// JSONSchema returns the JSON Schema (draft 2020-12) of the city model,
// generated from the Go types: field names and descriptions from the yaml
// and doc struct tags, enumerations from the value tables, and required
// fields from the absence of omitempty. docs/city.schema.json is its output;
// CI checks that the two agree.
func JSONSchema() ([]byte, error) {
	defs := map[string]any{}
	root := schemaOf(reflect.TypeFor[City](), defs)
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"$id":         "https://citadel-city.github.io/schema/city.schema.json",
		"title":       "Citadel city model",
		"description": "A city's zones, conduits, physical elements, assets, entry points and targets. See docs/model.md.",
	}
	for k, v := range defs["City"].(map[string]any) {
		doc[k] = v
	}
	delete(defs, "City")
	doc["$defs"] = defs
	_ = root
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func schemaOf(t reflect.Type, defs map[string]any) map[string]any {
	switch t.Kind() {
	case reflect.Pointer:
		return schemaOf(t.Elem(), defs)
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem(), defs)}
	case reflect.String:
		s := map[string]any{"type": "string"}
		if vals, ok := enumValues[t.Name()]; ok {
			s["enum"] = vals
		}
		return s
	case reflect.Int:
		return map[string]any{"type": "integer"}
	case reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Struct:
		name := t.Name()
		if _, ok := defs[name]; !ok {
			defs[name] = nil // break recursion
			props := map[string]any{}
			var required []string
			for _, f := range modelFields(t) {
				yn := yamlName(f)
				p := schemaOf(f.Type, defs)
				if d := f.Tag.Get("doc"); d != "" {
					p = withDescription(p, d)
				}
				props[yn] = p
				if !strings.Contains(f.Tag.Get("yaml"), "omitempty") {
					required = append(required, yn)
				}
			}
			def := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
			if len(required) > 0 {
				def["required"] = required
			}
			defs[name] = def
		}
		return map[string]any{"$ref": "#/$defs/" + name}
	}
	return map[string]any{}
}

// withDescription adds a description; a $ref cannot carry siblings in every
// validator, so it is wrapped in allOf.
func withDescription(p map[string]any, d string) map[string]any {
	if _, ok := p["$ref"]; ok {
		return map[string]any{"allOf": []any{p}, "description": d}
	}
	q := map[string]any{"description": d}
	for k, v := range p {
		q[k] = v
	}
	return q
}
