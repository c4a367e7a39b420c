"""A real bot server process whose one handler keeps a tally in conversation state, for crash tests.

    python -m tests.sim.tally_bot DATABASE_URL AES_KEY      # prints the port, then serves until killed

A message "NAME" or "NAME sleep=SECONDS" appends NAME to the conversation's tally, then waits that long (so a test
can kill the process while runs are busy), and answers with the whole tally: 「已记录：a,b」.
"""
from __future__ import annotations

import re
import sys
import time

TOKEN, CORP_ID = "tally-token", "ww-tally"


class TallyHandler:
    """Appends each message to the conversation's state; a message counted twice or lost shows in the tally."""

    name = "tally"

    def matches(self, msg, ctx) -> bool:
        return True

    def handle(self, msg, ctx):
        from bot.core.message import Reply

        name, _, rest = msg.text.partition(" ")
        tally = (ctx.state.get(msg.key, "tally") or {}).get("seen", []) + [name]
        ctx.state.put(msg.key, "tally", {"seen": tally})
        m = re.match(r"sleep=([\d.]+)", rest)
        if m:  # after the state write: a run killed here must not leave its write behind
            time.sleep(float(m.group(1)))
        return Reply("已记录：" + ",".join(tally))


def main() -> None:
    import bot.services
    from bot.app import create_app
    from bot.channels.server import make_server
    from bot.core.config import Config

    db_url, aes_key = sys.argv[1], sys.argv[2]
    bot.services.default_handlers = lambda: [TallyHandler()]
    config = Config.from_env(env={}, database_url=db_url, wecom_corp_id=CORP_ID, wecom_token=TOKEN,
                             wecom_aes_key=aes_key)
    server = make_server(create_app(bot.services.build_services(config, kb=object())), port=0, threads=32)
    print(server.effective_port, flush=True)
    server.run()


if __name__ == "__main__":
    main()
