package score

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Model is a linear model: a bias and a weight per feature, as stored in a
// weights file.
type Model struct {
	Bias    float64            `json:"bias" yaml:"bias"`
	Weights map[string]float64 `json:"weights" yaml:"weights"`
}

// LoadWeights reads a linear model from the JSON (".json") or YAML (any
// other extension) file at path. Unknown keys are errors, and so is a file
// without weights. Errors name the file.
func LoadWeights(path string) (Model, error) {
	var m Model
	data, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("read weights: %w", err)
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		err = dec.Decode(&m)
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(data))
		dec.KnownFields(true)
		err = dec.Decode(&m)
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("the file is empty")
	}
	if err != nil {
		return Model{}, fmt.Errorf("weights file %s: %w", path, err)
	}
	if len(m.Weights) == 0 {
		return Model{}, fmt.Errorf("weights file %s: %w", path, errNoWeights)
	}
	return m, nil
}

var errNoWeights = errors.New("no weights")

// resolve returns path relative to dir unless it is absolute.
func resolve(dir, path string) string {
	if filepath.IsAbs(path) || dir == "" {
		return path
	}
	return filepath.Join(dir, path)
}
