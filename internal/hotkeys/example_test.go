package hotkeys_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/rankflow/rankflow/internal/hotkeys"
)

func ExampleScan() {
	log := `OK
1655767305.672853 [0 10.8.144.28:61122] "get" "post:3hg9w"
1655767305.672862 [0 10.8.144.28:61122] "get" "deleted_posts"
1655767305.672870 [0 10.8.144.28:61122] "mget" "deleted_posts" "post:x\xff"
1655767305.672881 [0 10.8.144.28:61124] "ping"
`
	res, err := hotkeys.Scan(context.Background(), strings.NewReader(log), hotkeys.Options{})
	if err != nil {
		panic(err)
	}
	for _, e := range res.Top(2) {
		fmt.Println(e.Count, hotkeys.Quote(e.Key))
	}
	distinct, exact := res.Distinct()
	fmt.Printf("%d lines, %d skipped, %d distinct keys, exact: %v\n", res.Lines, res.Skipped, distinct, exact)
	// Output:
	// 2 "deleted_posts"
	// 1 "post:3hg9w"
	// 5 lines, 1 skipped, 3 distinct keys, exact: true
}

func ExampleCounter() {
	c := hotkeys.NewCounter(2)
	for _, k := range strings.Fields("a a a b c a") {
		c.Add([]byte(k))
	}
	for _, e := range c.Top(-1) {
		fmt.Printf("%s %d±%d\n", e.Key, e.Count, e.Err)
	}
	fmt.Println("exact:", c.Exact(), "unlisted keys seen at most", c.Min(), "times")
	// Output:
	// a 4±0
	// c 2±1
	// exact: false unlisted keys seen at most 2 times
}
