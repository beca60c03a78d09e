package flags_test

import (
	"fmt"

	"github.com/rankflow/rankflow/pipeline/flags"
)

func ExampleParse() {
	set, err := flags.Parse("flags.yaml", []byte(`
kill:
  - popular/filter_seen
  - "*/score_linear"
  - video/*
params:
  video.shuffle_probability: 0.1
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(set.Killed("popular", "filter_seen"), set.Killed("home", "filter_seen"))
	fmt.Println(set.Killed("home", "score_linear"), set.Killed("video", "shuffle"))
	fmt.Println(set.Float("video.shuffle_probability"))

	_, err = flags.Parse("flags.yaml", []byte("kill: [popular]\n"))
	fmt.Println(err)
	// Output:
	// true false
	// true true
	// 0.1 true
	// flags.yaml:1:8: kill[0] "popular": want pipeline/stage, such as popular/filter_seen, with * for any
}
