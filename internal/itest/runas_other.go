//go:build !unix

package itest

import "os/exec"

// runAs does nothing where processes cannot be started as another user.
func runAs(*exec.Cmd, *osUser) {}
