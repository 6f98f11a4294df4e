#!/usr/bin/env python3
# Runs a command on a pseudo-terminal and lets the caller play the person at it: everything
# the terminal shows goes to stdout as it comes, every line read on stdin is typed (with a
# carriage return, as the Enter key sends). For dialogs whose answers are only known midway
# (the OTP of an SMS that arrives after the PIN): pty_dialog.py -- COMMAND ARGS...
# Exits with the command's status once it has exited.
import os, pty, select, sys

command = sys.argv[sys.argv.index('--') + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

stdin = sys.stdin.fileno()
stdin_open = True
pending = b''
while True:
    readable, _, _ = select.select([fd] + ([stdin] if stdin_open else []), [], [])
    if fd in readable:
        try:
            data = os.read(fd, 4096)
        except OSError:
            data = b''
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    if stdin_open and stdin in readable:
        data = os.read(stdin, 4096)
        if not data:
            stdin_open = False
            continue
        pending += data
        while b'\n' in pending:
            line, pending = pending.split(b'\n', 1)
            os.write(fd, line + b'\r')
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
