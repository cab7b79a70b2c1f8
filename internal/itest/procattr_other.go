//go:build !linux

package itest

import "os/exec"

func setProcAttr(cmd *exec.Cmd) {}
