package stage

import "testing"

func TestSnake(t *testing.T) {
	for give, want := range map[string]string{
		"fetchPopular":  "fetch_popular",
		"HTTPFetch":     "http_fetch",
		"topK":          "top_k",
		"fetchV2":       "fetch_v2",
		"HTTP2Server":   "http2_server",
		"ABTest":        "ab_test",
		"MyHTTP":        "my_http",
		"X":             "x",
		"already_snake": "already_snake",
		"":              "",
	} {
		if got := snake(give); got != want {
			t.Errorf("snake(%q) = %q, want %q", give, got, want)
		}
	}
}
