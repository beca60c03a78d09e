package redis

// Slot exports slot for tests.
var Slot = slot
