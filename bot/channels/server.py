"""The multi-threaded WSGI server (waitress) that carries every channel, in the foreground or in a thread."""
from __future__ import annotations

import contextlib
import threading

from waitress.server import create_server

from bot.channels.safety import MAX_BODY


def make_server(app, host: str = "127.0.0.1", port: int = 8080, threads: int = 16, **adjustments):
    """A waitress server bound to host:port (port 0 picks a free one); call ``.run()`` or ``.close()``."""
    # waitress itself refuses bodies well above our 64 KiB cap, so nobody can stream gigabytes at a worker.
    return create_server(app, host=host, port=port, threads=threads, max_request_body_size=MAX_BODY * 4,
                         channel_timeout=30, ident="qa-bot", **adjustments)


class ServerThread:
    """A server running in a daemon thread, for tests and benchmarks: ``with ServerThread(app) as url: ...``."""

    def __init__(self, app, threads: int = 16):
        # A short loop timeout lets close() return promptly.
        self.server = make_server(app, port=0, threads=threads, asyncore_loop_timeout=0.1)
        self.thread = threading.Thread(target=self.server.run, name="wsgi", daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. http://127.0.0.1:40123."""
        return f"http://127.0.0.1:{self.server.effective_port}"

    def __enter__(self) -> str:
        self.thread.start()
        return self.url

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Close every socket from inside the server's own loop (so its select never sees a dead fd), then join."""
        server = self.server

        def close_all():
            for dispatcher in list(server._map.values()):
                if dispatcher is not server and dispatcher is not server.trigger:
                    dispatcher.close()
            server.close()  # the listening socket and the trigger: the loop ends when its map is empty

        if self.thread.is_alive():
            try:
                server.trigger.pull_trigger(close_all)
            except OSError:
                # The wake-up pipe is gone (the server closed itself after an error on its listening socket, or
                # its descriptor was closed under it): nothing can reach the loop, so close from here; the loop
                # ends when its map is empty. The trigger goes first: closing its dead descriptor fails once.
                with contextlib.suppress(OSError):
                    server.trigger.close()
                close_all()
            self.thread.join(timeout=5)
        else:
            server.close()
        server.task_dispatcher.shutdown()
