#!/usr/bin/env python3
# Runs a command on a pseudo-terminal, as a person at a terminal would, and answers its
# prompts: pty_answer.py PROMPT ANSWER [PROMPT ANSWER ...] -- COMMAND ARGS...
# Prints everything the terminal showed (the echo included, if the command echoes) and exits
# with the command's status.
import os, pty, sys

sep = sys.argv.index('--')
pairs = sys.argv[1:sep]
command = sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(command[0], command)

shown = b''
def read_more():
    global shown
    data = os.read(fd, 1024)
    if not data:
        raise EOFError
    shown += data

try:
    for prompt, answer in zip(pairs[0::2], pairs[1::2]):
        while prompt.encode() not in shown:
            read_more()
        shown = shown.replace(prompt.encode(), b'<' + prompt.encode() + b'>', 1)
        os.write(fd, answer.encode() + b'\r')
    while True:
        read_more()
except (EOFError, OSError):
    pass
_, status = os.waitpid(pid, 0)
sys.stdout.write(shown.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(status))
