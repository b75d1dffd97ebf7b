//go:build !race

package encryptsdk_test

const raceEnabled = false
