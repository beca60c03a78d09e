// Package pipeline turns pipeline configs written in YAML into stages: it
// decodes them strictly, checks them (lint) with every problem's
// file:line:column and YAML path, builds them from a registry of stage specs
// with the platform's middlewares around every stage, and holds the result
// as a Set that a server swaps atomically on reload.
//
// A config file holds named pipelines and fragments (pipelines that only
// other pipelines use):
//
//	pipelines:
//	  popular:
//	    limit: 25          # default when the request sets none
//	    budget: 100ms      # the whole pipeline's latency budget
//	    on_timeout: fail   # fail, skip or partial
//	    context:           # what a request's context carries
//	      recently_viewed: string_set
//	    stages:
//	      - parallel:
//	          merger: concat            # concat, concat_keep_max, round_robin
//	          strategy: fail_when_all_fail
//	          branches:
//	            - source_list: {key: popular, n: 400}
//	            - source_list: {key: "media:video", n: 400}
//	              optional: true
//	      - filter_seen: {feature: recently_viewed}
//	        as: seen              # the stage's name in metrics and explain
//	        timeout: 5ms          # a latency budget for this stage
//	        on_timeout: skip
//	      - use: score_and_sort   # a fragment or another pipeline
//
// A stage item is a map with one key naming the stage (a registered stage,
// or series, parallel, if, switch, use) and optional as, timeout, on_timeout
// and optional keys.
package pipeline
