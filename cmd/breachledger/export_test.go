package main

// Run is run for the tests of package main_test that must run a command
// in-process with a clock of their own (witness_e2e_test.go: freshness
// judged at an instant the test picks; the binary reads the real clock).
var Run = run
