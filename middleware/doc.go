// Package middleware holds the stage.Middlewares the platform wraps around
// every stage so that no stage author writes them: Recover, Monitor, Log,
// KillSwitch, Trace and Explain. Default chains them in the recommended
// order.
//
// Each middleware computes what it can when it wraps a stage (the stage's
// name, its metric series, its flag key) so that the per-request cost is a
// few atomic operations.
package middleware
