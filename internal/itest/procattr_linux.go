package itest

import (
	"os/exec"
	"syscall"
)

// setProcAttr makes the kernel kill a backend if the test binary dies before
// its cleanup runs (a panic or a go test timeout), so no backend outlives it.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
