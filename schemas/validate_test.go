package schemas_test

import (
	"fmt"
	"regexp"
	"slices"
	"time"
)

// validate checks v against the subset of JSON Schema the generator
// emits: type (a name or a list), properties, required,
// additionalProperties, items, enum, pattern and the date and date-time
// formats. It returns one error per violation, located by path.
func validate(s map[string]any, v any, path string) []error {
	if !typeOK(s["type"], v) {
		return []error{fmt.Errorf("%s: %T is not of type %v", path, v, s["type"])}
	}
	var errs []error
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		errs = append(errs, fmt.Errorf("%s: %v not in %v", path, v, enum))
	}
	switch v := v.(type) {
	case string:
		errs = append(errs, validateString(s, v, path)...)
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, e := range v {
				errs = append(errs, validate(items, e, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
	case map[string]any:
		errs = append(errs, validateObject(s, v, path)...)
	}
	return errs
}

func validateObject(s map[string]any, v map[string]any, path string) []error {
	var errs []error
	props, _ := s["properties"].(map[string]any)
	for _, r := range asSlice(s["required"]) {
		if _, ok := v[r.(string)]; !ok {
			errs = append(errs, fmt.Errorf("%s: required property %q missing", path, r))
		}
	}
	for k, e := range v {
		ps, ok := props[k].(map[string]any)
		switch {
		case ok:
			errs = append(errs, validate(ps, e, path+"."+k)...)
		case s["additionalProperties"] == false:
			errs = append(errs, fmt.Errorf("%s: unknown property %q", path, k))
		default:
			if as, ok := s["additionalProperties"].(map[string]any); ok {
				errs = append(errs, validate(as, e, path+"."+k)...)
			}
		}
	}
	return errs
}

func validateString(s map[string]any, v, path string) []error {
	if p, ok := s["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
		return []error{fmt.Errorf("%s: %q does not match %s", path, v, p)}
	}
	layout := map[any]string{"date": time.DateOnly, "date-time": time.RFC3339Nano}[s["format"]]
	if _, err := time.Parse(layout, v); layout != "" && err != nil {
		return []error{fmt.Errorf("%s: %q is not a %v", path, v, s["format"])}
	}
	return nil
}

func typeOK(t, v any) bool {
	if t == nil {
		return true
	}
	for _, name := range append(asSlice(t), t) {
		ok := false
		switch name {
		case "string":
			_, ok = v.(string)
		case "integer":
			f, isNum := v.(float64)
			ok = isNum && f == float64(int64(f))
		case "number":
			_, ok = v.(float64)
		case "boolean":
			_, ok = v.(bool)
		case "array":
			_, ok = v.([]any)
		case "object":
			_, ok = v.(map[string]any)
		case "null":
			ok = v == nil
		}
		if ok {
			return true
		}
	}
	return false
}

func asSlice(v any) []any { s, _ := v.([]any); return s }
