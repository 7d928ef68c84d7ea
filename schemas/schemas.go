// Package schemas holds the JSON Schemas of the ledger's events, generated
// from the Go types with github.com/invopop/jsonschema, and the generator
// that writes them.
//
// The committed files are the contract with downstream systems:
//
//	schemas/events/<type>.json   one per event type: the JSON payload (a
//	                             message body, or "data" of a batch element);
//	                             $id is the event's ce-dataschema attribute,
//	                             urn:ledger:schema:<type>:v<schema version>
//	schemas/envelope.json        the CloudEvents attributes of one event in
//	                             structured form (a batch element; in a
//	                             single-event message the same attributes are
//	                             headers named "ce-<attribute>")
//
// Regenerate them with "go run ./schemas/gen" from the module root after
// changing an event type; "go run ./schemas/gen -check" (and this package's
// tests) fail when the committed files differ from the code.
package schemas

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"

	"ledger/domain"
)

// Dir is where the schemas live, relative to the module root.
const Dir = "schemas"

// DataSchema returns the ce-dataschema attribute (and the schema's $id) of
// an event type at the current schema version.
func DataSchema(eventType string) string {
	return "urn:ledger:schema:" + eventType + ":v" + strconv.Itoa(domain.SchemaVersion)
}

// Generate returns every schema file, keyed by its slash-separated path
// under Dir. root is the module root (the Go comments of domain/ and
// schemas/ become descriptions).
func Generate(root string) (map[string][]byte, error) {
	r, err := newReflector(root)
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	for _, ev := range domain.EventTypes() {
		s := r.Reflect(ev)
		nullableArrays(s)
		s.ID = jsonschema.ID(DataSchema(ev.EventType()))
		s.Title = ev.EventType()
		if files["events/"+ev.EventType()+".json"], err = encode(s); err != nil {
			return nil, err
		}
	}
	s := r.Reflect(&CloudEvent{})
	s.ID = "urn:ledger:schema:envelope:v1"
	s.Title = "ledger event (CloudEvents 1.0 attributes)"
	if files["envelope.json"], err = encode(s); err != nil {
		return nil, err
	}
	return files, nil
}

func encode(s *jsonschema.Schema) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, fmt.Errorf("schemas: %w", err)
	}
	// Schema.MarshalJSON escapes <, > and & itself; keep them readable.
	return []byte(htmlEscapes.Replace(b.String())), nil
}

var htmlEscapes = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&")

// nullableArrays lets every array be null too: Go encodes a nil slice as
// null (for example "elected" of a round in which no one was elected).
func nullableArrays(s *jsonschema.Schema) {
	if s == nil {
		return
	}
	if s.Type == "array" {
		s.Type = ""
		if s.Extras == nil {
			s.Extras = map[string]any{}
		}
		s.Extras["type"] = []string{"array", "null"}
	}
	nullableArrays(s.Items)
	if s.Properties != nil {
		for p := s.Properties.Oldest(); p != nil; p = p.Next() {
			nullableArrays(p.Value)
		}
	}
}

// newReflector inlines every type (no $ref), forbids unknown properties,
// requires every field without omitempty/omitzero, and maps the domain's
// string types to their formats.
func newReflector(root string) (*jsonschema.Reflector, error) {
	r := &jsonschema.Reflector{DoNotReference: true, ExpandedStruct: true, Mapper: mapType}
	r.CommentMap = map[string]string{}
	for _, pkg := range []string{"domain", "schemas"} {
		if err := addComments(r.CommentMap, root, pkg); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// addComments reads the Go comments of package dir under root into m,
// keyed as the reflector looks them up ("ledger/<dir>.Type[.Field]")
// wherever root is.
func addComments(m map[string]string, root, dir string) error {
	var tmp jsonschema.Reflector
	src := filepath.Join(root, dir)
	if err := tmp.AddGoComments("x", src); err != nil {
		return fmt.Errorf("schemas: read Go comments of %s: %w", src, err)
	}
	from := path.Join("x", filepath.ToSlash(src)) + "."
	for k, v := range tmp.CommentMap {
		if rest, ok := strings.CutPrefix(k, from); ok {
			m["ledger/"+dir+"."+rest] = v
		}
	}
	return nil
}

func mapType(t reflect.Type) *jsonschema.Schema {
	switch t {
	case reflect.TypeFor[domain.Date]():
		return &jsonschema.Schema{Type: "string", Format: "date", Description: "a calendar day, YYYY-MM-DD (China time)"}
	case reflect.TypeFor[domain.Region]():
		return &jsonschema.Schema{Type: "string", Pattern: `^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12})$`,
			Description: "administrative division code (GB/T 2260 style): 2, 4, 6, 9 or 12 digits"}
	}
	return nil
}

// Write regenerates the schema files under root/Dir and removes stale ones.
func Write(root string) error {
	files, err := Generate(root)
	if err != nil {
		return err
	}
	stale, err := committed(root)
	if err != nil {
		return err
	}
	for name := range stale {
		if _, ok := files[name]; !ok {
			if err := os.Remove(filepath.Join(root, Dir, filepath.FromSlash(name))); err != nil {
				return err
			}
		}
	}
	for name, b := range files {
		p := filepath.Join(root, Dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Check compares the committed schema files under root/Dir with the
// generated ones and returns one line per file that differs, is missing or
// is extra; none when they match.
func Check(root string) ([]string, error) {
	want, err := Generate(root)
	if err != nil {
		return nil, err
	}
	got, err := committed(root)
	if err != nil {
		return nil, err
	}
	var diffs []string
	for name, b := range want {
		g, ok := got[name]
		switch {
		case !ok:
			diffs = append(diffs, "missing: "+path.Join(Dir, name))
		case !bytes.Equal(g, b):
			diffs = append(diffs, "differs: "+path.Join(Dir, name))
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			diffs = append(diffs, "extra: "+path.Join(Dir, name))
		}
	}
	slices.Sort(diffs)
	return diffs, nil
}

// committed reads the .json files under root/Dir.
func committed(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	fsys := os.DirFS(filepath.Join(root, Dir))
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".json") {
			return err
		}
		files[p], err = fs.ReadFile(fsys, p)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("schemas: read committed schemas: %w", err)
	}
	return files, nil
}
