package localpg

import "syscall"

// setDeathSignal asks for an immediate shutdown of the server when the
// process that started it dies.
func setDeathSignal(a *syscall.SysProcAttr) { a.Pdeathsig = syscall.SIGQUIT }
