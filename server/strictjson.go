package server

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// checkKeys refuses a JSON body that encoding/json would accept too
// leniently: a key twice in one object (also when they differ only in
// case: the decoder would keep the last) and a key that names a field of t
// in another case ("REGION" for "region"). Malformed JSON passes: the
// decoder that follows reports it. The problem names the key.
func checkKeys(body []byte, t reflect.Type) *Problem {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	p, _ := walkValue(dec, t)
	return p
}

// walkValue reads one value; t is its Go type when known (nil: any).
func walkValue(dec *json.Decoder, t reflect.Type) (*Problem, bool) {
	tok, err := dec.Token()
	if err != nil {
		return nil, false
	}
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t != nil && (t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType)) {
		t = nil // its own decoding: only duplicates are checked
	}
	switch tok {
	case json.Delim('{'):
		return walkObject(dec, t)
	case json.Delim('['):
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for dec.More() {
			if p, ok := walkValue(dec, elem); !ok || p != nil {
				return p, ok
			}
		}
		_, err := dec.Token()
		return nil, err == nil
	}
	return nil, true
}

func walkObject(dec *json.Decoder, t reflect.Type) (*Problem, bool) {
	var fields map[string]reflect.Type
	if t != nil && t.Kind() == reflect.Struct {
		fields = jsonFields(t)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return nil, false
		}
		folded := strings.ToLower(key)
		if seen[folded] {
			return errDuplicateKey(key), true
		}
		seen[folded] = true
		var ft reflect.Type
		switch {
		case fields != nil:
			var p *Problem
			if ft, p = fieldType(fields, key); p != nil {
				return p, true
			}
		case t != nil && t.Kind() == reflect.Map:
			ft = t.Elem()
		}
		if p, ok := walkValue(dec, ft); !ok || p != nil {
			return p, ok
		}
	}
	_, err := dec.Token()
	return nil, err == nil
}

// fieldType returns the type of the field named key exactly; a field that
// matches only in another case is refused.
func fieldType(fields map[string]reflect.Type, key string) (reflect.Type, *Problem) {
	if ft, ok := fields[key]; ok {
		return ft, nil
	}
	for name := range fields {
		if strings.EqualFold(name, key) {
			return nil, newProblem(classBadRequest, "key_case", "键名大小写不符: \""+key+"\"（应为 \""+name+"\"）",
				"key \""+key+"\" must be spelled \""+name+"\": keys are case-sensitive")
		}
	}
	return nil, nil // unknown: the strict decoder refuses it
}

func errDuplicateKey(key string) *Problem {
	return newProblem(classBadRequest, "duplicate_key", "JSON 键重复: \""+key+"\"",
		"key \""+key+"\" appears twice in one object (keys are compared without case)")
}

// jsonFields returns the JSON names of t's fields (embedded structs'
// fields promoted) with their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" && !strings.HasPrefix(tag, "-,") || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if f.Anonymous && name == "" && ft.Kind() == reflect.Struct {
			for k, v := range jsonFields(ft) {
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}
