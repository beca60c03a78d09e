// Package examples holds the example pipelines for the talk's feeds
// (popular, home, video, livestream) on the demo dataset, with their YAML
// tests. The rankflow binary embeds them, so `rankflow serve` and
// `rankflow rank` work with no configuration.
package examples

import "embed"

// Feeds holds feeds/*.yaml, the example pipelines and their tests.
//
//go:embed feeds
var Feeds embed.FS

// FeedsDir is the root of the example pipelines in Feeds.
const FeedsDir = "feeds"
