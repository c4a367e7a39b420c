"""The layers read top-down: the foundation, the knowledge base and the handlers load without channels or the CLI."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _loaded_after(imports: str) -> set[str]:
    code = f"import sys; {imports}; print('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_foundation_imports_nothing_above_it():
    loaded = _loaded_after("import bot.core.message, bot.core.config, bot.core.clock, bot.core.db")
    assert not {m for m in loaded if m.startswith("bot.") and not m.startswith("bot.core")}
    assert not {m for m in loaded if m.split(".")[0] in ("knowledge", "scheduler", "handlers", "flask", "requests")}


def test_knowledge_and_handlers_load_without_channels_outbound_or_cli():
    loaded = _loaded_after("import knowledge.base, knowledge.store, handlers; handlers.default_handlers()")
    above = {m for m in loaded if m.startswith(("bot.channels", "bot.outbound", "bot.cli", "bot.app", "flask"))}
    assert not above, f"the lower layers pulled in {sorted(above)}"
