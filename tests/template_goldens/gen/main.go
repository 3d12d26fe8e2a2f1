// Command gen renders the mail-template golden cases with Go's own html/template, set up as
// GoTrue does (supabase/auth internal/mailer/templatemailer/template.go: template.New(name).Parse,
// Execute with a map[string]any of strings plus "Data", the user metadata decoded by
// encoding/json). It reads every ../cases/*.json and writes ../golden/<same name>.
//
//	go run . [DIR]   (DIR defaults to the parent of this directory: tests/template_goldens)
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"sort"
)

type testCase struct {
	Name     string                     `json:"name"`
	Template string                     `json:"template"`
	Data     map[string]json.RawMessage `json:"data"`
	Subject  bool                       `json:"subject"`
}

type result struct {
	Name    string  `json:"name"`
	Output  *string `json:"output,omitempty"`
	Error   string  `json:"error,omitempty"`
	Message string  `json:"message,omitempty"`
}

// templateData builds the value GoTrue passes to Execute: every top-level field as decoded by
// encoding/json (strings in practice), "Data" as a map like models.User's UserMetaData (empty when
// absent; a nil and an empty map render alike).
func templateData(fields map[string]json.RawMessage) (map[string]any, error) {
	data := map[string]any{"Data": map[string]any{}}
	for key, raw := range fields {
		var value any
		if err := json.Unmarshal(raw, &value); err != nil {
			return nil, fmt.Errorf("field %s: %w", key, err)
		}
		data[key] = value
	}
	return data, nil
}

func render(c testCase) (result, error) {
	out := result{Name: c.Name}
	data, err := templateData(c.Data)
	if err != nil {
		return out, err
	}
	name := "https://example.com/templates/" + c.Name + ".html"
	if c.Subject {
		name = "Subject"
	}
	tmpl, err := template.New(name).Parse(c.Template)
	if err != nil {
		out.Error, out.Message = "parse", err.Error()
		return out, nil
	}
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, data); err != nil {
		out.Error, out.Message = "exec", err.Error()
		return out, nil
	}
	text := buf.String()
	out.Output = &text
	return out, nil
}

func generate(casesPath, goldenPath string) error {
	source, err := os.ReadFile(casesPath)
	if err != nil {
		return err
	}
	var cases []testCase
	decoder := json.NewDecoder(bytes.NewReader(source))
	decoder.DisallowUnknownFields()
	if err := decoder.Decode(&cases); err != nil {
		return fmt.Errorf("%s: %w", casesPath, err)
	}
	seen := map[string]bool{}
	results := make([]result, 0, len(cases))
	for _, c := range cases {
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("%s: case name %q is empty or repeated", casesPath, c.Name)
		}
		seen[c.Name] = true
		r, err := render(c)
		if err != nil {
			return fmt.Errorf("%s: case %s: %w", casesPath, c.Name, err)
		}
		results = append(results, r)
	}
	var buf bytes.Buffer
	encoder := json.NewEncoder(&buf)
	encoder.SetEscapeHTML(false)
	encoder.SetIndent("", "  ")
	if err := encoder.Encode(results); err != nil {
		return err
	}
	return os.WriteFile(goldenPath, buf.Bytes(), 0o644)
}

func main() {
	dir := ".."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	files, err := filepath.Glob(filepath.Join(dir, "cases", "*.json"))
	if err == nil && len(files) == 0 {
		err = errors.New("no cases/*.json under " + dir)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "template-goldens:", err)
		os.Exit(1)
	}
	sort.Strings(files)
	if err := os.MkdirAll(filepath.Join(dir, "golden"), 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "template-goldens:", err)
		os.Exit(1)
	}
	for _, casesPath := range files {
		goldenPath := filepath.Join(dir, "golden", filepath.Base(casesPath))
		if err := generate(casesPath, goldenPath); err != nil {
			fmt.Fprintln(os.Stderr, "template-goldens:", err)
			os.Exit(1)
		}
		fmt.Println("template-goldens: wrote", goldenPath)
	}
}
