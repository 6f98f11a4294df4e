#!/usr/bin/env python3
# Runs a command on a pseudo-terminal, as a person at a console, and answers its prompts in
# order. The prompts and answers come from stdin as PROMPT<TAB>ANSWER lines, never from the
# command line (where any local user could read them); everything the terminal shows is
# copied to stdout as it comes. SIGTERM is passed on to the command.
# Usage: console_answer.py COMMAND ARGS... < answers
import os, pty, signal, sys

pairs = [line.rstrip('\n').split('\t', 1) for line in sys.stdin if '\t' in line]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
signal.signal(signal.SIGTERM, lambda *_: os.kill(pid, signal.SIGTERM))

shown = b''
answered = 0
while True:
    try:
        data = os.read(fd, 1024)
    except InterruptedError:
        continue
    except OSError:
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    shown += data
    if answered < len(pairs) and pairs[answered][0].encode() in shown:
        os.write(fd, pairs[answered][1].encode() + b'\r')
        shown = b''
        answered += 1
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
