package pipeline_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rankflow/rankflow/pipeline"
)

// FuzzParse feeds arbitrary bytes to the decoder and builder: no input may
// panic or hang, and an input is either built or rejected with problems.
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"testdata/golden/*.yaml", "testdata/broken/*.yaml"} {
		files, _ := filepath.Glob(glob)
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := pipeline.Parse(map[string][]byte{"fuzz.yaml": data}, pipeline.Options{})
		if err != nil {
			if _, ok := err.(pipeline.Problems); !ok {
				t.Fatalf("error of type %T, want pipeline.Problems: %v", err, err)
			}
			if set != nil {
				t.Fatal("a set and an error")
			}
			return
		}
		if len(set.Names()) == 0 {
			// Only fragments: valid but serves nothing.
			set.Close()
			return
		}
		set.Close()
	})
}
