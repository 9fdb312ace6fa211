#!/usr/bin/env python3
"""ptydrive.py LINE... -- CMD...: run CMD on a new pseudo-terminal (40 rows,
120 columns), type each LINE followed by Enter ("^C" types Ctrl-C) about a
second apart ("^WROWSxCOLS" resizes the terminal instead), then print everything CMD wrote until it exits (at most 60s
more) and exit with its exit code.  For tests of interactive jobs."""
import os, pty, sys, time, select
i = sys.argv.index('--')
lines, cmd = sys.argv[1:i], sys.argv[i+1:]
import fcntl, struct, termios
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', 40, 120, 0, 0))
out = b''
def pump(t):
    global out
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return False
            if not d:
                return False
            out += d
    return True
pump(1.5)
for l in lines:
    if l.startswith('^W'):
        rows, cols = (int(v) for v in l[2:].split('x'))
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack('HHHH', rows, cols, 0, 0))
    else:
        os.write(fd, b'\x03' if l == '^C' else l.encode() + b'\r')
    pump(1.0)
deadline = time.time() + 60
while time.time() < deadline and pump(0.5):
    pass
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(st))
