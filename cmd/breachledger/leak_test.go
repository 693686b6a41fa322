package main_test

import "go.uber.org/goleak"

// checkLeaks is goleak.VerifyTestMain's check, for a TestMain that cleans
// up after m.Run (e2e_test.go): the goroutines left once every test has
// ended, none ignored. (Most tests run the built binary; those in this
// process start EventStoreDB test servers, HTTP clients and the in-process
// commands of args_test.go and pin_test.go.)
func checkLeaks() error { return goleak.Find() }
