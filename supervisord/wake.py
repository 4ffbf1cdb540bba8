"""supervisord plugin for `planoai up`: its event loop wakes at once for every signal, and right after start.

Between rounds supervisord waits in poll() for up to a second, and a signal does not end that wait (Python
retries the call). So it spawns the programs only after a first idle second, acts on a stop request (SIGTERM)
up to a second late, and, while stopping, may notice that a program has exited (SIGCHLD) a second late at each
step. Events wait too: one emitted in a round (a program's exit, for the exit listener) is handed to its
listeners in the next round, after the next wait. supervisord calls RPC interface factories in its own process,
with nothing else running yet: the factory here points Python's signal wake-up file descriptor at a pipe that
supervisord polls with its own sockets, and writes to that pipe for every event, so every signal and every
event ends the wait; one byte written at once ends the first one.

wake.conf loads it; start.sh puts this folder on PYTHONPATH for that, and the factory takes it off again, so the
programs see the environment they always saw.
"""

from __future__ import annotations

import contextlib
import os
import signal
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))


class Waker:
    """A read end in supervisord's socket map: readable after every signal, read one byte per round."""

    def __init__(self) -> None:
        self.fd, self._write = os.pipe()
        os.set_blocking(self.fd, False)
        os.set_blocking(self._write, False)
        signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self.poke()  # the first poll returns at once: programs spawn without an idle second

    def poke(self, _event: object = None) -> None:
        """Make the next poll return at once."""
        with contextlib.suppress(BlockingIOError):  # full: it returns at once anyway
            os.write(self._write, b"\0")

    def readable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def handle_read_event(self) -> None:
        # One byte per round: supervisord handles one recorded signal per round, so a second signal that came
        # in the same wait (a program's exit, then a stop request) keeps the pipe readable for the next round.
        with contextlib.suppress(BlockingIOError):
            os.read(self.fd, 1)

    def handle_write_event(self) -> None:
        pass

    def handle_error(self) -> None:
        pass


def make(supervisord: Any, **_config: str) -> object:
    """The RPC interface factory named in wake.conf: install the waker, offer no RPC methods."""
    sockets = supervisord.options.get_socket_map()
    for fd in [fd for fd, dispatcher in sockets.items() if isinstance(dispatcher, Waker)]:
        del sockets[fd]  # a reload (SIGHUP) closed its pipe already; a new one replaces it
    waker = Waker()
    sockets[waker.fd] = waker
    from supervisor import events  # supervisord's own package (a reload clears the subscription with the rest)

    events.subscribe(events.Event, waker.poke)
    _restore_pythonpath()
    return object()


def _restore_pythonpath() -> None:
    entries = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if HERE in entries:
        entries.remove(HERE)
        if any(entries):
            os.environ["PYTHONPATH"] = os.pathsep.join(entries)
        else:
            del os.environ["PYTHONPATH"]
